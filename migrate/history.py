"""What earlier result logs say: which run to resume, and what was last saved for each flow."""

from __future__ import annotations

import glob
from pathlib import Path

from migrate.config import Settings
from migrate.results import read_log
from migrate.runner import Memory

RUN_ID = "{run_id}"


class NothingToResume(Exception):
    """--resume found no log of the run."""


def log_path(settings: Settings, run_id: str) -> Path:
    return Path(str(settings.run.result_log).replace(RUN_ID, run_id))


def all_logs(settings: Settings) -> list[Path]:
    pattern = glob.escape(str(settings.run.result_log)).replace(glob.escape(RUN_ID), "*")
    return sorted(Path(p) for p in glob.glob(pattern))


def run_to_resume(settings: Settings, wanted: str | None) -> str:
    """The run id to continue: the one named, or the newest log's."""
    if wanted is not None:
        if not log_path(settings, wanted).is_file():
            raise NothingToResume(f"no result log of run {wanted!r} at {log_path(settings, wanted)}")
        return wanted
    logs = sorted(all_logs(settings), key=lambda p: p.stat().st_mtime)
    for path in reversed(logs):
        for line in read_log(path):
            return str(line["run_id"])
    raise NothingToResume(f"no result log to resume under {settings.run.result_log.parent}")


def _saved_hashes(paths: list[Path], run_id: str | None, same_run: bool) -> dict[str, str]:
    """target -> input hash of its last line, where that line is `saved`, `created` or `unchanged`."""
    lines = [
        line for path in paths for line in read_log(path)
        if (line.get("run_id") == run_id) == same_run and line.get("target")
    ]
    lines.sort(key=lambda line: str(line.get("ts", "")))
    last: dict[str, str] = {}
    for line in lines:
        if line["status"] in ("saved", "created", "unchanged") and line.get("input_sha256"):
            last[line["target"]] = line["input_sha256"]
        elif line["status"] != "invalid":  # an invalid duplicate row says nothing of the flow
            last.pop(line["target"], None)
    return last


def load_memory(settings: Settings, run_id: str, resume: bool) -> Memory:
    done = _saved_hashes([log_path(settings, run_id)], run_id, same_run=True) if resume else {}
    last_saved = _saved_hashes(all_logs(settings), run_id, same_run=False) if settings.run.compare == "log" else {}
    return Memory(done=done, last_saved=last_saved)
