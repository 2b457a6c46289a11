"""Format detection (sources/detect.py): every shipped example is recognised as its own profile
and as no other; `profile = "auto"` reads it and the plan names the format; a named profile over
another format, or a source that is no format, stops with exit 1 saying what it looks like."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from migrate.sources.detect import RECOGNISERS, recognised
from migrate.sources.profiles import registry

SHIPPED = sorted((config, tomllib.loads(config.read_text(encoding="utf-8"))["source"])
                 for config in (REPO / "configs").glob("*.toml"))
PROFILED = [(config, source) for config, source in SHIPPED if source.get("profile", "tabular") != "tabular"]


def test_every_profile_can_be_recognised() -> None:
    assert set(registry()) <= set(RECOGNISERS)


@pytest.mark.parametrize(("config", "source"), PROFILED, ids=[c.stem for c, _ in PROFILED])
def test_each_example_is_recognised_as_its_own_profile_only(config: Path, source: dict[str, str]) -> None:
    path = (config.parent / source["path"]).resolve()
    assert recognised(path, list(registry())) == [source["profile"]]


@pytest.mark.parametrize(("config", "source"), PROFILED, ids=[c.stem for c, _ in PROFILED])
def test_auto_reads_each_example_and_the_plan_names_it(config: Path, source: dict[str, str], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    text = config.read_text(encoding="utf-8").replace("../data/", f"{REPO / 'data'}/")
    text = re.sub(r'^profile = "[^"]+"', 'profile = "auto"', text, count=1, flags=re.MULTILINE)
    copy = tmp_path / config.name
    copy.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(copy), "--offline", "--json")
    assert code in (3, 5), err
    assert json.loads(out)["profile"] == f"{source['profile']}, recognised"


def test_a_named_profile_over_another_format_and_an_unknown_file_stop(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "wrong.toml"
    for profile, path, message in [
        ("rundeck", REPO / "data" / "examples" / "jobs.cron", "looks like a crontab export, not rundeck"),
        ("dolphinscheduler", REPO / "data" / "examples" / "enos-v2-flows.json", "looks like an enos-v2 export"),
        ("auto", REPO / "README.md", "recognises it as none of the formats"),
    ]:
        config.write_text(f'[source]\npath = "{path}"\nprofile = "{profile}"\n[target]\nuser_id = "u1"\n'
                          'org_id = "o1"\nurl = "https://apim.example.invalid"\n', encoding="utf-8")
        code, _, err = run_cli(capsys, "plan", str(config), "--offline")
        assert code == 1 and message in err and "Traceback" not in err, (profile, err)


def test_auto_reads_a_glob_of_one_listings_pages_and_names_what_else_it_matches(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A glob of Airflow pages worked with `profile = "airflow"` and was "no such file or folder" with auto.
    pages = tmp_path / "pages"
    pages.mkdir()
    for page in sorted((REPO / "data" / "examples" / "airflow").glob("*.json")):
        (pages / page.name).write_bytes(page.read_bytes())
    (pages / "jobs.cron").write_bytes((REPO / "data" / "examples" / "jobs.cron").read_bytes())
    config = tmp_path / "glob.toml"
    for pattern, expected in [("*.json", "airflow, recognised"), ("*", None), ("nothing-*.json", None)]:
        config.write_text(f'[source]\npath = "{pages / pattern}"\nprofile = "auto"\n[target]\nuser_id = "u1"\n'
                          'org_id = "o1"\nurl = "https://apim.example.invalid"\ntimezone = "UTC"\n', encoding="utf-8")
        code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
        if expected:
            assert code in (3, 5) and json.loads(out)["profile"] == expected, err
        elif pattern == "*":
            assert code == 1 and "jobs.cron (crontab)" in err and "pages of one listing of airflow" in err, err
        else:
            assert code == 1 and "no file matches this pattern" in err, err


def test_auto_reads_a_glob_of_eventbridge_files_with_their_rules_targets(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # A default bus's targets answer, `{"Name", "Targets"}`, is no format alone: the glob was refused.
    folder = tmp_path / "eb"
    folder.mkdir()
    for page in sorted((REPO / "data" / "examples" / "eventbridge").glob("*.json")):
        (folder / page.name).write_bytes(page.read_bytes())
    assert any(not recognised(path, list(RECOGNISERS)) for path in folder.iterdir())  # a targets answer is there
    (folder / "list-schedules-empty.json").write_text('{"Schedules": []}', encoding="utf-8")  # an empty answer too
    (folder / "list-schedules.json").write_text(json.dumps({"Schedules": [  # a summary, answered by get-schedule
        {"Name": "s1", "GroupName": "default", "State": "ENABLED", "Target": {"Arn": "arn:aws:lambda:x"}}]}),
        encoding="utf-8")
    (folder / "get-s1.json").write_text(json.dumps({
        "Name": "s1", "GroupName": "default", "State": "ENABLED", "ScheduleExpression": "cron(0 2 * * ? *)",
        "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": {"Arn": "arn:aws:lambda:us-east-1:1:function:f",
                                                          "RoleArn": "arn:aws:iam::1:role/r"}}), encoding="utf-8")
    config = tmp_path / "glob.toml"
    config.write_text(f'[source]\npath = "{folder / "*.json"}"\nprofile = "auto"\n[target]\nuser_id = "u1"\n'
                      'org_id = "o1"\nurl = "https://apim.example.invalid"\ntimezone = "UTC"\n', encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
    assert code in (3, 5) and json.loads(out)["profile"] == "eventbridge, recognised", err


@pytest.mark.parametrize(("name", "content", "hint"), [
    ("jobs.cron.gz", None, "a gzip file: decompress it"),
    ("ctm.json", b'{"Nightly": {"Type": "Folder", "Load": {"Type": "Job:Command", "Command": "x"}}}',
     "Control-M Automation API JSON (`ctm deploy jobs::get`), which is not read"),
    ("tasks.txt", b"\r\nFolder: \\\r\nHostName:      APP01\r\nTaskName:      \\Backup\r\nNext Run Time: 1/14/2025 "
                  b"2:30:00 AM\r\nStatus:        Ready\r\n", "`schtasks /query /fo list` output: export it as `schtasks "
                                                          "/query /fo csv /v`"),
    ("mixed.cron", b"# a crontab with a stray line\n0 2 * * * /opt/backup.sh\nThis line is garbage text\n",
     '1 of its 2 lines look like crontab entries: if it is a crontab, name profile = "crontab"'),
    ("dags.yaml", b"- dag_id: etl_daily\n  fileloc: /opt/airflow/dags/etl.py\n  owners: data\n  is_paused: 'False'\n",
     "`airflow dags list -o yaml` or `-o plain`/`-o table`, which is not read: export it with `-o json`"),
    ("dags.txt", b"dag_id    | fileloc                  | owners | is_paused\n==========+==========================+"
                 b"========+==========\netl_daily | /opt/airflow/dags/etl.py | data   | False\n",
     "`airflow dags list -o yaml` or `-o plain`/`-o table`, which is not read: export it with `-o json`"),
])
def test_a_file_no_format_recognises_says_what_it_looks_like(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             name: str, content: bytes | None, hint: str) -> None:
    import gzip

    path = tmp_path / name
    path.write_bytes(content if content is not None else gzip.compress((REPO / "data" / "examples" / "jobs.cron")
                                                                       .read_bytes()))
    config = tmp_path / "auto.toml"
    config.write_text(f'[source]\npath = "{path}"\nprofile = "auto"\n[target]\nuser_id = "u1"\norg_id = "o1"\n'
                      'url = "https://apim.example.invalid"\n', encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and "recognises it as none of the formats" in err and hint in err, err
    (tmp_path / "jobs.cron").write_bytes((REPO / "data" / "examples" / "jobs.cron").read_bytes())  # in a folder too
    config.write_text(config.read_text(encoding="utf-8").replace(str(path), str(tmp_path)), encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and f"{name} (no known format: " in err and hint in err, err


def test_an_encrypted_zip_is_named_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import zipfile

    archive = tmp_path / "jobs.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("jobs.cron", "0 2 * * * /bin/true\n")
    data = bytearray(archive.read_bytes())  # mark the member encrypted, as `zip -P` does (flag bit 0)
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.index(signature)
        data[start + flags_at] |= 0x1
    archive.write_bytes(bytes(data))
    config = tmp_path / "c.toml"
    for profile in ("auto", "systemd"):
        config.write_text(f'[source]\npath = "{archive}"\nprofile = "{profile}"\n[target]\nuser_id = "u1"\n'
                          'org_id = "o1"\nurl = "https://apim.example.invalid"\n', encoding="utf-8")
        code, _, err = run_cli(capsys, "plan", str(config), "--offline")
        assert code == 1 and "jobs.cron is encrypted in the zip" in err and "Traceback" not in err


def test_an_enos_v2_export_flow_answer_is_recognised_as_enos_v2_only() -> None:
    # Export Flow names no flowId nor graph: a cron, tasks, and relations and links by task name.
    path = REPO / "tests" / "fixtures" / "enos_v2" / "export-flow-answer.json"
    assert recognised(path, list(registry())) == ["enos-v2"]


def test_a_folder_under_a_profile_that_reads_one_file_is_named_as_a_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports.csv"  # a folder, whatever its name says
    folder.mkdir()
    (folder / "jobs.csv").write_text("flow,schedule\nnightly,0 0 2 * * ? *\n", encoding="utf-8")
    config = tmp_path / "c.toml"
    for profile, message in [("tabular", "a folder; a table is read from one file"),
                             ("kubernetes", "a folder, and the kubernetes profile reads one file")]:
        config.write_text(f'[source]\npath = "{folder}"\nprofile = "{profile}"\n[mapping.fields]\nname = "flow"\n'
                          'freq = "schedule"\n[target]\nuser_id = "u1"\norg_id = "o1"\n'
                          'url = "https://apim.example.invalid"\n', encoding="utf-8")
        code, _, err = run_cli(capsys, "plan", str(config), "--offline")
        assert code == 1 and message in err and "no such file" not in err and "Is a directory" not in err, err


def test_a_text_of_prose_is_no_crontab(tmp_path: Path) -> None:
    # Five words and a sixth looked like five time fields and a command: a project's res/ text beside
    # Azkaban's .job files made the folder "several formats (azkaban, crontab)" (apache/azkaban's
    # jobtype examples). A crontab's minute and hour hold no letter.
    prose = tmp_path / "words.txt"
    prose.write_text("This may well be the last time\nthat the words in this file are read\n"
                     "and counted by a word count job\n", encoding="utf-8")
    assert "crontab" not in recognised(prose, list(registry()))
    cron = tmp_path / "jobs.cron"
    cron.write_text("15 3 1-7 jan-mar mon-fri /opt/a.sh\n*/5 * * * * /opt/b.sh\n@daily /opt/c.sh\n", encoding="utf-8")
    assert recognised(cron, list(registry())) == ["crontab"]


RUNDECK_APPLYING_A_CRONJOB = """- defaultTab: nodes
  description: Re-applies the cleanup CronJob manifest every night
  executionEnabled: true
  group: ops
  name: reapply-cleanup
  uuid: 7d3c9f0e-5b1a-4c2e-9f61-0a1b2c3d4e5f
  schedule:
    time: {hour: '01', minute: '30', seconds: '0'}
    month: '*'
    weekday: {day: '*'}
    year: '*'
  scheduleEnabled: true
  sequence:
    commands:
    - script: |-
        kubectl apply -f - <<'EOF'
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: cleanup, namespace: ops}
        EOF
    keepgoing: false
    strategy: node-first
