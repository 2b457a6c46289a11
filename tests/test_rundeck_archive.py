"""A Rundeck project archive (`rd projects archives export`, the GUI's Export Archive), zipped or
unzipped, read through the CLI by the rundeck profile, named or recognised: its jobs
(`rundeck-<project>/jobs/job-<uuid>.xml`) and nothing else of it, each of its folder's project. Both
were refused ("a zip of rundeck exports … unzip it", then the folder's META-INF "no known format"),
the jobs left to be flattened by hand. Built here in the shape Rundeck's ProjectService writes: a
manifest, then per project its jobs, executions (with their logs and states), reports and files."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import plan_profile

BACKUP, ROTATE = "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "6fa459ea-ee8a-3ca4-894e-db77e160355e"
TARGET = 'timezone = "Asia/Shanghai"'


def job_xml(uuid: str, name: str, steps: str, extra: str = "") -> str:
    """One job as the archive's `job-<uuid>.xml` holds it: a <joblist> of one, no <context><project>."""
    return f"""<joblist>
  <job>
    <defaultTab>nodes</defaultTab>
    <description>{name} of the project</description>
    <executionEnabled>true</executionEnabled>
    <id>{uuid}</id>
    <loglevel>INFO</loglevel>
    <name>{name}</name>
    <nodeFilterEditable>false</nodeFilterEditable>{extra}
    <schedule>
      <month month='*' />
      <time hour='02' minute='30' seconds='0' />
      <weekday day='*' />
      <year year='*' />
    </schedule>
    <scheduleEnabled>true</scheduleEnabled>
    <sequence keepgoing='false' strategy='node-first'>{steps}
    </sequence>
    <timeZone>Asia/Shanghai</timeZone>
    <uuid>{uuid}</uuid>
  </job>
</joblist>
"""


# infra's backup refers to `rotate` naming no project: a job of infra, which has none (rotate is
# web's); web's rotate refers to infra's backup by name and project.
def script_then_job(script: str, reference: str) -> str:
    """A job's steps: a script, then a reference to another job."""
    return f"""
      <command>
        <exec>{script}</exec>
      </command>
      <command>
        {reference}
      </command>"""


BACKUP_JOB = job_xml(BACKUP, "backup", script_then_job("/opt/backup.sh", "<jobref name='rotate' nodeStep='false' />"))
ROTATE_JOB = job_xml(ROTATE, "rotate", script_then_job("/opt/rotate.sh", "<jobref name='backup' project='infra' />"),
                     """
    <notification>
      <onfailure>
        <email attachLog='true' attachLogInFile='true' recipients='web-oncall@example.com'
               subject='${job.name} failed' />
      </onfailure>
    </notification>
    <orchestrator>
      <configuration>
        <count>2</count>
      </configuration>
      <type>subset</type>
    </orchestrator>""")


def archive_members(extra: dict[str, str] | None = None) -> dict[str, str]:
    members = {"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nRundeck-Archive-Format-Version: 1.0\n"
                                      "Rundeck-Archive-Project-Name: infra\n"}
    for project, uuid, job, command in (("infra", BACKUP, BACKUP_JOB, "/opt/backup.sh"),
                                        ("web", ROTATE, ROTATE_JOB, "/opt/rotate.sh")):
        folder = f"rundeck-{project}"
        members |= {
            f"{folder}/jobs/job-{uuid}.xml": job,
            f"{folder}/executions/execution-7.xml": (
                f"<executions>\n  <execution id='7' jobId='{uuid}'>\n    <status>succeeded</status>\n"
                f"    <workflow keepgoing='false' strategy='node-first'><command><exec>{command}</exec></command>"
                "</workflow>\n  </execution>\n</executions>\n"),
            f"{folder}/executions/output-7.rdlog": "^text^2026-11-01T01:30:00Z^^done\n",
            f"{folder}/executions/state-7.state.json": '{"executionState": "SUCCEEDED"}',
            f"{folder}/reports/report-7.xml": "<report>\n  <executionId>7</executionId>\n</report>\n",
            f"{folder}/files/etc/project.properties": f"#Exported configuration\nproject.name={project}\n",
            f"{folder}/files/acls/ops.aclpolicy": "description: ops\ncontext:\n  project: '.*'\nfor:\n  job:\n"
                                                  "    - allow: '*'\nby:\n  group: ops\n",
        }
    return members | (extra or {})


def write_zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def write_folder(path: Path, members: dict[str, str]) -> Path:
    for name, text in members.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    return path


def warnings_of(action: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for warning in action.get("warnings", []):
        found.setdefault(warning["code"], []).append(warning["message"])
    return found


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "unzipped"])
@pytest.mark.parametrize("profile", ["auto", "rundeck"])
def test_a_project_archive_is_read_for_its_jobs_each_of_its_project(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], zipped: bool, profile: str) -> None:
    # as macOS's Finder zips it: resource forks in __MACOSX, which `unzip` makes a folder at the top
    members = archive_members({f"__MACOSX/rundeck-web/jobs/._job-{ROTATE}.xml": "\0"})
    source = (write_zip(tmp_path / "archive.zip", members) if zipped else write_folder(tmp_path / "archive", members))
    code, plan, err = plan_profile(tmp_path, capsys, profile, source, target=TARGET)
    assert code == 3 and "Traceback" not in err, (err, plan)
    assert plan["profile"] == ("rundeck, recognised" if profile == "auto" else "rundeck")
    actions = {action["source_key"]: action for action in plan["actions"]}
    # the jobs alone (no flow of an execution, a report or an ACL), keyed by their uuids as ever
    assert sorted(actions) == [BACKUP, ROTATE] and plan["invalid"] == 0, plan
    assert {actions[key]["name"] for key in actions} == {"backup", "rotate"}
    assert all(action["freq"] == "0 30 2 * * ? *" for action in actions.values())
    # a reference naming no project is to a job of the job's own project (infra's, which has no rotate)
    backup = warnings_of(actions[BACKUP])["JOB_REFERENCE"][0]
    assert "rotate, not in this archive" in backup and "`rd run -f -p infra -j rotate`" in backup, backup
    rotate = warnings_of(actions[ROTATE])
    assert "backup, in this archive as flow 'backup'" in rotate["JOB_REFERENCE"][0], rotate
    assert "`rd run -f -p infra -j backup`" in rotate["JOB_REFERENCE"][0]
    # what the XML <orchestrator> and the failure e-mail's subject and log were is said, never dropped
    assert "orchestrator subset {\"count\": \"2\"}" in rotate["NODE_FILTER"][0], rotate
    said = rotate["ALERT_RECIPIENTS"][0]
    assert "with the subject '${job.name} failed' and the run's log attached in a file" in said, said


def test_a_folder_named_by_its_project_gives_the_jobs_that_name_none_their_project(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An older export's <context><project> is the job's own; the folder's is for the jobs naming none."""
    members = archive_members()
    members[f"rundeck-infra/jobs/job-{BACKUP}.xml"] = BACKUP_JOB.replace(
        "<defaultTab>", "<context>\n      <project>legacy</project>\n    </context>\n    <defaultTab>")
    code, plan, err = plan_profile(tmp_path, capsys, "rundeck", write_zip(tmp_path / "a.zip", members), target=TARGET)
    actions = {action["source_key"]: action for action in plan["actions"]}
    assert code == 3, (err, plan)
    assert "`rd run -f -p legacy -j rotate`" in warnings_of(actions[BACKUP])["JOB_REFERENCE"][0]


@pytest.mark.parametrize("member", ["../escape/rundeck-infra/jobs/job-1.xml", "/etc/rundeck-infra/jobs/job-1.xml",
                                    "rundeck-infra/../../outside.xml", "C:/rundeck-infra/jobs/job-1.xml"])
def test_a_zip_member_outside_the_archive_refuses_the_zip_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], member: str) -> None:
    source = write_zip(tmp_path / "archive.zip", archive_members({member: BACKUP_JOB}))
    code, plan, err = plan_profile(tmp_path, capsys, "rundeck", source, target=TARGET)
    assert code == 1 and not plan.get("actions"), plan
    assert f"its member {member!r} lies outside the archive" in err and "Traceback" not in err, err


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "unzipped"])
def test_an_export_beside_the_archive_at_its_top_refuses_it_rather_than_being_passed_over(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], zipped: bool) -> None:
    members = archive_members({"more-jobs.yaml": "- name: extra\n  sequence:\n    commands:\n    - exec: x\n"})
    source = (write_zip(tmp_path / "archive.zip", members) if zipped else write_folder(tmp_path / "archive", members))
    code, plan, err = plan_profile(tmp_path, capsys, "rundeck", source, target=TARGET)
    assert code == 1 and "holds more-jobs.yaml too, which would be passed over" in err, (err, plan)


