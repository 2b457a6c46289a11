"""A folder mixing every format (sources/mixed.py): `profile = "auto"` reads each entry with its
own profile into one inventory, each flow exactly as its own profile plans it alone (same key,
dialect, payload and identity marker), so a flow run from the folder is found again when its
file is run on its own (a format read as a tree, from a folder holding only its entry: its keys
are paths below the folder), and keeps its key when another format joins the folder; an entry
that is no format stops the read naming it."""

from __future__ import annotations

import json
import shutil
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_cli

from migrate.sources.detect import READ_TREE

SHIPPED = sorted((config, tomllib.loads(config.read_text(encoding="utf-8"))["source"])
                 for config in (REPO / "configs").glob("*.toml"))
PROFILED = [(config, source) for config, source in SHIPPED if source.get("profile", "tabular") != "tabular"]


def _toml_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _config(tmp_path: Path, name: str, path: Path, profile: str, options: dict[str, Any]) -> Path:
    config = tmp_path / f"{name}.toml"
    written = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in options.items())
    config.write_text(f"""
[source]
path = "{path}"
profile = "{profile}"
options = {{ {written} }}
[mapping]
source_timezone = "UTC"
unscheduled = "manual"
[defaults]
type = 1
alertMode = 0
doAs = "db_demo"
owners = "migrator"
visitors = ""
startTime = "2026-12-01"
[target]
url = "embedded"
user_id = "u-demo-migrator"
org_id = "o-demo"
timezone = "Asia/Shanghai"
emulator_config = "{REPO / 'data' / 'demo-emulator.json'}"
emulator_state = "{tmp_path / 'emulator.sqlite'}"
[run]
rate_per_second = 1000
create_missing = true
result_log = "{tmp_path}/{name}-{{run_id}}.jsonl"
""", encoding="utf-8")
    return config


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Path, dict[str, tuple[Path, dict[str, Any]]]]:
    """Every shipped example in one folder; the options of each, named by its format."""
    folder = tmp_path / "exports"
    folder.mkdir()
    entries: dict[str, tuple[Path, dict[str, Any]]] = {}
    options: dict[str, Any] = {}
    for config, source in PROFILED:
        original = (config.parent / source["path"]).resolve()
        entry = folder / original.name
        if original.is_dir():
            shutil.copytree(original, entry, symlinks=True)  # systemd: the enabled links are links
        else:
            shutil.copy(original, entry)
        companion = original.parent / str(source.get("options", {}).get("schedules", ""))
        if companion.is_file():  # Azkaban's schedules file, beside its project: part of that export
            shutil.copy(companion, folder / companion.name)
        own = dict(source.get("options", {}))
        if source["profile"] in READ_TREE and "jobs" in own:  # a path below [source] path: the folder's
            own["jobs"] = f"{entry.name}/{own['jobs']}"
        entries[source["profile"]] = (entry, own)
        options.update({f"{source['profile']}.{key}": value for key, value in own.items()})
    return _config(tmp_path, "mixed", folder, "auto", options), entries


def _alone(tmp_path: Path, entry: Path, profile: str) -> Path:
    """What a flow of the folder is found again from on its own: its file, or for a format read as
    a tree (its keys are paths below [source] path) a folder holding only its entry."""
    if profile not in READ_TREE or not entry.is_dir():
        return entry
    solo = tmp_path / f"only-{profile}"
    if not solo.exists():
        solo.mkdir()
        shutil.copytree(entry, solo / entry.name, symlinks=True)
    return solo


def _plan(capsys: pytest.CaptureFixture[str], config: Path, *extra: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, "plan", str(config), "--json", *extra)
    assert code in (0, 3, 5) and "Traceback" not in err, err
    plan: dict[str, Any] = json.loads(out)
    return plan


def _flow_facts(actions: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """What a flow is, whatever its row number: its key, name, action, schedule, body and errors."""
    return sorted((a["source_key"], a.get("name", ""), a["action"], a.get("freq", ""), a.get("payload_sha256", ""),
                   ";".join(str(e.get("code", e.get("message"))) for e in a.get("errors", []))) for a in actions)


def test_one_inventory_of_every_format_each_flow_as_its_own_profile_plans_it(
        mixed: tuple[Path, dict[str, tuple[Path, dict[str, Any]]]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    config, entries = mixed
    plan = _plan(capsys, config, "--offline")
    assert plan["profile"] == "mixed: " + ", ".join(sorted(entries))
    spans = {span["profile"]: span for span in plan["sources"]}
    assert set(spans) == set(entries)
    for profile, (entry, options) in entries.items():
        alone = _plan(capsys, _config(tmp_path, profile, _alone(tmp_path, entry, profile), profile, options),
                      "--offline")
        first, last = spans[profile]["rows"]
        mine = [a for a in plan["actions"] if a["rows"] and first <= a["rows"][0] <= last]
        assert alone["flows_found"] == len(mine) > 0, profile
        assert _flow_facts(mine) == _flow_facts(alone["actions"]), profile
        # each flow names its format in the JSON, as in the table (a source of one format: no need)
        assert {a["format"] for a in mine} == {profile} and not any("format" in a for a in alone["actions"])
    assert plan["flows_found"] == sum(1 for a in plan["actions"] if a["rows"])
    assert plan["invalid_flows"] and all(
        f["format"] == next(p for p, s in spans.items() if s["rows"][0] <= f["rows"][0] <= s["rows"][1])
        for f in plan["invalid_flows"])

    code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--markdown")
    assert code == 5, err
    assert "## Sources" in out and "| format | action | flow |" in out
    for profile, (entry, _) in entries.items():
        assert f"| {profile} | `{entry.name}` |" in out


def test_a_run_from_the_folder_is_found_again_by_each_file_alone(
        mixed: tuple[Path, dict[str, tuple[Path, dict[str, Any]]]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    config, entries = mixed
    code, _, err = run_cli(capsys, "run", str(config))
    assert code == 5, err  # the examples hold flows refused on purpose
    again = _plan(capsys, config)
    assert again["by_action"].get("create", 0) == again["by_action"].get("update", 0) == 0, again["by_action"]
    assert again["by_action"]["unchanged"] > 40
    for profile in ("controlm", "kubernetes", "crontab", "systemd"):
        entry, options = entries[profile]
        for named in (profile, "auto"):  # `auto` marks flows with the format it recognised, too
            alone = _plan(capsys, _config(tmp_path, f"{profile}-{named}", _alone(tmp_path, entry, profile), named,
                                          options))
            assert alone["by_action"].get("unchanged", 0) > 0, (profile, alone["by_action"])
            assert not {"create", "update"} & set(alone["by_action"]), (profile, named, alone["by_action"])


def test_an_entry_of_no_format_or_a_stray_option_stops_the_read_naming_it(
        mixed: tuple[Path, dict[str, tuple[Path, dict[str, Any]]]], capsys: pytest.CaptureFixture[str]) -> None:
    config, entries = mixed
    folder = entries["crontab"][0].parent
    (folder / "NOTES.txt").write_text("exported by hand on Monday\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and "NOTES.txt (no known format)" in err and "Traceback" not in err, err
    (folder / "NOTES.txt").unlink()

    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('"controlm.new_day"', '"new_day"'), encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code != 0 and "['new_day']" in err and "controlm.new_day" in err and "Traceback" not in err, err


def test_a_zip_of_a_format_its_profile_does_not_unzip_is_refused_with_the_hint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "cronjobs.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(REPO / "data" / "examples" / "kubernetes-cronjobs.yaml", "cronjobs.yaml")
    for profile in ("auto", "kubernetes"):
        code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, profile, archive, profile, {})), "--offline")
        assert code == 1 and "a zip of kubernetes exports" in err and "unzip it" in err, err


@pytest.mark.parametrize("others", [
    ["controlm.xml"],  # a crontab beside an XML file: looked at as a whole, the folder is no crontab
    ["eventbridge/list-rules.json", "eventbridge/list-schedules.json"],  # loose JSON files beside it
    ["dolphinscheduler.json", "enos-v2-flows.json"],
])
def test_a_crontab_beside_other_formats_is_never_left_out(others: list[str], tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(REPO / "data" / "examples" / "jobs.cron", folder)
    for name in others:
        original = REPO / "data" / "examples" / name
        if original.exists():
            shutil.copy(original, folder / original.name)
    config = _config(tmp_path, "m", folder, "auto", {"crontab.user": "migrator"})
    plan = _plan(capsys, config, "--offline")
    assert plan["profile"].startswith("mixed: ") and "crontab" in plan["profile"], plan["profile"]
    alone = _plan(capsys, _config(tmp_path, "c", folder / "jobs.cron", "crontab", {"user": "migrator"}), "--offline")
    crontab = next(span for span in plan["sources"] if span["profile"] == "crontab")
    assert crontab["rows"][1] - crontab["rows"][0] + 1 >= alone["flows_found"] > 0

    for named in ("crontab", "controlm", "systemd"):  # a named profile over the folder reads none of it
        code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, named, folder, named, {})), "--offline")
        assert code == 1 and "a folder of exports of several formats" in err, (named, err)


def test_options_no_export_takes_are_refused_not_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("jobs.cron", "rundeck-jobs.yaml"):
        shutil.copy(REPO / "data" / "examples" / name, folder)
    for options, message in [
        ({"crontab.user": "migrator", "airflow.x": "1"}, "the folder holds no export of that format"),
        ({"crontab.user": "migrator", "rundeck.bogus": "1"}, "the rundeck profile takes no options"),
    ]:
        code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "m", folder, "auto", options)), "--offline")
        assert code == 1 and message in err and "Traceback" not in err, (options, err)
    alone = _config(tmp_path, "a", REPO / "data" / "examples" / "airflow", "airflow", {"bogus_opt": "1"})
    code, _, err = run_cli(capsys, "plan", str(alone), "--offline")
    assert code == 1 and "the airflow profile takes no options (given: bogus_opt)" in err, err
    # One file of the folder run on its own with the folder's options: its format's are its own.
    one = _config(tmp_path, "one", folder / "jobs.cron", "auto", {"crontab.user": "migrator"})
    code, out, err = run_cli(capsys, "plan", str(one), "--offline", "--json")
    assert code in (0, 3, 5) and json.loads(out)["profile"] == "crontab, recognised", err
    folder_plan = _plan(capsys, _config(tmp_path, "m2", folder, "auto", {"crontab.user": "migrator"}), "--offline")
    crontab_rows = next(span["rows"] for span in folder_plan["sources"] if span["profile"] == "crontab")
    in_folder = [a for a in folder_plan["actions"] if a["rows"] and crontab_rows[0] <= a["rows"][0] <= crontab_rows[1]]
    assert _flow_facts(in_folder) == _flow_facts(json.loads(out)["actions"])
    # and the other file of the folder too, the crontab's option being the crontab's (it was refused as
    # one of rundeck's: found by a fresh user); its own are still checked
    other = _config(tmp_path, "other", folder / "rundeck-jobs.yaml", "auto", {"crontab.user": "migrator"})
    code, out, err = run_cli(capsys, "plan", str(other), "--offline", "--json")
    assert code in (0, 3, 5) and json.loads(out)["profile"] == "rundeck, recognised", err
    wrong = _config(tmp_path, "wrong", folder / "rundeck-jobs.yaml", "auto", {"rundeck.bogus": "1"})
    code, _, err = run_cli(capsys, "plan", str(wrong), "--offline")
    assert code == 1 and "the rundeck profile takes no options (given: bogus)" in err, err


# A second user's crontab, as `crontab -l -u etl` prints one: other jobs than jobs.cron's.
ETL_CRONTAB = """\
# m h dom mon dow command
SHELL=/bin/bash
CRON_TZ=UTC
15 1 * * *    /srv/etl/bin/load-orders.sh >> /var/log/etl/orders.log 2>&1
0 */4 * * 1-5 /srv/etl/bin/sync-stock.sh
"""


def _folder_of(tmp_path: Path, files: dict[str, str | Path]) -> Path:
    """A folder holding these files: a text written as it is, a path copied."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for name, content in files.items():
        if isinstance(content, Path):
            shutil.copy(content, folder / name)
        else:
            (folder / name).write_text(content, encoding="utf-8")
    return folder


def _os_words(err: str) -> bool:
    return "no such file" in err or "Is a directory" in err or "Traceback" in err


@pytest.mark.parametrize(("name", "profile"), [("kubernetes-cronjobs.yaml", "kubernetes"), ("jobs.cron", "crontab")])
def test_a_folder_holding_one_export_is_read_as_that_export(name: str, profile: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # A format whose profile reads one file, alone in a folder: each file an export of its own.
    folder = _folder_of(tmp_path, {name: REPO / "data" / "examples" / name})
    code, out, err = run_cli(capsys, "plan", str(_config(tmp_path, "f", folder, "auto", {})), "--offline", "--json")
    assert code in (3, 5) and not _os_words(err), err
    plan = json.loads(out)
    assert plan["profile"] == f"mixed: {profile}"
    assert [(span["profile"], Path(span["path"]).name) for span in plan["sources"]] == [(profile, name)]
    alone = _plan(capsys, _config(tmp_path, "a", folder / name, profile, {}), "--offline")
    assert plan["flows_found"] == alone["flows_found"] > 0
    assert _flow_facts(plan["actions"]) == _flow_facts(alone["actions"])


def test_a_folder_of_two_crontabs_reads_both_with_the_options_of_one(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder_of(tmp_path, {"ops.cron": REPO / "data" / "examples" / "jobs.cron", "etl.cron": ETL_CRONTAB})
    # A crontab's own option, unnamed: the folder holds one format, so it is that format's.
    code, out, err = run_cli(capsys, "plan", str(_config(tmp_path, "f", folder, "auto", {"user": "migrator"})),
                             "--offline", "--json")
    assert code in (3, 5) and not _os_words(err), err
    plan = json.loads(out)
    assert [Path(span["path"]).name for span in plan["sources"]] == ["etl.cron", "ops.cron"]
    expected = []
    for name in ("etl.cron", "ops.cron"):
        alone = _plan(capsys, _config(tmp_path, name[:3], folder / name, "crontab", {"user": "migrator"}), "--offline")
        assert alone["flows_found"] > 0
        expected += _flow_facts(alone["actions"])
    assert _flow_facts(plan["actions"]) == sorted(expected)
    assert not any("DUPLICATE" in str(action.get("errors")) for action in plan["actions"])


def test_a_comment_only_crontab_beside_an_export_stops_the_read_naming_it(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    yaml = REPO / "data" / "examples" / "kubernetes-cronjobs.yaml"
    folder = _folder_of(tmp_path, {"empty.cron": "# just a comment\n", yaml.name: yaml})
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "f", folder, "auto", {})), "--offline")
    assert code == 1 and not _os_words(err), err
    assert "empty.cron (no known format: nothing in it but comments and blank lines)" in err, err
    assert yaml.name not in err, err


def test_a_folder_of_crontabs_inside_a_folder_or_under_a_named_profile_is_refused_with_a_hint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cron = REPO / "data" / "examples" / "jobs.cron"
    folder = _folder_of(tmp_path, {"controlm.xml": REPO / "data" / "examples" / "controlm.xml"})
    (folder / "hosts").mkdir()
    shutil.copy(cron, folder / "hosts" / "web01.cron")
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "m", folder, "auto", {})), "--offline")
    assert code == 1 and not _os_words(err), err
    assert "hosts (a folder of crontab files: the crontab profile reads files" in err, err

    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "c", folder / "hosts", "crontab", {})), "--offline")
    assert code == 1 and not _os_words(err), err
    assert "the crontab profile reads one file" in err and 'set profile = "auto"' in err, err


def test_two_crontabs_sharing_a_job_name_both_files_in_the_duplicate(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # Two hosts' copies of one job meet in one identity scope: the later row is DUPLICATE, and the
    # message names both files and the way out (it said "field id … value ''" for a crontab).
    folder = tmp_path / "hosts"
    folder.mkdir()
    (folder / "hostA.cron").write_text("0 2 * * * /opt/backup.sh\n5 3 * * * /opt/a.sh\n", encoding="utf-8")
    (folder / "hostB.cron").write_text("0 2 * * * /opt/backup.sh\n7 3 * * * /opt/b.sh\n", encoding="utf-8")
    plan = _plan(capsys, _config(tmp_path, "hosts", folder, "auto", {"user": "ops"}), "--offline")
    [duplicate] = plan["invalid_flows"]
    [error] = duplicate["errors"]
    assert error["code"] == "DUPLICATE" and error["field"] == "name", error  # as a plan against the service says it
    assert "hostA.cron" in error["message"] and "hostB.cron" in error["message"], error
    assert "identity_scope" in error["message"], error


def test_a_spool_folder_of_users_crontabs_keys_each_job_by_its_files_user(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """/var/spool/cron/crontabs: each file a user's crontab, named after the user, and no user in
    it. One command in alice's and bob's was one key (`:/opt/shared/cleanup.sh`): alice's line took
    over the flow made from bob's, and bob's was DUPLICATE. With `user_from_file` each is its
    user's job; without it, the DUPLICATE says so."""
    folder = tmp_path / "crontabs"
    folder.mkdir()
    (folder / "alice").write_text("0 1 * * * /home/alice/bin/sync.sh\n0 3 * * * /opt/shared/cleanup.sh\n",
                                  encoding="utf-8")
    (folder / "bob").write_text("0 2 * * * /opt/shared/cleanup.sh\n", encoding="utf-8")
    plan = _plan(capsys, _config(tmp_path, "spool", folder, "auto", {"crontab.user_from_file": True}), "--offline")
    assert sorted((a["source_key"], a["freq_words"]) for a in plan["actions"]) == [
        ("alice:/home/alice/bin/sync.sh", "At 09:00, every day"), ("alice:/opt/shared/cleanup.sh", "At 11:00, every day"),
        ("bob:/opt/shared/cleanup.sh", "At 10:00, every day")], plan["actions"]  # the service's zone, UTC+8
    assert not plan["invalid_flows"]
    plan = _plan(capsys, _config(tmp_path, "nouser", folder, "auto", {}), "--offline")
    [duplicate] = plan["invalid_flows"]
    assert '"crontab.user_from_file" = true' in duplicate["errors"][0]["message"], duplicate
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "both", folder, "auto", {
        "crontab.user_from_file": True, "crontab.user": "ops"})), "--offline")
    assert code == 1 and "user and user_from_file: choose one" in err, err


