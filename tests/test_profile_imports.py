"""A plan through a named profile imports that profile's module alone (mapping/pipeline.py): the
others, crontab's pandas among them, cost every plan some 0.4 s of the process that reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.mapping.pipeline import profile_names
from migrate.sources.profiles import PROFILE_MODULES, registry

REPO = Path(__file__).resolve().parents[1]


def test_the_profile_names_are_the_registrys_without_importing_it() -> None:
    assert profile_names() == list(registry())


# Run in a process of its own: this one has imported every profile already.
PLAN_IMPORTS = """
import json, sys
from pathlib import Path
from migrate.config import load_settings
from migrate.engine.inventory import plan_job
result = plan_job(load_settings(Path(sys.argv[1])), workers=1)
assert result.found > 0
print(json.dumps({"modules": sorted(m for m in sys.modules if m.startswith("migrate.sources.profiles.")
                                    or m == "pandas")}))
"""


@pytest.mark.parametrize("profile", ["controlm", "kubernetes"])
def test_a_plan_of_one_profile_imports_its_module_alone(profile: str) -> None:
    done = subprocess.run([sys.executable, "-c", PLAN_IMPORTS, str(REPO / "configs" / f"{profile}.toml")],
                          capture_output=True, text=True, cwd=REPO, check=True)
    modules = json.loads(done.stdout.splitlines()[-1])["modules"]
    imported = {m.rsplit(".", 1)[-1] for m in modules} & set(PROFILE_MODULES.values())
    assert "pandas" not in modules and "crontab" not in imported
    assert profile in imported and len(imported) <= 2  # its own, and one it reuses (kubernetes: rundeck's)


def test_a_profile_not_named_after_its_module_is_still_found() -> None:
    """`enos-v2` lives in `enos_v2`; a name that is no profile's is left to `registry()`."""
    from migrate.mapping import pipeline

    found = pipeline._named_profile("enos-v2")
    assert found is not None and found.name == "enos-v2"
    assert pipeline._named_profile("no-such") is None


OFFLINE_PLAN_IMPORTS = """
import contextlib, io, json, sys
from migrate.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(["plan", sys.argv[1], "--offline", "--json"])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"aiohttp", "asyncio_throttle"}
                        or m == "migrate.emulator.server")))
"""


def test_an_offline_plan_imports_no_http_client() -> None:
    """`plan --offline` never sends: aiohttp alone cost every such plan 0.13 s (it came with the
    service's answer codes that the live comparison reads)."""
    done = subprocess.run([sys.executable, "-c", OFFLINE_PLAN_IMPORTS, str(REPO / "configs" / "controlm.toml")],
                          capture_output=True, text=True, cwd=REPO, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []
