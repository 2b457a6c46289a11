"""`migrate report LOG…`: several logs or a quoted pattern (the shards of one migration), each
run and all together; a file that is no result log refused; one self-contained HTML page whose
numbers are the log's and whose values never run as markup."""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from migrate.results.log import SENT_STATUSES, read_log
from tests.conftest import base_state, export_rows, run_cli, write_config

SCRIPT_NAME = '<script>alert("flow")</script>'


def shard(tmp_path: Path, capsys: pytest.CaptureFixture[str], index: int, count: int, first: int,
          flows: int, broken: dict[int, dict[str, str]] | None = None) -> Path:
    """One shard's run: its own export of `flows` flows from flow `first`, its log beside the
    others' (`nightly-shard-I-of-N`)."""
    folder = tmp_path / f"shard-{index}"
    folder.mkdir()
    rows = export_rows(flows, first_flow=first)
    for row_index, changes in (broken or {}).items():
        rows[row_index].update(changes)
    state = base_state(flows=first - 1000 + flows, tasks_per_flow=1)
    config = write_config(folder, state=state, rows=rows,
                          run={"result_log": str(tmp_path / "results" / "{run_id}.jsonl")})
    # The shards' flows are told apart by source and key (a row number here): one export each.
    (folder / "export.csv").rename(folder / f"export-{index}.csv")
    config.write_text(config.read_text().replace('"export.csv"', f'"export-{index}.csv"'))
    run_id = f"nightly-shard-{index}-of-{count}"
    code, _, err = run_cli(capsys, "run", str(config), "--run-id", run_id)
    assert code in (0, 5), err
    return tmp_path / "results" / f"{run_id}.jsonl"


@pytest.fixture
def shards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[Path]:
    return [shard(tmp_path, capsys, 0, 2, 1001, 5, broken={1: {"schedule": "every day", "flow_name": SCRIPT_NAME}}),
            shard(tmp_path, capsys, 1, 2, 1006, 4, broken={0: {"owners": ""}})]


def test_a_pattern_reports_each_shard_and_all_together(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       shards: list[Path]) -> None:
    pattern = str(tmp_path / "results" / "nightly-shard-*-of-2.jsonl")  # quoted: the tool expands it
    code, out, _ = run_cli(capsys, "report", pattern, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["flows"] == 9 and report["by_status"] == {"saved": 7, "invalid": 2}
    assert [run["run_id"] for run in report["runs"]] == ["nightly-shard-0-of-2", "nightly-shard-1-of-2"]
    assert [run["by_status"] for run in report["runs"]] == [{"saved": 4, "invalid": 1}, {"saved": 3, "invalid": 1}]
    assert report["logs"] == [str(path) for path in shards]
    code, text, _ = run_cli(capsys, "report", str(shards[0]), str(shards[1]))
    assert code == 0
    assert "run nightly-shard-0-of-2 (" in text and "  5 flows: saved 4, invalid 1" in text
    assert "all 2 runs together (each flow's last line):\n  9 flows: saved 7, invalid 2" in text


def test_one_log_reads_as_before(capsys: pytest.CaptureFixture[str], shards: list[Path]) -> None:
    code, text, _ = run_cli(capsys, "report", str(shards[1]))
    assert code == 0 and text.startswith("4 flows: saved 3, invalid 1\n") and "run " not in text


@pytest.mark.parametrize("content", ["[source]\npath = \"export.csv\"\n", '{"a": 1}\n', "flow_id,name\n1,x\n"])
def test_a_file_that_is_not_a_result_log_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    shards: list[Path], content: str) -> None:
    other = tmp_path / "run.toml"
    other.write_text("\n" + content, encoding="utf-8")
    code, out, err = run_cli(capsys, "report", str(shards[0]), str(other))
    assert code == 1 and f"{other}:2: not a result log" in err and out == ""


def test_a_missing_log_or_a_pattern_matching_nothing_is_named(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "report", str(tmp_path / "none.jsonl"))
    assert code == 1 and "none.jsonl: no such result log" in err
    code, _, err = run_cli(capsys, "report", str(tmp_path / "nightly-*.jsonl"))
    assert code == 1 and "no result log matches this pattern" in err


