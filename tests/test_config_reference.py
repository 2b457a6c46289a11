"""The configuration reference (docs/configuration.md) names every key the config model takes, in
its section's rows: a key added to migrate/config.py and not documented fails here."""

from __future__ import annotations

import re

from conftest import REPO
from pydantic import BaseModel

from migrate.config import MappingSettings, RunSettings, Settings, SourceSettings, TargetSettings, TaskSettings

SECTIONS: dict[str, type[BaseModel]] = {
    "source": SourceSettings, "mapping": MappingSettings, "mapping.tasks": TaskSettings, "target": TargetSettings,
    "run": RunSettings,
}
INTERNAL = {("mapping", "contiguous_groups"), ("mapping", "tasks"), ("mapping", "fields"),
            ("source", "left_out")}  # set by profiles, tables and a mixed folder's read


def _documented() -> dict[str, set[str]]:
    """Each section's keys as the reference's table writes them: `key` in the key column."""
    keys: dict[str, set[str]] = {}
    section = ""
    for line in (REPO / "docs" / "configuration.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3:
            continue
        if cells[0].startswith("`["):
            section = cells[0].strip("`[]")
        keys.setdefault(section, set()).update(re.findall(r"`([a-z_]+)`", cells[1]))
    return keys


def test_every_config_key_is_in_the_reference() -> None:
    documented = _documented()
    missing = [f"[{section}] {key}" for section, model in SECTIONS.items() for key in model.model_fields
               if (section, key) not in INTERNAL and key not in documented.get(section, set())]
    assert not missing, f"docs/configuration.md lacks {missing}"
    sections = {name for name, info in Settings.model_fields.items() if name != "config_path"}
    assert sections <= {s.split(".")[0] for s in documented}, sections
