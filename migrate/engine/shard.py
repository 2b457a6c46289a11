"""`--shard INDEX/COUNT`: one migration split across processes (the pods of a Kubernetes Indexed
Job, or a few terminals), each taking the flows whose key falls in its shard (docs/operations.md).

A flow belongs to shard `sha256(key) mod COUNT`. The key is the flow's source key (a profile's, or
the `[mapping] flow_key` columns'); for a table read one row per flow, whose source key is a row
number, it is the flow's id, else its name: adding a line to the export moves no flow to another
shard. SHA-256, not Python's hash(), which differs from one process to the next: every shard,
on any machine, puts every flow in the same place, so the shards are disjoint and together cover
every flow. Each shard still reads and maps the whole source, so duplicates are found across it.

Shards 0 to COUNT-1, as Kubernetes numbers an Indexed Job's pods (`JOB_COMPLETION_INDEX`):
`--shard auto/COUNT` reads the index from there.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from pathlib import Path

from migrate.config import Settings
from migrate.exit_codes import CannotRun
from migrate.mapping.flows import InvalidFlow, ReadyFlow, ValidFlow
from migrate.mapping.identity import ROW_KEY
from migrate.results.history import RUN_ID

INDEX_VARIABLE = "JOB_COMPLETION_INDEX"
AUTO = "auto"
MAX_SHARDS = 10_000
SHARD = re.compile(r"(?P<index>auto|\d+)/(?P<count>\d+)")
RUN_ID_SUFFIX = re.compile(r"-shard-(\d+)-of-(\d+)$")


class ShardError(CannotRun):
    """A --shard that cannot be used: nothing was read or sent."""


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def suffix(self) -> str:
        """What a shard's run id ends with: each shard writes its own result log."""
        return f"-shard-{self.index}-of-{self.count}"

    def run_id(self, run_id: str) -> str:
        """The shard's own run id: the one given to every shard, with the shard's suffix."""
        return run_id if run_id.endswith(self.suffix) else run_id + self.suffix

    def holds(self, key: str) -> bool:
        return shard_of(key, self.count) == self.index


def shard_of(key: str, count: int) -> int:
    """The shard of a flow key: the same in every process and on every machine."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()[:8], "big") % count


def parse_shard(text: str, environ: Mapping[str, str] = os.environ) -> Shard:
    """`INDEX/COUNT` (0 <= INDEX < COUNT), or `auto/COUNT` with INDEX from JOB_COMPLETION_INDEX."""
    found = SHARD.fullmatch(text.strip())
    if found is None:
        raise ShardError(f"--shard {text!r}: give INDEX/COUNT (such as 2/4, shards 0 to COUNT-1), or auto/COUNT "
                         f"to take INDEX from {INDEX_VARIABLE} (a Kubernetes Indexed Job sets it)")
    count = int(found["count"])
    if not 1 <= count <= MAX_SHARDS:
        raise ShardError(f"--shard {text!r}: COUNT must be 1 to {MAX_SHARDS}")
    index_text = found["index"]
    if index_text == AUTO:
        index_text = environ.get(INDEX_VARIABLE, "").strip()
        if not index_text.isdigit():
            found_there = repr(index_text) if index_text else "not set"
            raise ShardError(f"--shard {text!r}: {INDEX_VARIABLE} is {found_there}; outside an Indexed Job give the "
                             "index itself (such as --shard 0/4)")
    index = int(index_text)
    if index >= count:
        raise ShardError(f"--shard {text!r}: INDEX {index} is not below COUNT {count} (shards are 0 to {count - 1})")
    return Shard(index, count)


def flow_key(source_key: str, flow_id: str, name: str) -> str:
    """What decides a flow's shard: its source key, but for a row-per-flow table's row number,
    its id, else its name (`flow_id` "" when the flow has none)."""
    if ROW_KEY.fullmatch(source_key):
        return flow_id or name
    return source_key


def run_id_shard(run_id: str) -> str | None:
    """`INDEX/COUNT` when a run id is a shard's, else None."""
    found = RUN_ID_SUFFIX.search(run_id)
    return f"{found[1]}/{found[2]}" if found else None


def check_resumed_run(run_id: str, shard: Shard | None) -> None:
    """A shard's run resumed without its --shard would send every other shard's flows too."""
    belongs = run_id_shard(run_id)
    if belongs is not None and (shard is None or str(shard) != belongs):
        given = f"--shard {shard}" if shard is not None else "no --shard"
        raise ShardError(f"run {run_id} is shard {belongs} of a sharded run: resume it with --shard {belongs} "
                         f"({given} would take other flows)")


def key_of(flow: ReadyFlow | ValidFlow | InvalidFlow) -> str:
    """A mapped flow's shard key (an invalid one's too: its line is written by its own shard)."""
    unnamed = isinstance(flow, ReadyFlow | ValidFlow) and flow.needs_id  # its id is a stand-in, found by name
    return flow_key(flow.source_key, "" if unnamed else flow.flow_id, flow.name)


async def in_shard(flows: AsyncGenerator[ReadyFlow | InvalidFlow, None],
                   shard: Shard) -> AsyncGenerator[ReadyFlow | InvalidFlow, None]:
    """The flows of this shard, in the source's order."""
    async with contextlib.aclosing(flows):  # closed with this one: the source stops being read
        async for flow in flows:
            if shard.holds(key_of(flow)):
                yield flow



def for_shard(settings: Settings, shard: Shard, *, prune: str | None = None, plan: Path | None = None,
              resume: bool = False, run_id: str | None = None) -> Settings:
    """The settings a shard runs with: its share of the rate (`run.shard_rate`), and a result log
    of its own, which only a `{run_id}` in `run.result_log` gives it; or why the run cannot be
    sharded. An orphan (a live flow whose key left the export) has no key to put in a shard: no
    shard can tell that it is one."""
    if prune is not None:
        raise ShardError("--prune is not for --shard: an orphan's key is in no shard, so no shard can find the "
                         "orphans; prune with one unsharded run (`migrate run CONFIG --prune disable`) after the "
                         "shards")
    if plan is not None:
        raise ShardError("--shard is not for --plan: a saved plan names its flows already")
    if resume and (run_id or settings.run.run_id) is None:
        raise ShardError(f"--resume with --shard {shard} needs --run-id (the run id the shards were given, or the "
                         "shard's own): the newest run may be another shard's")
    log = settings.run.result_log
    if RUN_ID not in str(log) and log.name != "-" and not (log.exists() and not log.is_file()):
        raise ShardError(f"--shard {shard}: run.result_log {str(log)!r} has no {RUN_ID}: every shard would write "
                         "the same file; put {run_id} in it (each shard's run id ends in -shard-INDEX-of-COUNT)")
    if settings.run.shard_rate == "own-key":
        return settings
    run = settings.run.model_copy(update={"rate_per_second": settings.run.rate_per_second / shard.count})
    return settings.model_copy(update={"run": run})
