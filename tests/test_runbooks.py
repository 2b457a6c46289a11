"""`migrate edit`, `migrate restore` and `migrate delete`, through the CLI against the embedded
emulator kept in a SQLite file: 1,200 varied flows (tasks in chains, relations with their own
cycleGap, every 25th waiting on the flow before it, three directories, owners alice, bob, carol),
made by the emulator's own Save Flow (tests/test_export.py `seeded`). Each verb shows its plan and
changes nothing without --apply; with it, the before snapshot is written first, exactly the
planned flows change (the emulator's state read before and after), and `restore` of the before
file returns the service to its state with zero differences. A killed edit resumes without
touching a flow twice (an emulator in its own process, SIGKILL)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, profile_run_config, run_cli
from test_export import (
    FIRST_ID,
    SERVICE_KEPT,
    TEAM_A,
    TEAM_A_SUB,
    by_task_names,
    directory_of,
    name_of,
    owners_of,
    seeded,
    seeded_emulator,
)

from migrate.emulator.config import load_emulator_config
from migrate.emulator.models import BatchService
from migrate.emulator.store import Store
from migrate.schedule.timezone import shift_freq

FLOWS = 1200


def seed(folder: Path) -> None:
    service = seeded_emulator(folder, "state.json", FLOWS)
    service.directories = {TEAM_A: (service.root_dir_id, "team_a"), TEAM_A_SUB: (TEAM_A, "sub")}
    for i in range(FLOWS):
        service.save_flow("u1", "o1", seeded(i))
        service.flows[FIRST_ID + i].dir_id = service.root_dir_id if directory_of(i) == "root" else directory_of(i)
    service._keep_all()
    service.store.close()


@pytest.fixture(scope="module")
def seeded_service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("runbooks")
    seed(folder)
    return folder


@pytest.fixture
def service(seeded_service: Path, tmp_path: Path) -> Path:
    """A copy of the seeded service for one test: its changes stay its own."""
    for name in ("state.json", "emulator.sqlite"):
        (tmp_path / name).write_bytes((seeded_service / name).read_bytes())
    return tmp_path


def config(folder: Path) -> Path:
    return profile_run_config(folder / "service.toml", "snapshot", "unused.jsonl", rate=5000,
                              run="concurrency = 16\nbackoff_base = 0.01\nbackoff_max = 0.05")


@contextmanager
def emulated(folder: Path) -> Iterator[BatchService]:
    """The emulator's state, as kept in the folder's SQLite file (closed after)."""
    store = Store(folder / "emulator.sqlite")
    try:
        yield BatchService(load_emulator_config(folder / "state.json"), store)
    finally:
        store.close()


def flows(folder: Path) -> dict[int, dict[str, Any]]:
    """The emulator's state: each flow's graph (as Get Flow's), update time and user."""
    with emulated(folder) as service:
        return {flow_id: {"graph": json.loads(json.dumps(flow.graph)), "updateTime": flow.update_time,
                          "updateUser": flow.update_user, "active": flow.active}
                for flow_id, flow in service.flows.items()}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(capsys, *args, "--json")
    return code, (json.loads(out) if out.strip() else {}), err


def export(capsys: pytest.CaptureFixture[str], folder: Path, name: str) -> list[dict[str, Any]]:
    out = folder / name
    code, _, err = run_cli(capsys, "export", str(config(folder)), "--out", str(out))
    assert code == 0, err
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()[1:]]


def lines(folder: Path, run_id: str) -> list[dict[str, Any]]:
    text = (folder / "results" / f"{run_id}.jsonl").read_text(encoding="utf-8")
    return [line for line in map(json.loads, text.splitlines()) if line["status"] != "attempt"]


def before_file(folder: Path, run_id: str) -> Path:
    return folder / "results" / "runbooks" / f"{run_id}.before.jsonl"


def snapshot_flows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:]]


def same_as(first: list[dict[str, Any]], second: list[dict[str, Any]], ignore: tuple[str, ...] = ()) -> list[Any]:
    """The differences between two exports, field by field, but what the service keeps itself
    (update time and user, and the graph's creator a first save adds)."""
    def kept(flow: dict[str, Any]) -> dict[str, Any]:
        graph = {k: v for k, v in flow["graph"].items() if k != "creator"}
        return {**{k: v for k, v in flow.items() if k not in ("updateTime", "updateUser", *ignore)}, "graph": graph}

    return [(f["flowId"], key) for f, g in zip(first, second, strict=True)
            for key in set(kept(f)) | set(kept(g)) if kept(f).get(key) != kept(g).get(key)]