class Page(HTMLParser):
    """The page as a browser's parser sees it: its tags, its tables' cells, its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.attributes: list[tuple[str, str | None]] = []
        self.tables: list[list[list[str]]] = []
        self.titles: list[str] = []  # the SVG bars' <title>s
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attributes.extend(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title:
            self.titles.append(data)

    def table_after(self, heading: str) -> dict[str, str]:
        """The first two columns of the table whose header row starts with `heading`."""
        table = next(t for t in self.tables if t and t[0] and t[0][0] == heading)
        return {row[0]: row[1] for row in table[1:]}


def test_the_html_page_holds_the_logs_numbers_and_runs_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               shards: list[Path]) -> None:
    out = tmp_path / "review.html"
    code, _, err = run_cli(capsys, "report", str(tmp_path / "results" / "*.jsonl"), "--html", str(out))
    assert code == 0 and f"report page written to {out}" in err
    markup = out.read_text(encoding="utf-8")
    page = Page()
    page.feed(markup)
    lines: list[dict[str, Any]] = [line for log in shards for line in read_log(log)]
    # self-contained: no script, no external asset of any kind
    assert page.tags["script"] == 0 and page.tags["link"] == 0 and page.tags["img"] == 0
    assert not any(value and ("http:" in value or "https:" in value or "//" in value.split("xmlns")[0])
                   for name, value in page.attributes if name in ("src", "href"))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    # counts by status, errors by code
    by_status = Counter(line["status"] for line in lines)
    assert page.table_after("status") == {status: str(count) for status, count in by_status.items()}
    assert page.table_after("code") == {"INVALID_SYNTAX": "1", "field owners": "1"}
    # the invalid flows with their reasons, the script-named one as text
    invalid = next(t for t in page.tables if t[0][:4] == ["flow", "id", "rows", "reasons"])
    assert sorted(row[0] for row in invalid[1:]) == sorted(line["name"] for line in lines
                                                           if line["status"] == "invalid")
    scripted = next(row for row in invalid[1:] if row[0] == SCRIPT_NAME)
    assert scripted[1] == "1002" and "field freq" in scripted[3]
    # latency distribution: every sent flow's latency counted once
    latencies = page.table_after("latency")
    sent = [line for line in lines if line["status"] in SENT_STATUSES and line.get("latency_ms") is not None]
    assert sum(int(count) for count in latencies.values()) == len(sent) == 7
    # throughput over time: the bars' counts add up to the flows sent
    bars = [title for title in page.titles if " flows (" in title]
    assert sum(int(title.split(": ")[1].split(" flows")[0]) for title in bars) == 7
    # each run, with its own numbers
    runs = page.table_after("run")
    assert set(runs) == {"nightly-shard-0-of-2", "nightly-shard-1-of-2"} and set(runs.values()) == {
        str(shards[0]), str(shards[1])}


def test_a_snapshot_beside_the_logs_is_left_out_of_a_pattern_and_named_when_given(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], shards: list[Path]) -> None:
    snapshot = tmp_path / "results" / "nightly-shard-backup.jsonl"  # `migrate export --out` beside the logs
    snapshot.write_text('{"snapshot": {"format": 1, "made": "2026-11-26T00:00:00Z"}}\n{"flowId": 1}\n')
    code, out, err = run_cli(capsys, "report", str(tmp_path / "results" / "nightly-shard-*.jsonl"), "--json")
    assert code == 0 and json.loads(out)["flows"] == 9, err
    assert "nightly-shard-backup.jsonl:1: a snapshot written by `migrate export`" in err and "left out" in err
    code, _, err = run_cli(capsys, "report", str(snapshot))
    assert code == 1 and "a snapshot written by `migrate export`" in err


def test_a_migration_and_a_runbook_after_it_are_the_same_flows_in_any_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """All together counts flows of the service: a migration's line and a runbook's line about the
    same flow are one flow, its last line the later one by time, whatever order the logs are given."""
    config = write_config(tmp_path, state=base_state(flows=6, tasks_per_flow=1), rows=export_rows(6))
    code, _, err = run_cli(capsys, "run", str(config), "--run-id", "migration")
    assert code == 0, err
    code, _, err = run_cli(capsys, "enable", str(config), "--id", "1001", "--id", "1002", "--apply",
                           "--run-id", "pause")
    assert code == 0, err
    logs = [str(tmp_path / "results" / f"{run_id}.jsonl") for run_id in ("migration", "pause")]
    for order in (logs, logs[::-1]):
        code, out, err = run_cli(capsys, "report", *order, "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["flows"] == 6 and report["by_status"] == {"saved": 4, "enabled": 2}, report


def test_a_failure_without_a_service_code_says_why() -> None:
    """errors by code: a failure the service answered with a code is that code; one with no
    answer is NO_ANSWER (timeouts, resets), one cut short by a stop request INTERRUPTED: never
    "failed" again beside the status "failed"."""
    from migrate.results.log import Summary

    lines = [{"status": "failed", "code": 62103, "msg": "no permission"},
             {"status": "failed", "code": None, "msg": "timeout after 3 attempts"},
             {"status": "failed", "code": None, "msg": "interrupted after a request that changes the flow was sent"},
             {"status": "saved", "code": 0, "msg": ""},
             # the run's own refusals name themselves; a save the service took but a read-back
             # denies is the verify's failure, not "0"
             {"status": "failed", "code": None, "msg": "AMBIGUOUS_NAME: 2 flows you own are named 'x'"},
             {"status": "failed", "code": None, "msg": "TASKS_DIFFER: task 't' is not in the live flow"},
             {"status": "failed", "code": 0, "msg": "saved, but reading it back differs: freq"},
             {"status": "failed", "code": None, "http_status": 503, "msg": "gave up after 5 attempt(s): HTTP 503"},
             # a stop request during its retries (the last answer a 503): the stop is what ended it
             {"status": "failed", "code": None, "http_status": 503, "msg": "stopped after 1 attempt(s): HTTP 503"}]
    summary = Summary.of([{**line, "source_file": "x.csv", "source_key": str(n)} for n, line in enumerate(lines)])
    assert dict(summary.errors_by_code) == {"62103": 1, "NO_ANSWER": 1, "INTERRUPTED": 2, "AMBIGUOUS_NAME": 1,
                                            "TASKS_DIFFER": 1, "VERIFY_FAILED": 1, "HTTP 503": 1}


def test_an_invalid_row_naming_a_flow_of_the_service_is_that_flows_line_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's broken rows name flows the service holds (their ids): a runbook after the
    migration touches those flows too. All together, each flow of the service once, its latest
    line the runbook's; the run's own summary still counts the invalid row."""
    rows = export_rows(6)
    rows[0]["owners"] = ""  # flow 1001's row: invalid (owners are required)
    config = write_config(tmp_path, state=base_state(flows=6, tasks_per_flow=1), rows=rows)
    code, _, err = run_cli(capsys, "run", str(config), "--run-id", "migration")
    assert code == 5, err
    code, _, err = run_cli(capsys, "enable", str(config), "--id", "1001", "--apply", "--run-id", "on")
    assert code == 0, err
    logs = [str(tmp_path / "results" / f"{run_id}.jsonl") for run_id in ("migration", "on")]
    code, out, err = run_cli(capsys, "report", *logs, "--json")
    report = json.loads(out)
    assert report["flows"] == 6 and report["by_status"] == {"saved": 5, "enabled": 1}, report
    assert report["runs"][0]["by_status"] == {"saved": 5, "invalid": 1}, report["runs"]


