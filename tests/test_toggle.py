"""`migrate enable` and `migrate disable` over a selection, through the CLI against the embedded
emulator kept in a SQLite file: 1,200 flows seeded (the emulator's own state, as
tests/test_export.py makes it), a third of them paused, a quarter also owned by bob. The plan
changes nothing; `--apply` writes the before snapshot first, then enables or disables exactly the
flows that need it (the emulator's state read before and after), one result line each; a second
run has nothing to send; a resume leaves the flows with a final line alone; a 5xx is retried."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, profile_run_config, run_cli

from migrate.emulator.config import load_emulator_config
from migrate.emulator.models import BatchService
from migrate.emulator.store import Store

FLOWS = 1200
FIRST_ID = 3000


def owners_of(i: int) -> list[str]:
    return ["alice", *(["bob"] if i % 4 == 0 else [])]


def active_of(i: int) -> int:
    return int(i % 3 != 0)


def bob(keep: Any = lambda i: True) -> list[int]:
    return [FIRST_ID + i for i in range(FLOWS) if i % 4 == 0 and keep(i)]


def seed(folder: Path, faults: dict[str, Any] | None = None) -> None:
    """The emulator's config (its flows) and its state file, made by the emulator itself."""
    state = base_state(flows=0, tasks_per_flow=0)
    state["flows"] = [{"flow_id": FIRST_ID + i, "name": f"job_{i}", "owners": owners_of(i), "org_id": "o1",
                       "active": active_of(i), "cycle": "D"} for i in range(FLOWS)]
    (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
    (folder / "faulty.json").write_text(json.dumps({**state, "faults": faults or {}}), encoding="utf-8")
    BatchService(load_emulator_config(folder / "state.json"), Store(folder / "emulator.sqlite")).store.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("toggle")
    seed(folder, faults={"seed": 4, "error_5xx": 0.3, "only_actions": ["enable"]})
    return folder


@pytest.fixture
def service(seeded: Path, tmp_path: Path) -> Path:
    """A copy of the seeded service for one test: its changes stay its own."""
    for name in ("state.json", "faulty.json", "emulator.sqlite"):
        (tmp_path / name).write_bytes((seeded / name).read_bytes())
    return tmp_path


def config(folder: Path, emulator: str = "state.json") -> Path:
    # The source is never read by a runbook verb; the config gives the target and the run's settings
    # (ten attempts: a flow answered 5xx three times in ten, as faulty.json does, is never given up).
    return profile_run_config(folder / f"{emulator}.toml", "snapshot", "unused.jsonl", emulator_config=emulator,
                              rate=5000, run="concurrency = 16\nattempts = 10\nbackoff_base = 0.01\n"
                                             "backoff_max = 0.05")


def live(folder: Path) -> dict[int, tuple[int, str]]:
    """The emulator's state: each flow's active flag and update time."""
    store = Store(folder / "emulator.sqlite")
    try:
        emulated = BatchService(load_emulator_config(folder / "state.json"), store)
        return {flow_id: (flow.active, flow.update_time) for flow_id, flow in emulated.flows.items()}
    finally:
        store.close()


def actives(folder: Path) -> dict[int, int]:
    return {flow_id: active for flow_id, (active, _) in live(folder).items()}


def toggle(capsys: pytest.CaptureFixture[str], folder: Path, verb: str, *options: str,
           emulator: str = "state.json") -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(capsys, verb, str(config(folder, emulator)), "--json", *options)
    return code, (json.loads(out) if out.strip() else {}), err


def lines(folder: Path, run_id: str, attempts: bool = False) -> list[dict[str, Any]]:
    text = (folder / "results" / f"{run_id}.jsonl").read_text(encoding="utf-8")
    return [line for line in map(json.loads, text.splitlines()) if attempts or line["status"] != "attempt"]


def snapshot(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header, *flows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return header, flows


def test_the_plan_lists_every_matched_flow_and_changes_nothing(service: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    before = live(service)
    code, plan, err = toggle(capsys, service, "disable", "--owner", "bob")
    assert code == 3, err
    assert plan["matched"] == len(bob()) == 300 and plan["listed"] == FLOWS
    assert [int(f["flowId"]) for f in plan["flows"]] == bob()
    assert {int(f["flowId"]): f["action"] for f in plan["flows"]} == {
        FIRST_ID + i: "disable" if active_of(i) else "unchanged" for i in range(0, FLOWS, 4)}
    assert plan["by_action"] == {"disable": 200, "unchanged": 100}
    # The table too: one row per flow, then the counts.
    code, out, err = run_cli(capsys, "enable", str(config(service)), "--owner", "bob")
    assert code == 3, err
    assert all(f" {flow_id} " in out for flow_id in bob())
    assert "300 flows matched of 1200 listed: unchanged 200, enable 100" in out
    assert "nothing was changed; `--apply` would enable 100 flows" in out
    assert live(service) == before  # not a flow touched, not even its updateTime
    assert not (service / "results").exists()
    # Nothing to change: exit 0.
    code, plan, _ = toggle(capsys, service, "disable", "--owner", "bob", "--active", "0")
    assert code == 0 and plan["by_action"] == {"unchanged": 100}


def test_disable_by_owner_then_again_then_enable_brings_them_back(service: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    start = actives(service)
    changing = bob(active_of)
    code, report, err = toggle(capsys, service, "disable", "--owner", "bob", "--apply", "--run-id", "off")
    assert code == 0, err
    assert report["by_status"] == {"disabled": 200, "unchanged": 100}
    assert report["emulator"]["requests_by_action"]["disable"] == 200
    assert "save" not in report["emulator"]["requests_by_action"]  # never Save Flow
    after = actives(service)
    assert {i for i in after if after[i] != start[i]} == set(changing)  # exactly bob's active flows
    assert all(after[i] == 0 for i in bob())

    before_file = service / "results" / "runbooks" / "off.before.jsonl"
    assert report["before"] == str(before_file)
    header, flows = snapshot(before_file)
    assert header["snapshot"] == 1 and header["flows"] == 200 and header["selection"] == {"owner": ["bob"]}
    assert [f["flowId"] for f in flows] == changing and all(f["active"] == 1 for f in flows)
    assert all("graph" in f and "directory" in f for f in flows)  # the export's format

    logged = lines(service, "off")
    assert len(logged) == 300 and all(line["before"] == str(before_file) for line in logged)
    disabled = [line for line in logged if line["status"] == "disabled"]
    assert sorted(int(line["flow_id"]) for line in disabled) == changing
    assert all(line["active_before"] == 1 and line["active_after"] == 0 and line["changed"] == ["active"]
               for line in disabled)
    assert all(line["active_before"] == line["active_after"] == 0 for line in logged if line["status"] == "unchanged")
    attempts = [line for line in lines(service, "off", attempts=True) if line["status"] == "attempt"]
    assert sorted(int(line["flow_id"]) for line in attempts) == changing  # each request announced first

    # Again: nothing left to do, nothing sent.
    code, report, err = toggle(capsys, service, "disable", "--owner", "bob", "--apply")
    assert code == 0, err
    assert report["by_status"] == {"unchanged": 300}
    assert "disable" not in report["emulator"]["requests_by_action"]
    assert report["before"] is None  # nothing to change: no before file (an empty one would select every flow)

    # Back: enable the flows the before snapshot holds (the before file as the ids file).
    code, report, err = toggle(capsys, service, "enable", "--ids-file", str(before_file), "--yes", "--run-id", "on")
    assert code == 0, err
    assert report["by_status"] == {"enabled": 200}
    assert actives(service) == start
    assert all(line["active_before"] == 0 and line["active_after"] == 1 for line in lines(service, "on"))


def test_a_selection_that_matches_nothing_exits_1(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = live(service)
    for options in ((), ("--apply",)):
        code, out, err = run_cli(capsys, "disable", str(config(service)), "--name", "nothing_*", *options)
        assert code == 1 and out == "" and len(err.splitlines()) == 1
        assert err.startswith("migrate: the selection (name ['nothing_*']) matches none of the 1200 flows you can see")
    assert live(service) == before
    assert not list(service.glob("results/*.jsonl"))  # no result log, no before snapshot


def test_a_resume_leaves_flows_with_a_final_line_alone(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = bob(active_of)[:50], bob(active_of)[50:]
    ids = service / "first.txt"
    ids.write_text("".join(f"{i}\n" for i in first), encoding="utf-8")
    code, report, err = toggle(capsys, service, "disable", "--ids-file", str(ids), "--apply", "--run-id", "r1")
    assert code == 0 and report["by_status"] == {"disabled": 50}, err
    _, kept = snapshot(service / "results" / "runbooks" / "r1.before.jsonl")

    code, report, err = toggle(capsys, service, "disable", "--owner", "bob", "--apply", "--run-id", "r1", "--resume")
    assert code == 0, err
    assert report["emulator"]["requests_by_action"]["disable"] == len(second)  # the first 50 not again
    assert report["by_status"] == {"disabled": 200, "unchanged": 100}  # each flow's last line of the run
    assert any("50 flows with a final line were not touched again" in note for note in report["notes"])
    _, flows = snapshot(service / "results" / "runbooks" / "r1.before.jsonl")
    assert [f["flowId"] for f in flows] == first + second
    assert [f for f in flows if f["flowId"] in first] == kept  # their lines as the first run wrote them
    now = actives(service)
    assert all(now[i] == 0 for i in bob())

    code, _, err = run_cli(capsys, "disable", str(config(service)), "--apply", "--run-id", "nope", "--resume")
    assert code == 1 and "no result log of run 'nope'" in err


def _as_if_killed(folder: Path, run_id: str, flows: list[int], in_flight: bool = True) -> None:
    """The run's log as a kill -9 leaves it with those flows' requests in flight (their attempt
    records, no final line), or before it reached them (`in_flight` False: no record of them)."""
    log = folder / "results" / f"{run_id}.jsonl"
    kept = [line for line in log.read_text(encoding="utf-8").splitlines(keepends=True)
            if (in_flight and json.loads(line)["status"] == "attempt")
            or json.loads(line).get("flow_id") not in map(str, flows)]
    log.write_text("".join(kept), encoding="utf-8")


def _disabled_then_killed(capsys: pytest.CaptureFixture[str], service: Path, run_id: str, flows: list[int],
                          cut: list[int], back: list[int], in_flight: bool = True) -> None:
    """Run `run_id` disables `flows`; its log then as a kill -9 leaves it for `cut` (see
    `_as_if_killed`), and `back` enabled again, as if their disable never arrived."""
    code, _, err = toggle(capsys, service, "disable", "--ids-file", str(_ids(service, flows)), "--apply",
                          "--run-id", run_id)
    assert code == 0, err
    _as_if_killed(service, run_id, cut, in_flight)
    code, _, err = toggle(capsys, service, "enable", "--ids-file", str(_ids(service, back)), "--apply",
                          "--run-id", f"undo-{run_id}")
    assert code == 0, err


def test_a_resume_gives_flows_left_in_doubt_the_line_of_what_landed(service: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A flow whose disable was in flight when the run died: the resume reads it. One that the
    selection (`--active 1`) no longer finds because the disable landed is `disabled`, never
    forgotten (its last record would stay an attempt, and the summary count one flow too few)."""
    first = bob(active_of)[:50]
    ids = service / "first.txt"
    ids.write_text("".join(f"{i}\n" for i in first), encoding="utf-8")
    code, report, err = toggle(capsys, service, "disable", "--ids-file", str(ids), "--apply", "--run-id", "r1")
    assert code == 0 and report["by_status"] == {"disabled": 50}, err
    landed, lost = first[1:10], first[0]
    _as_if_killed(service, "r1", [lost, *landed])
    code, _, err = toggle(capsys, service, "enable", "--ids-file", str(_ids(service, [lost])), "--apply",
                          "--run-id", "undo")  # as if the in-flight disable of this one never arrived
    assert code == 0, err
    log = str(service / "results" / "r1.jsonl")
    code, out, err = run_cli(capsys, "report", log)  # the killed run's log, as the report reads it
    assert code == 0 and out.startswith("40 flows: disabled 40\n"), out + err
    assert "in doubt: 10 flows whose request was in flight when the log ends" in out
    assert f"flow {lost}, " in out and "--run-id r1 --resume" in out
    code, out, _ = run_cli(capsys, "report", log, "--json")
    assert json.loads(out)["in_doubt"] == 10
    assert {flow["flow_id"] for flow in json.loads(out)["runs"][0]["in_doubt"]} == {str(i) for i in [lost, *landed]}

    code, report, err = toggle(capsys, service, "disable", "--active", "1", "--ids-file", str(ids), "--apply",
                               "--run-id", "r1", "--resume")
    assert code == 0, err
    code, out, _ = run_cli(capsys, "report", log, "--json")
    assert json.loads(out)["in_doubt"] == 0 and json.loads(out)["by_status"] == {"disabled": 50}
    assert report["by_status"] == {"disabled": 50}  # every flow the run disabled, counted once
    assert report["emulator"]["requests_by_action"]["disable"] == 1  # only the one that had not landed
    last = {line["flow_id"]: line for line in lines(service, "r1")}
    assert all(last[str(i)]["status"] == "disabled" and "had landed" in last[str(i)]["msg"]
               and last[str(i)]["active_before"] == 1 and last[str(i)]["active_after"] == 0 for i in landed)
    assert last[str(lost)]["status"] == "disabled" and "had landed" not in last[str(lost)]["msg"]
    assert all(actives(service)[i] == 0 for i in first)


def test_a_flow_left_in_doubt_that_the_selection_no_longer_finds_is_not_sent_again(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = bob(active_of)[:20]
    _disabled_then_killed(capsys, service, "r2", first, cut=first[:2], back=first[:1])

    code, report, err = toggle(capsys, service, "disable", "--ids-file", str(_ids(service, first[2:])), "--apply",
                               "--run-id", "r2", "--resume")
    assert code == 2, err  # one flow failed: its disable did not land, and it is not selected now
    assert report["by_status"] == {"disabled": 19, "failed": 1}
    assert report["emulator"]["requests_by_action"].get("disable", 0) == 0
    last = {line["flow_id"]: line for line in lines(service, "r2")}
    assert last[str(first[0])]["status"] == "failed" and "did not land" in last[str(first[0])]["msg"]
    assert last[str(first[1])]["status"] == "disabled" and "had landed" in last[str(first[1])]["msg"]
    assert actives(service)[first[0]] == 1  # left as it is


def test_a_disable_whose_answer_was_lost_is_read_back(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every answer to a disable lost after the service applied it, and no retry: each flow is read
    back, and its disable, which landed, is `disabled`, never `failed` (a resume would not find it
    again with `--active 1`, and the summary would count a change too few)."""
    state = json.loads((service / "state.json").read_text(encoding="utf-8"))
    (service / "lossy.json").write_text(json.dumps({**state, "faults": {
        "seed": 2, "drop_after_apply": 1.0, "only_actions": ["disable"]}}), encoding="utf-8")
    lossy = profile_run_config(service / "lossy.toml", "snapshot", "unused.jsonl", emulator_config="lossy.json",
                               rate=5000, run="concurrency = 4\nattempts = 1\nrequest_timeout = 2")
    chosen = bob(active_of)[:6]
    code, out, err = run_cli(capsys, "disable", str(lossy), "--json", "--ids-file", str(_ids(service, chosen)),
                             "--apply", "--run-id", "lossy")
    report = json.loads(out)
    assert code == 0 and report["by_status"] == {"disabled": 6}, err
    assert report["emulator"]["faults"]["drop_after_apply"] == 6
    assert all("reading it back shows it landed" in line["msg"] for line in lines(service, "lossy"))
    assert all(actives(service)[i] == 0 for i in chosen)


def _ids(folder: Path, flows: list[int]) -> Path:
    path = folder / f"ids-{flows[0]}-{len(flows)}.txt"
    path.write_text("".join(f"{i}\n" for i in flows), encoding="utf-8")
    return path


def test_a_5xx_on_enable_is_retried(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paused = [FIRST_ID + i for i in range(0, 120, 3)]  # 40 paused flows
    ids = service / "paused.txt"
    ids.write_text("".join(f"{i}\n" for i in paused), encoding="utf-8")
    code, report, err = toggle(capsys, service, "enable", "--ids-file", str(ids), "--apply", "--run-id", "faulty",
                               emulator="faulty.json")
    assert code == 0, err
    assert report["by_status"] == {"enabled": 40}
    assert report["emulator"]["faults"]["error_5xx"] >= 1
    assert report["emulator"]["requests_by_action"]["enable"] == 40 + report["emulator"]["faults"]["error_5xx"]
    assert any(line["attempts"] > 1 for line in lines(service, "faulty"))
    now = actives(service)
    assert all(now[i] == 1 for i in paused)


def test_plan_only_options_and_bad_criteria_are_refused(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "disable", str(config(service)), "--run-id", "x")
    assert code == 1 and "are for --apply" in err
    code, _, err = run_cli(capsys, "enable", str(config(service)), "--modified-since", "soon", "--apply")
    assert code == 1 and err.strip() == "migrate: modified since 'soon' is not a date (YYYY-MM-DD)"


def test_a_resume_given_another_selection_names_what_its_run_left_undone(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Killed a third of the way, resumed with another selection: the rest of the first one stayed
    # active, with no line, and the run ended with exit 0 as if whole (found by an operator).
    chosen = bob(active_of)[:30]
    undone = chosen[10:]  # not reached by the dead run: the service as it left them
    _disabled_then_killed(capsys, service, "w1", chosen, cut=undone, back=undone, in_flight=False)
    other = bob(active_of)[40:45]
    code, report, err = toggle(capsys, service, "disable", "--ids-file", str(_ids(service, other)), "--apply",
                               "--run-id", "w1", "--resume")
    assert code == 2 and report["by_status"] == {"disabled": 15, "failed": 20}, (err, report["by_status"])
    assert report["errors_by_code"] == {"NOT_RESUMED": 20}, report  # never sent: not NO_ANSWER
    last = {line["flow_id"]: line for line in lines(service, "w1")}
    assert all(last[str(i)]["status"] == "failed" and "the resume's selection (id" in last[str(i)]["msg"]
               for i in undone)
    assert all(actives(service)[i] == 1 for i in undone) and all(actives(service)[i] == 0 for i in other)
    code, report, err = toggle(capsys, service, "disable", "--ids-file", str(_ids(service, chosen)), "--apply",
                               "--run-id", "w1", "--resume")  # with its own selection: finished
    assert code == 0 and report["by_status"] == {"disabled": 35}, (err, report["by_status"])
    assert all(actives(service)[i] == 0 for i in chosen)


def test_a_resumed_delete_keeps_a_flow_changed_since_its_before_file_held_it(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The dead run's before file holds the flow as it was; deleted after a change by hand, the
    # change was in no file at all, and the restore would bring back the older flow.
    chosen = bob()[:6]
    refusing = json.loads((service / "state.json").read_text(encoding="utf-8"))
    (service / "refusing.json").write_text(json.dumps({**refusing, "faults": {
        "seed": 1, "error_5xx": 1.0, "only_actions": ["delete"]}}), encoding="utf-8")
    code, report, err = toggle(capsys, service, "delete", "--ids-file", str(_ids(service, chosen)), "--apply",
                               "--run-id", "d1", emulator="refusing.json")
    assert code == 2 and report["by_status"] == {"failed": 6}, err
    edited = chosen[2]
    code, _, err = toggle(capsys, service, "disable" if actives(service)[edited] else "enable", "--id", str(edited),
                          "--apply", "--run-id", "by-hand")
    assert code == 0, err
    code, report, err = toggle(capsys, service, "delete", "--ids-file", str(_ids(service, chosen)), "--apply",
                               "--run-id", "d1", "--resume")
    assert code == 2 and report["by_status"] == {"deleted": 5, "stale": 1}, (err, report["by_status"])
    kept = next(line for line in lines(service, "d1") if line["status"] == "stale")
    assert kept["flow_id"] == str(edited) and "changed since this run's before file" in kept["msg"]
    assert set(actives(service)) & set(chosen) == {edited}


@pytest.mark.parametrize("as_json", [False, True])
def test_a_runbook_stopped_before_its_first_line_names_no_log(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              as_json: bool) -> None:
    """Stopped while reading its selection, a runbook wrote no result log: it named one all the same,
    and `--resume` then said there was no such run. It says the same command starts it afresh."""
    import argparse

    from migrate.commands._flow_actions import _show_result
    from migrate.engine.flow_actions import ToggleRun
    from migrate.exit_codes import EXIT_INTERRUPTED
    from migrate.results.log import Summary

    stopped = ToggleRun(EXIT_INTERRUPTED, None, Summary(), tmp_path / "results" / "pw2.jsonl",
                        tmp_path / "results" / "runbooks" / "pw2.before.jsonl",
                        notes=["interrupted while reading the selection: nothing was sent"])
    _show_result(stopped, argparse.Namespace(json=as_json), None)  # type: ignore[arg-type]
    out = capsys.readouterr().out
    if as_json:
        assert json.loads(out)["result_log"] is None
    else:
        assert "pw2.jsonl" not in out and "no result log was written: run the same command again" in out


def test_a_stop_during_the_retries_is_said_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`enable` stopped (SIGTERM) while it waits to try again after a 429: its line says so ("stopped
    after 2 attempt(s)", with its last answer), which the report counted as a 429, not as the stop
    it was (INTERRUPTED)."""
    import signal
    import subprocess
    import sys
    import time

    seed(tmp_path, faults={"throttle_429": 1.0, "retry_after_seconds": 2, "only_actions": ["enable"]})
    faulty = config(tmp_path, "faulty.json")
    flow_id = str(FIRST_ID + 3)  # inactive: enable sends its request
    process = subprocess.Popen([sys.executable, "-m", "migrate.cli", "enable", str(faulty), "--id", flow_id,
                                "--apply", "--yes", "--run-id", "cut"], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    log = tmp_path / "results" / "cut.jsonl"
    deadline = time.monotonic() + 60
    # A second attempt record: the first try's 429 has come back; the stop comes in the wait after the second's.
    while not (log.exists() and log.read_text(encoding="utf-8").count('"attempt"') >= 2):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    [line] = [json.loads(text) for text in log.read_text(encoding="utf-8").splitlines()
              if json.loads(text).get("status") not in (None, "attempt")]
    assert line["status"] == "failed" and line["msg"].startswith("stopped after 2 attempt(s)"), line
    _, out, _ = run_cli(capsys, "report", str(log), "--json")
    assert json.loads(out)["errors_by_code"] == {"INTERRUPTED": 1}, out


def test_a_restore_does_not_create_a_flow_the_caller_no_longer_sees(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Flow 3000 in the snapshot was handed to bob since (alice neither owner nor visitor): the
    listing no longer shows it, and the restore planned `create`, then its apply said `stale` (a flow
    with that id is there), plan after plan. It is left alone now, NO_PRIVILEGE, saying why."""
    seed(tmp_path)
    backup = tmp_path / "backup.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(tmp_path)), "--id", str(FIRST_ID), "--id", str(FIRST_ID + 1),
                           "--id", str(FIRST_ID + 4), "--out", str(backup))
    assert code == 0, err
    service = BatchService(load_emulator_config(tmp_path / "state.json"), Store(tmp_path / "emulator.sqlite"))
    try:
        for flow_id, name in ((FIRST_ID, None), (FIRST_ID + 4, "another_job")):
            graph = json.loads(service.get_flow("u2", "o1", flow_id)["graph"])
            graph.pop("creator", None)
            # bob hands 3000 to himself; 3004 becomes another flow of his (another name): not the snapshot's
            service.save_flow("u2", "o1", {**graph, "owners": "bob", "visitors": "", "name": name or graph["name"]})
    finally:
        service.store.close()
    code, out, err = run_cli(capsys, "restore", str(backup), "--config", str(config(tmp_path)), "--json")
    actions = {a["flow_id"]: a for a in json.loads(out)["actions"]}
    assert actions[str(FIRST_ID)]["action"] == "invalid", actions[str(FIRST_ID)]
    assert actions[str(FIRST_ID)]["errors"][0]["code"] == "NO_PRIVILEGE", actions[str(FIRST_ID)]
    assert "owned by bob, but not among the caller's flows" in actions[str(FIRST_ID)]["errors"][0]["message"]
    assert actions[str(FIRST_ID + 1)]["action"] != "invalid", actions[str(FIRST_ID + 1)]
    # renamed by bob (it has no tasks to tell it by): another flow holding the id, which Import could not
    # take (it was planned `create`, then stale at the apply, plan after plan): left alone, ID_HELD
    assert actions[str(FIRST_ID + 4)]["action"] == "invalid", actions[str(FIRST_ID + 4)]
    assert actions[str(FIRST_ID + 4)]["errors"][0]["code"] == "ID_HELD", actions[str(FIRST_ID + 4)]


@pytest.mark.parametrize("verb", ["disable", "delete"])
def test_a_flow_the_caller_may_not_change_is_invalid_in_the_plan_and_never_sent(
        verb: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Enable, Disable and Delete need an owner, and a flow not locked (reference §8). A flow alice
    only sees (bob's, she a visitor) and one that is locked were planned `disable`, and the apply
    then failed 62103: now the plan says NO_PRIVILEGE and exits 5, and the apply sends nothing for
    them (an `invalid` line each) while it changes the others."""
    state = base_state(flows=0, tasks_per_flow=0)
    state["flows"] = [{"flow_id": 3000, "name": "mine", "owners": ["alice"], "org_id": "o1", "active": 1},
                      {"flow_id": 3001, "name": "bobs", "owners": ["bob"], "visitors": ["alice"], "org_id": "o1",
                       "active": 1},
                      {"flow_id": 3002, "name": "locked", "owners": ["alice"], "org_id": "o1", "active": 1,
                       "locked": True}]
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    BatchService(load_emulator_config(tmp_path / "state.json"), Store(tmp_path / "emulator.sqlite")).store.close()
    code, plan, err = toggle(capsys, tmp_path, verb)
    assert code == 5, (plan, err)
    flows = {f["flowId"]: f["action"] for f in plan["flows"]}
    assert flows == {"3000": verb, "3001": "invalid", "3002": "invalid"}, plan
    code, result, err = toggle(capsys, tmp_path, verb, "--apply", "--run-id", "r1")
    assert code == 5, (result, err)
    by_flow = {line["flow_id"]: line for line in lines(tmp_path, "r1")}
    assert by_flow["3000"]["status"] == ("disabled" if verb == "disable" else "deleted")
    for refused in ("3001", "3002"):
        assert by_flow[refused]["status"] == "invalid" and by_flow[refused]["code"] == "NO_PRIVILEGE", by_flow
        assert refused in by_flow[refused]["msg"]
    assert {flow_id: active for flow_id, (active, _) in live(tmp_path).items()} == (
        {3000: 0, 3001: 1, 3002: 1} if verb == "disable" else {3001: 1, 3002: 1})
    _, before = snapshot(tmp_path / "results" / "runbooks" / "r1.before.jsonl")
    assert [str(flow["flowId"]) for flow in before] == ["3000"]  # the before file holds what changed only
