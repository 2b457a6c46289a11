"""Two Rundeck project archives in one folder of several formats (`profile = "auto"`), each a job
`db/backup` of its project. Two jobs of two uuids were DUPLICATE, "two exports of one format meet in
one identity scope; remove one if it is a copy of the other", advice that loses a real job: their
keys (the uuids) differ and only their flow names meet, which is NAME_COLLISION in one archive and
in a run alike. A true copy, one uuid in both, stays DUPLICATE."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import plan_profile
from test_rundeck_archive import TARGET, job_xml, write_zip

OPS, REPORTS = "0b1e7a4e-0000-4000-8000-000000000001", "0b1e7a4e-0000-4000-8000-000000000012"
MANIFEST = "Manifest-Version: 1.0\nRundeck-Archive-Format-Version: 1.0\n"


def backup_job(uuid: str, command: str) -> str:
    return job_xml(uuid, "backup", f"""
      <command>
        <exec>{command}</exec>
      </command>""", "\n    <group>db</group>")


def archive(path: Path, project: str, uuid: str, command: str) -> Path:
    return write_zip(path, {"META-INF/MANIFEST.MF": MANIFEST + f"Rundeck-Archive-Project-Name: {project}\n",
                            f"rundeck-{project}/jobs/job-{uuid}.xml": backup_job(uuid, command)})


def exports(tmp_path: Path, *archives: tuple[str, str, str, str]) -> Path:
    """A folder of project archives, each (file name, project, job uuid, its command)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for name, project, uuid, command in archives:
        archive(folder / name, project, uuid, command)
    return folder


def test_two_jobs_of_two_archives_whose_names_meet_are_a_name_collision_naming_both_archives(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = exports(tmp_path, ("ops.zip", "ops", OPS, "pg_dump shop > /b/shop.sql"),
                     ("reports.zip", "reports", REPORTS, "pg_dump reports > /b/rep.sql"))
    (folder / "host.cron").write_text("0 4 * * * /opt/rotate.sh\n", encoding="utf-8")
    code, plan, err = plan_profile(tmp_path, capsys, "auto", folder, target=TARGET)
    assert code == 5 and plan["profile"] == "mixed: crontab, rundeck", (err, plan)
    assert plan["invalid_by_reason"] == {"NAME_COLLISION": 1}, plan["invalid_by_reason"]
    [collision] = plan["invalid_flows"]
    [error] = collision["errors"]
    assert collision["source_key"] == REPORTS and error["code"] == "NAME_COLLISION", collision
    assert (f"name 'db_backup' is also the flow name of '{OPS}' (row 2, ops.zip; this row: reports.zip): two jobs "
            "would be one flow") in error["message"], error
    assert "copy" not in error["message"] and "DUPLICATE" not in str(plan["invalid_by_reason"]), error
    assert [action["source_key"] for action in plan["actions"] if action["action"] == "valid"].count(OPS) == 1


def test_one_job_in_two_archives_is_still_a_duplicate_to_remove(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = exports(tmp_path, ("ops.zip", "ops", OPS, "pg_dump shop > /b/shop.sql"),
                     ("ops-copy.zip", "ops", OPS, "pg_dump shop > /b/shop.sql"))
    code, plan, err = plan_profile(tmp_path, capsys, "auto", folder, target=TARGET)
    assert code == 5 and plan["invalid_by_reason"] == {"DUPLICATE": 1}, (err, plan)
    [error] = plan["invalid_flows"][0]["errors"]
    assert "(ops-copy.zip; this row: ops.zip): two exports of one format meet in one identity scope; remove one if " \
           "it is a copy of the other" in error["message"], error