def test_a_later_run_that_sent_nothing_does_not_hide_where_a_flow_stands() -> None:
    # A run refused before it began (a wrong secret) writes not_attempted for every flow: all
    # together, each flow is still what the earlier run made it, in whatever order the logs come.
    from migrate.results.log import FinalLines

    saved = {"status": "saved", "code": 0, "msg": "", "ts": "2026-11-27T01:00:00.000+00:00", "flow_id": "1001",
             "source_file": "x.csv", "source_key": "1001", "target": "flow 1001"}
    idle = {**saved, "status": "not_attempted", "code": 1003, "ts": "2026-11-27T02:00:00.000+00:00"}
    failed = {**saved, "status": "failed", "code": 62103, "ts": "2026-11-27T03:00:00.000+00:00"}
    for order in ([saved, idle], [idle, saved]):
        lines = FinalLines(by_service=True)
        for line in order:
            lines.add(line)
        assert dict(lines.summary().counts) == {"saved": 1}, order
    lines = FinalLines(by_service=True)
    for line in (idle, failed, saved):
        lines.add(line)
    assert dict(lines.summary().counts) == {"failed": 1}  # a later line that did something stays the last


def test_a_resumed_run_over_moved_rows_counts_each_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A table read one row per flow is keyed by row number: rows added above between a run and its
    # resume put other flows on rows 1 and 2, which the report took for the flows saved there first.
    config = write_config(tmp_path, state=base_state(flows=4), rows=export_rows(2, first_flow=1003))
    config.write_text(config.read_text(encoding="utf-8").replace(
        'emulator_config = "state.json"', 'emulator_config = "state.json"\nemulator_state = "emulator.sqlite"'),
        encoding="utf-8")
    assert run_cli(capsys, "run", str(config), "--run-id", "moved")[0] == 0
    rows = export_rows(2) + export_rows(2, first_flow=1003)  # 1001 and 1002 now above them
    (tmp_path / "export.csv").unlink()
    write_config(tmp_path, state=base_state(flows=4), rows=rows)
    config.write_text(config.read_text(encoding="utf-8").replace(
        'emulator_config = "state.json"', 'emulator_config = "state.json"\nemulator_state = "emulator.sqlite"'),
        encoding="utf-8")
    code, out, err = run_cli(capsys, "run", str(config), "--run-id", "moved", "--resume")
    assert code == 0 and "2 flows already saved were not sent again" in out + err, out + err
    code, out, _ = run_cli(capsys, "report", str(tmp_path / "results" / "moved.jsonl"), "--json")
    report = json.loads(out)
    assert code == 0 and report["flows"] == 4 and report["runs"][0]["flows"] == 4, report
