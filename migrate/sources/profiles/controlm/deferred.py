"""The export's folders as deferred rows (`read_deferred`): the process that reads the export makes
only the first pass (conditions.py: the conditions, and where each folder is and how many rows it
makes) and numbers the rows; each folder is read and made into its flow where its rows are mapped
(a plan's worker processes, or `migrate run`'s mapping process), from its bytes in the file.

A folder read alone is the file's beginning up to the first folder (its XML declaration, so its
encoding, and the <DEFTABLE> start tag, so its namespaces), the folder's own bytes up to the next
child of the <DEFTABLE>, and the file's end from </DEFTABLE>: the same element the streamed
reading (reading.py's `folders`) gives. A few folders that follow one another are read in one
parse (`_AHEAD`: a parser costs about as much to make as a folder to read), each kept until asked
for.

The context a folder is read in (the options, the first pass's conditions, those bytes) is kept
in this process by a token that the deferred rows carry (a pickle of a few numbers): a worker
forked after the first pass has it; one that was not (a `spawn` start) makes the first pass again,
once, from the file.
"""

from __future__ import annotations

import itertools
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import XML, Element, ParseError

from migrate.config import SourceSettings
from migrate.sources.profiles import DeferredRows, FlowRows, Row, RowNumbers, duplicate, flow_rows, rows_of
from migrate.sources.profiles.controlm.conditions import Outline, Producers, index_and_outline
from migrate.sources.profiles.controlm.flows import folder_flows, streamed_flows
from migrate.sources.profiles.controlm.options import Options, options
from migrate.sources.profiles.controlm.reading import normalised
from migrate.sources.readers import SourceError, SourceRow

# The children of the <DEFTABLE> read in one parse: a worker maps folders in runs of hundreds that
# follow one another in the file; at most this many parsed folders wait to be asked for.
_AHEAD = 16


@dataclass
class _Export:
    """What reading one folder of an export needs, once a process."""

    path: Path
    options: Options
    producers: Producers
    head: bytes  # the file up to its first folder
    tail: bytes  # from </DEFTABLE> to its end
    starts: array[int]  # the first pass's: where each child of the <DEFTABLE> begins
    root_end: int  # where </DEFTABLE> begins
    descriptor: int = -1  # the file, opened by the process that reads folders (os.pread: no shared offset)
    pid: int = 0
    ahead: dict[int, Element] = field(default_factory=dict)  # parsed children not yet asked for, by place

    def folder(self, ordinal: int) -> Element:
        """The `ordinal`-th child of the <DEFTABLE>, normalised as reading.py's `folders` gives it."""
        found = self.ahead.pop(ordinal, None)
        if found is None:
            self.ahead = self._read(ordinal)
            found = self.ahead.pop(ordinal)
        return normalised(found)

    def _read(self, ordinal: int) -> dict[int, Element]:
        """That child and the few that follow it, by place, from their bytes."""
        if self.pid != os.getpid():  # a forked worker opens its own
            self.descriptor, self.pid = os.open(self.path, os.O_RDONLY), os.getpid()
        first, last = ordinal - 1, min(ordinal - 1 + _AHEAD, len(self.starts))
        start, end = self.starts[first], self.starts[last] if last < len(self.starts) else self.root_end
        own = os.pread(self.descriptor, end - start, start)
        try:
            root = XML(self.head + own + self.tail)
        except ParseError as error:
            raise SourceError(f"{self.path}: changed while it was read ({error}): plan again") from None
        except RecursionError:
            raise SourceError(f"{self.path}: refused: nested deeper than a Control-M export can be") from None
        if len(root) != last - first:
            raise SourceError(f"{self.path}: changed while it was read: plan again")
        return dict(enumerate(root, ordinal))

    def close(self) -> None:
        if self.pid == os.getpid():
            os.close(self.descriptor)
            self.pid = 0


# The exports read by this process (and, forked, its workers), by token; the latest few.
_EXPORTS: dict[tuple[int, int], _Export] = {}
_KEPT = 8
_tokens = itertools.count(1)


def _export(token: tuple[int, int], settings: SourceSettings) -> _Export:
    """The export of that token: this process's (or, forked, its parent's), or read again."""
    found = _EXPORTS.get(token)
    if found is None:  # a worker that was not forked from the reader: the first pass again, once
        producers, outline = index_and_outline(settings.path)
        found = _remember(token, settings, options(settings), producers, outline)
    return found


def _remember(token: tuple[int, int], settings: SourceSettings, controlm_options: Options, producers: Producers,
              outline: Outline) -> _Export:
    with settings.path.open("rb") as file:
        head = file.read(outline.starts[0])
        file.seek(outline.root_end)
        tail = file.read()
    export = _EXPORTS[token] = _Export(settings.path, controlm_options, producers, head, tail, outline.starts,
                                       outline.root_end)
    while len(_EXPORTS) > _KEPT:
        _EXPORTS.pop(next(iter(_EXPORTS))).close()
    return export


@dataclass(frozen=True, slots=True)
class FolderRows(DeferredRows):
    """One folder's rows, made where they are mapped: its place among the <DEFTABLE>'s children
    (where its bytes are: the first pass's outline), its first row and row count (the first
    pass's), and the first row of an earlier folder of the same key (None: the first)."""

    token: tuple[int, int]
    settings: SourceSettings
    ordinal: int
    number: int
    count: int
    earlier: int | None

    def __reduce__(self) -> tuple[Any, ...]:  # by the thousand to the workers: a plain tuple
        return FolderRows, (self.token, self.settings, self.ordinal, self.number, self.count, self.earlier)

    def rows(self) -> list[SourceRow]:
        export = _export(self.token, self.settings)
        flows = folder_flows(export.folder(self.ordinal), export.producers, export.options, self.ordinal)
        flow = _the_one(flows, self)
        if self.earlier is not None:
            duplicate(flow, self.earlier, self.number)
        return flow_rows(flow, self.number)


def _the_one(flows: list[FlowRows], deferred: FolderRows) -> FlowRows:
    """The folder's flow, which must be what the first pass counted: row numbers were given by it."""
    rows = sum(len(flow.tasks) or 1 for flow in flows)
    if len(flows) != 1 or rows != deferred.count:
        raise AssertionError(f"Control-M folder #{deferred.ordinal}: {len(flows)} flow(s) of {rows} rows, where the "
                             f"first pass counted one of {deferred.count}")
    return flows[0]


def read_deferred(settings: SourceSettings) -> Iterator[Row]:
    """The export's rows, each folder's deferred (FolderRows); all made here (`read`'s rows) when a
    folder may become two flows (`split_or`), which only its conversion says, or when names with a
    namespace prefix make the first pass's outline unsure."""
    controlm_options = options(settings)
    if not settings.path.is_file():
        raise SourceError(f"{settings.path}: no such file")
    producers, outline = index_and_outline(settings.path)
    if controlm_options.split_or or outline.prefixed:
        yield from rows_of(streamed_flows(settings, producers, controlm_options))
        return
    token = (os.getpid(), next(_tokens))
    _remember(token, settings, controlm_options, producers, outline)
    numbers = RowNumbers()
    for place, (key, count) in enumerate(zip(outline.keys, outline.counts, strict=True), 1):
        number, earlier = numbers.place(key, count)
        yield FolderRows(token, settings, place, number, count, earlier)
