"""`migrate run --shard INDEX/COUNT`: four shards as four processes against one emulator save every
flow exactly once, at the configured total rate, each in a log of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import base_state, export_rows, write_config
from test_hardening_run import APP, ENV, cli, emulator_process, no_traceback

from migrate.engine.shard import Shard, ShardError, flow_key, parse_shard, shard_of
from migrate.results.log import read_log

SHARDS, FLOWS, TOTAL_RATE = 4, 96, 40


def test_four_shards_save_every_flow_once_within_the_total_rate(tmp_path: Path) -> None:
    state = base_state(flows=FLOWS, tasks_per_flow=1, **APP)
    rows = export_rows(FLOWS)
    rows[7]["schedule"] = "every tuesday-ish"  # one invalid flow: its line belongs to one shard only
    with emulator_process(state, tmp_path) as emulator:
        config = write_config(tmp_path, state=state, rows=rows, url=emulator.url,
                              run={"rate_per_second": TOTAL_RATE, "concurrency": 8})
        # Started together; the last one takes its index from the environment, as an Indexed Job's pod does.
        shards = [[f"{index}/{SHARDS}"] for index in range(SHARDS - 1)] + [[f"auto/{SHARDS}"]]
        processes = [
            subprocess.Popen([sys.executable, "-m", "migrate", "run", str(config), "--run-id", "nightly", "--json",
                              "--shard", *shard], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**ENV, "JOB_COMPLETION_INDEX": str(SHARDS - 1)})
            for shard in shards]
        finished = [process.communicate(timeout=120) for process in processes]
        stats = emulator.stats()
    for out, err in finished:
        no_traceback(out, err)
    reports = [json.loads(out) for out, _ in finished]
    assert sorted(p.returncode for p in processes).count(0) == SHARDS - 1, [err for _, err in finished]
    assert sorted(p.returncode for p in processes)[-1] == 5  # the shard holding the invalid row
    logs = sorted((tmp_path / "results").glob("nightly-shard-*-of-4.jsonl"))
    assert [log.name for log in logs] == [f"nightly-shard-{i}-of-4.jsonl" for i in range(SHARDS)]
    assert sorted(report["result_log"] for report in reports) == [str(log) for log in logs]

    lines = [line for log in logs for line in read_log(log)]
    saved = [line["flow_id"] for line in lines if line["status"] == "saved"]
    invalid = [line for line in lines if line["status"] == "invalid"]
    wanted = {str(1001 + i) for i in range(FLOWS)} - {"1008"}
    assert sorted(saved) == sorted(wanted)  # each flow in exactly one shard's log: disjoint and covering
    assert len(invalid) == 1 and invalid[0]["rows"] == [8]
    assert all(any(True for _ in read_log(log)) for log in logs)  # every shard had flows of its own
    assert stats["saves_by_flow"] == dict.fromkeys(wanted, 1)  # the service saw each once
    assert stats["busiest_one_second_window"] <= TOTAL_RATE, stats


def test_a_flows_shard_follows_its_key_not_its_row(tmp_path: Path) -> None:
    """A line added at the top of a row-per-flow export moves no flow to another shard: the key is
    its id (else its name), not the row number; a profile's source key is its own."""
    assert flow_key("row 7", "1001", "flow1") == flow_key("row 8", "1001", "flow1") == "1001"
    assert flow_key("row 7", "", "nightly-report") == "nightly-report"  # found by name
    assert flow_key("airflow/etl_daily", "", "etl_daily") == "airflow/etl_daily"
    # SHA-256, not hash(): the same shard in every process and on every machine
    code = "from migrate.engine.shard import shard_of; print([shard_of(f'job-{i}', 4) for i in range(50)])"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**ENV, "PYTHONHASHSEED": "123"})
    here = [shard_of(f"job-{i}", 4) for i in range(50)]
    assert other.stdout.strip() == str(here) and set(here) == {0, 1, 2, 3}
    assert shard_of("job-0", 4) == 0  # pinned: a change of the hash would move every flow between shards


