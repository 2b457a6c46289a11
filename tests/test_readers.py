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
