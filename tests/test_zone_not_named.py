"""A profile says when the export names no zone for a schedule (a CronJob without spec.timeZone,
a systemd timer without a zone): CONTROLLER_TIMEZONE / HOST_TIMEZONE. Once `[mapping]
source_timezone` names the zone, the warning is moot and is not shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, run_cli

CRONJOB = """apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ops}
spec:
  schedule: "0 2 * * *"
  jobTemplate: {spec: {template: {spec: {restartPolicy: OnFailure,
    containers: [{name: m, image: busybox, command: ["/bin/a"]}]}}}}
"""


@pytest.mark.parametrize(("given", "warned"), [("", True), ('source_timezone = "Europe/Paris"\n', False)])
def test_the_zone_warning_goes_once_the_config_names_the_zone(given: str, warned: bool, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "cronjobs.yaml"
    source.write_text(CRONJOB, encoding="utf-8")
    shipped = (REPO / "configs" / "kubernetes.toml").read_text(encoding="utf-8")
    text = shipped.replace('path = "../data/examples/kubernetes-cronjobs.yaml"', f'path = "{source}"')
    text = text.replace('source_timezone = "UTC"\n', given).replace('"../', f'"{REPO}/')
    config = tmp_path / "c.toml"
    config.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
    assert code in (3, 5), err
    [action] = json.loads(out)["actions"]
    codes = {w["code"] for w in action.get("warnings", [])}
    assert ("CONTROLLER_TIMEZONE" in codes) is warned, action
