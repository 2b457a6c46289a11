"""Read an export into rows of text cells, through pandas, streamed in chunks where the format
allows it. Lossless: every cell stays the text it was (`007` keeps its zeros, `NA` stays `NA`,
a blank stays blank, `1.50` is not turned into 1.5)."""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from migrate.config import SourceSettings
from migrate.exit_codes import CannotRun


class SourceError(CannotRun):
    """An input that cannot be read; the message names the file and, where known, the row."""


class OptionNeeded(SourceError):
    """A refusal that says which of its profile's options to set: the message for an export read on
    its own, and `in_folder` for one read as an entry of a folder of several formats, whose options
    are named with their format (`"crontab.system"`) and given to every export of that format in it."""

    def __init__(self, message: str, in_folder: str) -> None:
        super().__init__(message)
        self.in_folder = in_folder


@dataclass(frozen=True)
class SourceRow:
    number: int  # 1-based record number after the header (spreadsheet row number - 1)
    cells: dict[str, str]

    def __reduce__(self) -> tuple[type[SourceRow], tuple[int, dict[str, str]]]:
        # Rows cross to the mapping processes by the thousand: this pickles in a third of the time
        # a frozen dataclass's default (its state set field by field through object.__setattr__) takes.
        return SourceRow, (self.number, self.cells)


def cell_text(value: Any) -> str:
    """One cell as text: None/NaN blank, numbers as written, nested JSON as JSON."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float
    if isinstance(value, datetime):  # an Excel date cell (or Parquet's): a date alone when it has no time
        if not (value.hour or value.minute or value.second or value.microsecond) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if not value.microsecond else "auto")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _frame_rows(frames: Iterator[pd.DataFrame], all_text: bool = False) -> Iterator[SourceRow]:
    """all_text: the reader already gave every cell as a str (CSV with dtype=str), so skip cell_text."""
    number = 1
    for frame in frames:
        columns = [str(c) for c in frame.columns]
        # to_numpy, not itertuples: itertuples takes each column apart (seconds for 100,000 columns),
        # and is slower for a few columns too.
        for values in frame.to_numpy(dtype=object).tolist():
            cells = dict(zip(columns, values, strict=True)) if all_text else dict(
                zip(columns, map(cell_text, values), strict=True))
            yield SourceRow(number, cells)
            number += 1


def _records_frames(records: Iterator[dict[str, Any]], chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pandas as pd  # here: a profile's plan, which reads no table, need not import it

    while chunk := list(islice(records, chunk_rows)):
        yield pd.DataFrame.from_records(chunk).astype(object)


class DuplicateKey(ValueError):
    """One object giving a key twice: which value the exporter meant is not known."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are each given once. A key given twice (a hand edit, two exports
    merged) was taken silently as its last value: a flow named, scheduled or keyed otherwise than
    the first value says, which the scheduler's own reader may have taken."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise DuplicateKey(f"the key {key!r} is given twice in one object ({_short_json(seen[key])}, then "
                                   f"{_short_json(value)}): which one was meant is not known; remove one")
            seen[key] = value
    return found


def _short_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _exact_json(text: str) -> Any:
    # Numbers keep their exact text: an id 12345678901234567890 or a value 1.50 stays as written.
    return json.loads(text, parse_int=str, parse_float=str, object_pairs_hook=unique_keys)


TOO_DEEP = "JSON nested too deeply to read (past Python's recursion limit)"


def _jsonl_records(path: Path, encoding: str) -> Iterator[dict[str, Any]]:
    with path.open(encoding=encoding) as lines:
        for line_number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = _exact_json(line)
            except json.JSONDecodeError as error:
                raise SourceError(f"{path}: line {line_number}: not valid JSON ({error.msg})") from None
            except DuplicateKey as duplicate:
                raise SourceError(f"{path}: line {line_number}: {duplicate}") from None
            except RecursionError:
                raise SourceError(f"{path}: line {line_number}: {TOO_DEEP}") from None
            if not isinstance(record, dict):
                raise SourceError(f"{path}: line {line_number}: a JSON Lines record must be an object")
            yield record