@pytest.mark.parametrize(("given", "environ", "expected"), [
    ("2/4", {}, Shard(2, 4)),
    ("0/1", {}, Shard(0, 1)),
    ("auto/8", {"JOB_COMPLETION_INDEX": "7"}, Shard(7, 8)),
])
def test_shard_syntax(given: str, environ: dict[str, str], expected: Shard) -> None:
    assert parse_shard(given, environ) == expected
    assert expected.run_id("nightly") == f"nightly-shard-{expected.index}-of-{expected.count}"


@pytest.mark.parametrize(("given", "environ", "says"), [
    ("4/4", {}, "INDEX 4 is not below COUNT 4"),
    ("2", {}, "give INDEX/COUNT"),
    ("-1/4", {}, "give INDEX/COUNT"),
    ("0/0", {}, "COUNT must be"),
    ("auto/4", {}, "JOB_COMPLETION_INDEX is not set"),
    ("auto/4", {"JOB_COMPLETION_INDEX": "x"}, "JOB_COMPLETION_INDEX is 'x'"),
    ("auto/4", {"JOB_COMPLETION_INDEX": "4"}, "INDEX 4 is not below COUNT 4"),
])
def test_a_shard_that_cannot_be(given: str, environ: dict[str, str], says: str) -> None:
    with pytest.raises(ShardError, match=says):
        parse_shard(given, environ)


@pytest.mark.parametrize(("extra", "run", "says"), [
    (["--prune", "disable"], {}, "--prune is not for --shard: an orphan's key is in no shard"),
    (["--resume"], {}, "--resume with --shard 1/2 needs --run-id"),
    ([], {"result_log": "results/all.jsonl"}, "has no {run_id}: every shard would write the same file"),
])
def test_what_a_shard_refuses_before_sending_anything(tmp_path: Path, extra: list[str], run: dict[str, str],
                                                     says: str) -> None:
    state = base_state(flows=2, tasks_per_flow=1, **APP)
    config = write_config(tmp_path, state=state, rows=export_rows(2), run=run)
    done = cli("run", str(config), "--shard", "1/2", *extra, env=ENV)
    assert done.returncode == 1 and says in done.stderr, done.stderr
    no_traceback(done.stderr)
    assert not list(tmp_path.rglob("*.jsonl"))


def test_a_shards_run_resumes_only_as_that_shard(tmp_path: Path) -> None:
    state = base_state(flows=6, tasks_per_flow=1, **APP)
    config = write_config(tmp_path, state=state, rows=export_rows(6))
    first = cli("run", str(config), "--shard", "1/2", "--run-id", "r", "--json", env=ENV)
    assert first.returncode == 0, first.stderr
    assert Path(json.loads(first.stdout)["result_log"]).name == "r-shard-1-of-2.jsonl"
    unsharded = cli("run", str(config), "--run-id", "r-shard-1-of-2", "--resume", env=ENV)
    assert unsharded.returncode == 1 and "resume it with --shard 1/2" in unsharded.stderr, unsharded.stderr
    resumed = cli("run", str(config), "--shard", "1/2", "--run-id", "r", "--resume", "--json", env=ENV)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert report["result_log"] == json.loads(first.stdout)["result_log"]
    assert report["emulator"]["requests_by_action"].get("save", 0) == 0  # its flows were saved already


@pytest.mark.parametrize(("shard_rate", "each"), [("split", TOTAL_RATE / SHARDS), ("own-key", TOTAL_RATE)])
def test_each_shards_rate(tmp_path: Path, shard_rate: str, each: float) -> None:
    """One application key's quota is split between the shards; with a key for each, each has it all."""
    from migrate.config import load_settings
    from migrate.engine.shard import for_shard

    config = write_config(tmp_path, state=base_state(), rows=export_rows(1),
                          run={"rate_per_second": TOTAL_RATE, "shard_rate": shard_rate})
    assert for_shard(load_settings(config), Shard(1, SHARDS)).run.rate_per_second == each


def test_the_command_that_continues_a_shard_names_its_shard(tmp_path: Path) -> None:
    from migrate.config import load_settings
    from migrate.engine.job import resume_command

    config = write_config(tmp_path, state=base_state(), rows=export_rows(1))
    command = resume_command(load_settings(config), "nightly-shard-1-of-4", shard=Shard(1, 4))
    assert command.endswith(f"run {config} --run-id nightly-shard-1-of-4 --resume --shard 1/4")
