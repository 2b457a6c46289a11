"""The package as a user installs it: `migrate --version`, `python -m migrate`, and a wheel built
from the project's own files that installs into a fresh virtual environment and runs outside the
repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

from migrate.cli import main

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
# What `migrate demo` says where it has no demo to run (commands/demo.py).
DEMO_NEEDS_CHECKOUT = "run the demo from a checkout"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"migrate {VERSION}\n"


def test_python_dash_m_migrate_is_the_program(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "migrate", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stdout) == (0, f"migrate {VERSION}\n"), done.stderr
    usage = subprocess.run([sys.executable, "-m", "migrate", "run"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 1 and "the following arguments are required: config" in usage.stderr


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_wheel_installs_and_runs_outside_the_repository(tmp_path: Path) -> None:
    """Built from what the wheel is made of (pyproject.toml, README.md, migrate/) copied away from
    the checkout, so nothing else of it can leak in; installed into a fresh environment whose only
    other packages are the project's dependencies (this environment's site-packages, seen through a
    .pth path: nothing downloaded, and the editable install there is not loaded)."""
    source = tmp_path / "source"
    shutil.copytree(REPO / "migrate", source / "migrate", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
                            str(tmp_path / "wheels"), str(source)], capture_output=True, text=True, timeout=150)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next((tmp_path / "wheels").glob("migrate-*.whl"))
    assert wheel.name.startswith(f"migrate-{VERSION}-py3-none-any")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # Forced: the editable install seen through the .pth would otherwise pass for this one.
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                                "--no-index", "--no-deps", "--force-reinstall", str(wheel)],
                               capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}  # no checkout on the path
    where = subprocess.run([str(python), "-c", "import migrate; print(migrate.__file__)"], capture_output=True,
                           text=True, cwd=elsewhere, check=True, env=clean)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # the wheel's, not the checkout's
    for command in ([str(venv / "bin" / "migrate"), "--version"], [str(python), "-m", "migrate", "--version"]):
        done = subprocess.run(command, capture_output=True, text=True, cwd=elsewhere, timeout=60, env=clean)
        assert (done.returncode, done.stdout) == (0, f"migrate {VERSION}\n"), done.stderr

    demo = subprocess.run([str(venv / "bin" / "migrate"), "demo"], capture_output=True, text=True, cwd=elsewhere,
                          timeout=120, env=clean)
    assert "Traceback" not in demo.stderr, demo.stderr
    if demo.returncode == 5:  # the demo ships with the package: it ran, its six broken rows reported
        assert "210 flows: saved 204, invalid 6" in demo.stdout, demo.stdout
    else:  # it does not: one line says where it runs, nothing else happened
        assert demo.returncode == 1 and DEMO_NEEDS_CHECKOUT in demo.stderr, (demo.returncode, demo.stderr)
        assert not list(elsewhere.iterdir())
    # The demo's files beside it, as a user's own config and export would be: a whole run from the wheel.
    for name in ("configs/demo.toml", "data/demo-export.csv", "data/demo-emulator.json"):
        (elsewhere / name).parent.mkdir(exist_ok=True)
        shutil.copy2(REPO / name, elsewhere / name)
    run = subprocess.run([str(venv / "bin" / "migrate"), "run", "configs/demo.toml"], capture_output=True, text=True,
                         cwd=elsewhere, timeout=120, env=clean)
    assert run.returncode == 5 and "210 flows: saved 204, invalid 6" in run.stdout, run.stdout + run.stderr
    assert len(list((elsewhere / "results").glob("demo-*.jsonl"))) == 1