def test_a_zip_of_job_files_that_is_no_archive_is_still_refused_with_the_hint_to_unzip_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_zip(tmp_path / "jobs.zip", {"jobs.xml": BACKUP_JOB})
    code, _, err = plan_profile(tmp_path, capsys, "rundeck", source, target=TARGET)
    assert code == 1 and "a zip of rundeck exports; this profile reads the files themselves: unzip it" in err, err


def test_a_zip_bomb_of_job_files_is_refused_before_it_inflates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.sources.profiles import rundeck

    monkeypatch.setattr(rundeck, "MAX_ARCHIVE_JOB_BYTES", 4096)  # the limit, not the bytes, scaled down
    members = archive_members({f"rundeck-infra/jobs/job-{n}.xml": BACKUP_JOB + " " * 4096 for n in range(3)})
    code, _, err = plan_profile(tmp_path, capsys, "rundeck", write_zip(tmp_path / "a.zip", members), target=TARGET)
    assert code == 1 and "its job files inflate past 4,096 bytes" in err, err


def test_an_orchestrator_and_an_emails_subject_and_log_are_named_in_a_yaml_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`orchestrator: {type: rankTiered}` and a notification's `attachLog`/`subject` were dropped
    without a word, though nothing is dropped so."""
    source = tmp_path / "jobs.yaml"
    source.write_text(f"""- name: deploy
  uuid: {BACKUP}
  timeZone: Asia/Shanghai
  schedule:
    crontab: 0 0 3 ? * * *
  orchestrator:
    type: rankTiered
  notification:
    onfailure:
      email:
        attachLog: true
        recipients: ops@example.com
    onsuccess:
      email:
        recipients: team@example.com
        subject: deployed
  sequence:
    commands:
    - exec: /opt/deploy.sh
""", encoding="utf-8")
    code, plan, err = plan_profile(tmp_path, capsys, "rundeck", source, target=TARGET)
    (action,) = plan["actions"]
    warned = warnings_of(action)
    assert code == 3, (err, plan)
    assert "the job names the orchestrator rankTiered" in warned["NODE_FILTER"][0], warned
    assert "ops@example.com with the run's log attached: " in warned["ALERT_RECIPIENTS"][0], warned
    assert "onsuccess: e-mail to team@example.com with the subject 'deployed'" in warned["NOTIFICATION"][0], warned


def test_archives_zipped_and_unzipped_are_entries_of_a_folder_of_several_formats(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With profile "auto", a folder holding an archive's zip, another archive unzipped and a crontab
    reads each with its own profile (the unzipped archive was "a folder of rundeck files")."""
    folder = tmp_path / "exports"
    folder.mkdir()
    write_zip(folder / "infra-web.zip", archive_members())
    third = "0b9f3d5e-1c2a-4e6f-8a7b-9c0d1e2f3a4b"
    write_folder(folder / "batch", {"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n",
                                    f"rundeck-batch/jobs/job-{third}.xml": job_xml(third, "load", """
      <command>
        <exec>/opt/load.sh</exec>
      </command>"""), "rundeck-batch/executions/output-1.rdlog": "^text^done\n"})
    (folder / "ops.cron").write_text("0 3 * * * /opt/report.sh\n", encoding="utf-8")
    code, plan, err = plan_profile(tmp_path, capsys, "auto", folder, target=TARGET)
    assert code == 3 and plan["profile"] == "mixed: crontab, rundeck", (err, plan)
    assert {(source["profile"], Path(source["path"]).name, source["flows"]) for source in plan["sources"]} == {
        ("rundeck", "infra-web.zip", 2), ("rundeck", "batch", 1), ("crontab", "ops.cron", 1)}