def _json_records(path: Path, encoding: str) -> Iterator[dict[str, Any]]:
    try:
        document = _exact_json(path.read_text(encoding=encoding))
    except json.JSONDecodeError as error:
        raise SourceError(f"{path}: not valid JSON at line {error.lineno} column {error.colno} ({error.msg})") from None
    except DuplicateKey as duplicate:
        raise SourceError(f"{path}: {duplicate}") from None
    except RecursionError:
        raise SourceError(f"{path}: {TOO_DEEP}") from None
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise SourceError(f"{path}: a JSON document must be a list of objects, or an object holding one list")
        document = lists[0]
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise SourceError(f"{path}: a JSON document must be a list of objects")
    yield from document


def _delimiter(settings: SourceSettings) -> str:
    return settings.delimiter or ("\t" if settings.resolved_format() == "tsv" else ",")


def _check_first_record(settings: SourceSettings, delimiter: str) -> None:
    """A first data row with more fields than the header: pandas would take its first column
    for an index and shift every column left (index_col=False instead drops the extra field
    silently). Either way every row would be read wrong, so the file is refused."""
    try:
        with settings.path.open(encoding=settings.encoding, newline="") as text:
            reader = csv.reader(text, delimiter=delimiter)
            records = (record for record in reader if record)  # pandas skips blank lines too
            header, first = next(records, None), next(records, None)
            line = reader.line_num
    except csv.Error:
        return  # pandas reads it its own way, and reports what it cannot
    if header is not None and first is not None and len(first) > len(header):
        raise SourceError(f"{settings.path}: {_fields_message(line, len(first), len(header))}")


def _fields_message(line: int, found: int, header: int) -> str:
    return f"line {line} has {found} field{'' if found == 1 else 's'}, the header {header}"


PANDAS_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
SHORT_ROW = "SHORT_ROW"


def _record_widths(settings: SourceSettings, delimiter: str) -> Iterator[tuple[int, int]]:
    """Each data record's number of fields and its line, as pandas reads the same file (blank
    lines skipped; a lone CR ends a line for both). Ends quietly where the csv module cannot go on."""
    try:
        with settings.path.open(encoding=settings.encoding, newline="") as text:
            reader = csv.reader(text, delimiter=delimiter)
            header, last_line = True, 0
            for record in reader:
                first_line, last_line = last_line + 1, reader.line_num  # a quoted cell may span lines
                if record and not header:
                    yield len(record), first_line
                header = header and not record
    except (csv.Error, UnicodeDecodeError, OSError):
        return  # pandas reads the file its own way, and reports what it cannot


def _short_rows_flagged(rows: Iterator[SourceRow], settings: SourceSettings, delimiter: str) -> Iterator[SourceRow]:
    """A row with fewer fields than the header (a stray line break split it) reads as blanks in
    pandas, and would be reported as one "is required" per missing field, or worse, saved with
    blanks: it gets its own error instead (the reserved `__errors__` column, as a profile's)."""
    widths = _record_widths(settings, delimiter)
    for row in rows:
        found = next(widths, None)
        if found is not None and found[0] < len(row.cells):
            note = {"code": SHORT_ROW, "message": _fields_message(found[1], found[0], len(row.cells))}
            row.cells["__errors__"] = json.dumps([note])
        yield row


def _csv_frames(settings: SourceSettings, delimiter: str) -> Iterator[pd.DataFrame]:
    import pandas as pd

    _check_first_record(settings, delimiter)
    # dtype=object, not str: with no NA filtering the cells are Python strings either way, and
    # pandas 3's str dtype stores them in Arrow, which is four times slower to iterate.
    # index_col=False: never take a column for an index (see _check_first_record).
    reader = pd.read_csv(
        settings.path, sep=delimiter, dtype=object, keep_default_na=False, na_filter=False,
        encoding=settings.encoding, chunksize=settings.chunk_rows, quoting=csv.QUOTE_MINIMAL,
        engine="c", skip_blank_lines=True, index_col=False,
    )
    with reader:
        yield from reader


def _parquet_frames(settings: SourceSettings) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(settings.path).iter_batches(batch_size=settings.chunk_rows):
        yield batch.to_pandas(types_mapper=None).astype(object)


def _encoding_hint(path: Path) -> str:
    """What to set: a UTF-16 or UTF-32 byte-order mark at the start (Windows PowerShell 5's `>`,
    Excel's "Unicode text") names its encoding."""
    try:
        with path.open("rb") as file:
            start = file.read(4)
    except OSError:
        start = b""
    if start in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        return "it begins with a UTF-32 byte-order mark: set source.encoding = \"utf-32\""
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "it begins with a UTF-16 byte-order mark: set source.encoding = \"utf-16\""
    return "set source.encoding"


