"""The conditions of the whole export: the first pass over the file (`index`, expat's handlers,
building no tree) finds which folder and job posts each condition (`Producers`), and whether the
file is well-formed; and the order dates (`ODAT`, `ANY_DATE`) and signs that say which conditions
one run of a folder posts.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from migrate.sources.profiles.controlm.elements import (
    EXPECTED,
    FOLDER_TAGS,
    SUB_FOLDERS,
    folder_key,
    folder_name,
    runs_nothing,
)
from migrate.sources.profiles.controlm.reading import check_prolog
from migrate.sources.readers import SourceError

ODAT = "ODAT"
ANY_DATE = ("****", "$$$$")
SAME_RUN = frozenset((ODAT, *ANY_DATE))  # order dates of a condition the same run posts


@dataclass
class Producers:
    """Who posts which condition, across the export: (folder key, job name) pairs. Tuples, once
    the first pass is done: the garbage collector stops looking into them, where lists of a whole
    export's conditions would be gone through again at every full collection while flows are read."""

    posted: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    on_outcome: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # folder key -> folder name
    keys_by_name: dict[str, tuple[str, ...]] = field(default_factory=dict)


# What the first pass does at each element, by its normalised name.
_HOLDER_TAGS = frozenset(("JOB", *SUB_FOLDERS))
POSTING = ("+", "ADD", "A")


def _upper_keys(attributes: dict[str, str]) -> dict[str, str]:
    """Attribute names as reading.py's `normalised` makes them (expat, without namespaces, writes no `}`)."""
    if "".join(attributes).isupper():
        return attributes
    return {key.rsplit("}", 1)[-1].upper(): value for key, value in attributes.items()}


@dataclass
class Outline:
    """Where each child of the <DEFTABLE> is in the file and what rows it makes, found by the first
    pass: so that the second, one folder at a time, can be done anywhere (deferred.py). About 16
    bytes a folder (its key is the index's own text)."""

    starts: array[int] = field(default_factory=lambda: array("q"))  # the byte where each child begins
    keys: list[str] = field(default_factory=list)  # the key of its flow (flows.py's `folder_flows`)
    counts: array[int] = field(default_factory=lambda: array("q"))  # its rows: its jobs, else one
    root_end: int = 0  # the byte where </DEFTABLE> begins
    # A name written with a namespace prefix (`ctm:JOB`): this pass reads it as written, the second
    # by its namespace, so only the second tells what it is; such an export is not deferred.
    prefixed: bool = False


# What an open element pushed on the holders: nothing, a holder, a holder that holds jobs (a
# folder, or a SUB_FOLDER of one: the scopes model.py's `scope_of` reads).
_NOTHING, _HOLDER, _SCOPE = 0, 1, 2