CRONJOB_OPS_DB_BACKUP = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: db-backup
  namespace: ops
spec:
  schedule: "0 8 * * *"
  timeZone: Etc/UTC
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: dump
            image: registry.example/backup:2
            command: ["/bin/dump", "--all"]
"""
AZKABAN_OPS_DB_BACKUP = """config:
  failure.emails: ops@example.com
nodes:
  - name: backup
    type: command
    config:
      command: /opt/backup/dump.sh
trigger:
  schedule:
    type: cron
    value: 0 0 3 ? * *
"""


def test_formats_whose_keys_meet_keep_their_own_flows_under_one_given_identity_scope(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CronJob `ops/db-backup` and an Azkaban flow `ops/db-backup` in one folder with `[mapping]
    identity_scope` given: each format's flows carry `<scope>.<format>`, so the two are two flows,
    each found again by the next run (one marker for both made them one flow, saved in turn by
    each: the last run's won, the other job was lost)."""
    folder = tmp_path / "estate"
    (folder / "ops").mkdir(parents=True)
    (folder / "cronjobs.yaml").write_text(CRONJOB_OPS_DB_BACKUP, encoding="utf-8")
    (folder / "ops" / "ops.project").write_text("azkaban-flow-version: 2.0\n", encoding="utf-8")
    (folder / "ops" / "db-backup.flow").write_text(AZKABAN_OPS_DB_BACKUP, encoding="utf-8")
    config = _config(tmp_path, "estate", folder, "auto", {"azkaban.server_timezone": "UTC"})
    config.write_text(config.read_text(encoding="utf-8").replace("[mapping]\n", '[mapping]\nidentity_scope = "estate"\n'),
                      encoding="utf-8")
    plan = _plan(capsys, config, "--offline")
    assert plan["flows_found"] == 2 and plan["by_action"] == {"valid": 2}, plan
    code, out, err = run_cli(capsys, "run", str(config), "--json")
    assert code == 0 and json.loads(out)["by_status"] == {"created": 2}, err
    again = _plan(capsys, config)
    assert again["by_action"] == {"unchanged": 2}, again["actions"]
    assert sorted(a["format"] for a in again["actions"]) == ["azkaban", "kubernetes"]
    kept = {a["name"]: a["flow_id"] for a in again["actions"]}
    assert len(set(kept.values())) == 2, kept
    code, out, _ = run_cli(capsys, "export", str(config), "--out", str(tmp_path / "live.jsonl"))
    markers = sorted(json.loads(line)["desc"].rsplit("[migrate:", 1)[1].split("/")[0]
                     for line in (tmp_path / "live.jsonl").read_text(encoding="utf-8").splitlines()[1:]
                     if "[migrate:" in json.loads(line).get("desc", ""))
    assert markers == ["estate.azkaban", "estate.kubernetes"], markers


RUNDECK_OPS_DB_BACKUP = """- name: db-backup
  group: ops
  uuid: 0b8f7e2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b
  description: nightly dump
  executionEnabled: true
  scheduleEnabled: true
  schedule:
    time: {hour: '02', minute: '00', seconds: '0'}
    month: '*'
    weekday: {day: '*'}
    year: '*'
  sequence:
    keepgoing: false
    strategy: node-first
    commands:
    - exec: /opt/backup/dump.sh
"""


def test_two_formats_naming_one_flow_alike_are_told_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CronJob and a Rundeck job that would both be flow `ops_db-backup`: the second is a
    DUPLICATE saying two formats name one flow (not the advice for two exports of one format,
    an identity_scope each, which cannot part them: the service has one flow of a name)."""
    folder = tmp_path / "estate"
    folder.mkdir()
    (folder / "a-cronjobs.yaml").write_text(CRONJOB_OPS_DB_BACKUP, encoding="utf-8")
    (folder / "b-rundeck.yaml").write_text(RUNDECK_OPS_DB_BACKUP, encoding="utf-8")
    plan = _plan(capsys, _config(tmp_path, "estate", folder, "auto", {}), "--offline")
    [refused] = [a for a in plan["actions"] if a["action"] == "invalid"]
    message = refused["errors"][0]["message"]
    assert refused["errors"][0]["code"] == "DUPLICATE", refused
    assert "a kubernetes job and a rundeck job would be one flow" in message and "identity_scope" not in message


# Exports a folder-reading profile reads as they lie in real folders: its example's files directly
# in the folder (a copy of /etc/systemd/system, EventBridge or Airflow pages, Oozie applications
# with the server's jobs list), and the layouts that hold paths below the folder.
EXAMPLES = REPO / "data" / "examples"
UNSCHEDULED_TASK = """<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.4" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <Triggers><CalendarTrigger><StartBoundary>2024-03-01T0{hour}:00:00Z</StartBoundary>
    <ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger></Triggers>
  <Actions Context="Author"><Exec><Command>C:\\jobs\\{name}.cmd</Command></Exec></Actions>