def utf16_codec(head: bytes | str) -> str:
    """The byte order of UTF-16 text without a byte-order mark, from its first character (ASCII: its
    NUL byte before it, big-endian, or after it, little-endian), read as bytes or as text."""
    return "utf-16-be" if head[:1] in (b"\x00", "\x00") else "utf-16-le"


def utf16_hint(text: str) -> str:
    """For a message about a file that could not be parsed: what its NUL bytes say, when the text
    read holds them as UTF-16 without a byte-order mark does (ASCII's every other byte), else ""."""
    head = text[:64]
    if "\x00" not in head:
        return ""
    return f"; its bytes look like UTF-16 without a byte-order mark: set [source] encoding = \"{utf16_codec(head)}\""


def file_text(path: Path, encoding: str) -> str:
    """A text export's content. A UTF-16 byte-order mark (Windows PowerShell 5's `>` writes one) says
    the encoding for certain, whatever [source] encoding says; else the file is read in `encoding`,
    and a byte it cannot read is named."""
    data = path.read_bytes()
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return data.decode("utf-16" if utf16 else encoding)
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not {'UTF-16' if utf16 else encoding} text (byte {error.start}); "
                          "set [source] encoding to the file's") from None


def read_header(settings: SourceSettings) -> list[str] | None:
    """The column names of a tabular source: a JSON table's are every key any record has (records
    may differ in keys; a key no record has is a misspelt mapping, whose rows all mapped nothing and
    the plan found "0 flows", exit 0). Raises SourceError for a header that names a column twice:
    which one would we read?"""
    kind = settings.resolved_format()
    if kind in ("json", "jsonl"):
        records = (_jsonl_records if kind == "jsonl" else _json_records)(settings.path, settings.encoding)
        keys: dict[str, None] = {}
        try:
            for record in records:  # one pass more over the file: a JSON table is read whole anyway
                keys.update(dict.fromkeys(map(str, record)))
        except (OSError, UnicodeError):
            return None  # read_rows reports it with its context
        return list(keys) or None
    if kind in ("csv", "tsv"):
        try:
            with settings.path.open(encoding=settings.encoding, newline="") as text:
                names = next(csv.reader(text, delimiter=_delimiter(settings)), [])
        except (OSError, UnicodeError, csv.Error):  # UnicodeError: utf-16 meeting no byte-order mark
            return None  # read_rows reports it with its context
    else:
        first = next(iter(_first_frame(settings)), None)
        names = [] if first is None else [str(c) for c in first.columns]
    # Blank names are not columns anyone maps (a spreadsheet's stray cells to the right of the table
    # are written as empty header cells): pandas names them apart, `Unnamed: 7`, and they are unread.
    repeated = sorted(name for name, count in Counter(names).items() if count > 1 and name.strip())  # linear
    if repeated:
        raise SourceError(f"{settings.path}: the header names column(s) {columns_named(repeated)} more than once")
    return names or None


def columns_named(names: list[str], most: int = 10, width: int = 20) -> str:
    """Column names for a message: a few, each cut short, and how many there are. Never the raw
    header line: a file read by mistake may be a secret, and its first line would be one column."""
    shown = [repr(n if len(n) <= width else n[: width - 1] + "…") for n in names[:most]]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return f"{len(names)}: " + ", ".join(shown) + more


def _first_frame(settings: SourceSettings) -> Iterator[pd.DataFrame]:
    import pandas as pd

    kind = settings.resolved_format()
    try:
        if kind == "excel":
            with pd.ExcelFile(settings.path, engine="openpyxl") as book:
                yield pd.read_excel(book, sheet_name=_sheet(settings, book), nrows=0)
        else:
            import pyarrow.parquet as pq

            yield pq.read_schema(settings.path).empty_table().to_pandas()
    except Exception:
        return


