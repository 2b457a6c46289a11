"""The conditions of the whole export: the first pass over the file (`index`, expat's handlers,
building no tree) finds which folder and job posts each condition (`Producers`), and whether the
file is well-formed, refusing a DTD's entities and declarations as it meets them (no export has
one: they expand far beyond the file, read other files or give attributes values it does not
show); and the order dates (`ODAT`, `ANY_DATE`) and signs that say which conditions
one run of a folder posts.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from defusedxml import DefusedXmlException

from migrate.sources.profiles.controlm.elements import (
    EXPECTED,
    FOLDER_TAGS,
    SUB_FOLDERS,
    folder_key,
    folder_name,
    runs_nothing,
)
from migrate.sources.profiles.controlm.reading import check_prolog, declaration_refused_here, normal_attributes
from migrate.sources.readers import SourceError
from migrate.sources.xml_text import refuse_declarations

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


POSTING = ("+", "ADD", "A")  # the SIGNs of a condition posted (relations.py's too)


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


# What the first pass does at an element inside a folder, by the name expat gives (`_Indexing.kinds`):
# most elements (INCOND, VARIABLE, QUANTITATIVE...) nothing but count the depth.
_NOTHING, _JOB, _SUB_FOLDER, _OUTCOND, _ON, _DOCOND = range(6)
_KINDS = {"JOB": _JOB, "OUTCOND": _OUTCOND, "ON": _ON, "DOCOND": _DOCOND, **dict.fromkeys(SUB_FOLDERS, _SUB_FOLDER)}


class _Indexing:
    """The first pass: expat's handlers, building no tree. Per element: the depth, and for a
    folder, a job or sub-folder, an out-condition, an ON or a DOCOND what it says; the holders
    (job names, "(smart_folder)", "(sub_folder)") of the conditions that follow; and the outline.

    Expat calls a handler twice for each of the export's elements (about nine a folder), so the
    handlers do the least for the commonest: an element with nothing to say (an INCOND) costs a
    dict lookup and the depth; an end costs the depth and one comparison, the rest being done only
    where an element that matters ends (`watched`: a child of the <DEFTABLE>, a job, a sub-folder,
    the <DEFTABLE> itself)."""

    def __init__(self, path: Path, parser: Any) -> None:
        self.path = path
        self.parser = parser
        # Who posts each condition, in the tuples Producers keeps, made once: most conditions have one
        # poster, and a list each (then a tuple) would be two objects a condition for the garbage
        # collector to go through while the pass runs. The second poster and later wait in `more`.
        self.posted: dict[str, tuple[tuple[str, str], ...]] = {}
        self.more: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.on_outcome: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        self.names: dict[str, str] = {}
        self.keys_by_name: dict[str, list[str]] = defaultdict(list)
        self.depth = 0
        self.key = ""  # the folder being read ("" outside folders)
        self.holders: list[str] = []
        # The depths of the open elements whose end matters, innermost last, and the innermost's
        # (`end` compares with it alone); and those of the open scopes (a folder, or a SUB_FOLDER
        # of one: the scopes model.py's `scope_of` reads), whose jobs are the flow's tasks.
        self.watched: list[int] = []
        self.watch = 0
        self.scopes: list[int] = []
        self.code = ""  # the CODE of the ON being read
        self.found = False
        self.tags: dict[str, str] = {}
        self.kinds: dict[str, int] = {}
        self.outline = Outline()
        self.jobs = 0  # of the child of the DEFTABLE being read
        self.one_row = False  # it makes one row whatever its jobs (not a folder, a job unnamed or with nothing to run)

    def _tag(self, name: str) -> str:
        """The element's name as reading.py's `normalised` makes it."""
        tag = self.tags.get(name)
        if tag is None:
            tag = self.tags[name] = name.rsplit("}", 1)[-1].upper()
            self.kinds[name] = _KINDS.get(tag, _NOTHING)
            self.outline.prefixed = self.outline.prefixed or ":" in name
        return tag

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.depth = depth = self.depth + 1
        kind = self.kinds.get(name)
        if kind is None:
            self._tag(name)
            kind = self.kinds[name]
        if depth > 2:
            if kind == _OUTCOND and self.key:  # the commonest that matters, inline
                attributes = normal_attributes(attributes)
                sign = attributes.get("SIGN", "+")
                if sign == "+" or sign.strip().upper() in POSTING:
                    condition, odate = attributes.get("NAME", "").strip(), attributes.get("ODATE", ODAT)
                    if condition and (odate == ODAT or odate.strip().upper() in SAME_RUN):
                        poster = (self.key, self.holders[-1])
                        if self.posted.setdefault(condition, (poster,))[0] is not poster:
                            self.more[condition].append(poster)
            elif kind == _JOB and self.key:  # the next commonest, inline too
                attributes = normal_attributes(attributes)
                job = attributes.get("JOBNAME", "")
                self.holders.append(job)
                self.watched.append(depth)
                self.watch = depth
                if self.scopes[-1] == depth - 1:  # a task of the flow
                    self.jobs += 1
                    self.one_row = self.one_row or not job.strip() or runs_nothing(attributes)
            elif kind and self.key:
                self._inside(kind, name, attributes, depth)
        elif depth == 2:
            self._child(self._tag(name), attributes)
        elif self._tag(name) != "DEFTABLE":
            raise SourceError(f"{self.path}: this does not look like a Control-M export ({EXPECTED}; found "
                              f"<{name}>)")
        else:
            self._watch(1)

    def _watch(self, depth: int) -> None:
        self.watched.append(depth)
        self.watch = depth

    def _child(self, tag: str, attributes: dict[str, str]) -> None:
        """A child of the <DEFTABLE>: where it begins, its key, and for a folder its name."""
        attributes = normal_attributes(attributes)
        self.key = folder_key(attributes) if tag in FOLDER_TAGS else ""
        named = folder_name(attributes)
        outline = self.outline
        outline.starts.append(self.parser.CurrentByteIndex)
        self.one_row = not (self.key and named)
        outline.keys.append(f"<{tag}> #{len(outline.keys) + 1}" if self.one_row else self.key)
        self.jobs = 0
        self._watch(2)
        if self.key:
            self.found = True
            self.names[self.key] = named
            self.keys_by_name[named].append(self.key)
            self.holders = [f"({tag.lower()})"]
            self.scopes = [2]

    def _inside(self, kind: int, name: str, attributes: dict[str, str], depth: int) -> None:
        """An element of a folder that the first pass reads (a sub-folder, ON, DOCOND; an OUTCOND
        or a job is read by `start` itself)."""
        if kind == _SUB_FOLDER:
            self.holders.append(f"({self._tag(name).lower()})")
            self._watch(depth)
            if self.scopes[-1] == depth - 1:
                self.scopes.append(depth)
        elif kind == _ON:
            self.code = normal_attributes(attributes).get("CODE", "").strip()
        else:  # DOCOND
            attributes = normal_attributes(attributes)
            if attributes.get("SIGN", "+").strip().upper() in POSTING:
                condition = attributes.get("NAME", "").strip()
                if condition:
                    self.on_outcome[condition].append((self.key, self.holders[-1], self.code))

    def end(self, _name: str) -> None:
        self.depth = depth = self.depth - 1
        if depth < self.watch:
            self._ended(depth)

    def _ended(self, depth: int) -> None:
        """A watched element ended: a job or sub-folder (its holder), a child of the DEFTABLE (its
        rows), the DEFTABLE."""
        watched = self.watched
        watched.pop()
        self.watch = watched[-1] if watched else 0
        if depth > 1:
            self.holders.pop()
            if self.scopes[-1] > depth:
                self.scopes.pop()
        elif depth == 1:
            self.outline.counts.append(1 if self.one_row or not self.jobs else self.jobs)
        else:
            self.outline.root_end = self.parser.CurrentByteIndex


def index(path: Path) -> Producers:
    """The first pass, building no tree: which folder and job posts each condition. It is also the
    pass that finds a file malformed, and says where."""
    return index_and_outline(path)[0]


def index_and_outline(path: Path) -> tuple[Producers, Outline]:
    """`index`, and where each folder is and what rows it makes (Outline)."""
    parser = expat.ParserCreate()
    refuse_declarations(parser)  # the one parse of the whole file: the later ones read what it read
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
    except DefusedXmlException as error:
        raise declaration_refused_here(path, error) from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror})") from None
    if not indexing.found:
        raise SourceError(f"{path}: the <DEFTABLE> holds no folder ({EXPECTED}): nothing to migrate")
    posted = indexing.posted
    for name, more in indexing.more.items():
        posted[name] += tuple(more)
    producers = Producers(posted,
                          {name: tuple(by) for name, by in indexing.on_outcome.items()}, indexing.names,
                          {name: tuple(keys) for name, keys in indexing.keys_by_name.items()})
    return producers, indexing.outline