</Task>
"""


def _units(folder: Path) -> None:
    shutil.copytree(EXAMPLES / "systemd", folder, symlinks=True)


def _layout(folder: Path, layout: str) -> dict[str, Any]:
    """Writes the layout into the folder; its options (named by format)."""
    if layout in ("systemd", "eventbridge", "airflow", "oozie"):
        shutil.copytree(EXAMPLES / layout, folder, symlinks=True)
        return {"oozie.jobs": "jobs.json"} if layout == "oozie" else {}
    folder.mkdir(parents=True)
    if layout == "systemd hosts":  # one folder a host: the keys are host1/backup.timer…
        for host in ("host1", "host2"):
            _units(folder / host)
        for name in ("app.socket", "default.target", "var-data.mount", "inbox.path"):  # a real copy's other units
            (folder / "host1" / name).write_text("[Unit]\nDescription=other\n", encoding="utf-8")
    elif layout == "systemd units of every type":
        _units(folder / "units")
        shutil.rmtree(folder)
        _units(folder)
        for name in ("app.socket", "default.target", "var-data.mount", "inbox.path", "backup.service.rpmnew",
                     "backup.timer~", "cleanup.service.dpkg-old"):  # and the copies a package manager keeps
            (folder / name).write_text("[Unit]\nDescription=other\n", encoding="utf-8")
    elif layout == "task scheduler tree":  # C:\\Windows\\System32\\Tasks: files named as tasks, no URI
        for place, hour in (("Ops/Queue poll", 1), ("Backups/Nightly", 2), ("Microsoft/Windows/Defrag/Scheduled", 3)):
            path = folder / place
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(UNSCHEDULED_TASK.format(hour=hour, name=path.name.replace(" ", "_")), encoding="utf-16")
    elif layout == "azkaban projects":  # a project folder and its schedules file beside it
        shutil.copytree(EXAMPLES / "azkaban" / "etl", folder / "etl")
        shutil.copy(EXAMPLES / "azkaban" / "etl.schedules.json", folder / "etl.schedules.json")
        return {"azkaban.server_timezone": "UTC"}
    return {}


LAYOUTS = ["systemd", "eventbridge", "airflow", "oozie", "systemd hosts", "systemd units of every type",
           "task scheduler tree", "azkaban projects"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_folder_reading_formats_flows_keep_their_keys_when_another_format_joins_them(
        layout: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # They were refused ("targets-nightly-etl.json: no known format", "app.socket: no known format"),
    # or each entry was read alone: a host folder's `host1/backup.timer` became `backup.timer` (a
    # second flow of the job, both active), a Tasks folder's `\\Ops\\Queue poll` became `\\Queue poll`
    # (and Windows' own tasks were planned), an Oozie application lost its path and its dependency.
    folder = tmp_path / "exports"
    options = _layout(folder, layout)
    config = _config(tmp_path, "f", folder, "auto", options)
    before = _plan(capsys, config, "--offline")
    assert before["flows_found"] > 0, before
    shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    after = _plan(capsys, config, "--offline")
    assert after["profile"].startswith("mixed: ") and "crontab" in after["profile"], after["profile"]
    spans = [span for span in after["sources"] if span["profile"] != "crontab"]
    mine = [a for a in after["actions"] if a["rows"] and any(s["rows"][0] <= a["rows"][0] <= s["rows"][1] for s in spans)]
    assert _flow_facts(mine) == _flow_facts(before["actions"])
    assert not any("jobs.cron" in span.get("entries", []) for span in spans)
    if layout == "task scheduler tree":
        assert {a["source_key"] for a in mine} == {"\\Ops\\Queue poll", "\\Backups\\Nightly"}
    if layout == "azkaban projects":  # the schedules file beside the project is read
        weekly = next(a for a in mine if a["source_key"] == "etl/weekly_report")
        assert weekly["freq"] == "0 0 15 ? * 2 *", weekly  # Mondays 07:00 UTC, in the service's Shanghai


def test_hidden_entries_of_the_folder_are_named_in_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `.b.cron` beside `a.cron` was passed over without a word: seven jobs short, and nothing said so.
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(EXAMPLES / "jobs.cron", folder / "a.cron")
    shutil.copy(EXAMPLES / "jobs.cron", folder / ".b.cron")
    (folder / ".git").mkdir()
    # kept copies an editor or a package manager left: each of their jobs was a DUPLICATE, exit 5
    shutil.copy(EXAMPLES / "jobs.cron", folder / "a.cron~")
    shutil.copy(EXAMPLES / "jobs.cron", folder / "a.cron.save")  # nano's
    shutil.copy(EXAMPLES / "jobs.cron", folder / "#a.cron#")  # Emacs' autosave: read, its jobs ran (cron skips it)
    shutil.copy(EXAMPLES / "controlm.xml", folder / "controlm.xml")
    shutil.copy(EXAMPLES / "controlm.xml", folder / "controlm.xml.bak")
    shutil.copytree(EXAMPLES / "systemd", folder / "systemd", symlinks=True)  # a folder-reading format beside them
    plan = _plan(capsys, _config(tmp_path, "f", folder, "auto", {}), "--offline")
    assert ("hidden entries, editors' autosaves (`#…`) and kept copies (`~`, `.bak`, `.orig` …) of the folder are not read: #a.cron#, .b.cron, "
            ".git, a.cron.save, a.cron~, controlm.xml.bak; rename an export among them") in " ".join(plan["notes"]), plan["notes"]
    assert [Path(span["path"]).name for span in plan["sources"]] == ["a.cron", "controlm.xml", "exports"]  # systemd: the folder
    assert "DUPLICATE" not in plan["invalid_by_reason"], plan["invalid_by_reason"]


def test_two_copies_of_one_crontab_are_duplicates_and_a_link_to_one_is_read_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # alice.cron and a copy bob.cron gave one flow of both files' rows, refused as a graph with a node
    # twice ("nodeId 't_1' appears more than once"); a link beside its file, the same.
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(EXAMPLES / "jobs.cron", folder / "alice.cron")
    shutil.copy(EXAMPLES / "jobs.cron", folder / "bob.cron")
    plan = _plan(capsys, _config(tmp_path, "f", folder, "auto", {}), "--offline")
    duplicates = [flow for flow in plan["invalid_flows"] if flow["errors"][0]["code"] == "DUPLICATE"]
    assert plan["invalid_by_reason"]["DUPLICATE"] == plan["convertible"] == len(duplicates), plan["invalid_by_reason"]
    assert all("(alice.cron; this row: bob.cron): two crontabs hold one job" in flow["errors"][0]["message"]
               and "remove one if it is a copy of the other" in flow["errors"][0]["message"]
               for flow in duplicates), duplicates
    assert "GRAPH" not in json.dumps(plan["invalid_by_reason"]) and "appears more than once" not in json.dumps(plan)
    (folder / "bob.cron").unlink()
    (folder / "alice-link.cron").symlink_to(folder / "alice.cron")
    plan = _plan(capsys, _config(tmp_path, "f", folder, "auto", {}), "--offline")
    assert "DUPLICATE" not in plan["invalid_by_reason"], plan["invalid_by_reason"]
    assert [Path(span["path"]).name for span in plan["sources"]] == ["alice.cron"]
    assert "links to entries of the folder are read once, as those entries: alice-link.cron" in plan["notes"]


def test_a_folder_of_azkaban_projects_named_so_is_read_project_by_project(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `profile = "azkaban"` over a folder of projects read it as one project named after the folder:
    # its projects' schedules files unread, a scheduled flow saved as a manual one (and, planned later
    # with `auto`, every flow a second time under its project's name).
    folder = tmp_path / "exports"
    options = _layout(folder, "azkaban projects")
    named = _plan(capsys, _config(tmp_path, "named", folder, "azkaban",
                                  {key.removeprefix("azkaban."): value for key, value in options.items()}), "--offline")
    auto = _plan(capsys, _config(tmp_path, "auto", folder, "auto", options), "--offline")
    assert _flow_facts(named["actions"]) == _flow_facts(auto["actions"])
    weekly = next(a for a in named["actions"] if a["source_key"] == "etl/weekly_report")
    assert weekly["freq"] == "0 0 15 ? * 2 *", weekly


@pytest.mark.parametrize(("stray", "text"), [
    ("ctm-automation-api.json", '{"DailyLoad": {"Type": "Folder", "Job1": {"Type": "Job:Command"}}}'),
    ("quartz_data.xml", "<job-scheduling-data><schedule><job><name>sync</name></job></schedule></job-scheduling-data>"),
    ("README.md", "exported on Monday\n")])
def test_a_file_of_no_known_format_is_not_taken_for_a_folder_formats_own(
        stray: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An EventBridge or Oozie folder took every unrecognised .json or .xml as its own, and a run
    # over the folder went on without the jobs it held (exit 0).
    folder = tmp_path / "exports"
    shutil.copytree(EXAMPLES / "eventbridge", folder)
    shutil.copytree(EXAMPLES / "oozie", folder / "oozie")
    shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    (folder / stray).write_text(text, encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "f", folder, "auto", {})), "--offline")
    assert code == 1 and f"{stray} (no known format" in err and "Traceback" not in err, err
    (folder / stray).unlink()
    plan = _plan(capsys, _config(tmp_path, "f", folder, "auto", {}), "--offline")
    read = {span["profile"]: span.get("entries", [Path(span["path"]).name]) for span in plan["sources"]}
    assert "targets-nightly-etl.json" in read["eventbridge"] and "jobs.json" not in read["eventbridge"], read


def test_systemd_units_run_alone_are_found_again_once_a_crontab_joins_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports"
    _layout(folder, "systemd hosts")
    config = _config(tmp_path, "f", folder, "auto", {})
    code, _, err = run_cli(capsys, "run", str(config))
    assert code == 0, err
    shutil.copy(REPO / "data" / "examples" / "jobs.cron", folder / "jobs.cron")
    again = _plan(capsys, config)
    by_key = {a["source_key"]: a["action"] for a in again["actions"] if a["source_key"].endswith(".timer")}
    assert len(by_key) == 12 and set(by_key.values()) == {"unchanged"}, by_key  # host1/… and host2/…, as they were
    assert again["by_action"]["create"] == 6, again["by_action"]  # the crontab's six valid jobs, and only they
    assert "orphaned" not in again["by_action"], again["by_action"]


def test_entries_left_out_are_not_a_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "f", REPO / "data" / "examples" / "systemd", "auto", {})
    config.write_text(config.read_text(encoding="utf-8").replace("[mapping]", 'left_out = ["backup.timer"]\n[mapping]'),
                      encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and "left_out" in err and "is not a setting" in err and "Traceback" not in err, err


def test_a_folder_of_azkaban_projects_inside_the_folder_is_read_project_by_project(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `drop/azk/` holding a project and its schedules was one project `azk`: every flow a new twin of
    # the project's, its web UI schedule unread; the same folder run alone read project `etl`.
    folder = tmp_path / "drop"
    _layout(folder / "azk", "azkaban projects")
    shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    options = {"azkaban.server_timezone": "UTC"}
    mixed = _plan(capsys, _config(tmp_path, "drop", folder, "auto", options), "--offline")
    alone = _plan(capsys, _config(tmp_path, "azk", folder / "azk", "auto", options), "--offline")
    ours = [a for a in mixed["actions"] if not a["source_key"].startswith(":")]
    assert {a["source_key"] for a in ours} == {"etl/daily_orders", "etl/weekly_report", "etl/clickstream"}, ours
    assert _flow_facts(ours) == _flow_facts(alone["actions"])
    assert next(a for a in ours if a["source_key"] == "etl/weekly_report")["freq"] == "0 0 15 ? * 2 *"


@pytest.mark.parametrize(("inside", "export"), [("host1/x-cronjobs.yaml", "kubernetes-cronjobs.yaml"),
                                                ("host2/zz-root", "jobs.cron")])
@pytest.mark.parametrize("beside", ["", "controlm.xml", "profile named"])
def test_an_export_dropped_inside_a_folder_a_profile_reads_whole_stops_the_read_naming_it(
        inside: str, export: str, beside: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The systemd profile passed over it (its CronJobs or crontab jobs left out, exit 0 or 5), alone,
    # with another format beside the hosts, or under `profile = "systemd"`.
    folder = tmp_path / "drop"
    _layout(folder, "systemd hosts")
    shutil.copy(EXAMPLES / export, folder / inside)
    if beside == "controlm.xml":
        shutil.copy(EXAMPLES / "controlm.xml", folder / "controlm.xml")
    profile = "systemd" if beside == "profile named" else "auto"
    options = {"controlm.new_day": "0700"} if beside == "controlm.xml" else {}
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "f", folder, profile, options)), "--offline")
    assert code == 1 and "Traceback" not in err, err
    kind = "kubernetes" if export.startswith("kubernetes") else "crontab"
    assert f"{inside} ({kind})" in err and "passes over" in err and f"Move each directly into {folder}" in err, err


def test_a_folder_recognised_as_two_formats_names_the_files_of_each(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "drop"
    _layout(folder / "Tasks", "task scheduler tree")
    shutil.copy(EXAMPLES / "controlm.xml", folder / "Tasks" / "Ops" / "a-ctm.xml")
    shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "f", folder, "auto", {})), "--offline")
    assert code == 1 and "controlm in Tasks/Ops/a-ctm.xml" in err, err


def _zipped(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                out.write(path, path.relative_to(folder).as_posix())


@pytest.mark.parametrize("beside", [False, True])
def test_hosts_zipped_or_linked_beside_a_hosts_folder_are_read(
        beside: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A folder's read opened no zip and followed no link to a folder: their timers went missing
    # without a word (the Sources table even listed them), and a nightly --prune disabled them.
    folder = tmp_path / "drop"
    _units(folder / "web01")
    _units(tmp_path / "elsewhere" / "web03")
    (folder / "web03").symlink_to(tmp_path / "elsewhere" / "web03", target_is_directory=True)
    _units(tmp_path / "web05")
    _zipped(tmp_path / "web05", folder / "web05.zip")
    if beside:
        shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    plan = _plan(capsys, _config(tmp_path, "f", folder, "auto", {}), "--offline")
    timers = {a["source_key"] for a in [*plan["actions"], *plan["invalid_flows"]] if a["source_key"].endswith(".timer")}
    for host in ("web01/", "web03/"):
        assert {key for key in timers if key.startswith(host)} == {host + key for key in SYSTEMD_TIMERS}, timers
    assert set(SYSTEMD_TIMERS) <= timers, timers  # the zip's, keyed as the zip read alone keys them


SYSTEMD_TIMERS = ("backup.timer", "cleanup.timer", "heartbeat.timer", "month-end.timer", "old-export.timer",
                  "report.timer")


def test_windows_own_tasks_in_a_tasks_copy_one_folder_down_are_skipped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "drop"
    _layout(folder / "Tasks", "task scheduler tree")
    shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    plan = _plan(capsys, _config(tmp_path, "f", folder, "auto", {}), "--offline")
    keys = {a["source_key"] for a in plan["actions"] if a["source_key"].startswith("\\")}
    assert keys == {"\\Tasks\\Ops\\Queue poll", "\\Tasks\\Backups\\Nightly"}, keys
    assert plan["warnings_by_code"].get("BUILTIN_TASKS_SKIPPED") == 1, plan["warnings_by_code"]


def test_a_link_to_a_folder_beside_it_reads_that_folder_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `web01-link -> web01` beside the host's folder: every timer was read twice, under two paths (two
    # keys, two names), so a run made each of them twice. One folder is read once, at its first path;
    # the `*.wants` links inside it (a unit enabled) are read as before.
    folder = tmp_path / "drop"
    _units(folder / "web01")
    (folder / "web01-link").symlink_to(folder / "web01", target_is_directory=True)
    (folder / "web02").mkdir()
    (folder / "web02" / "same").symlink_to(folder / "web01", target_is_directory=True)  # one level down too
    shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    plan = _plan(capsys, _config(tmp_path, "f", folder, "auto", {}), "--offline")
    flows = [*plan["actions"], *plan["invalid_flows"]]
    timers = sorted(a["source_key"] for a in flows if a["source_key"].endswith(".timer"))
    assert timers == sorted("web01/" + key for key in SYSTEMD_TIMERS), timers
    alone = _plan(capsys, _config(tmp_path, "g", folder / "web01", "systemd", {}), "--offline")
    enabled = {a["name"] for a in alone["actions"] if a["action"] == "valid"}
    assert len(enabled) >= 3, alone["actions"]
    assert {a["name"].removeprefix("web01_") for a in flows if a["source_key"].startswith("web01/")
            and a.get("action") == "valid"} == enabled  # the same units enabled, read through the same links


def test_a_link_back_up_the_folder_is_a_loop_for_the_check_too_and_a_zip_inside_is_named_as_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `host1/loop -> ..` reached the crontab beside the hosts a second time and stopped every
    # format's run; a zip of units inside a host's folder was "an export of another format".
    folder = tmp_path / "drop"
    _layout(folder, "systemd hosts")
    shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    (folder / "host1" / "loop").symlink_to("..", target_is_directory=True)
    plan = _plan(capsys, _config(tmp_path, "f", folder, "auto", {}), "--offline")
    assert not any("/loop/" in a["source_key"] for a in plan["actions"]), plan["actions"]
    other = tmp_path / "drop2"  # another folder: a folder's recognition is kept for its listing, in this process
    _layout(other, "systemd hosts")
    _zipped(other / "host2", other / "host1" / "old.zip")
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "f", other, "auto", {})), "--offline")
    assert code == 1 and "host1/old.zip (a zip of systemd exports, which a folder's read does not open)" in err, err


def _with_encoding(config: Path, encoding: str) -> Path:
    config.write_text(config.read_text(encoding="utf-8").replace("[source]\n", f'[source]\nencoding = "{encoding}"\n', 1),
                      encoding="utf-8")
    return config


def test_encoding_is_for_the_entries_that_are_not_utf8_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The refusal of a GBK schtasks CSV asks for `encoding = "gbk"`; set, it read every entry in GBK:
    # a UTF-8 crontab's `rapport-générer.sh --schön` became `rapport-g茅n茅rer.sh --sch枚n`, a
    # DolphinScheduler workflow `hx_ds_a_größe` became `hx_ds_a_gr枚脽e`, without a word.
    schtasks = (EXAMPLES / "schtasks.csv").read_text(encoding="utf-8").replace("\\Backups\\nightly", "\\Backups\\夜间备份")
    workflows = (EXAMPLES / "dolphinscheduler.json").read_text(encoding="utf-8").replace('"etl_orders"', '"hx_ds_a_größe"')
    folder = _folder_of(tmp_path, {"etc-crontab": "5 3 * * * root /opt/hx/rapport-générer.sh --schön\n",
                                   "dolphinscheduler.json": workflows})
    (folder / "tasks.csv").write_bytes(schtasks.encode("gbk"))
    # UTF-16 with its byte-order mark (PowerShell 5's `>`): read by the mark, whatever encoding says
    (folder / "cron.d-hx").write_text("7 4 * * * root /opt/hx/überwachung.sh\n", encoding="utf-16")
    config = _with_encoding(_config(tmp_path, "f", folder, "auto", {"crontab.system": True,
                                                                     "schtasks.date_order": "MDY"}), "gbk")
    plan = _plan(capsys, config, "--offline")
    keys = {a["source_key"] for a in [*plan["actions"], *plan["invalid_flows"]]}
    names = {a.get("name") for a in [*plan["actions"], *plan["invalid_flows"]]}
    assert {"root:/opt/hx/rapport-générer.sh --schön", "root:/opt/hx/überwachung.sh", "\\Backups\\夜间备份"} <= keys, keys
    assert "hx_ds_a_größe" in names, names
    assert not any("枚" in text or "茅" in text for text in (*keys, *(str(name) for name in names))), keys


def test_a_folders_export_of_utf8_and_other_files_is_refused_in_another_encoding(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A Tasks copy read in one encoding: a UTF-8 task beside a cp1252 one would be misread either way.
    folder = tmp_path / "drop"
    _layout(folder / "Tasks", "task scheduler tree")
    task = UNSCHEDULED_TASK.replace('encoding="UTF-16"', 'encoding="UTF-8"')
    (folder / "Tasks" / "Ops" / "Rapport généré").write_text(task.format(hour=4, name="généré"), encoding="utf-8")
    (folder / "Tasks" / "Ops" / "Prüfung").write_bytes(task.format(hour=5, name="Prüfung").encode("cp1252"))
    shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    config = _with_encoding(_config(tmp_path, "f", folder, "auto", {}), "cp1252")
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and "Traceback" not in err, err
    assert "Rapport généré is UTF-8 text and" in err and "Prüfung is not" in err and "in two encodings" in err, err
    assert "Prüfung and the files like it as UTF-8" in err, err  # the way out that works for every profile


@pytest.mark.timeout(60)
@pytest.mark.parametrize("profile", ["auto", "systemd"])
def test_a_chain_of_links_that_loops_ends_fast_naming_the_links(profile: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # `loopdir/up -> ..` and `selfloop -> loopdir/up`: the plan (and a systemd run) spun for ever in the
    # check for pipes, whose os.walk went round the loop; `here -> .` and `selfloop` were read as the
    # folder again ("a folder of controlm files").
    folder = tmp_path / "lc"
    if profile == "systemd":
        _units(folder)
    else:
        folder.mkdir()
        shutil.copy(EXAMPLES / "jobs.cron", folder / "etc-crontab")
        shutil.copy(EXAMPLES / "controlm.xml", folder / "ctm_export.xml")
        (folder / "here").symlink_to(".", target_is_directory=True)
    (folder / "loopdir").mkdir()
    (folder / "loopdir" / "up").symlink_to("..", target_is_directory=True)
    (folder / "selfloop").symlink_to("loopdir/up", target_is_directory=True)
    config = _config(tmp_path, "f", folder, profile, {})
    if profile == "systemd":  # a link back up the folder is not followed: the units read once, as alone
        code, out, err = run_cli(capsys, "run", str(config))
        assert code == 0 and "6 flows: created 6" in out, out + err
        return
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and "Traceback" not in err, err
    assert "here (a link back up the folder, which is never followed" in err, err
    assert "selfloop (a link back up the folder, which is never followed" in err, err
    assert "loopdir (a folder with no file in it but links back up the folder, which are never followed: loopdir/up)" \
        in err, err
    assert "controlm files" not in err, err


def test_azkaban_named_over_a_folder_of_several_formats_is_refused_as_every_named_profile(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # It read and saved every format ("5 flows: created 5", crontab and DolphinScheduler flows among
    # them) where systemd, taskxml, crontab … over the same folder stop.
    folder = tmp_path / "exports"
    _layout(folder, "azkaban projects")
    refused = {}
    for profile in ("azkaban", "crontab"):
        shutil.copy(EXAMPLES / "jobs.cron", folder / "etc-crontab")
        shutil.copy(EXAMPLES / "dolphinscheduler.json", folder / "dolphinscheduler.json")
        code, out, err = run_cli(capsys, "run", str(_config(tmp_path, profile, folder, profile, {})))
        assert code == 1 and "Traceback" not in err and "created" not in out, out + err
        refused[profile] = err
    assert "a folder of exports of several formats (azkaban, crontab, dolphinscheduler), not one azkaban export" \
        in refused["azkaban"], refused
    (folder / "etc-crontab").unlink()
    (folder / "dolphinscheduler.json").unlink()
    alone = _plan(capsys, _config(tmp_path, "alone", folder, "azkaban", {"server_timezone": "UTC"}), "--offline")
    assert {a["source_key"] for a in alone["actions"]} >= {"etl/daily_orders", "etl/weekly_report"}, alone["actions"]


SYSTEM_CRONTAB = "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n5 3 * * * root /opt/hx/r.sh\n"


def test_a_system_crontab_in_a_folder_is_told_the_option_as_the_folder_takes_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "set [source] options = { system = true }": the folder refuses an option without its format's name.
    folder = _folder_of(tmp_path, {"etc-crontab": SYSTEM_CRONTAB, "controlm.xml": EXAMPLES / "controlm.xml"})
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "f", folder, "auto", {})), "--offline")
    assert code == 1 and "Traceback" not in err, err
    assert 'set [source] options = { "crontab.system" = true }' in err and "{ system = true }" not in err, err
    assert "a user crontab (no user column) and a system crontab need two configs, or two folders" in err, err
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "a", folder / "etc-crontab", "crontab", {})),
                           "--offline")
    assert code == 1 and "set [source] options = { system = true }" in err and "crontab.system" not in err, err
    plan = _plan(capsys, _config(tmp_path, "s", folder, "auto", {"crontab.system": True}), "--offline")
    assert any(a["source_key"] == "root:/opt/hx/r.sh" for a in plan["actions"]), plan["actions"]


def test_a_rules_targets_at_the_top_beside_its_listing_in_a_subfolder_is_named_not_passed_over(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The subfolder's listing is read alone (its own files); the targets file at the top was read by no
    # one, without a word: the rule's flow lost its targets.
    folder = tmp_path / "exports"
    _layout(folder / "rules", "eventbridge")
    (folder / "rules" / "targets-nightly-etl.json").rename(folder / "targets-nightly-etl.json")
    shutil.copy(EXAMPLES / "jobs.cron", folder / "jobs.cron")
    code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, "f", folder, "auto", {})), "--offline")
    assert code == 1 and "Traceback" not in err, err
    assert "targets-nightly-etl.json (read beside eventbridge exports at the top of the folder, and there is none" \
        in err, err