def test_replace_an_owner_plan_apply_then_restore_the_before_file(service: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """"Change the owner of every flow from bob to dave": plan, apply, a second run finds nothing
    to do, and the before file restores the service exactly."""
    start = export(capsys, service, "start.jsonl")
    bobs = [FIRST_ID + i for i in range(FLOWS) if "bob" in owners_of(i)]
    state = flows(service)
    code, plan, err = cli(capsys, "edit", "--config", str(config(service)), "--owner", "bob",
                          "--replace", "owners=bob->dave")
    assert code == 3, err
    assert plan["matched"] == len(bobs) == 300 and plan["by_action"] == {"update": 300}
    assert {tuple(c["field"] for c in a["changes"]) for a in plan["actions"]} == {("owners",)}
    assert flows(service) == state  # the plan wrote nothing

    code, report, err = cli(capsys, "edit", "--config", str(config(service)), "--owner", "bob",
                            "--replace", "owners=bob->dave", "--apply", "--run-id", "swap")
    assert code == 0, err
    assert report["by_status"] == {"saved": 300}
    after = flows(service)
    for flow_id, flow in after.items():
        i = flow_id - FIRST_ID
        if flow_id in bobs:  # dave where bob was, the order kept
            assert flow["graph"]["owners"] == ";".join("dave" if o == "bob" else o for o in owners_of(i))
        else:  # not touched at all
            assert flow == state[flow_id]
    held = snapshot_flows(before_file(service, "swap"))
    assert stat.S_IMODE(before_file(service, "swap").stat().st_mode) == 0o600  # every parameter: the owner's alone
    assert [f["flowId"] for f in held] == bobs and all("bob" in f["owner"] for f in held)
    assert {line["before"] for line in lines(service, "swap")} == {str(before_file(service, "swap"))}

    code, again, err = cli(capsys, "edit", "--config", str(config(service)), "--owner", "dave",
                           "--replace", "owners=bob->dave")
    assert code == 0 and again["by_action"] == {"unchanged": 300}, err

    code, plan, err = cli(capsys, "restore", str(before_file(service, "swap")), "--config", str(config(service)))
    assert code == 3 and plan["by_action"] == {"update": 300}, err
    code, report, err = cli(capsys, "restore", str(before_file(service, "swap")), "--config", str(config(service)),
                            "--apply", "--run-id", "undo")
    assert code == 0 and report["by_status"] == {"restored": 300}, err
    assert same_as(start, export(capsys, service, "end.jsonl")) == []


def test_a_runbook_file_sets_alerts_and_shifts_schedules_in_a_directory(service: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """"Set alertMode = 1 on every flow in directory team_a (and under it), an hour later": one
    runbook file; each schedule shifted exactly (the days move with the times that cross
    midnight), shown in words in the plan."""
    state = flows(service)
    chosen = [FIRST_ID + i for i in range(FLOWS) if directory_of(i) != "root"]
    config(service)
    runbook = service / "team_a.toml"
    runbook.write_text('config = "service.toml"\n\n[select]\ndir = "team_a"\nrecursive = true\n\n'
                       '[edit]\nset = { alertMode = 1 }\nshift_schedule = "+1h"\nadd_parameters = { tier = "gold" }\n',
                       encoding="utf-8")
    code, out, err = run_cli(capsys, "edit", str(runbook))
    assert code == 3, err
    assert "(At 02:00, every day) -> " in out and "(At 03:00, every day)" in out  # the schedule in words
    code, report, err = cli(capsys, "edit", str(runbook), "--yes", "--run-id", "alerts")
    assert code == 0, err
    after = flows(service)
    changed = sorted(flow_id for flow_id in after if after[flow_id] != state[flow_id])
    assert changed == chosen and report["by_status"] == {"saved": len(chosen)}
    for flow_id in chosen:
        old, new = state[flow_id]["graph"], after[flow_id]["graph"]
        assert new["alertMode"] == 1
        assert new["freq"] == shift_freq(old["freq"], 60).freq  # type: ignore[union-attr]
        assert json.loads(new["parameters"])[-1] == {"key": "tier", "value": "gold"}
        assert {k: v for k, v in new.items() if k not in ("alertMode", "freq", "parameters")} == \
               {k: v for k, v in old.items() if k not in ("alertMode", "freq", "parameters")}


def test_a_flow_changed_by_someone_else_is_a_conflict_unless_forced(service: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    start = export(capsys, service, "start.jsonl")
    code, _, err = cli(capsys, "edit", "--config", str(config(service)), "--name", "etl_1??", "--set", "queue=q_new",
                       "--apply", "--run-id", "queue")
    assert code == 0, err
    # Someone else (bob, through the console) changes one of them afterwards.
    store = Store(service / "emulator.sqlite")
    emulated = BatchService(load_emulator_config(service / "state.json"), store)
    emulated._bump(emulated.flows[FIRST_ID + 102], emulated.user("u2", "o1"))
    emulated.flows[FIRST_ID + 102].graph["doAs"] = "db_by_hand"
    emulated.store.save_flow(emulated.flows[FIRST_ID + 102])
    store.close()
    before = str(before_file(service, "queue"))
    code, report, err = cli(capsys, "restore", before, "--config", str(config(service)), "--apply", "--run-id", "u1")
    assert code == 2, err
    assert report["by_status"] == {"restored": 32, "stale": 1}  # etl_100, etl_103, … etl_198: 33 flows
    conflict = next(line for line in lines(service, "u1") if line["status"] == "stale")
    assert conflict["flow_id"] == str(FIRST_ID + 102) and conflict["code"] == "CONFLICT" and "bob" in conflict["msg"]
    # A line of a flow that was not sent has every field a sent one has (docs/reliability.md): its
    # config was missing, and the answer's fields.
    assert {"config", "http_status", "elapsed_ms", "latency_ms"} <= set(conflict), conflict
    assert conflict["config"] == config(service).name and conflict["http_status"] is None
    code, report, err = cli(capsys, "restore", before, "--config", str(config(service)), "--apply", "--force")
    assert code == 0 and report["by_status"] == {"restored": 1, "unchanged": 32}, err
    assert same_as(start, export(capsys, service, "end.jsonl")) == []


def test_delete_in_dependency_waves_then_restore_recreates_them(service: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Flows 2001 and 2026 wait on 2000 and 2025: deleting 2000..2049 deletes the dependants
    first; alone, 2025 is refused (62104). The before file brings all fifty back, dependencies
    first, with their relations, owners and schedules (task ids are the service's new ones)."""
    start = export(capsys, service, "start.jsonl")
    ids = service / "ids.txt"
    ids.write_text("\n".join(str(FIRST_ID + i) for i in range(50)) + "\n", encoding="utf-8")
    code, report, err = cli(capsys, "delete", str(config(service)), "--id", str(FIRST_ID + 25), "--apply")
    assert code == 2 and report["by_status"] == {"failed": 1}, err
    code, plan, err = cli(capsys, "delete", str(config(service)), "--ids-file", str(ids))
    assert code == 3 and plan["by_action"] == {"delete": 50}, err
    assert len(flows(service)) == FLOWS
    code, report, err = cli(capsys, "delete", str(config(service)), "--ids-file", str(ids), "--apply",
                            "--run-id", "gone")
    assert code == 0 and report["by_status"] == {"deleted": 50}, err
    assert set(flows(service)) == {FIRST_ID + i for i in range(50, FLOWS)}
    assert len(snapshot_flows(before_file(service, "gone"))) == 50

    code, report, err = cli(capsys, "restore", str(before_file(service, "gone")), "--config", str(config(service)),
                            "--apply", "--run-id", "back")
    assert code == 0 and report["by_status"] == {"created": 50}, err
    # Nothing existed to be saved over: no before file, and no line names one (each named a file never written)
    assert not before_file(service, "back").exists()
    assert not any("before" in json.loads(line) for line in Path(report["result_log"]).read_text().splitlines()[1:])
    end = export(capsys, service, "end.jsonl")
    assert [f["flowId"] for f in end] == [f["flowId"] for f in start]
    differences = [(f["flowId"], key) for f, g in zip(start, end, strict=True)
                   for key in set(by_task_names(f)) | set(by_task_names(g))
                   if by_task_names(f).get(key) != by_task_names(g).get(key)]
    assert differences == []  # but where the service keeps its own: SERVICE_KEPT
    assert "directory" in SERVICE_KEPT

    # Restored again: the flows hold the service's new tasks, none of the snapshot's. Save only
    # references tasks a flow has, so the snapshot's old task ids are matched to the new by name:
    # nothing differs, nothing is saved (it was: 50 saves pointing at the deleted tasks).
    again = ("restore", str(before_file(service, "gone")), "--config", str(config(service)))
    code, plan, err = cli(capsys, *again)
    assert code == 0 and plan["by_action"] == {"unchanged": 50}, err
    assert any("matched to theirs by name" in note for note in plan["notes"]), plan["notes"]
    code, report, err = cli(capsys, *again, "--apply", "--run-id", "again")
    assert code == 0 and "nothing to save" in err, err
    assert [f["graph"]["tasks"] for f in export(capsys, service, "again.jsonl")] == [f["graph"]["tasks"] for f in end]
    # A snapshot whose tasks are neither the flow's nor named as its tasks: refused, not saved.
    hand = service / "hand.jsonl"
    header, first, *_ = before_file(service, "gone").read_text(encoding="utf-8").splitlines()
    line = json.loads(first)
    line["graph"]["tasks"] = [{**task, "taskName": task["taskName"] + "_old"} for task in line["graph"]["tasks"]]
    hand.write_text(f"{json.dumps({**json.loads(header), 'flows': 1})}\n{json.dumps(line)}\n", encoding="utf-8")
    code, plan, err = cli(capsys, "restore", str(hand), "--config", str(config(service)))
    assert code == 5 and plan["by_action"] == {"invalid": 1}, err
    assert plan["actions"][0]["errors"][0]["code"] == "TASKS_MADE_ANEW", plan["actions"][0]
    # Edited by hand without its node ids: what is wrong is said, never a traceback.
    line = json.loads(first)
    line["graph"]["tasks"] = [{k: v for k, v in task.items() if k != "nodeId"} for task in line["graph"]["tasks"]]
    hand.write_text(f"{json.dumps({**json.loads(header), 'flows': 1})}\n{json.dumps(line)}\n", encoding="utf-8")
    code, plan, err = cli(capsys, "restore", str(hand), "--config", str(config(service)))
    assert code in (0, 1, 3, 5) and "Traceback" not in err, err


def test_a_selection_or_an_edit_that_cannot_be_used_is_refused_before_any_request(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for options, message in [
        (("--set", "active=0"), "migrate enable"),
        (("--set", "alertMode=7"), "not one of 0, 1, 2, 3"),
        (("--replace", "queue=a->b"), "replace works in owners and visitors"),
        (("--schedule", "0 0 25 * * ? *"), "schedule '0 0 25 * * ? *'"),
        (("--shift-schedule", "soon"), "a signed time"),
        (("--name", "nothing_*", "--set", "queue=q"), "matches none of the 1200 flows"),
        ((), "nothing to edit"),
    ]:
        code, _, err = run_cli(capsys, "edit", "--config", str(config(service)), *options)
        assert code == 1 and message in err and "Traceback" not in err, (options, err)
    bad = service / "bad.jsonl"
    bad.write_text("flow_id,name\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "restore", str(bad), "--config", str(config(service)))
    assert code == 1 and "does not look like a snapshot" in err


def test_an_edit_killed_halfway_resumes_without_touching_a_flow_twice(tmp_path: Path) -> None:
    """The emulator in its own process; `edit --apply` killed (SIGKILL) after 40 lines, then
    resumed: every flow saved once, and shifted once (a resume that worked the edits out again
    from the live flows would shift the saved ones twice)."""
    flows_count = 200
    state = base_state(flows=0, tasks_per_flow=0, applications=[{"app_key": "k-rb", "app_secret": "s-rb-4242"}])
    state["flows"] = [{"flow_id": 5000 + i, "name": f"job_{i}", "owners": ["alice"], "org_id": "o1",
                       "freq": "0 0 2 * * ? *"} for i in range(flows_count)]
    (tmp_path / "emulator.json").write_text(json.dumps(state), encoding="utf-8")
    emulator = subprocess.Popen([sys.executable, "-m", "migrate.cli", "emulator", "--port", "0", "--config",
                                 str(tmp_path / "emulator.json")], stdout=subprocess.PIPE, text=True)
    try:
        assert emulator.stdout is not None
        url = emulator.stdout.readline().split()[-1]
        service = profile_run_config(tmp_path / "service.toml", "snapshot", "unused.jsonl", rate=40,
                                     target=f'url = "{url}"', run="concurrency = 4\nfsync_every = 1")
        env = {**os.environ, "MIGRATE_APP_KEY": "k-rb", "MIGRATE_APP_SECRET": "s-rb-4242"}
        command = [sys.executable, "-m", "migrate.cli", "edit", "--config", str(service), "--shift-schedule", "+1h",
                   "--apply", "--run-id", "shift"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        log = tmp_path / "results" / "shift.jsonl"
        from test_faults_resume import emulator_stats, wait_for_lines

        wait_for_lines(log, 40, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        saved_then = {json.loads(line)["flow_id"] for line in log.read_text().splitlines()
                      if json.loads(line)["status"] == "saved"}
        counts_then = emulator_stats(url)["saves_by_flow"]
        assert 0 < len(saved_then) < flows_count
        done = subprocess.run([*command, "--resume", "--json"], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["by_status"] == {"saved": flows_count}
        saves = emulator_stats(url)["saves_by_flow"]
        assert set(saves) == {str(5000 + i) for i in range(flows_count)} and set(saves.values()) == {1}
        assert all(saves[flow_id] == counts_then[flow_id] for flow_id in saved_then)
        config_path = tmp_path / "check.toml"
        check = profile_run_config(config_path, "snapshot", "unused.jsonl", rate=5000, target=f'url = "{url}"')
        out = tmp_path / "after.jsonl"
        exported = subprocess.run([sys.executable, "-m", "migrate.cli", "export", str(check), "--out", str(out)],
                                  capture_output=True, text=True, env=env, timeout=120)
        assert exported.returncode == 0, exported.stderr
        assert {f["freq"] for f in snapshot_flows(out)} == {"0 0 3 * * ? *"}  # shifted once, every one
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def edit_until_locked(service: Path, capsys: pytest.CaptureFixture[str], options: list[str]) -> tuple[int, str, str]:
    """The edit, applied by a service that locks the caller after 20 saves (its exit 4 checked)."""
    state = json.loads((service / "state.json").read_text(encoding="utf-8"))
    (service / "locked.json").write_text(json.dumps({**state, "faults": {"lock_user_after_saves": 20}}),
                                         encoding="utf-8")
    locked = profile_run_config(service / "locked.toml", "snapshot", "unused.jsonl", emulator_config="locked.json",
                                rate=5000, run="concurrency = 4")
    code, out, err = run_cli(capsys, "edit", "--config", str(locked), *options)
    assert code == 4, out + err
    return code, out, err


def test_an_account_locked_mid_edit_aborts_with_4_and_a_resume_completes(service: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The service locks the caller after 20 saves: the edit stops with exit 4, every flow not
    attempted has its line; unlocked, the printed resume saves the rest and nothing twice."""
    options = ["--name", "etl_*", "--set", "doAs=db_new", "--apply", "--run-id", "lock"]
    code, out, err = edit_until_locked(service, capsys, options)
    first = lines(service, "lock")
    saved_first = {line["flow_id"] for line in first if line["status"] == "saved"}
    assert len(saved_first) == 20 and len(first) == 400  # one line a flow: saved, or failed/not attempted
    assert {line["status"] for line in first} - {"saved"} <= {"failed", "not_attempted"}
    assert "aborted" in out and "--resume" not in err
    # The lock was the emulator's fault, not kept in its state: the next run is the caller unlocked.
    code, report, err = cli(capsys, "edit", "--config", str(config(service)), *options, "--resume")
    assert code == 0, err
    assert report["by_status"] == {"saved": 400}
    resumed = [line for line in lines(service, "lock")[400:] if line["status"] == "saved"]
    assert not {line["flow_id"] for line in resumed} & saved_first  # nothing saved twice
    after = flows(service)
    assert {after[FIRST_ID + i]["graph"]["doAs"] for i in range(0, FLOWS, 3)} == {"db_new"}


def test_a_flow_changed_between_a_stop_and_the_resume_is_stale_and_the_way_on_is_the_runbook_again(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The note of stale lines said to make the plan again with `migrate plan CONFIG`: for a runbook,
    CONFIG is a migration's config, whose plan applied would save the export over the edits (found
    by an operator's kill test). It says to run the runbook again, under a new run id."""
    options = ["--name", "etl_*", "--set", "doAs=db_new", "--apply", "--run-id", "lock"]
    edit_until_locked(service, capsys, options)
    unsaved = next(int(line["flow_id"]) for line in lines(service, "lock") if line["status"] != "saved")
    store = Store(service / "emulator.sqlite")  # someone else changes a flow the edit has not saved yet
    emulated = BatchService(load_emulator_config(service / "state.json"), store)
    emulated._bump(emulated.flows[unsaved], emulated.user("u2", "o1"))
    emulated.flows[unsaved].graph["alertMode"] = 3
    emulated.store.save_flow(emulated.flows[unsaved])
    store.close()
    code, report, err = cli(capsys, "edit", "--config", str(config(service)), *options, "--resume")
    assert code == 2 and report["by_status"] == {"saved": 399, "stale": 1}, (report, err)
    stale_note = next(note for note in report["notes"] if "stale" in note)
    assert "run the same command again under a new --run-id" in stale_note and "migrate plan" not in stale_note


def test_a_flow_that_cannot_take_the_shift_is_left_alone_and_named(service: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Flows at 02:00 and 23:00 on Mondays, shifted two hours: the 23:00 runs would move to
    Tuesday and the others not, which no single Quartz schedule says. Those flows are `invalid`
    (EDIT_REFUSED, the reason), untouched; the others are shifted; exit 5."""
    odd = [str(FIRST_ID + i) for i in (0, 5, 10)]
    ids = [arg for flow_id in odd for arg in ("--id", flow_id)]
    code, _, err = cli(capsys, "edit", "--config", str(config(service)), *ids, "--schedule", "0 0 2,23 ? * MON *",
                       "--apply")
    assert code == 0, err
    state = flows(service)
    chosen = [*ids, "--id", str(FIRST_ID + 15)]  # 2015: daily at 02:00, shifts fine
    code, plan, err = cli(capsys, "edit", "--config", str(config(service)), *chosen, "--shift-schedule", "+2h")
    assert code == 5, err
    refused = [a for a in plan["actions"] if a["action"] == "invalid"]
    assert sorted(a["flow_id"] for a in refused) == odd
    assert all(a["errors"][0]["code"] == "EDIT_REFUSED" and "cross midnight" in a["errors"][0]["message"]
               for a in refused)
    code, report, err = cli(capsys, "edit", "--config", str(config(service)), *chosen, "--shift-schedule", "+2h",
                            "--apply", "--run-id", "shift")
    assert code == 5, err
    assert report["by_status"] == {"saved": 1, "invalid": 3}
    after = flows(service)
    assert all(after[int(flow_id)] == state[int(flow_id)] for flow_id in odd)
    assert after[FIRST_ID + 15]["graph"]["freq"] == "0 0 4 * * ? *"
    code, report, err = cli(capsys, "edit", "--config", str(config(service)), *ids, "--shift-schedule", "+2h",
                            "--apply", "--run-id", "refused")  # nothing to save: the refusals still have lines
    assert code == 5 and report["by_status"] == {"invalid": 3}, err


def test_what_a_careless_hand_does_is_refused_or_said(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fresh user's findings: an empty ids file is no selection of every flow; a run id or a
    before file is never written over; contradictions are refused; `-30m` is a shift, not an
    option; `--active 0` is named; ids that name no flow are listed; --json says why on stdout."""
    service_config = str(config(service))
    empty = service / "empty.txt"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    for verb in ("enable", "delete"):
        code, out, err = run_cli(capsys, verb, service_config, "--ids-file", str(empty), "--apply")
        assert code == 1 and "holds no flow id" in err, err
    assert len(flows(service)) == FLOWS

    code, _, err = run_cli(capsys, "disable", service_config, "--id", str(FIRST_ID + 1), "--apply", "--run-id", "p")
    assert code == 0, err
    before = before_file(service, "p").read_bytes()
    code, _, err = run_cli(capsys, "disable", service_config, "--id", str(FIRST_ID + 2), "--apply", "--run-id", "p")
    assert code == 1 and "run p exists already" in err and "--resume" in err
    assert before_file(service, "p").read_bytes() == before
    code, _, err = run_cli(capsys, "enable", service_config, "--id", str(FIRST_ID + 1), "--apply",
                           "--before", str(before_file(service, "p")))
    assert code == 1 and "exists already" in err and before_file(service, "p").read_bytes() == before

    for options, message in [
        (("--set", "alertMode=1", "--set", "alertMode=2"), "given twice"),
        (("--replace", "owners=bob->dave", "--replace", "owners=bob->carol"), "replaced twice"),
        (("--schedule", "0 0 1 * * ? *", "--schedule", "0 0 2 * * ? *"), "given 2 times"),
        (("--replace", "owners=bob->da ve"), "not one user name"),
    ]:
        code, _, err = run_cli(capsys, "edit", "--config", service_config, "--id", str(FIRST_ID), *options)
        assert code == 1 and message in err, (options, err)

    code, plan, err = cli(capsys, "edit", "--config", service_config, "--active", "0", "--id", str(FIRST_ID + 7),
                          "--id", "99999", "--shift-schedule", "-30m")
    assert code == 3, err
    assert plan["selection"]["active"] == 0 and plan["by_action"] == {"update": 1}
    assert any("99999" in note for note in plan["notes"])
    code, out, err = run_cli(capsys, "edit", "--config", service_config, "--name", "nothing_*", "--set", "queue=q",
                             "--json")
    assert code == 1 and json.loads(out)["exit_code"] == 1 and "matches none" in json.loads(out)["error"]
    # An edit it cannot make, and an option argparse refuses: a document on stdout too (there was none)
    for options, said in ((("--id", str(FIRST_ID), "--set", "alertMode=9"), "'9' is not one of 0, 1, 2, 3"),
                          (("--id", str(FIRST_ID), "--cycle", "X"), "invalid choice: 'X'")):
        with pytest.raises(SystemExit) if "--cycle" in options else contextlib.nullcontext():
            code, out, err = run_cli(capsys, "edit", "--config", service_config, *options, "--json")
        out = out if "--cycle" not in options else capsys.readouterr().out
        assert json.loads(out)["exit_code"] == 1 and said in json.loads(out)["error"], (options, out)


def test_a_new_desc_keeps_the_identity_marker_and_a_bad_snapshot_is_never_guessed_at(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marked = FIRST_ID + 4  # desc "flow 4 [migrate:crontab/…]"
    code, _, err = cli(capsys, "edit", "--config", str(config(service)), "--id", str(marked), "--set",
                       "desc=owned by the data team", "--apply")
    assert code == 0, err
    assert flows(service)[marked]["graph"]["desc"] == f"owned by the data team [migrate:crontab/{4:016x}]"

    start = export(capsys, service, "start.jsonl")
    header = json.dumps({"snapshot": 1, "target": "embedded", "selection": {}, "flows": 2})
    no_graph = {k: v for k, v in start[0].items() if k != "graph"}
    broken = service / "broken.jsonl"
    broken.write_text("\n".join([header, json.dumps(no_graph), json.dumps(start[1])]) + "\n", encoding="utf-8")
    code, plan, err = cli(capsys, "restore", str(broken), "--config", str(config(service)))
    assert code == 5, err
    invalid = [a for a in plan["actions"] if a["action"] == "invalid"]
    assert [a["source_key"] for a in invalid] == [str(start[0]["flowId"])]
    assert "no graph" in invalid[0]["errors"][0]["message"]
    twice = service / "twice.jsonl"
    twice.write_text("\n".join([header, json.dumps(start[1]), json.dumps(start[1])]) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "restore", str(twice), "--config", str(config(service)))
    assert code == 1 and "is in the snapshot twice" in err


def test_a_plan_read_by_head_keeps_its_exit_code_and_an_apply_sends_nothing(service: Path) -> None:
    """`| head -1`: the reader stops after a line; a plan still exits 3, and an apply whose plan
    could not be shown whole sends nothing (exit 1, no save, no desired file left)."""
    script = (f"{sys.executable} -m migrate.cli edit --config {config(service)} --set queue=q9 {{}} | head -1 "
              ">/dev/null; echo ${{PIPESTATUS[0]}}")
    plan = subprocess.run(["bash", "-c", script.format("")], capture_output=True, text=True, timeout=300)
    assert plan.stdout.strip() == "3", plan.stderr
    applied = subprocess.run(["bash", "-c", script.format("--apply --run-id headless")], capture_output=True,
                             text=True, timeout=300)
    assert applied.stdout.strip() == "1" and "nothing was sent" in applied.stderr, applied.stderr
    assert not (service / "results" / "headless.jsonl").exists()
    assert not list((service / "results" / "runbooks").glob("headless.*"))
    assert {flow["graph"]["queue"] for flow in flows(service).values()} == {"", "q_big"}


def test_a_restore_never_makes_a_twin_of_a_flow_made_again_since(service: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A flow deleted, then made again under another id (a migration's run re-creates a deleted job):
    restoring the delete's before file created the old one too, two flows of one job, both active.
    It is refused, NAME_TAKEN naming the flow that holds the name; nothing is created."""
    gone, again = FIRST_ID + 70, FIRST_ID + 71
    code, report, err = cli(capsys, "delete", str(config(service)), "--id", str(gone), "--apply", "--run-id", "dx")
    assert code == 0 and report["by_status"] == {"deleted": 1}, err
    with emulated(service) as emulator:  # the job made again: another flow takes its name
        emulator.save_flow("u1", "o1", {**seeded(71), "name": name_of(70)})
    code, plan, err = cli(capsys, "restore", str(before_file(service, "dx")), "--config", str(config(service)))
    (refused,) = [a for a in plan["actions"] if a["action"] == "invalid"]
    assert code == 5 and refused["errors"][0]["code"] == "NAME_TAKEN", (plan, err)
    assert f"flow {gone} is not in the service, and flow {again} holds its name" in refused["errors"][0]["message"]
    code, report, err = cli(capsys, "restore", str(before_file(service, "dx")), "--config", str(config(service)),
                            "--apply")
    assert code == 5 and report["by_status"] == {"invalid": 1} and gone not in flows(service), err


def test_a_restore_says_which_flows_are_in_another_directory_now(service: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """No action moves a flow: a flow moved since the snapshot is named, with both directories."""
    start = export(capsys, service, "start.jsonl")
    store = Store(service / "emulator.sqlite")
    emulated = BatchService(load_emulator_config(service / "state.json"), store)
    emulated.flows[FIRST_ID + 1].dir_id = emulated.root_dir_id  # team_a -> the root, by hand
    emulated.store.save_flow(emulated.flows[FIRST_ID + 1])
    store.close()
    assert start[1]["directory"] == "team_a"
    code, out, err = run_cli(capsys, "restore", str(service / "start.jsonl"), "--config", str(config(service)))
    assert code == 0, err  # nothing to save
    assert "DIRECTORY: the flow is in directory '' now, the snapshot has it in 'team_a'" in out
    assert "warnings by code: DIRECTORY x1" in out
    code, out, err = run_cli(capsys, "restore", str(service / "start.jsonl"), "--config", str(config(service)),
                             "--json")
    [said] = [w for a in json.loads(out)["actions"] for w in a.get("warnings", []) if w["code"] == "DIRECTORY"]
    assert (said["from"], said["to"]) == ("", "team_a"), said  # both were empty, the message naming them


def test_a_report_of_a_disable_and_the_enable_after_it_counts_each_flow_once(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Runbooks' lines are about flows of the service: all together, a flow disabled then enabled
    is one flow whose last line is the enable (it was two flows, one per verb)."""
    service_config = str(config(service))
    ids = [str(FIRST_ID + i) for i in range(3)]
    picks = [arg for flow_id in ids for arg in ("--id", flow_id)]
    code, _, err = run_cli(capsys, "disable", service_config, *picks, "--apply", "--run-id", "off")
    assert code == 0, err
    code, _, err = run_cli(capsys, "enable", service_config, *picks[:4], "--apply", "--run-id", "on")
    assert code == 0, err
    logs = [str(service / "results" / f"{run_id}.jsonl") for run_id in ("off", "on")]
    code, out, err = run_cli(capsys, "report", *logs, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [run["flows"] for run in report["runs"]] == [3, 2], report
    assert report["flows"] == 3 and report["by_status"] == {"disabled": 1, "enabled": 2}, report


def test_an_edit_logs_every_flow_it_matched_even_when_none_changes(service: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # The flows already as wanted had no line (a run that saved nothing had no log at all, though
    # it named one): a report of the run must account for every flow the selection matched.
    matched = [i for i in range(FLOWS) if name_of(i).startswith("etl_1")]  # a hundred-odd flows, some as wanted
    ones = {str(FIRST_ID + i) for i in matched if i % 4 == 1}
    code, report, err = cli(capsys, "edit", "--config", str(config(service)), "--name", "etl_1*",
                            "--set", "alertMode=1", "--apply", "--run-id", "alerts")
    assert code == 0, err
    assert ones and report["by_status"] == {"saved": len(matched) - len(ones), "unchanged": len(ones)}, report
    logged = lines(service, "alerts")
    assert len(logged) == len({line["flow_id"] for line in logged}) == len(matched)
    assert {line["flow_id"] for line in logged if line["status"] == "unchanged"} == ones

    code, report, err = cli(capsys, "edit", "--config", str(config(service)), "--name", "etl_1*",
                            "--set", "alertMode=1", "--apply", "--run-id", "again")
    assert code == 0, err
    assert {line["status"] for line in lines(service, "again")} == {"unchanged"}
    assert len(lines(service, "again")) == len(matched)
    assert {line.get("before") for line in lines(service, "again")} == {None}  # no before file: nothing changed
    assert not before_file(service, "again").exists()
    code, out, err = run_cli(capsys, "report", str(service / "results" / "again.jsonl"), "--json")
    assert code == 0 and json.loads(out)["by_status"] == {"unchanged": len(matched)}, err


def test_a_before_file_edited_by_hand_in_one_place_says_which_value_is_restored(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Get Flow gives freq, owners, alertMode… twice: at the top of the line and in its graph. An
    # operator's edit of the top one alone was restored as "unchanged", without a word.
    backup = service / "backup.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(service)), "--name", "etl_*", "--out", str(backup))
    assert code == 0, err
    header, first, *rest = backup.read_text(encoding="utf-8").splitlines()
    edited = json.loads(first)
    edited["freq"], edited["owner"] = "0 0 5 * * ? *", ";zed;"
    backup.write_text("\n".join([header, json.dumps(edited), *rest]) + "\n", encoding="utf-8")
    code, plan, err = cli(capsys, "restore", str(backup), "--config", str(config(service)))
    assert code == 0 and plan["by_action"] == {"unchanged": len(rest) + 1}, (err, plan["by_action"])
    said = {a["flow_id"]: [w["message"] for w in a.get("warnings", []) if w["code"] == "SNAPSHOT_DIFFERS"]
            for a in plan["actions"]}
    assert [flow_id for flow_id, messages in said.items() if messages] == [str(edited["flowId"])], said
    messages = " ".join(said[str(edited["flowId"])])
    assert "'0 0 5 * * ? *' at the top of the line" in messages and "';zed;'" in messages, messages


def test_a_backup_restored_with_another_organizations_config_says_so(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Every flow of another organization's backup is a `create` here: the plan said nothing of why.
    backup = service / "backup.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(service)), "--name", "etl_1*", "--out", str(backup))
    assert code == 0, err
    assert json.loads(backup.read_text(encoding="utf-8").splitlines()[0])["org_id"] == "o1"
    other = service / "other-org.toml"
    other.write_text(config(service).read_text(encoding="utf-8").replace('user_id = "u1"', 'user_id = "u4"')
                     .replace('org_id = "o1"', 'org_id = "o2"'), encoding="utf-8")
    code, plan, err = cli(capsys, "restore", str(backup), "--config", str(other))
    assert not {"update", "unchanged"} & set(plan["by_action"]), (err, plan.get("by_action"))  # none of them here
    assert any("taken from organization o1; this config's is o2" in note for note in plan["notes"]), plan["notes"]
    code, plan, err = cli(capsys, "restore", str(backup), "--config", str(config(service)))
    assert not any("organization" in note for note in plan["notes"]), plan["notes"]


def test_an_export_whose_reader_is_gone_keeps_its_exit_code_and_its_file(service: Path) -> None:
    """`migrate export … | true` (a reader gone before the summary is printed): it wrote the snapshot
    whole, then exited 1 saying that "nothing was sent" and to read the plan first; a nightly backup
    reported a backup made as failed (found by a reviewer's round trip)."""
    out = service / "piped.jsonl"
    script = f"{sys.executable} -m migrate.cli export {config(service)} --out {out} | true; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "0" and "nothing was sent" not in done.stderr, done.stderr
    assert sum(1 for _ in out.open(encoding="utf-8")) == FLOWS + 1  # the header and every flow