"""
CRONJOB_CALLING_EVENTBRIDGE = """apiVersion: batch/v1
kind: CronJob
metadata: {name: notify, namespace: ops}
spec:
  schedule: "0 6 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: notify
            image: amazon/aws-cli:2
            command: ["aws", "events", "put-events", "--entries",
                      '[{"Source": "ops", "DetailType": "done", "Detail": "{}", "EventBusName": "default"}]']
"""
CRONTAB_CALLING_AIRFLOW = """# trigger the nightly DAG through Airflow's REST API
MAILTO=ops@example.com
15 2 * * * curl -s -X POST http://airflow:8080/api/v1/dags/nightly/dagRuns -H 'Content-Type: application/json' -d '{"dag_id": "nightly", "conf": {}}'
30 2 * * * /opt/ops/report.sh
"""


@pytest.mark.parametrize(("name", "text", "profile"), [
    ("jobs.yaml", RUNDECK_APPLYING_A_CRONJOB, "rundeck"),
    ("notify.yaml", CRONJOB_CALLING_EVENTBRIDGE, "kubernetes"),
    ("ops.cron", CRONTAB_CALLING_AIRFLOW, "crontab"),
], ids=["a Rundeck job whose script applies a CronJob", "a CronJob whose command calls EventBridge",
        "a crontab whose curl posts to Airflow"])
def test_another_formats_words_inside_a_job_are_no_sign_of_that_format(tmp_path: Path, name: str, text: str,
                                                                       profile: str) -> None:
    """Detection reads a file's structure: a CronJob manifest in a Rundeck script, a JSON key of
    EventBridge or Airflow in a command, are text of the job, not its format."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert recognised(path, list(registry())) == [profile]


