"""The container image (Dockerfile): built, and run as a user would run it, where a container
engine (docker or podman) is present and working; skipped with the reason elsewhere."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO
from test_packaging import DEMO_NEEDS_CHECKOUT, VERSION

ENGINES = ("docker", "podman")


def _working_engine() -> tuple[str | None, str]:
    """The first engine that answers, or None and why none does."""
    reasons = []
    for name in ENGINES:
        path = shutil.which(name)
        if path is None:
            reasons.append(f"{name}: not on PATH")
            continue
        try:
            info = subprocess.run([path, "info"], capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            reasons.append(f"{name}: `{name} info` did not answer in 30 s")
            continue
        if info.returncode == 0:
            return path, ""
        reasons.append(f"{name}: `{name} info` failed ({(info.stderr.strip().splitlines() or ['?'])[-1]})")
    return None, "; ".join(reasons)


@pytest.fixture(scope="module")
def image() -> Iterator[tuple[str, str]]:
    engine, why_not = _working_engine()
    if engine is None:
        pytest.skip(f"no working container engine: {why_not}")
    tag = f"migrate-test:{uuid.uuid4().hex[:8]}"
    built = subprocess.run([engine, "build", "--tag", tag, str(REPO)], capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    try:
        yield engine, tag
    finally:
        subprocess.run([engine, "rmi", "--force", tag], capture_output=True, timeout=120)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_image_runs_migrate_as_a_user_without_privileges(image: tuple[str, str], tmp_path: Path) -> None:
    engine, tag = image
    version = subprocess.run([engine, "run", "--rm", tag, "--version"], capture_output=True, text=True, timeout=120)
    assert (version.returncode, version.stdout) == (0, f"migrate {VERSION}\n"), version.stderr
    user = subprocess.run([engine, "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True,
                          timeout=120)
    assert user.stdout.strip() not in ("", "0"), user.stdout + user.stderr

    demo = subprocess.run([engine, "run", "--rm", tag, "demo"], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in demo.stderr, demo.stderr
    assert demo.returncode == 5 or (demo.returncode == 1 and DEMO_NEEDS_CHECKOUT in demo.stderr), demo.stderr

    # A config and its export mounted read-only, the results folder writable: the demo's files as a user's own.
    configs, data, results = (tmp_path / name for name in ("configs", "data", "results"))
    for folder in (configs, data, results):
        folder.mkdir()
    shutil.copy2(REPO / "configs" / "demo.toml", configs)
    for name in ("demo-export.csv", "demo-emulator.json"):
        shutil.copy2(REPO / "data" / name, data)
    results.chmod(0o777)  # the image's user is not this machine's
    run = subprocess.run([engine, "run", "--rm", "-v", f"{configs}:/work/configs:ro", "-v", f"{data}:/work/data:ro",
                          "-v", f"{results}:/work/results", tag, "run", "configs/demo.toml"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 5 and "210 flows: saved 204, invalid 6" in run.stdout, run.stdout + run.stderr
    assert len(list(results.glob("demo-*.jsonl"))) == 1
