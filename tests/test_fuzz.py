"""Fuzzing (issue 19 item 9): hypothesis-made exports (random bytes, encodings, nesting, sizes,
id spellings) and random fault schedules, through `migrate plan` and `migrate run` in a
subprocess against the embedded emulator. Whatever comes in: no traceback, an exit code from
the contract, one final line per flow, and no flow saved more often than its line says it was
sent. And a 1,000-row export with random text in every mapped field: one bad row never stops
the run (issue 12 item 13).

Bounded: a few examples in `make test` (derandomised, so CI sees the same ones each time);
`make fuzz` sets FUZZ_EXAMPLES for a longer, random search."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import REPO, base_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.results.log import read_log

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
CONTRACT_EXITS = {0, 1, 2, 3, 4, 5, 130}  # README "Exit codes" and design.md
FINAL_STATUSES = {"saved", "created", "unchanged", "invalid", "failed", "not_attempted"}
FLOWS = 6  # the emulator holds flows 1001..1006 owned by alice, with tasks 500001..500006
COLUMNS = ("flow_id", "flow_name", "schedule", "owners", "task_id", "params", "desc")
SCHEDULES = ("0 0 2 * * ? *", "0 */15 * * * ? *", "0 30 6 ? * MON-FRI *", "0 0 0 1 * ? *", "0 0 2 * * ?",
             "0 0 0 30 2 ? *", "* * * * *", "")

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES or 8,
    derandomize=not FUZZ_EXAMPLES,  # `make test`: the same few examples every time
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def id_spellings(number: int) -> st.SearchStrategy[str]:
    """One id as a user's export might spell it, correctly or not."""
    text = str(number)
    return st.sampled_from([
        text, "0" + text, "000" + text, f" {text} ", "+" + text, "-" + text, text + ".0", text[:2] + " " + text[2:],
        "".join(chr(0x0660 + int(d)) for d in text),  # Arabic-Indic digits
        "".join(chr(0xFF10 + int(d)) for d in text),  # fullwidth digits
        "9" * 25, "9223372036854775808", "0", "",
    ])


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


cells = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)  # utf-8: no lone surrogates
params = st.one_of(
    st.just(""),
    st.just('[{"key": "a", "value": "1"}]'),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3).map(json.dumps),
    st.integers(1, 3000).map(nested_json),
    st.sampled_from([nested_json(100_000), "k=v;x", "{bad", "=1"]),
    cells,
)


@st.composite
def export_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        number = draw(st.integers(1, FLOWS))
        rows.append({
            "flow_id": draw(st.one_of(id_spellings(1000 + number), cells)),
            "flow_name": draw(st.one_of(st.just(f"flow{number}"), cells)),
            "schedule": draw(st.one_of(st.sampled_from(SCHEDULES), cells)),
            "owners": draw(st.sampled_from(["alice", "alice; bob", "", "mallory"])),
            "task_id": draw(st.one_of(st.just(str(500000 + number)), id_spellings(500000 + number))),
            "params": draw(params),
            "desc": draw(st.one_of(cells, st.integers(0, 200_000).map(lambda n: "x" * n))),
        })
    return rows


@dataclass
class Export:
    rows: list[dict[str, str]]
    kind: str  # csv, tsv, jsonl, json; xlsx and parquet: a fixed good file, damaged or not
    written_in: str
    read_as: str
    damage: str  # none, bytes (all random), splice (random bytes inside), truncate
    damage_at: float
    noise: bytes


@st.composite
def exports(draw: st.DrawFn) -> Export:
    written_in = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return Export(
        rows=draw(export_rows()),
        kind=draw(st.sampled_from(["csv", "csv", "tsv", "jsonl", "json", "xlsx", "parquet"])),
        written_in=written_in,
        read_as=draw(st.one_of(st.just(written_in), st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))),
        damage=draw(st.sampled_from(["none", "none", "none", "bytes", "splice", "truncate"])),
        damage_at=draw(st.floats(0, 1)),
        noise=draw(st.binary(min_size=1, max_size=300)),
    )