@pytest.mark.parametrize("export", ["de-DE.csv", "fr-FR.csv"])
def test_schtasks_of_a_german_or_french_windows_is_recognised(export: str) -> None:
    """The schtasks profile reads the CSV a German or French Windows prints: `auto` knows it too
    (it knew only the English headers)."""
    assert recognised(REPO / "tests" / "fixtures" / "schtasks" / export, list(registry())) == ["schtasks"]


@pytest.mark.parametrize(("export", "code_page"), [("de-DE.csv", "cp850"), ("fr-FR.csv", "cp850"),
                                                   ("zh-CN.csv", "gbk")])
def test_schtasks_in_the_consoles_code_page_is_recognised(tmp_path: Path, export: str, code_page: str) -> None:
    """`schtasks /query /fo csv /v > tasks.csv` in cmd.exe writes the console's code page: 850 on
    a German or French Windows, 936 (GBK) on a Chinese one. Decoded as UTF-8 their headers were
    unreadable, so `auto` recognised nothing, even with `encoding = "gbk"` set."""
    fixture = REPO / "tests" / "fixtures" / "schtasks" / export
    text = fixture.read_bytes().decode("gbk" if export == "zh-CN.csv" else "utf-8-sig")
    path = tmp_path / export
    path.write_bytes(text.encode(code_page))
    assert recognised(path, list(registry())) == ["schtasks"]
    path.write_bytes(text.encode("utf-8"))  # and as UTF-8 (a PowerShell 7 or a chcp 65001 console)
    assert recognised(path, list(registry())) == ["schtasks"]