def test_a_job_file_that_is_not_xml_refuses_the_archive_naming_the_member(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    members = archive_members({f"rundeck-web/jobs/job-{ROTATE}.xml": ROTATE_JOB.replace("</joblist>", "")})
    code, _, err = plan_profile(tmp_path, capsys, "rundeck", write_zip(tmp_path / "a.zip", members), target=TARGET)
    assert code == 1 and f"a.zip!rundeck-web/jobs/job-{ROTATE}.xml: cannot parse" in err, err


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "unzipped"])
@pytest.mark.parametrize("stray", ["rundeck-web/jobs/nightly.xml", f"rundeck-web/jobs/job-{ROTATE}.XML",
                                   f"rundeck-web/jobs/job-{ROTATE}.yaml", f"rundeck-web/jobs/sub/job-{ROTATE}.xml",
                                   f"rundeck-web/jobs/.job-{ROTATE}.xml"])  # a job hidden by hand
def test_a_job_file_rundecks_import_would_skip_refuses_the_archive_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], zipped: bool, stray: str) -> None:
    """A file of a jobs/ folder that is no `job-<uuid>.xml` was passed over without a word (Rundeck's
    import reads `<project folder>/jobs/job-*.xml` alone, and skips it too): a job short, unsaid."""
    members = archive_members({stray: ROTATE_JOB.replace(ROTATE, "3c5d7e9f-0000-4000-8000-000000000001"),
                               "rundeck-web/jobs/.DS_Store": "\0",  # a file manager's, and a macOS zip's fork
                               f"rundeck-web/jobs/._job-{ROTATE}.xml": "\0"})
    source = (write_zip(tmp_path / "archive.zip", members) if zipped else write_folder(tmp_path / "archive", members))
    code, plan, err = plan_profile(tmp_path, capsys, "rundeck", source, target=TARGET)
    assert code == 1 and not plan.get("actions"), (err, plan)
    assert f"this one holds {stray} too, which would be passed over, as Rundeck's import passes them over" in err, err
    assert ".DS_Store" not in err and "._job" not in err and "Traceback" not in err, err


def test_an_archives_reference_to_a_job_of_another_archive_of_the_folder_is_not_in_this_archive(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each entry of a folder of several formats is read alone: web's reference to infra's backup,
    in the other archive, said "not in this export", though the folder holds it."""
    folder = tmp_path / "exports"
    folder.mkdir()
    members = archive_members()
    write_zip(folder / "infra.zip", {name: text for name, text in members.items() if "rundeck-web/" not in name})
    write_zip(folder / "web.zip", {name: text for name, text in members.items() if "rundeck-infra/" not in name})
    (folder / "ops.cron").write_text("0 3 * * * /opt/report.sh\n", encoding="utf-8")
    code, plan, err = plan_profile(tmp_path, capsys, "auto", folder, target=TARGET)
    assert code == 3 and plan["profile"] == "mixed: crontab, rundeck", (err, plan)
    rotate = next(action for action in plan["actions"] if action["source_key"] == ROTATE)
    said = warnings_of(rotate)["JOB_REFERENCE"][0]
    assert "runs the Rundeck job backup, not in this archive: " in said and "this export" not in said, said
