"""What earlier result logs say: which run to resume, what was last saved for each flow, which
flows a dead run may still have a request in flight for, and which flows this run sent a request
for that may have landed though their line says `failed` (its retries given up, its answer lost, or
the run stopped after it left)."""

from __future__ import annotations

import glob
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from migrate import console
from migrate.config import ConfigError, Settings, logs_to_stdout
from migrate.engine.runner import Memory
from migrate.exit_codes import CannotRun
from migrate.mapping.identity import ROW_KEY
from migrate.results.log import ATTEMPT, echo_to_stdout, read_log
from migrate.service.model import ASCII_DIGITS

RUN_ID = "{run_id}"
# A run id names a file in the results folder: a plain name, never a path.
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
# Logs touched this recently are read for flows in doubt even when the run is not a resume: a
# crash followed by a fresh run must not race the dead run's requests either.
RECENT_SECONDS = 120.0
# The lines after which a request sent earlier for the flow may have landed unseen.
UNSETTLED = ("failed", "not_attempted")


class NothingToResume(CannotRun):
    """--resume found no log of the run."""


def checked_run_id(run_id: str) -> str:
    """The run id, or a refusal: it must stay a file name inside the results folder."""
    if not RUN_ID_PATTERN.fullmatch(run_id) or ".." in run_id:
        raise ConfigError(f"run id {run_id!r}: use letters, digits, '.', '_' and '-' only (at most 128, "
                          "starting with a letter or digit): it names a file in the results folder")
    return run_id


# `result_log = "-"` sends the lines to standard output, and keeps a copy here (beside the
# config, as the default log). The safer of the two ways: a run logged only to a pipe could not
# be resumed, and a later run could not see which requests a crashed one left in flight (its
# `attempt` records), nor compare = "log" what it saved; the copy keeps all of that, and the
# run locks need a folder anyway. Resume and history read the copy, never standard output.
STDOUT_LOG_COPY = Path("results") / f"{RUN_ID}.jsonl"


def _log_pattern(settings: Settings) -> Path:
    """Where a run's log file is (with `{run_id}`): the configured one, or the copy kept of a
    log sent to standard output."""
    if logs_to_stdout(settings.run):
        return settings.config_path.parent.resolve() / STDOUT_LOG_COPY
    return settings.run.result_log


def log_path(settings: Settings, run_id: str) -> Path:
    """The run's log file; with `result_log = "-"` its copy, whose lines the writer also sends
    to standard output (results/log.py)."""
    path = Path(str(_log_pattern(settings)).replace(RUN_ID, checked_run_id(run_id)))
    if logs_to_stdout(settings.run):
        echo_to_stdout(path)
    return path


def all_logs(settings: Settings) -> list[Path]:
    """The result logs the config's `result_log` pattern matches. A file it matches that is no
    result log (a snapshot `migrate export` wrote as `results/eb-after.jsonl`) is left out, said once:
    read as one, each of its lines was a warning of its own."""
    pattern = glob.escape(str(_log_pattern(settings))).replace(glob.escape(RUN_ID), "*")
    found = []
    for path in sorted(Path(p) for p in glob.glob(pattern)):
        if not path.is_file():
            continue  # a folder of that name: no log
        if (other := _other_file(path)) is not None:
            if str(path) not in _left_out:
                _left_out.add(str(path))
                console.warning(f"{path}: {other}, not a result log: left out of the earlier runs read",
                                event="not_a_result_log", file=str(path))
            continue
        found.append(path)
    return found


def _other_file(path: Path) -> str | None:
    """What a file the pattern matches is, when it is surely no result log: a snapshot `migrate
    export` wrote (its header line), or one JSON document written over lines (a plan, `{` alone on
    its first line). A log whose first line is damaged is still a log: its other lines are read
    (read_log warns of the bad one)."""
    try:
        with path.open("rb") as lines:
            first = next((raw.strip() for raw in lines if raw.strip()), b"")
    except OSError:
        return None  # unreadable: read_log says so where it reads it
    if first in (b"{", b"["):
        return "a JSON document (a plan?)"
    try:
        record = orjson.loads(first)
    except orjson.JSONDecodeError:
        return None
    return "a snapshot written by `migrate export`" if isinstance(record, dict) and "snapshot" in record else None


_left_out: set[str] = set()  # files said to be no result log, once a process


