"""Identity, end to end through the CLI against the embedded emulator: a flow keeps its identity
however the export is edited around it, and another machine with no local files finds the same
flows by the marker each carries in its desc (docs/reconcile.md)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, profile_run_config, run_cli, write_export

from migrate.cli import main
from migrate.mapping.identity import key_digest, marker, marker_of, with_marker, without_marker

CRONTAB = """\
MAILTO=""
30 2 * * *  /opt/backup.sh --full
0 7 * * 1-5 /opt/report.sh daily
0 4 * * 6   /opt/backup.sh --full
"""


def machine(folder: Path, crontab: str, service: Path, run: str = "create_missing = true") -> Path:
    """A checkout on one machine: its crontab, its config, its own results; the service (the
    emulator's state file) shared with every other machine."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jobs.cron").write_text(crontab, encoding="utf-8")
    state = service.parent / "state.json"
    if not state.exists():
        state.write_text(json.dumps(base_state(flows=3)), encoding="utf-8")  # flows of others' making too
    return profile_run_config(folder / "run.toml", "crontab", "jobs.cron", source_lines='options = { user = "alice" }',
                              run=run, emulator_config=state, emulator_state=service, rate=500)


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def live_flows(service: Path) -> dict[str, dict[str, Any]]:
    """The service's flows by name: freq, desc, id."""
    with sqlite3.connect(service) as db:
        stored = [json.loads(value) for (value,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    return {flow["name"]: {"id": flow["flow_id"], "freq": flow["graph"]["freq"], "desc": flow["graph"]["desc"],
                           "active": flow["active"]} for flow in stored}


def by_command(flows: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Each command's schedules as the service holds them (read from the desc the profile wrote)."""
    found: dict[str, list[str]] = {}
    for flow in flows.values():
        text = without_marker(flow["desc"]).removeprefix("crontab: ")
        if text != flow["desc"]:
            found.setdefault(" ".join(text.split()[5:]), []).append(flow["freq"])
    return {command: sorted(freqs) for command, freqs in found.items()}


def test_the_marker_is_a_digest_of_scope_and_key() -> None:
    mark = marker("crontab", "alice:/opt/backup.sh")
    assert mark == f"[migrate:crontab/{key_digest('crontab', 'alice:/opt/backup.sh')}]" and len(mark) == 34
    assert marker_of(f"nightly {mark}") == ("crontab", key_digest("crontab", "alice:/opt/backup.sh"))
    assert with_marker(f"nightly {marker('crontab', 'old')}", "crontab", "new") == f"nightly {marker('crontab', 'new')}"
    assert marker_of("nightly [migrate:crontab/zz]") is None and key_digest("a", "b") != key_digest("b", "a")


def test_editing_a_crontab_never_duplicates_nor_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    service = tmp_path / "service" / "emulator.sqlite"
    service.parent.mkdir()
    config = machine(tmp_path / "a", CRONTAB, service)
    code, first = cli_json(capsys, "run", str(config))
    assert code == 0 and first["by_status"] == {"created": 3}
    before = live_flows(service)
    assert len(before) == 6  # three of ours (the same command twice, on two schedules: two flows), three not ours
    schedules = by_command(before)
    assert schedules == {"/opt/backup.sh --full": ["0 0 4 ? * 7 *", "0 30 2 * * ? *"],
                         "/opt/report.sh daily": ["0 0 7 ? * 2-6 *"]}

    # A comment on top, a line commented out, the rest reordered: every remaining job keeps its flow.
    edited = ('# moved around\nMAILTO=""\n0 7 * * 1-5 /opt/report.sh daily\n# 0 4 * * 6   /opt/backup.sh --full\n'
              "30 2 * * *  /opt/backup.sh --full\n")
    config = machine(tmp_path / "a", edited, service)
    code, second = cli_json(capsys, "run", str(config))
    assert code == 0 and second["by_status"] == {"saved": 2}  # found, not created
    after = live_flows(service)
    assert set(after) == set(before)  # no duplicate
    assert {name: flow["id"] for name, flow in after.items()} == {name: flow["id"] for name, flow in before.items()}
    assert by_command(after) == schedules  # nothing overwritten with another line's schedule

    # A command edited: a new job (a new flow), the old one left alone and shown as orphaned.
    changed = edited.replace("/opt/report.sh daily", "/opt/report.sh weekly")
    config = machine(tmp_path / "a", changed, service)
    code, planned = cli_json(capsys, "plan", str(config))
    # orphaned: the old command's flow, and the Saturday backup whose line was commented out
    assert code == 3 and planned["by_action"] == {"create": 1, "unchanged": 1, "orphaned": 2}
    # the default scope (the format's) is said, as other exports of the format share it
    assert any("orphans carry the marker of scope crontab" in note for note in planned["notes"]), planned["notes"]
    orphans = {a["flow_id"] for a in planned["actions"] if a["action"] == "orphaned"}
    assert orphans == {str(flow["id"]) for flow in before.values()
                       if "report.sh daily" in flow["desc"] or flow["freq"] == "0 0 4 ? * 7 *"}
    code, third = cli_json(capsys, "run", str(config))
    assert code == 0 and third["by_status"] == {"created": 1, "saved": 1}
    assert len(live_flows(service)) == 7  # the orphan is reported, never deleted


def test_a_machine_with_no_local_files_reconciles_the_same_flows(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    service = tmp_path / "service" / "emulator.sqlite"
    service.parent.mkdir()
    code, first = cli_json(capsys, "run", str(machine(tmp_path / "a", CRONTAB, service)))
    assert code == 0 and first["by_status"] == {"created": 3}
    other = machine(tmp_path / "b", CRONTAB, service)  # another checkout: no results, no history
    code, planned = cli_json(capsys, "plan", str(other))
    assert code == 0 and planned["by_action"] == {"unchanged": 3}
    code, second = cli_json(capsys, "run", str(other))
    assert code == 0 and "created" not in second["by_status"] and second["by_status"] == {"saved": 3}
    assert len(live_flows(service)) == 6


def test_a_renamed_flow_is_found_by_its_marker_and_renamed(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A table keyed by a `job` column: the name changes, the key does not; the flow is renamed."""
    service = tmp_path / "emulator.sqlite"
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=2)), encoding="utf-8")
    rows = [{"job": "j1", "flow_name": "nightly", "schedule": "0 0 2 * * ? *", "task_id": "1", "task_name": "run"}]
    write_export(tmp_path / "export.csv", rows)
    config = tmp_path / "run.toml"
    config.write_text(textwrap.dedent(f"""
        [source]
        path = "export.csv"
        [mapping]
        flow_key = ["job"]
        [mapping.fields]
        name = "flow_name"
        freq = "schedule"
        [mapping.tasks]
        task_id = "task_id"
        task_name = "task_name"
        [defaults]
        type = 1
        alertMode = 0
        doAs = "db"
        owners = "alice"
        visitors = ""
        startTime = "2026-12-01"
        active = 0
        [target]
        user_id = "u1"
        org_id = "o1"
        emulator_config = "state.json"
        emulator_state = "{service}"
        [run]
        rate_per_second = 500
        create_missing = true
        result_log = "results/{{run_id}}.jsonl"
    """), encoding="utf-8")
    code, first = cli_json(capsys, "run", str(config))
    assert code == 0 and first["by_status"] == {"created": 1}
    flow_id = live_flows(service)["nightly"]["id"]
    write_export(tmp_path / "export.csv", [{**rows[0], "flow_name": "nightly-backup"}])
    code, planned = cli_json(capsys, "plan", str(config))
    [update] = [a for a in planned["actions"] if a["action"] == "update"]
    assert code == 3 and update["renamed_from"] == "nightly" and update["flow_id"] == str(flow_id)
    assert {"field": "name", "live": "nightly", "wanted": "nightly-backup"} in update["changes"]
    code, second = cli_json(capsys, "run", str(config))
    assert code == 0 and second["by_status"] == {"saved": 1}
    flows = live_flows(service)
    assert "nightly" not in flows and flows["nightly-backup"]["id"] == flow_id


def test_a_flow_of_that_name_with_another_marker_is_never_overwritten(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    service = tmp_path / "service" / "emulator.sqlite"
    service.parent.mkdir()
    code, _ = cli_json(capsys, "run", str(machine(tmp_path / "a", CRONTAB, service)))
    # The same crontab read with another scope: the flows of that name carry markers not of this scope.
    other = machine(tmp_path / "b", CRONTAB, service)
    other.write_text(other.read_text().replace("[defaults]", "[mapping]\nidentity_scope = \"host-b\"\n[defaults]"))
    code, planned = cli_json(capsys, "plan", str(other))
    assert code == 5 and planned["by_action"] == {"invalid": 3}
    assert all(a["errors"][0]["code"] == "NAME_TAKEN" for a in planned["actions"])



def test_a_profiles_mapping_keeps_the_users_identity_and_owners_settings(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A profile's built-in mapping must not drop what the user set in [mapping]: the owners trap's
    way out (add_caller_to_owners) and the marker switch were once silently reset for profiles."""
    service = tmp_path / "service" / "emulator.sqlite"
    service.parent.mkdir()
    config = machine(tmp_path / "a", CRONTAB, service)
    text = config.read_text()
    config.write_text(text.replace('owners = "alice"', 'owners = "bob"')
                      .replace("[defaults]", "[mapping]\nadd_caller_to_owners = true\n[defaults]"))
    code, planned = cli_json(capsys, "plan", str(config), "--offline")
    assert code == 3 and planned["warnings_by_code"].get("CALLER_ADDED_TO_OWNERS") == 3, planned
    config.write_text(text.replace("[defaults]", "[mapping]\nidentity_marker = \"off\"\n[defaults]"))
    code, report = cli_json(capsys, "run", str(config))
    assert code == 0 and report["by_status"] == {"created": 3}, report
    ours = [flow for flow in live_flows(service).values() if "crontab:" in flow["desc"]]
    assert len(ours) == 3 and all("[migrate:" not in flow["desc"] for flow in ours)


@pytest.mark.parametrize("faults", [
    {"seed": 5, "drop_after_apply": 0.5, "only_actions": ["import"]},  # the service made it, the answer lost
    {"seed": 7, "error_5xx": 0.3, "drop_before": 0.2, "drop_after_apply": 0.3, "only_actions": ["import"]},
])
def test_an_import_whose_answer_is_lost_never_makes_a_twin(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           faults: dict[str, Any]) -> None:
    # Import is not idempotent: sent again after a lost answer, it made the flow twice (found by a
    # fresh user: five copies of one job, and a second run switched a stray copy on). It is sent
    # again only once the service is seen not to hold it.
    service = tmp_path / "service" / "emulator.sqlite"
    service.parent.mkdir()
    (service.parent / "state.json").write_text(json.dumps(base_state(flows=0, faults=faults)), encoding="utf-8")
    jobs = "".join(f"{minute} 3 * * * /opt/job{minute}.sh\n" for minute in range(12))
    config = machine(tmp_path / "a", jobs, service, run="create_missing = true\nattempts = 8\nrequest_timeout = 2")
    code, first = cli_json(capsys, "run", str(config))
    assert code == 0 and first["by_status"] == {"created": 12}, first
    assert first["emulator"]["faults"], "the faults must have hit some Imports"
    assert stored_names(service) == sorted(live_flows(service)) and len(stored_names(service)) == 12
    assert sum(first["emulator"]["faults"].values()) > 0
    # Each line says what its Import went through: its tries counted, a lost answer named (a fresh
    # operator saw "created", attempts 1, "OK" on every line of a run whose Imports all lost their answers)
    lines = read_lines(Path(first["result_log"]))
    landed = [line for line in lines if line.get("msg", "").startswith("the Import's answer was lost")]
    assert landed and all(line["attempts"] >= 2 and line["msg"].endswith("then saved: OK") for line in landed), landed
    code, second = cli_json(capsys, "run", str(config))
    assert code == 0 and len(stored_names(service)) == 12
    assert set(second["by_status"]) <= {"saved", "unchanged"}, second


def stored_names(service: Path) -> list[str]:
    """Every flow the service holds, by name, twins included."""
    with sqlite3.connect(service) as db:
        return sorted(json.loads(value)["name"] for (value,) in db.execute(
            "SELECT value FROM state WHERE key LIKE 'flow:%'"))


@pytest.mark.parametrize(("step", "said"), [
    ("get", "created as flow {id}, then "),  # reading it back: it said flow_id null
    ("save", "created as flow {id} (Import), then its save: "),  # its save: it said only the save's answer
])
def test_a_flow_made_before_a_later_step_failed_is_named_on_its_line(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str], step: str,
                                                                      said: str) -> None:
    # The Import made the flow; a later step was throttled past retry_after_max: the failed line
    # names the flow the service now holds and says it was made, and the next run saves into it.
    service = tmp_path / "service" / "emulator.sqlite"
    service.parent.mkdir()
    faults = {"seed": 1, "throttle_429": 1.0, "retry_after_seconds": 600, "only_actions": [step]}
    (service.parent / "state.json").write_text(json.dumps(base_state(flows=0, faults=faults)), encoding="utf-8")
    config = machine(tmp_path / "a", "0 3 * * * /opt/job.sh\n", service,
                     run="create_missing = true\nretry_after_max = 5")
    code, first = cli_json(capsys, "run", str(config))
    [line] = [json.loads(text) for text in Path(first["result_log"]).read_text(encoding="utf-8").splitlines()
              if json.loads(text).get("status") == "failed"]
    [made] = live_flows(service).values()
    assert code == 2 and line["flow_id"] == str(made["id"]), line
    assert line["msg"].startswith(said.format(id=made["id"])), line


def test_names_that_differ_only_in_what_does_not_show_are_one_flow(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # A spreadsheet's trailing space or tab, a no-break space, a zero-width space, a full-width
    # letter: each made a twin that looked the same in every list (found by a fresh user). The
    # later spelling is a DUPLICATE naming how it is written; a later export's cleaned spelling
    # finds the flow the odd one made.
    from conftest import write_config

    spellings = ["job_0042", "job_0042 ", "job_0042\t", "\u00a0job_0043", "job_0043\u200b", "\uff4aob_0044"]
    rows = [{"flow_id": "", "flow_name": name, "schedule": "0 0 9 * * ? *", "owners": "alice", "task_id": ""}
            for name in spellings]
    config = write_config(tmp_path, state=base_state(flows=0), rows=rows, run={"create_missing": True})
    config.write_text(config.read_text(encoding="utf-8").replace('id = "flow_id"\n', "").replace(
        '[mapping.tasks]\ntask_id = "task_id"\n', "").replace(
        'emulator_config = "state.json"\n', 'emulator_config = "state.json"\nemulator_state = "service.sqlite"\n'),
        encoding="utf-8")
    code, plan = cli_json(capsys, "plan", str(config), "--offline")
    assert code == 5 and plan["invalid_by_reason"] == {"DUPLICATE": 3}, plan
    code, run = cli_json(capsys, "run", str(config))
    assert code == 5 and run["by_status"] == {"created": 3, "invalid": 3}, run
    messages = " ".join(line["msg"] for line in read_lines(Path(run["result_log"])) if line["status"] == "invalid")
    assert "written 'job_0042 ' here" in messages and "written 'job_0042\\t' here" in messages, messages
    warned = {w["from"] for line in read_lines(Path(run["result_log"])) for w in line.get("warnings", [])
              if w["code"] == "NAME_SPELLING"}
    assert {"\u00a0job_0043", "\uff4aob_0044"} <= warned
    # The next export writes the names plainly: the same four flows, none made again.
    config.parent.joinpath("export.csv").write_text(
        "flow_id,flow_name,schedule,owners,task_id\n" + "".join(
            f",{name},0 0 9 * * ? *,alice,\n" for name in ("job_0042", "job_0043", "job_0044")), encoding="utf-8")
    code, again = cli_json(capsys, "run", str(config))
    assert code == 0 and set(again["by_status"]) <= {"saved", "unchanged"}, again


def test_a_name_of_another_spelling_finds_the_live_flow_of_that_name_never_a_twin(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The live flows are found by their names as the eye reads them, as the rows are: a row named
    `job_0042 `, `job_0042` + a zero-width space or `ｊob_0042` met `job_0042`, another source's
    flow, by its exact name only, and `create_missing` made a second flow that looks the same in
    every list (found by a fresh operator). It is NAME_TAKEN, as the plain spelling is."""
    from conftest import write_config

    config = write_config(tmp_path, state=base_state(flows=0), run={"create_missing": True}, rows=[
        {"flow_id": "", "flow_name": "job_0042", "schedule": "0 0 9 * * ? *", "owners": "alice", "task_id": ""}])
    config.write_text(config.read_text(encoding="utf-8").replace('id = "flow_id"\n', "").replace(
        '[mapping.tasks]\ntask_id = "task_id"\n', "").replace(
        'emulator_config = "state.json"\n', 'emulator_config = "state.json"\nemulator_state = "service.sqlite"\n'),
        encoding="utf-8")
    code, run = cli_json(capsys, "run", str(config))
    assert code == 0 and run["by_status"] == {"created": 1}, run
    other = config.read_text(encoding="utf-8").replace("[defaults]", '[mapping]\nidentity_scope = "elsewhere"\n'
                                                                     "[defaults]", 1)
    config.write_text(other, encoding="utf-8")
    for spelling in ("job_0042 ", "job_0042\u200b", "\uff4aob_0042", "job_0042"):
        config.parent.joinpath("export.csv").write_text(
            f"flow_id,flow_name,schedule,owners,task_id\n,{spelling},0 0 9 * * ? *,alice,\n", encoding="utf-8")
        code, plan = cli_json(capsys, "plan", str(config))
        [action] = plan["actions"]
        assert code == 5 and action["errors"][0]["code"] == "NAME_TAKEN", (spelling, action)
        # the live flow by the service's spelling (it named the flow 'ｊob_0042', which no list shows)
        assert "the flow named 'job_0042' (" in action["errors"][0]["message"], action
        assert (f"(which {spelling!r} reads as)" in action["errors"][0]["message"]) == (spelling != "job_0042")
        code, run = cli_json(capsys, "run", str(config))
        assert code == 5 and run["by_status"] == {"invalid": 1} and run["errors_by_code"] == {"NAME_TAKEN": 1}, \
            (spelling, run)  # as the plan says: nothing saved
    assert list(live_flows(config.parent / "service.sqlite")) == ["job_0042"]  # no twin of any spelling


@pytest.mark.parametrize("flow_id", ["", "4242"])
def test_a_stop_between_an_import_and_its_save_says_so_and_a_resume_saves_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], flow_id: str) -> None:
    """SIGTERM while an Import is in flight: it finishes and makes the flow, and nothing more is
    sent. Its line said "created as flow N, then " (nothing after), 0 attempts, NO_ANSWER (found by
    an engineer killing runs at scale), and for a flow given by id that its save "was sent: it may
    have landed", when only the Import had: it names the interruption and the Import, and a resume
    saves the flow as wanted."""
    from conftest import write_config

    rows = [{"flow_id": flow_id, "flow_name": "job_a", "schedule": "0 0 9 * * ? *", "owners": "alice",
             "task_id": ""}]
    config = write_config(tmp_path, state=base_state(flows=0, faults={"latency_ms": 1500}), rows=rows,
                          run={"create_missing": True})
    config.write_text(config.read_text(encoding="utf-8").replace('id = "flow_id"\n', "" if not flow_id else
                                                                 'id = "flow_id"\n').replace(
        '[mapping.tasks]\ntask_id = "task_id"\n', "").replace(
        'emulator_config = "state.json"\n', 'emulator_config = "state.json"\nemulator_state = "service.sqlite"\n'),
        encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", "cut"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "results" / "cut.jsonl"
    deadline = time.monotonic() + 60
    while not (log.exists() and '"import"' in log.read_text(encoding="utf-8")):  # the Import has left
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    [line] = [r for r in read_lines(log) if r.get("status") not in (None, "attempt")]
    assert line["status"] == "failed" and line["attempts"] == 1, line
    assert line["msg"].startswith(f"interrupted after Import made flow {line['flow_id']}, before its save"), line
    code, report = cli_json(capsys, "report", str(log))
    assert report["errors_by_code"] == {"INTERRUPTED": 1}, report
    code, resumed = cli_json(capsys, "run", str(config), "--run-id", "cut", "--resume")
    assert code == 0 and set(resumed["by_status"]) <= {"created", "saved"}, resumed
    assert list(live_flows(tmp_path / "service.sqlite")) == ["job_a"]


def read_lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(text) for text in log.read_text(encoding="utf-8").splitlines() if text.strip()]


def test_a_flow_made_by_name_then_mapped_by_id_is_updated_not_also_disabled(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Its marker was made of its name; mapped by id, its key (and marker) is the id: the old marker
    # is no key of the export, but the flow is the one the plan saves. A fresh user's plan listed
    # each such flow twice, `update` and `disable`, and applying it ended in 'stale' lines, exit 2.
    from conftest import write_config

    rows = [{"flow_id": "", "flow_name": f"job_{n}", "schedule": "0 0 9 * * ? *", "owners": "alice", "task_id": ""}
            for n in range(3)]
    config = write_config(tmp_path, state=base_state(flows=0), rows=rows, run={"create_missing": True})
    by_name = config.read_text(encoding="utf-8").replace('id = "flow_id"\n', "").replace(
        '[mapping.tasks]\ntask_id = "task_id"\n', "").replace(
        'emulator_config = "state.json"\n', 'emulator_config = "state.json"\nemulator_state = "service.sqlite"\n')
    config.write_text(by_name, encoding="utf-8")
    code, made = cli_json(capsys, "run", str(config))
    assert code == 0 and made["by_status"] == {"created": 3}, made
    ids = sorted(line["flow_id"] for line in read_lines(Path(made["result_log"])) if line["status"] == "created")
    (tmp_path / "export.csv").write_text("flow_id,flow_name,schedule,owners\n" + "".join(
        f"{flow_id},job_{n},0 0 9 * * ? *,alice\n" for n, flow_id in enumerate(ids)), encoding="utf-8")
    config.write_text(by_name.replace('name = "flow_name"', 'id = "flow_id"\nname = "flow_name"'), encoding="utf-8")
    plan_file = tmp_path / "plan.json"
    code, plan = cli_json(capsys, "plan", str(config), "--prune", "disable", "--out", str(plan_file))
    assert code == 3 and plan["by_action"] == {"update": 3}, plan["by_action"]
    code, applied = cli_json(capsys, "run", str(config), "--plan", str(plan_file))
    assert code == 0 and applied["by_status"] == {"saved": 3}, applied


# One Rundeck job as `rd jobs list --format yaml` exports it (a list of jobs), with its group:
# the profile names its flow `<group>_<name>` (its tasks `<flow>_step1`…) and keys it by its uuid.
RUNDECK_JOB = """- name: {name}
  group: ops
  uuid: {uuid}
  description: nightly clean-up
  executionEnabled: true
  scheduleEnabled: true
  schedule:
    time: {{hour: '01', minute: '{minute}', seconds: '0'}}
    month: '*'
    weekday: {{day: '*'}}
    year: '*'
  sequence:
    keepgoing: false
    strategy: node-first
    commands:
    - exec: /opt/ops/clean.sh --tmp
    - exec: /opt/ops/clean.sh --logs
"""
CLEANUP_UUID = "6a1f0c9e-2b7d-4c3e-9a8f-1d2e3f4a5b6c"


def rundeck_job(name: str, minute: str = "30", uuid: str = CLEANUP_UUID) -> str:
    return RUNDECK_JOB.format(name=name, minute=minute, uuid=uuid)


def rundeck_run(tmp_path: Path, name: str = "run", run: str = "") -> Path:
    """The config of a run of tmp_path/jobs.yaml (Rundeck, in UTC) with create_missing (and `run`)
    into an embedded emulator kept in tmp_path/emulator.sqlite, empty at first."""
    state = tmp_path / "state.json"
    if not state.exists():
        state.write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    return profile_run_config(tmp_path / f"{name}.toml", "rundeck", "jobs.yaml", target='timezone = "UTC"',
                              run=f"create_missing = true\n{run}", extra='[mapping]\nsource_timezone = "UTC"', rate=500)


def test_a_job_renamed_in_its_export_keeps_its_flow_and_tasks(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A Rundeck job (its key is its uuid) whose tasks are named after it (`<flow>_step1`):
    renamed in the export, its flow is found by its marker and renamed, its tasks matched by what
    follows the flow's name (it was TASKS_DIFFER: the flow frozen as it was); renamed again, the
    same, though the live tasks keep their first names (Save does not rename tasks)."""
    service, jobs, config = tmp_path / "emulator.sqlite", tmp_path / "jobs.yaml", rundeck_run(tmp_path)
    jobs.write_text(rundeck_job("nightly-cleanup", "30"), encoding="utf-8")
    code, first = cli_json(capsys, "run", str(config))
    assert code == 0 and first["by_status"] == {"created": 1}, first
    [made] = live_flows(service).values()
    for renamed, minute in (("nightly-purge", "45"), ("nightly-sweep", "50")):
        jobs.write_text(rundeck_job(renamed, minute), encoding="utf-8")
        code, planned = cli_json(capsys, "plan", str(config))
        [update] = planned["actions"]
        assert code == 3 and update["action"] == "update" and update["flow_id"] == str(made["id"]), update
        assert {c["field"] for c in update["changes"]} >= {"name", "freq"}, update["changes"]
        assert "tasks" not in {c["field"] for c in update["changes"]}, update["changes"]
        code, saved = cli_json(capsys, "run", str(config))
        assert code == 0 and saved["by_status"] == {"saved": 1}, saved
        [now] = live_flows(service).values()
        assert now["id"] == made["id"] and now["freq"] == f"0 {minute} 1 * * ? *", now


@pytest.mark.parametrize(("ours", "theirs", "matched"), [
    (["new_step1", "new_step2"], ["old_step1", "old_step2"], {"new_step1": "old_step1", "new_step2": "old_step2"}),
    (["new"], ["old"], {"new": "old"}),  # a crontab's one task, named as its flow
    (["new_step1"], ["a_step1", "b_step1"], None),  # two could be it: not guessed
    (["new", "new_2"], ["old", "other"], None),  # `other` follows no flow name of `_2`
    (["run"], ["old"], None),  # not named after its flow: by name only
])
def test_tasks_of_a_flow_ours_by_its_marker_are_matched_after_the_flows_name_only_when_one_each_way(
        ours: list[str], theirs: list[str], matched: dict[str, str] | None) -> None:
    from migrate.reconcile.targets import RebindError, rebind

    wire = {"name": "new", "id": "0", "tasks": [{"taskName": name, "taskId": str(n), "nodeId": f"t_{n}"}
                                                for n, name in enumerate(ours)], "relations": []}
    live = {"name": "old", "tasks": [{"taskName": name, "taskId": str(900 + n)} for n, name in enumerate(theirs)]}
    if matched is None:
        with pytest.raises(RebindError):
            rebind(wire, "7", live, proven=True)
        return
    aimed = rebind(wire, "7", live, proven=True)
    by_live = {t["taskName"]: t["taskId"] for t in live["tasks"]}
    assert [(t["taskName"], t["taskId"]) for t in aimed["tasks"]] == [(matched[n], by_live[matched[n]]) for n in ours]
    with pytest.raises(RebindError, match=r"delete the flow .*create_missing make it anew"):  # not proven: by name
        rebind(wire, "7", live)


def test_a_command_changed_in_the_export_is_said_by_the_plan(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Save only references tasks: a step's command changed in the export never reaches the flow
    made before. The plan reads the live tasks' bodies (Export Flow) and finds the flow invalid,
    naming the task (TASK_BODY_DIFFERS, exit 5): it said `unchanged` with a warning, exit 0, a drift
    check passing on a flow that runs what the source no longer says."""
    jobs, config = tmp_path / "jobs.yaml", rundeck_run(tmp_path)
    jobs.write_text(rundeck_job("nightly-cleanup", "30"), encoding="utf-8")
    code, first = cli_json(capsys, "run", str(config))
    assert code == 0 and first["by_status"] == {"created": 1}, first
    code, planned = cli_json(capsys, "plan", str(config))
    assert code == 0 and not planned["actions"][0].get("warnings"), planned["actions"]
    # blanks around a command line change nothing a shell runs: no difference
    jobs.write_text(rundeck_job("nightly-cleanup", "30").replace("exec: /opt/ops/clean.sh --tmp",
                                                                 'exec: "  /opt/ops/clean.sh --tmp  "'), encoding="utf-8")
    code, planned = cli_json(capsys, "plan", str(config))
    assert code == 0 and planned["actions"][0]["action"] == "unchanged", planned["actions"]
    jobs.write_text(rundeck_job("nightly-cleanup", "30").replace("--logs", "--logs --all"),
                    encoding="utf-8")
    code, planned = cli_json(capsys, "plan", str(config))
    [action] = planned["actions"]
    said = [e for e in action.get("errors", []) if e.get("code") == "TASK_BODY_DIFFERS"]
    assert code == 5 and action["action"] == "invalid" and len(said) == 1, action
    assert "ops_nightly-cleanup_step2" in said[0]["message"] and "step1" not in said[0]["message"], said
    # A run that reads the live flows (compare = "remote") finds it too: an `invalid` line, nothing saved.
    remote = rundeck_run(tmp_path, "remote", 'compare = "remote"')
    code, report = cli_json(capsys, "run", str(remote))
    [line] = [json.loads(text) for text in Path(report["result_log"]).read_text(encoding="utf-8").splitlines()
              if json.loads(text)["status"] != "attempt"]
    assert code == 5 and line["status"] == "invalid" and line["code"] == "TASK_BODY_DIFFERS", line
    assert "ops_nightly-cleanup_step2" in line["msg"], line


def test_a_first_step_removed_from_a_job_is_no_flow_running_the_removed_step(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Rundeck job's steps are tasks by place (`_step1`, `_step2`): its first step removed, the
    export's step1 is the old step2's command. The run saved the flow (`saved`, exit 0; the next
    plan `unchanged`, exit 0) still running the removed step and no longer the last one (found by
    a reviewer). Now the plan and a run that reads the flow call it invalid, TASK_BODY_DIFFERS,
    naming the task, and nothing is saved."""
    service, jobs, config = tmp_path / "emulator.sqlite", tmp_path / "jobs.yaml", rundeck_run(tmp_path)
    jobs.write_text(rundeck_job("nightly-cleanup", "30"), encoding="utf-8")
    code, first = cli_json(capsys, "run", str(config))
    assert code == 0 and first["by_status"] == {"created": 1}, first
    before = live_flows(service)
    jobs.write_text(rundeck_job("nightly-cleanup", "30").replace("    - exec: /opt/ops/clean.sh --tmp\n", ""),
                    encoding="utf-8")
    code, planned = cli_json(capsys, "plan", str(config))
    [action] = planned["actions"]
    assert code == 5 and action["action"] == "invalid", action
    assert [e["code"] for e in action["errors"]] == ["TASK_BODY_DIFFERS"], action
    assert "ops_nightly-cleanup_step1" in action["errors"][0]["message"], action
    remote = rundeck_run(tmp_path, "remote", 'compare = "remote"')
    code, report = cli_json(capsys, "run", str(remote))
    assert code == 5 and report["by_status"] == {"invalid": 1}, report
    assert live_flows(service) == before  # nothing saved
    # applied from the plan: its invalid line names the flow (it said flow_id null)
    plan = tmp_path / "plan.json"
    code, _ = cli_json(capsys, "plan", str(config), "--out", str(plan))
    code, report = cli_json(capsys, "run", str(config), "--plan", str(plan))
    [line] = [json.loads(text) for text in Path(report["result_log"]).read_text(encoding="utf-8").splitlines()
              if json.loads(text)["status"] != "attempt"]
    assert code == 5 and line["status"] == "invalid" and line["code"] == "TASK_BODY_DIFFERS", line
    assert line["flow_id"] == action["flow_id"] and line["flow_id"], line
    assert live_flows(service) == before


def test_a_name_put_back_is_saved_again_with_compare_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`compare = "log"` skips a flow whose last saved payload had the same hash. A job renamed in
    its export (its flow saved under the new name), then renamed back: the flow holds the new name,
    so the old name's payload, saved before the rename, is not what it holds; it is saved again
    (it was `unchanged`: the flow stayed renamed, on the other schedule)."""
    service, jobs = tmp_path / "emulator.sqlite", tmp_path / "jobs.yaml"
    config = rundeck_run(tmp_path, run='compare = "log"')
    for name, minute, status in (("nightly-cleanup", "30", "created"), ("nightly-purge", "45", "saved"),
                                 ("nightly-cleanup", "30", "saved")):
        jobs.write_text(rundeck_job(name, minute), encoding="utf-8")
        code, report = cli_json(capsys, "run", str(config))
        assert code == 0 and report["by_status"] == {status: 1}, (name, report)
    [now] = live_flows(service).items()
    assert now[0] == "ops_nightly-cleanup" and now[1]["freq"] == "0 30 1 * * ? *", now
    code, report = cli_json(capsys, "run", str(config))  # nothing changed since: skipped now
    assert code == 0 and report["by_status"] == {"unchanged": 1}, report


def test_a_scope_changed_after_a_migration_is_named_in_the_refusal(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The flows a crontab made carry scope `crontab`; the same crontab planned with another
    `identity_scope` finds them marked by a scope not its own: NAME_TAKEN, which names that scope
    and says to put it back (it said only "another source key")."""
    service = tmp_path / "service" / "emulator.sqlite"
    service.parent.mkdir()
    config = machine(tmp_path / "a", "0 3 * * * /opt/job.sh\n", service)
    code, first = cli_json(capsys, "run", str(config))
    assert code == 0 and first["by_status"] == {"created": 1}, first
    config.write_text(config.read_text().replace("[defaults]", '[mapping]\nidentity_scope = "host-a"\n[defaults]'))
    code, planned = cli_json(capsys, "plan", str(config))
    [refused] = [a for a in planned["actions"] if a["action"] == "invalid"]
    message = refused["errors"][0]["message"]
    assert code == 5 and refused["errors"][0]["code"] == "NAME_TAKEN", refused
    assert "marked with scope crontab, not this source's (host-a)" in message and "put it back" in message, message


# -- an earlier run's flow, out of the caller's sight (reconcile/live.py made_again) -------------------

def _made_again(key: str, name: str, live: dict[str, Any] | int, digest: str | None = "0123456789abcdef") -> str:
    """What LiveFlows makes of `key` when earlier runs' logs name flow 7 for it (for two keys),
    read as `live` (a code: Get's refusal); the code of its Refusal, or "create"."""
    import asyncio
    from types import SimpleNamespace

    from migrate.reconcile.live import LiveFlows, ReadFailed

    async def read(flow_id: str) -> dict[str, Any]:
        if isinstance(live, int):
            raise ReadFailed(SimpleNamespace(answer=SimpleNamespace(code=live)))
        return live

    def earlier(key: str, name: str) -> list[tuple[str, str]]:  # what the logs say
        return [("7", "run r1")] if key in ("alice:/bin/backup", "row 5") else []

    flows = LiveFlows([], frozenset({"crontab"}), read, made_before=earlier)
    refusal = asyncio.run(flows.find(name, digest, key))
    return "create" if refusal is None else refusal.code  # type: ignore[union-attr]


def test_an_earlier_runs_flow_is_this_jobs_by_its_marker_or_name() -> None:
    ours = {"flowName": "backup", "owner": ";bob;", "desc": "nightly [migrate:crontab/0123456789abcdef]"}
    assert _made_again("alice:/bin/backup", "backup", ours) == "MADE_BEFORE"
    assert _made_again("alice:/bin/backup", "renamed", ours) == "MADE_BEFORE"  # its marker: this job's
    theirs = {**ours, "desc": "[migrate:other/0123456789abcdef]"}  # another scope's: its id given again
    assert _made_again("alice:/bin/backup", "backup", theirs) == "create"
    unmarked = {"flowName": "backup", "owner": ";bob;", "desc": ""}
    assert _made_again("alice:/bin/backup", "backup", unmarked) == "MADE_BEFORE"
    assert _made_again("alice:/bin/backup", "other", unmarked) == "create"
    # a row number names no job for good: the name alone says whether it is this job's flow
    assert _made_again("row 5", "backup", ours) == "MADE_BEFORE"
    assert _made_again("row 5", "report", ours) == "create"
    assert _made_again("alice:/bin/backup", "backup", 62102) == "create"  # deleted since
    assert _made_again("alice:/bin/backup", "backup", 62103) == "MADE_BEFORE"  # there, not to be read
    assert _made_again("alice:/bin/other", "backup", ours) == "create"  # no earlier run of that key


def test_every_flow_the_logs_name_for_a_job_is_tried_newest_first(tmp_path: Path) -> None:
    """The logs of one results folder name the flows a job was left in, by any config or scope: the
    newest was another scope's (the same crontab line of another host), the older this job's, handed
    over since; only the newest was read, so the job was made again. A row-number key is looked up
    by the job's name (rows reordered), and a line whose flow id names no flow is passed over."""
    import asyncio

    from conftest import write_config

    from migrate.config import load_settings
    from migrate.reconcile.live import LiveFlows
    from migrate.results.history import made_before

    config = write_config(tmp_path, state=base_state(flows=0), rows=[{"flow_id": "1", "flow_name": "x",
                                                                      "schedule": "0 0 2 * * ? *",
                                                                      "owners": "alice", "task_id": "500001"}])
    results = tmp_path / "results"
    results.mkdir()
    lines = [("r1", "alice:/bin/backup", "backup", "1001", "2026-11-01"), ("r2", "alice:/bin/backup", "backup",
                                                                          "1003", "2026-11-02"),
             ("r3", "alice:/bin/backup", "backup", "abc", "2026-11-03"),  # no flow has such an id
             ("r1", "row 2", "alpha", "1010", "2026-11-01"), ("r2", "row 2", "beta", "1011", "2026-11-02")]
    (results / "old.jsonl").write_text("".join(json.dumps({
        "run_id": run, "source_key": key, "name": name, "flow_id": flow_id, "status": "saved", "rows": [1],
        "attempts": 1, "ts": f"{day}T02:00:00.000+00:00"}) + "\n" for run, key, name, flow_id, day in lines),
        encoding="utf-8")
    live = {"1001": {"flowName": "backup", "owner": ";bob;", "desc": "[migrate:crontab/0123456789abcdef]"},
            "1003": {"flowName": "backup", "owner": ";bob;", "desc": "[migrate:hostB/fedcba9876543210]"},
            "1010": {"flowName": "alpha", "owner": ";bob;", "desc": ""},
            "1011": {"flowName": "beta", "owner": ";alice;", "desc": ""}}

    async def read(flow_id: str) -> dict[str, Any]:
        return live[flow_id]

    flows = LiveFlows([], frozenset({"crontab"}), read, made_before=made_before(load_settings(config)))
    backup = asyncio.run(flows.find("backup", "0123456789abcdef", "alice:/bin/backup"))
    assert backup is not None and "run r1 (2026-11-01) left this job in flow 1001" in backup.message  # type: ignore[union-attr]
    # alpha was row 2, and is row 3 now: its flow is found by its name, not by the row's number
    alpha = asyncio.run(flows.find("alpha", None, "row 3"))
    assert alpha is not None and "flow 1010 ('alpha', owners bob)" in alpha.message  # type: ignore[union-attr]


def test_a_flow_this_tool_disabled_or_deleted_is_not_skipped_by_compare_log(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`compare = "log"` skipped a job whose last saved payload had the same hash even when this
    tool had since deleted its flow (`migrate delete`) or disabled it (`migrate disable`, a prune):
    the nightly run said `unchanged`, exit 0, and the job had no running flow. Their lines are in
    the same results folder: such a flow is saved again (found by an operator's week of nights)."""
    service, jobs = tmp_path / "emulator.sqlite", tmp_path / "jobs.yaml"
    config = rundeck_run(tmp_path, run='compare = "log"')
    jobs.write_text(rundeck_job("nightly-cleanup", "30"), encoding="utf-8")
    code, report = cli_json(capsys, "run", str(config))
    assert code == 0 and report["by_status"] == {"created": 1}, report
    [name] = list(live_flows(service))
    code, _, err = run_cli(capsys, "disable", str(config), "--name", name, "--apply")
    assert code == 0 and live_flows(service)[name]["active"] == 0, err
    code, report = cli_json(capsys, "run", str(config))
    assert code == 0 and report["by_status"] == {"saved": 1}, report
    assert live_flows(service)[name]["active"] == 1
    code, _, err = run_cli(capsys, "delete", str(config), "--name", name, "--apply")
    assert code == 0 and not live_flows(service), err
    code, report = cli_json(capsys, "run", str(config))
    assert code == 0 and report["by_status"] == {"created": 1} and list(live_flows(service)) == [name], report


def test_a_flow_deleted_in_the_service_is_made_again_by_compare_log(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Deleted by hand in the service (no line of this tool says so), a job's flow stayed deleted
    night after night: `compare = "log"` trusted the last saved payload and said `unchanged`, exit
    0 (found by a reviewer). The caller's listing, read once a run, no longer holds it: the job is
    made again. A flow still there costs that one listing, no Save."""
    service, jobs = tmp_path / "emulator.sqlite", tmp_path / "jobs.yaml"
    config = rundeck_run(tmp_path, run='compare = "log"')
    jobs.write_text(rundeck_job("nightly-cleanup", "30"), encoding="utf-8")
    code, report = cli_json(capsys, "run", str(config))
    assert code == 0 and report["by_status"] == {"created": 1}, report
    [(name, made)] = list(live_flows(service).items())
    code, report = cli_json(capsys, "run", str(config))
    assert code == 0 and report["by_status"] == {"unchanged": 1}, report
    assert report["emulator"]["requests_by_action"] == {"getMyFlow": 1}, report["emulator"]
    [line] = [json.loads(text) for text in Path(report["result_log"]).read_text(encoding="utf-8").splitlines()
              if '"status"' in text]
    assert line["flow_id"] == str(made["id"]), line  # the flow it is in, which the line did not name
    with sqlite3.connect(service) as db:
        db.execute("DELETE FROM state WHERE key = ?", (f"flow:{made['id']}",))
    code, report = cli_json(capsys, "run", str(config))
    assert code == 0 and report["by_status"] == {"created": 1} and list(live_flows(service)) == [name], report
