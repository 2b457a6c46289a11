"""Every shipped config works as the README says: plan reads it, run migrates it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from migrate.cli import main

CONFIGS = sorted((REPO / "configs").glob("*.toml"))


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_shipped_configs_plan_and_run(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "configs" / config.name  # results go to tmp_path, not into the checkout
    copy.parent.mkdir()
    (tmp_path / "results").mkdir()  # as in a checkout (results/.gitkeep): the embedded service is kept there
    text = config.read_text().replace("../data/", f"{REPO / 'data'}/")
    # The example's rate is the real service's; the emulator takes more, and a plan reads every flow.
    text = re.sub(r"^rate_per_second = \d+", "rate_per_second = 1000", text, flags=re.MULTILINE)
    copy.write_text(text, encoding="utf-8")
    assert main(["plan", str(copy)]) in (3, 5)  # changes to make; some rows invalid
    capsys.readouterr()
    code = main(["run", str(copy), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 5), report  # 5: some source rows invalid, nothing failed
    saved = report["by_status"].get("saved", 0) + report["by_status"].get("created", 0)
    assert saved >= 1 and "failed" not in report["by_status"]
    shutil.rmtree(tmp_path / "results", ignore_errors=True)