@dataclass(frozen=True)
class RunToResume:
    run_id: str
    note: str  # which run, and why that one


def _names(settings: Settings) -> tuple[str, str]:
    """What says that a log belongs to this config: the names of the config and of its source
    (names, not paths: a folder moved with its export is still the same migration)."""
    return settings.config_path.name, settings.source.path.name


def _is_ours(line: dict[str, Any], config_name: str, source_name: str) -> bool:
    # Logs written before lines named their config match on the source alone.
    return (Path(str(line.get("source_file"))).name == source_name
            and line.get("config", config_name) == config_name)


def run_to_resume(settings: Settings, wanted: str | None) -> RunToResume:
    """The run to continue: the one named, or the newest run of this config over this source."""
    config_name, source_name = _names(settings)
    if wanted is not None:
        path = log_path(settings, wanted)
        if not path.is_file():
            raise NothingToResume(f"no result log of run {wanted!r} at {path}")
        return RunToResume(wanted, f"resuming run {wanted} ({path})")
    others: list[str] = []
    for path in sorted(all_logs(settings), key=lambda p: p.stat().st_mtime, reverse=True):
        ours = None
        for line in read_log(path, attempts=True):
            if _is_ours(line, config_name, source_name):
                ours = str(line["run_id"])  # the last one: a shared log file holds several runs
            elif line.get("run_id") not in others:
                others.append(str(line.get("run_id")))
        if ours is not None:
            return RunToResume(ours, f"resuming run {ours}, the newest run of {config_name} over {source_name} "
                                     f"({path})")
    elsewhere = f"; the runs there are of other configs or sources: {', '.join(others[:5])}" if others else ""
    raise NothingToResume(f"no result log to resume under {_log_pattern(settings).parent} for {config_name} "
                          f"over {source_name}{elsewhere}")


def _records(paths: Iterable[Path], run_id: str | None, same_run: bool) -> Iterator[dict[str, Any]]:
    for path in paths:
        for line in read_log(path, attempts=True):
            if (line.get("run_id") == run_id) == same_run and line.get("target"):
                yield line


def _deadline(line: dict[str, Any], timeout: float) -> float:
    """When a request sent at this attempt record can no longer land: its time limit after its
    start (the record is written at the last moment before the request leaves)."""
    return datetime.fromisoformat(line["ts"]).timestamp() + max(timeout, float(line.get("timeout_s") or 0))


@dataclass
class _Outcomes:
    last_saved: dict[str, str]  # target -> input hash of its last line, when that is saved/created/unchanged
    in_doubt: dict[str, float]  # target -> deadline, when its last record is an attempt
    saved_in: dict[str, str] = field(default_factory=dict)  # target -> the flow id its last_saved line names
    # Targets with an Import among their attempt records since their last line other than `failed`
    # or `not_attempted` (in doubt, or failed after it left): a flow found there is the one that
    # Import made.
    importing: set[str] = field(default_factory=set)
    # Targets whose last line is `failed` (or `not_attempted`) with an attempt record since their
    # last other line: a request sent for them may have landed all the same.
    sent_then_failed: set[str] = field(default_factory=set)


def _outcomes(records: Iterable[dict[str, Any]], timeout: float) -> _Outcomes:
    ordered = sorted(records, key=lambda line: str(line.get("ts", "")))
    outcomes = _Outcomes({}, {})
    sent: set[str] = set()  # targets with an attempt record since their last line other than UNSETTLED
    # flow id -> the target whose line saved it last: a flow saved under another target since (its
    # name changed in the export, a key mapped anew) is no longer as an older target's line left it.
    holder: dict[str, str] = {}
    for line in ordered:
        target, status = line["target"], line["status"]
        if status == "invalid":
            continue  # an invalid duplicate row says nothing of the flow
        outcomes.last_saved.pop(target, None)
        outcomes.in_doubt.pop(target, None)
        outcomes.sent_then_failed.discard(target)
        if status == ATTEMPT:
            outcomes.in_doubt[target] = _deadline(line, timeout)
            sent.add(target)
            if line.get("action") == "import":
                outcomes.importing.add(target)
            continue
        if status in UNSETTLED and target in sent:
            # Not answered ok, or stopped, after a request left (or not tried since): what it did is
            # known only by reading the flow, which the next try does (an Import's flow is found,
            # never made twice).
            outcomes.sent_then_failed.add(target)
            continue
        sent.discard(target)
        outcomes.importing.discard(target)
        if status in ("enabled", "disabled", "deleted") and str(line.get("flow_id") or "") in holder:
            # This tool's own runbook or prune changed the flow since a run saved it: the payload that
            # run saved is no longer what the service holds (a job back in the export after a prune
            # was `unchanged`, its flow left disabled; a deleted one was never made again).
            outcomes.last_saved.pop(holder[str(line["flow_id"])], None)
        if status in ("saved", "created", "restored", "unchanged") and line.get("input_sha256"):
            outcomes.last_saved[target] = line["input_sha256"]
            flow_id = str(line.get("flow_id") or "")
            if flow_id or outcomes.saved_in.get(target) is None:
                outcomes.saved_in[target] = flow_id or ""
            if flow_id:
                if holder.get(flow_id, target) != target:
                    outcomes.last_saved.pop(holder[flow_id], None)
                holder[flow_id] = target
    return outcomes


