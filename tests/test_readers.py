"""Readers: every format gives the same lossless text cells; bad files give clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrate.config import SourceSettings
from migrate.sources.readers import SourceError, read_rows

RECORDS = [
    {"id": "007", "name": "ä job", "note": "NA", "blank": "", "amount": "1.50"},
    {"id": "12345678901234567890", "name": "b", "note": "null", "blank": "", "amount": "2"},
]


def cells(path: Path, **options: object) -> list[dict[str, str]]:
    return [row.cells for row in read_rows(SourceSettings(path=path, chunk_rows=1, **options))]


def test_csv_keeps_zeros_na_blanks_and_decimals_and_reads_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    lines = ["id,name,note,blank,amount"] + [",".join(r.values()) for r in RECORDS]
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())
    assert cells(path) == RECORDS


def test_tsv(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("\n".join(["\t".join(RECORDS[0])] + ["\t".join(r.values()) for r in RECORDS]), encoding="utf-8")
    assert cells(path) == RECORDS


def test_jsonl_and_json_keep_numbers_as_written(tmp_path: Path) -> None:
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text('{"id": "007", "n": 1.50, "big": 12345678901234567890, "list": [1], "none": null}\n'
                     '\n{"id": "008"}\n', encoding="utf-8")
    assert cells(jsonl) == [
        {"id": "007", "n": "1.50", "big": "12345678901234567890", "list": "[\"1\"]", "none": ""},
        {"id": "008"},  # a record's absent keys stay absent; mapping reads them as blank
    ]
    document = tmp_path / "x.json"
    document.write_text(json.dumps({"total": 2, "dags": RECORDS}), encoding="utf-8")
    assert cells(document) == RECORDS


def test_excel(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(RECORDS[0]))
    sheet.append(["007", "ä job", "NA", None, "1.50"])
    sheet.append([42, "b", "x", None, 2.5])
    path = tmp_path / "x.xlsx"
    book.save(path)
    assert cells(path) == [RECORDS[0], {"id": "42", "name": "b", "note": "x", "blank": "", "amount": "2.5"}]


def test_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "x.parquet"
    pq.write_table(pa.Table.from_pylist(RECORDS), path)
    assert cells(path) == RECORDS


def test_row_numbers_continue_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id\n" + "\n".join(str(i) for i in range(1, 8)) + "\n", encoding="utf-8")
    rows = list(read_rows(SourceSettings(path=path, chunk_rows=3)))
    assert [r.number for r in rows] == list(range(1, 8)) and rows[6].cells == {"id": "7"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\n\n", "no header"),
        ("latin.csv", "id,name\n1,caf\xe9\n".encode("latin-1"), "not utf-8-sig text"),
        # Excel's "Unicode text" and PowerShell 5's `>`: the byte-order mark names the encoding to set
        ("excel-unicode.csv", "id,name\n1,café\n".encode("utf-16"),
         'it begins with a UTF-16 byte-order mark: set source.encoding = "utf-16"'),
        ("utf32.csv", "id,name\n1,café\n".encode("utf-32"),
         'it begins with a UTF-32 byte-order mark: set source.encoding = "utf-32"'),
        ("broken.json", b'[{"id": 1}', "not valid JSON"),
        ("scalar.json", b'"hello"', "list of objects"),
        ("broken.jsonl", b'{"id": 1}\n{"id": \n', "line 2"),
        ("binary.xlsx", b"\x00\x01not a zip", "cannot read as excel"),
        ("binary.parquet", b"\x00\x01not parquet", "cannot read as parquet"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError) as raised:
        list(read_rows(SourceSettings(path=path)))
    assert str(path) in str(raised.value) and message in str(raised.value)


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("id,name\n", encoding="utf-8")
    assert list(read_rows(SourceSettings(path=path))) == []


def test_blank_header_cells_to_the_right_are_no_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A spreadsheet's stray cells right of the table are written as empty header cells and `,,` on
    # every line: the file was refused as naming the column '' twice.
    from conftest import base_state, run_cli, write_config

    config = write_config(tmp_path, state=base_state(), rows=[{"flow_id": "1001"}])
    (tmp_path / "export.csv").write_text("flow_id,flow_name,schedule,owners,task_id,,\n"
                                         "1001,a,0 0 2 * * ? *,alice,500001,,\n1002,b,0 0 3 * * ? *,alice,500002,,\n",
                                         encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
    assert code == 3 and json.loads(out)["convertible"] == 2, err
    (tmp_path / "export.csv").write_text("flow_id,flow_name,flow_name\n1001,a,b\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and "names column(s) 1: 'flow_name' more than once" in err, err  # a named one twice still is


def test_excel_date_and_time_cells_read_as_the_dates_and_times_they_show(tmp_path: Path) -> None:
    # A date cell came out as "2026-11-27 00:00:00", which no startTime takes (every row invalid).
    from datetime import date, datetime, time

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["start", "at", "moment", "flag"])
    sheet.append([date(2026, 11, 27), time(7, 5), datetime(2026, 11, 27, 7, 5, 30), True])
    path = tmp_path / "x.xlsx"
    book.save(path)
    assert cells(path) == [{"start": "2026-11-27", "at": "07:05:00", "moment": "2026-11-27 07:05:30", "flag": "true"}]


@pytest.mark.parametrize(("sheet", "found"), [("jobs", "Jobs"), (" JOBS", "Jobs"), (1, "Jobs"), ("Readme", "Readme")])
def test_a_sheet_is_found_by_name_in_any_case_or_by_place(tmp_path: Path, sheet: str | int, found: str) -> None:
    from openpyxl import Workbook

    book = Workbook()
    readme = book.active
    assert readme is not None
    readme.title = "Readme"
    readme.append(["note"])
    readme.append(["the jobs are on the next sheet"])
    jobs = book.create_sheet("Jobs")
    jobs.append(["id"])
    jobs.append(["42"])
    path = tmp_path / "x.xlsx"
    book.save(path)
    assert cells(path, sheet=sheet) == ([{"id": "42"}] if found == "Jobs" else [{"note": "the jobs are on the next sheet"}])


@pytest.mark.parametrize("sheet", ["Job", 2])
def test_a_sheet_that_is_not_there_names_the_sheets(tmp_path: Path, sheet: str | int) -> None:
    from openpyxl import Workbook

    book = Workbook()
    assert book.active is not None
    book.active.title = "Jobs"
    book.create_sheet("Readme")
    path = tmp_path / "x.xlsx"
    book.save(path)
    with pytest.raises(SourceError, match=r"no sheet .* its sheets are 2: 'Jobs', 'Readme'"):
        cells(path, sheet=sheet)


@pytest.mark.parametrize("encoding", ["latin-1", "ISO-8859-1", "latin1"])
def test_windows_1252_read_as_latin_1_is_refused_naming_the_line_and_byte(tmp_path: Path, encoding: str) -> None:
    # Its names were planned with C1 control characters where the export shows € and curly quotes.
    path = tmp_path / "x.csv"
    path.write_bytes("id,name\n1,caf\u00e9\n2,Kosten\u20ac_Bericht\n".encode("cp1252"))
    with pytest.raises(SourceError, match=r"line 3 holds byte 0x80, .* set source.encoding = \"cp1252\""):
        cells(path, encoding=encoding)
    assert cells(path, encoding="cp1252")[1] == {"id": "2", "name": "Kosten\u20ac_Bericht"}
    path.write_bytes("id,name\n1,caf\u00e9\n".encode("latin-1"))  # Latin-1 text that is Latin-1: read
    assert cells(path, encoding=encoding) == [{"id": "1", "name": "caf\u00e9"}]


def test_rows_of_a_table_that_map_nothing_are_no_flows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A note in a column of its own below the table, a row of blanks: each was a flow of defaults
    # alone, refused ("is required"), and the export could never plan with exit 0.
    from conftest import base_state, run_cli, write_config

    config = write_config(tmp_path, state=base_state(), rows=[{"flow_id": "1001"}])
    (tmp_path / "export.csv").write_text("flow_id,flow_name,schedule,owners,task_id,note\n"
                                         "1001,a,0 0 2 * * ? *,alice,500001,\n"
                                         " , ,,,,\n,,,,,reviewed by bob\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
    plan = json.loads(out)
    assert code == 3 and plan["flows_found"] == 1 and plan["convertible"] == 1, (err, plan)
