"""A key that comes twice in one export (two CronJobs of one namespace and name, two Control-M
folders of one name) is refused as DUPLICATE naming the first's row, and the first is planned on
its own: the two are never grouped into one flow holding both jobs' tasks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, run_cli

CRONJOB = """apiVersion: batch/v1
kind: CronJob
metadata: {{name: nightly, namespace: ops}}
spec:
  schedule: "{schedule}"
  timeZone: UTC
  jobTemplate: {{spec: {{template: {{spec: {{restartPolicy: OnFailure,
    containers: [{{name: m, image: busybox, command: ["{command}"]}}]}}}}}}}}
"""
FOLDER = """<FOLDER DATACENTER="dc1" FOLDER_NAME="NIGHTLY" FOLDER_ORDER_METHOD="SYSTEM">
<JOB JOBNAME="{job}" TASKTYPE="Command" CMDLINE="/bin/{job}" TIMEFROM="0200" DAYS="ALL"/></FOLDER>
"""


@pytest.mark.parametrize(("profile", "name", "export"), [
    ("kubernetes", "cronjobs.yaml", CRONJOB.format(schedule="0 2 * * *", command="/bin/a") + "---\n"
     + CRONJOB.format(schedule="0 3 * * *", command="/bin/b")),
    ("controlm", "deftable.xml", '<?xml version="1.0"?>\n<DEFTABLE>\n' + FOLDER.format(job="A")
     + FOLDER.format(job="B") + "</DEFTABLE>\n"),
])
def test_a_key_twice_is_a_duplicate_not_one_flow_of_both(profile: str, name: str, export: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / name
    source.write_text(export, encoding="utf-8")
    config = tmp_path / "c.toml"
    shipped = (REPO / "configs" / f"{profile}.toml").read_text(encoding="utf-8")
    path_line = next(line for line in shipped.splitlines() if line.startswith("path = "))
    config.write_text(shipped.replace(path_line, f'path = "{source}"').replace('"../', f'"{REPO}/'),
                      encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
    assert code == 5, err
    plan = json.loads(out)
    assert plan["flows_found"] == 2 and plan["invalid_by_reason"] == {"DUPLICATE": 1}, plan["invalid_by_reason"]
    [refused] = [a for a in plan["actions"] if a["action"] == "invalid"]
    assert "already comes from row 1; not saved twice" in refused["errors"][0]["message"]
    [kept] = [a for a in plan["actions"] if a["action"] == "valid"]
    assert kept["rows"] == [1]  # the first, alone: one task, not both jobs'