# Lines that name the flow a source key's job is in: saved, or made by Import and its save failed.
NAMING_THE_FLOW = ("saved", "created", "restored", "unchanged", "failed")
# The flows an earlier run named for one job that are read, newest first: enough for a job moved
# between scopes or made again a few times, bounded for one made again every night.
EARLIER_FLOWS_READ = 5


def made_before(settings: Settings) -> Callable[[str, str], list[tuple[str, str]]]:
    """(source key, name) -> the flows the lines of the logs in this config's results folder name
    for that job, newest first, each with the run that wrote the line: what a flow about to be
    created was made as before (one handed over to other owners since is out of the caller's
    sight; reconcile/live.py made_again reads them and takes the first that is still this job's,
    by its marker or name, whichever config or scope wrote the line). A key that is a row number
    names no job for good: such a job is looked up by its name. The logs are read at the first
    question only (a run that creates nothing reads none), once."""
    by_key: dict[str, dict[str, tuple[str, str]]] | None = None  # key -> flow id -> (ts, run)

    def lookup(key: str, name: str) -> list[tuple[str, str]]:
        nonlocal by_key
        if by_key is None:
            by_key = {}
            for path in all_logs(settings):
                for line in read_log(path):
                    flow_id, ts = line.get("flow_id"), str(line.get("ts") or "")
                    if line["status"] not in NAMING_THE_FLOW or not isinstance(flow_id, str) \
                            or not ASCII_DIGITS.fullmatch(flow_id):  # no flow id, or one no flow has
                        continue
                    source_key = str(line.get("source_key"))
                    found = by_key.setdefault(f"name {line.get('name')}" if ROW_KEY.fullmatch(source_key)
                                              else source_key, {})
                    if flow_id not in found or found[flow_id][0] < ts:
                        found[flow_id] = (ts, f"run {line.get('run_id')} ({ts[:10]})")
        flows = by_key.get(f"name {name}" if ROW_KEY.fullmatch(key) else key, {})
        newest = sorted(flows.items(), key=lambda item: item[1][0], reverse=True)[:EARLIER_FLOWS_READ]
        return [(flow_id, run) for flow_id, (_, run) in newest]

    return lookup


def load_memory(settings: Settings, run_id: str, resume: bool) -> Memory:
    timeout = settings.run.request_timeout
    this_log = log_path(settings, run_id)
    mine = _outcomes(_records([this_log], run_id, same_run=True), timeout) if resume else _Outcomes({}, {})
    reads_all = settings.run.compare == "log"
    now = time.time()
    others = [path for path in all_logs(settings)
              if reads_all or (path != this_log and path.stat().st_mtime > now - timeout - RECENT_SECONDS)]
    theirs = _outcomes(_records(others, run_id, same_run=False), timeout) if others else _Outcomes({}, {})
    in_doubt = {target: until for target, until in theirs.in_doubt.items() if until > now}
    in_doubt.update(mine.in_doubt)  # this run's own: read back after the save, however long ago
    return Memory(done=mine.last_saved, last_saved=theirs.last_saved if reads_all else {},
                  saved_in=theirs.saved_in if reads_all else {}, in_doubt=in_doubt,
                  imports_in_doubt=frozenset(mine.importing), sent_before=frozenset(mine.sent_then_failed))