@st.composite
def fault_plans(draw: st.DrawFn) -> dict[str, Any]:
    share = st.floats(0, 0.3)
    return {
        "seed": draw(st.integers(0, 2**31)), "error_5xx": draw(share), "drop_before": draw(share),
        "drop_after_apply": draw(share), "throttle_429": draw(st.floats(0, 0.2)),
        "retry_after_seconds": draw(st.floats(0, 0.2)), "latency_ms": draw(st.floats(0, 5)),
        "latency_jitter_ms": draw(st.floats(0, 5)),
    }


@functools.cache
def binary_sample(kind: str) -> bytes:
    """A good Excel or Parquet export of a few flows, for the fuzzer to damage."""
    import pandas as pd

    frame = pd.DataFrame([{"flow_id": str(1000 + n), "flow_name": f"flow{n}", "schedule": SCHEDULES[n % 3],
                           "owners": "alice", "task_id": str(500000 + n), "params": "", "desc": ""}
                          for n in range(1, FLOWS + 1)])
    buffer = io.BytesIO()
    if kind == "xlsx":
        frame.to_excel(buffer, index=False)
    else:
        frame.to_parquet(buffer)
    return buffer.getvalue()


def export_bytes(export: Export) -> bytes:
    if export.kind in ("xlsx", "parquet"):
        data = binary_sample(export.kind)
    else:
        if export.kind in ("csv", "tsv"):
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=list(export.rows[0]) if export.rows else COLUMNS,
                                    lineterminator="\n", delimiter="\t" if export.kind == "tsv" else ",")
            writer.writeheader()
            writer.writerows(export.rows)
            content = text.getvalue()
        elif export.kind == "jsonl":
            content = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in export.rows)
        else:
            content = json.dumps(export.rows, ensure_ascii=False)
        data = content.encode(export.written_in, errors="replace")
    at = int(len(data) * export.damage_at)
    if export.damage == "bytes":
        return export.noise
    if export.damage == "splice":
        return data[:at] + export.noise + data[at:]
    if export.damage == "truncate":
        return data[:at]
    return data