class _Indexing:
    """The first pass: expat's handlers, building no tree. Per element: the depth, and for a
    folder, a job or sub-folder, an out-condition, an ON or a DOCOND what it says; the holders
    (job names, "(smart_folder)", "(sub_folder)") of the conditions that follow; and the outline."""

    def __init__(self, path: Path, parser: Any) -> None:
        self.path = path
        self.parser = parser
        self.posted: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.on_outcome: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        self.names: dict[str, str] = {}
        self.keys_by_name: dict[str, list[str]] = defaultdict(list)
        self.depth = 0
        self.key = ""  # the folder being read ("" outside folders)
        self.holders: list[str] = []
        self.opened: list[int] = []  # what each open element pushed (_NOTHING, _HOLDER, _SCOPE)
        self.code = ""  # the CODE of the ON being read
        self.found = False
        self.tags: dict[str, str] = {}
        self.outline = Outline()
        self.jobs = 0  # of the child of the DEFTABLE being read
        self.one_row = False  # it makes one row whatever its jobs (not a folder, a job unnamed or with nothing to run)

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = self.tags.get(name)
        if tag is None:
            tag = self.tags[name] = name.rsplit("}", 1)[-1].upper()
            self.outline.prefixed = self.outline.prefixed or ":" in name
        self.depth += 1
        depth = self.depth
        pushed = _NOTHING
        if depth == 2:
            attributes = _upper_keys(attributes)
            self.key = folder_key(attributes) if tag in FOLDER_TAGS else ""
            named = folder_name(attributes)
            outline = self.outline
            outline.starts.append(self.parser.CurrentByteIndex)
            self.one_row = not (self.key and named)
            outline.keys.append(f"<{tag}> #{len(outline.keys) + 1}" if self.one_row else self.key)
            self.jobs = 0
            if self.key:
                self.found = True
                self.names[self.key] = named
                self.keys_by_name[named].append(self.key)
                self.holders, pushed = [f"({tag.lower()})"], _SCOPE
        elif depth == 1:
            if tag != "DEFTABLE":
                raise SourceError(f"{self.path}: this does not look like a Control-M export ({EXPECTED}; found "
                                  f"<{name}>)")
        elif self.key:
            if tag in _HOLDER_TAGS:
                in_scope = self.opened[-1] == _SCOPE
                if tag == "JOB":
                    attributes = _upper_keys(attributes)
                    job = attributes.get("JOBNAME", "")
                    self.holders.append(job)
                    pushed = _HOLDER
                    if in_scope:  # a task of the flow
                        self.jobs += 1
                        self.one_row = self.one_row or not job.strip() or runs_nothing(attributes)
                else:
                    self.holders.append(f"({tag.lower()})")
                    pushed = _SCOPE if in_scope else _HOLDER
            elif tag == "OUTCOND":
                attributes = _upper_keys(attributes)
                if attributes.get("SIGN", "+").strip().upper() in POSTING:
                    condition, odate = attributes.get("NAME", "").strip(), attributes.get("ODATE", ODAT).strip().upper()
                    if condition and odate in SAME_RUN:
                        self.posted[condition].append((self.key, self.holders[-1]))
            elif tag == "ON":
                self.code = _upper_keys(attributes).get("CODE", "").strip()
            elif tag == "DOCOND":
                attributes = _upper_keys(attributes)
                if attributes.get("SIGN", "+").strip().upper() in POSTING:
                    condition = attributes.get("NAME", "").strip()
                    if condition:
                        self.on_outcome[condition].append((self.key, self.holders[-1], self.code))
        self.opened.append(pushed)

    def end(self, _name: str) -> None:
        self.depth -= 1
        if self.opened.pop() and self.holders:
            self.holders.pop()
        if self.depth == 1:  # a child of the DEFTABLE read: its rows
            self.outline.counts.append(1 if self.one_row or not self.jobs else self.jobs)
        elif not self.depth:
            self.outline.root_end = self.parser.CurrentByteIndex


def index(path: Path) -> Producers:
    """The first pass, building no tree: which folder and job posts each condition. It is also the
    pass that finds a file malformed, and says where."""
    return index_and_outline(path)[0]


def index_and_outline(path: Path) -> tuple[Producers, Outline]:
    """`index`, and where each folder is and what rows it makes (Outline)."""
    parser = expat.ParserCreate()
    indexing = _Indexing(path, parser)
    parser.StartElementHandler = indexing.start
    parser.EndElementHandler = indexing.end
    try:
        with path.open("rb") as file:
            check_prolog(path, file)
            parser.ParseFile(file)
    except expat.ExpatError as error:
        if error.code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS] and not path.stat().st_size:
            raise SourceError(f"{path}: the file is empty") from None
        raise SourceError(f"{path}: line {error.lineno}, column {error.offset + 1}: {expat.ErrorString(error.code)}: "
                          "not well-formed XML (truncated, or not a Control-M export)") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror})") from None
    if not indexing.found:
        raise SourceError(f"{path}: the <DEFTABLE> holds no folder ({EXPECTED}): nothing to migrate")
    producers = Producers({name: tuple(by) for name, by in indexing.posted.items()},
                          {name: tuple(by) for name, by in indexing.on_outcome.items()}, indexing.names,
                          {name: tuple(keys) for name, keys in indexing.keys_by_name.items()})
    return producers, indexing.outline