# Bytes Latin-1 reads as C1 control characters, which no text holds: Windows-1252 puts €, ‚, „,
# curly quotes and dashes there, and a file called "Latin-1" is that more often than not.
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def _check_latin_1(settings: SourceSettings) -> None:
    """Refuse a file read as Latin-1 that holds a byte 0x80-0x9F: its names would be saved with
    invisible control characters where the export shows `€` or quotes."""
    try:
        if codecs.lookup(settings.encoding).name != "iso8859-1":
            return
    except LookupError:
        return  # refused where the settings are read
    line = 1
    with settings.path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            found = _C1_BYTES.search(block)
            if found is not None:
                line += block.count(b"\n", 0, found.start())
                raise SourceError(f"{settings.path}: line {line} holds byte {found.group()[0]:#04x}, which Latin-1 "
                                  "reads as an invisible control character: the file is most likely Windows-1252, "
                                  "as Windows writes Latin-1 text; set source.encoding = \"cp1252\"")
            line += block.count(b"\n")


def _sheet(settings: SourceSettings, book: pd.ExcelFile) -> str | int:
    """The sheet `[source] sheet` names: by its name (in any case, when one sheet alone matches so)
    or its place; else the sheets there are, named."""
    names = [str(name) for name in book.sheet_names]
    wanted = settings.sheet
    if isinstance(wanted, int):
        if 0 <= wanted < len(names):
            return wanted
    elif wanted in names:
        return wanted
    else:
        folded = [name for name in names if name.strip().casefold() == wanted.strip().casefold()]
        if len(folded) == 1:
            return folded[0]
    raise SourceError(f"{settings.path}: no sheet {wanted!r} (source.sheet: a name, or a place from 0); its sheets "
                      f"are {columns_named(names)}")


def read_rows(settings: SourceSettings) -> Iterator[SourceRow]:
    """Every record of the source, in order; raises SourceError for an unreadable file."""
    import pandas as pd

    path, kind = settings.path, settings.resolved_format()
    if path.is_dir():
        raise SourceError(f"{path}: a folder; a table is read from one file (CSV, TSV, Excel, JSON, JSON Lines, "
                          "Parquet): point [source] path at it, or name the export's profile (or \"auto\")")
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty")
    if kind in ("csv", "tsv", "json", "jsonl"):
        _check_latin_1(settings)
    try:
        if kind in ("csv", "tsv"):
            delimiter = _delimiter(settings)
            yield from _short_rows_flagged(_frame_rows(_csv_frames(settings, delimiter), all_text=True),
                                           settings, delimiter)
        elif kind == "excel":
            with pd.ExcelFile(path, engine="openpyxl") as book:
                frame = pd.read_excel(book, sheet_name=_sheet(settings, book), dtype=object,
                                      keep_default_na=False, na_filter=False)
            yield from _frame_rows(iter([frame]))
        elif kind == "jsonl":
            yield from _frame_rows(_records_frames(_jsonl_records(path, settings.encoding), settings.chunk_rows))
        elif kind == "json":
            yield from _frame_rows(_records_frames(_json_records(path, settings.encoding), settings.chunk_rows))
        else:
            yield from _frame_rows(_parquet_frames(settings))
    except SourceError:
        raise
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not {settings.encoding} text (byte {error.start}: "
                          f"{error.object[error.start:error.start + 1]!r}); {_encoding_hint(path)}") from None
    except UnicodeError as error:  # the codec's own refusal: "UTF-16 stream does not start with BOM"
        raise SourceError(f"{path}: not {settings.encoding} text ({error}); {_encoding_hint(path)}") from None
    except pd.errors.EmptyDataError:
        raise SourceError(f"{path}: no header row: the file has no columns") from None
    except pd.errors.ParserError as error:
        fields = PANDAS_FIELDS.search(str(error))
        if fields:  # a later row with a field too many
            expected, line, found = map(int, fields.groups())
            raise SourceError(f"{path}: {_fields_message(line, found, expected)}") from None
        raise SourceError(f"{path}: cannot parse as {kind}: {' '.join(str(error).split())}") from None
    except RecursionError:
        raise SourceError(f"{path}: {TOO_DEEP}") from None
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:
        raise SourceError(f"{path}: cannot read as {kind}: {error}") from None
    except Exception as error:
        if kind not in ("excel", "parquet"):
            raise
        # A damaged binary file: openpyxl, zipfile and pyarrow raise what they like (NotImplementedError
        # for a zip version byte gone wrong, EOFError, zlib.error...). Whatever it is, the file is unreadable.
        raise SourceError(f"{path}: cannot read as {kind}: {type(error).__name__}: {error}") from None