def write_fuzz_config(folder: Path, export: Export, faults: dict[str, Any], *, fields: dict[str, str] | None = None,
                      rate: int = 400) -> Path:
    state = base_state(flows=FLOWS, tasks_per_flow=1, faults=faults)
    (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
    (folder / f"export.{export.kind}").write_bytes(export_bytes(export))
    mapped = fields or {"id": "flow_id", "name": "flow_name", "freq": "schedule", "owners": "owners",
                        "parameters": "params", "desc": "desc"}
    defaults = {"type": 1, "alertMode": 0, "doAs": "db_x", "visitors": "", "startTime": "2026-12-01", "active": 0}
    config = folder / "run.toml"
    config.write_text(textwrap.dedent(f"""
        [source]
        path = "export.{export.kind}"
        encoding = "{export.read_as}"

        [mapping.fields]
        """) + "".join(f'{k} = "{v}"\n' for k, v in mapped.items()) + textwrap.dedent("""
        [mapping.tasks]
        task_id = "task_id"

        [defaults]
        """) + "".join(f"{k} = {json.dumps(v)}\n" for k, v in defaults.items() if k not in mapped) + textwrap.dedent(f"""
        [target]
        url = "embedded"
        user_id = "u1"
        org_id = "o1"
        emulator_config = "state.json"

        [run]
        concurrency = 8
        rate_per_second = {rate}
        attempts = 3
        backoff_base = 0.01
        backoff_max = 0.05
        request_timeout = 5
        result_log = "results/{{run_id}}.jsonl"
        """), encoding="utf-8")
    return config


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "migrate.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def check_contract(done: subprocess.CompletedProcess[str], verb: str) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in CONTRACT_EXITS, (verb, done.returncode, done.stderr)
    if done.returncode == 1:  # could not run: said why, on stderr, in a line naming what
        assert done.stderr.startswith("migrate: ") and done.stderr.strip(), done.stderr


def check_plan_and_run(config: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[dict[str, Any]]]:
    """Both verbs under the contract; for a run that finished, its log against the emulator's counters."""
    plan = migrate("plan", str(config), "--json", "--offline")  # the source alone: faults are for the run
    check_contract(plan, "plan")
    run = migrate("run", str(config), "--json")
    check_contract(run, "run")
    if plan.returncode == 1 or run.returncode == 1:
        assert plan.returncode == run.returncode == 1, (plan.stderr, run.stderr)  # the same input, the same verdict
        return None, None, []
    inventory, report = json.loads(plan.stdout), json.loads(run.stdout)
    lines = list(read_log(Path(report["result_log"])))
    assert {line["status"] for line in lines} <= FINAL_STATUSES
    assert len(lines) == inventory["flows_found"] == report["flows"]  # one final line per flow
    assert len({tuple(line["rows"]) for line in lines}) == len(lines)
    assert sum(line["status"] != "invalid" for line in lines) == inventory["convertible"]
    attempts: dict[str, int] = {}
    for line in lines:
        if line["status"] == "invalid":
            assert line["attempts"] == 0 and line["errors"], line
        attempts[line["flow_id"]] = attempts.get(line["flow_id"], 0) + line["attempts"]
    for flow_id, saves in report["emulator"]["saves_by_flow"].items():
        # Saved more than once only when the log says it was sent more than once (a retry after
        # an answer lost on the way back), and never a flow the log does not name.
        assert saves <= attempts.get(flow_id, 0), (flow_id, saves, attempts.get(flow_id))
    return inventory, report, lines


@FUZZ
@given(export=exports(), faults=fault_plans())
def test_fuzzed_exports_and_faults_keep_the_contract(export: Export, faults: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="migrate-fuzz-") as folder:
        check_plan_and_run(write_fuzz_config(Path(folder), export, faults))


ALL_FIELDS = {"id": "flow_id", "type": "type", "name": "flow_name", "freq": "schedule", "cycle": "cycle",
              "alertMode": "alert", "doAs": "do_as", "owners": "owners", "visitors": "visitors",
              "startTime": "start", "active": "active", "parameters": "params", "desc": "desc", "queue": "queue"}
GOOD = {"type": "1", "cycle": "D", "alert": "0", "do_as": "db_x", "visitors": "", "start": "2026-12-01", "active": "0",
        "params": "[]", "desc": "", "queue": "", "schedule": "0 0 2 * * ? *", "owners": "alice"}
NASTY = ["", " ", "\t", "\x00", "\x1b[31m", "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\"", "\"\"", ",", ";",
         "\n", "\r\n", "\u202e", "\ufeff", "\U0001f600", "null", "None", "NaN", "nan", "NA", "true", "1e309", "-0",
         "0x1F", "٣", "１", "[", "{", "[]", "{}", '{"a": [1, {"b": null}]}', nested_json(5000), "k=v", "=",
         "2026-02-30", "9999-99-99", "0 0 0 * * ? *", "* * *", "L W #", "../../etc/passwd", "%s%n", "${jndi:x}",
         "' OR 1=1 --", "x" * 5000]


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(NASTY)
    alphabet = [chr(rng.randrange(0x20, 0x2FFF)) for _ in range(8)] + list(",;\"'\n\t{}[]=+-@0123456789")
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))


def test_random_text_in_every_mapped_field_never_stops_the_run(tmp_path: Path) -> None:
    """1,000 rows; in about half, one mapped field (any of them) holds random text."""
    rng = random.Random(int(os.environ.get("FUZZ_SEED", "19")))
    rows = []
    for index in range(1000):
        number = index % FLOWS + 1
        row = {**GOOD, "flow_id": str(1000 + number) if index < FLOWS else str(2000 + index),
               "flow_name": f"flow{number}", "task_id": str(500000 + number)}
        if index >= FLOWS and rng.random() < 0.5:
            for _ in range(rng.randrange(1, 4)):
                row[rng.choice(list(row))] = random_text(rng)
        rows.append(row)
    export = Export(rows=rows, kind="csv", written_in="utf-8", read_as="utf-8", damage="none", damage_at=0, noise=b"")
    config = write_fuzz_config(tmp_path, export, {}, fields=ALL_FIELDS, rate=2000)

    inventory, report, lines = check_plan_and_run(config)

    assert inventory is not None and report is not None, "a bad cell must never refuse the whole file"
    assert len(lines) == 1000
    assert report["by_status"].get("saved", 0) >= 1  # the good rows got through
    statuses = {line["status"] for line in lines}
    assert statuses <= {"saved", "invalid", "failed"}, statuses
