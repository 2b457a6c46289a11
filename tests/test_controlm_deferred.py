"""The controlm profile's deferred rows (sources/profiles/controlm/deferred.py): a plan's reading
process makes only the first pass and numbers the rows, and each folder becomes its flow where its
rows are mapped. The rows must be exactly the streamed reading's, whatever the export holds; and
the caches that spare the reading repeated work key on every input of what they keep."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_profile_controlm import EVERY_MONTH, chain, cond, deftable, folder, job, rule, smart, uses, write

from migrate.config import SourceSettings, load_settings
from migrate.engine import inventory
from migrate.engine.inventory import plan_job
from migrate.schedule.controlm import Ordering
from migrate.schedule.proof_controlm import DAY_ATTRIBUTES, TIME_ATTRIBUTES, controlm_source
from migrate.sources.profiles import DeferredRows, expanded_rows
from migrate.sources.profiles.controlm import deferred, read, read_deferred
from migrate.sources.readers import SourceRow


def _settings(path: Path, **options: Any) -> SourceSettings:
    return SourceSettings(path=path, profile="controlm", options={"new_day": "0700", **options})


def _plain(rows: Any) -> list[tuple[int, dict[str, str]]]:
    return [(row.number, row.cells) for row in rows]


def _same_rows(path: Path, **options: Any) -> list[tuple[int, dict[str, str]]]:
    """The deferred rows, made, are the streamed reading's, row numbers and all."""
    settings = _settings(path, **options)
    streamed = _plain(read(settings))
    assert _plain(expanded_rows(read_deferred(settings))) == streamed
    return streamed


EVERYTHING = [
    folder("GL", *chain("EXTRACT", "LOAD", "REPORT", TIMEFROM="0130", DAYS="ALL")),
    folder("GL", job("AGAIN", DAYS="ALL", TIMEFROM="0200")),  # the same key again: DUPLICATE
    folder("OPS", job("WAITS", cond("IN", "LOAD-OK"), DAYS="ALL", TIMEFROM="0300")),  # another folder's condition
    folder("EMPTY"),  # no job
    folder("UNNAMED", job("")),  # a job without JOBNAME: one row
    folder("IDLE", job("NOTHING", CMDLINE="", TASKTYPE="Job", APPL_TYPE="OS"), job("B", DAYS="ALL")),  # nothing to run
    folder("", job("X")),  # a folder without a name
    '<NOT_A_FOLDER NAME="x" />',
    smart("SMART", rule("WORKDAYS", WEEKDAYS="1,2,3,4,5"), uses("WORKDAYS"),
          '<SUB_FOLDER JOBNAME="SUB" FOLDER_NAME="SUB">' + job("IN_SUB", TIMEFROM="0400") + job("", TIMEFROM="0400")
          + "</SUB_FOLDER>"),
    smart("SMART2", rule("WORKDAYS", WEEKDAYS="1,2,3,4,5"), uses("WORKDAYS"),
          '<SUB_FOLDER JOBNAME="SUB" FOLDER_NAME="SUB">' + job("A", TIMEFROM="0400") + job("B", TIMEFROM="0400")
          + "</SUB_FOLDER>"),
    folder("OR", job("EITHER", DAYS="1", WEEKDAYS="1", TIMEFROM="0500")),
    folder("PLUGIN", job("FTP", '<VARIABLE NAME="%%FTP-LPATH1" VALUE="/in" />', CMDLINE="", APPL_TYPE="FILE_TRANS")),
    folder("DUMMY", job("D", CMDLINE="", TASKTYPE="Dummy", DAYS="ALL")),
]


def test_deferred_rows_are_the_streamed_readings_whatever_the_export_holds(tmp_path: Path) -> None:
    rows = _same_rows(write(tmp_path, *EVERYTHING))
    errors = {row[1]["flow"]: row[1].get("__errors__", "") for row in rows}
    assert "DUPLICATE" in errors["ctm-prod/GL (again at row 4)"] and "MALFORMED_JOB" in errors["ctm-prod/UNNAMED"]
    assert any(key.startswith("<NOT_A_FOLDER>") for key in errors)
    assert "MALFORMED_JOB" in errors["ctm-prod/SMART"]  # the sub-folder's job without a name
    assert len([row for row in rows if row[1]["flow"] == "ctm-prod/SMART2"]) == 2  # its sub-folder's two jobs


def test_split_or_and_the_example_export_read_alike(tmp_path: Path) -> None:
    _same_rows(write(tmp_path, *EVERYTHING), split_or=True)  # read where it is read: a folder may be two flows
    _same_rows(Path(__file__).parent.parent / "data" / "examples" / "controlm.xml")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252"])
def test_a_folder_read_alone_keeps_the_files_encoding_namespaces_and_doctype(tmp_path: Path, encoding: str) -> None:
    text = deftable(folder("ÉTÉ", job("Grüße", DESCRIPTION="café", DAYS="ALL", TIMEFROM="0100")),
                    "<!-- between -->", folder("B", job("X", DAYS="ALL")),
                    prolog='<!DOCTYPE DEFTABLE SYSTEM "deftable.dtd">\n')
    path = tmp_path / f"{encoding}.xml"
    path.write_bytes(text.replace('encoding="utf-8"', f'encoding="{encoding}"').encode(encoding))
    rows = _same_rows(path)
    assert rows[0][1]["flow_name"] == "ÉTÉ" and rows[0][1]["task_name"] == "Grüße"


def test_folders_read_a_few_in_one_parse_are_each_their_own_in_any_order(tmp_path: Path) -> None:
    """A worker parses a folder with the few that follow it (deferred._AHEAD) and keeps them until
    asked for: asked for out of the file's order, past the end of a group, each is still its own."""
    count = 2 * deferred._AHEAD + 3
    children = [folder(f"F{n}", *chain(f"A{n}", f"B{n}", TIMEFROM=f"{n % 24:02d}00", DAYS="ALL")) for n in range(count)]
    children[5] = '<NOT_A_FOLDER NAME="x" />'
    children.insert(7, "<!-- a comment between folders -->")
    settings = _settings(write(tmp_path, *children))
    streamed = _plain(read(settings))
    items = list(read_deferred(settings))
    assert len(items) == count
    for order in (items[::-1], items[1::3] + items[::3] + items[2::3], items):
        made = {row.number: row.cells for item in order for row in expanded_rows([item])}
        assert sorted(made.items()) == streamed


def test_a_worker_that_was_not_forked_from_the_reader_reads_the_export_again(tmp_path: Path) -> None:
    settings = _settings(write(tmp_path, *EVERYTHING))
    items = list(read_deferred(settings))
    assert all(isinstance(item, DeferredRows) for item in items)
    sent = pickle.dumps(items)
    assert len(sent) < 200 * len(items)  # a few numbers a folder, the settings once
    deferred._EXPORTS.clear()  # as in a process that did not make the first pass
    assert _plain(expanded_rows(pickle.loads(sent))) == _plain(read(settings))


def test_a_pool_maps_the_deferred_folders_as_one_process_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Folders whose conditions join them across batches: the workers, forked after the first
    pass, have its conditions; the plan is the one a single process makes."""
    folders = [folder(f"F{i}", job(f"J{i}", cond("OUT", f"C{i}"), *([cond("IN", f"C{i - 1}")] if i else []),
                                   DAYS="ALL", TIMEFROM="0100")) for i in range(40)]
    path = write(tmp_path, *folders, folder("F3", job("AGAIN", DAYS="ALL")))
    config = tmp_path / "plan.toml"
    config.write_text(f'[source]\npath = "{path}"\nprofile = "controlm"\noptions = {{ new_day = "0700", flow_ids = '
                      '"ctm-prod/F0=2788" }\n[defaults]\ntype = 1\nalertMode = 0\ndoAs = "db"\nvisitors = ""\n'
                      'owners = "alice"\nstartTime = "2026-12-01"\nactive = 0\n[target]\n'
                      'url = "https://apim.example.invalid"\nuser_id = "u1"\norg_id = "o1"\ntimezone = "UTC"\n',
                      encoding="utf-8")
    monkeypatch.setattr(inventory, "BATCH_ROWS", 6)
    alone, pooled = (plan_job(load_settings(config), workers=workers, keep="actions") for workers in (0, 2))
    assert pooled.proofs_made is not None  # the pool did map them
    assert (pooled.found, pooled.valid, pooled.invalid_by_reason) == (alone.found, alone.valid,
                                                                       alone.invalid_by_reason) == (
        41, 40, {"DUPLICATE": 1})
    assert [a.__dict__ for a in pooled.listed()] == [a.__dict__ for a in alone.listed()]
    assert pooled.warnings_by_code == alone.warnings_by_code and pooled.warnings_by_code["CROSS_FLOW_DEPENDENCY"]


# -- the caches: every input of what they keep is in their key --------------------------------------

BASE = {**EVERY_MONTH, "WEEKDAYS": "1,2,3,4,5", "DAYS_AND_OR": "O", "TIMEFROM": "0130"}
# A value for each attribute the source schedule reads, other than the base's.
CHANGED = {"DAYS": "1,15", "WEEKDAYS": "1,3", "DAYS_AND_OR": "A", "DATE": "0101", "DAYSCAL": "WORKDAYS",
           "WEEKSCAL": "WEEKS", "CONFCAL": "CONF", **{month: "0" for month in EVERY_MONTH}, "TIMEFROM": "0145",
           "TIMETO": "0300", "FROM_DAYSOFFSET": "1", "TO_DAYSOFFSET": "1", "CYCLIC": "1", "CYCLIC_TYPE": "V",
           "INTERVAL": "00015M", "CYCLIC_INTERVAL_SEQUENCE": "+15M", "CYCLIC_TIMES_SEQUENCE": "0100,0200",
           "IND_CYCLIC": "E", "RETRO": "1", "ACTIVE_FROM": "20260101", "ACTIVE_TILL": "20270101"}


NEW_DAY_0700 = Ordering(new_day=420, order_at=420)


def _source(attributes: dict[str, str], ordering: Ordering = NEW_DAY_0700, split: bool = False) -> dict[str, Any]:
    """The source schedule of a job of a regular folder (no child element: no rule-based calendar)."""
    regular = SimpleNamespace(kind="regular", attributes={}, element=None, parent=None)
    fake = SimpleNamespace(attributes=attributes, element=[], scope=regular)
    return dict(json.loads(controlm_source(fake, ordering, split)))


def test_two_jobs_differing_in_any_one_scheduling_attribute_get_different_source_schedules() -> None:
    assert set(CHANGED) == set(DAY_ATTRIBUTES) | set(TIME_ATTRIBUTES)  # every one the source schedule reads
    base = _source(BASE)
    for name, value in CHANGED.items():
        assert _source({**BASE, name: value}) != base, name
    for ordering in (Ordering(new_day=None, order_at=None), Ordering(new_day=360, order_at=360),
                     Ordering(new_day=420, order_at=720, by="the User Daily D", user_daily=True)):
        assert _source(BASE, ordering) != base, ordering
    assert _source(BASE, split=True) != base


def test_folders_differing_in_one_attribute_read_in_one_export_keep_their_own_schedules(tmp_path: Path) -> None:
    """Through the profile, in one export (every cache warm with the first folder's)."""
    shapes: dict[str, dict[str, str]] = {
        "base": {}, "TIMEFROM": {"TIMEFROM": "0845"}, "WEEKDAYS": {"WEEKDAYS": "1,3"}, "MAR": {"MAR": "0"},
        "TIMEZONE": {"TIMEZONE": "Europe/Paris"},
        "CYCLIC": {"CYCLIC": "1", "CYCLIC_TYPE": "C", "INTERVAL": "00060M", "TIMETO": "1130", "IND_CYCLIC": "S"}}
    path = write(tmp_path, *(folder(name, job("J", noise=False, **{**BASE, "TIMEFROM": "0830", **change}))
                             for name, change in shapes.items()))
    by_name = {cells["flow_name"]: cells for _, cells in _same_rows(path)}
    schedules = {name: (cells["schedule"], cells["source_schedule"], cells.get("timezone", ""))
                 for name, cells in by_name.items()}
    assert len(set(schedules.values())) == len(shapes), schedules
    later = {cells["flow_name"]: cells["source_schedule"] for _, cells in _same_rows(path, new_day="0600")}
    assert all(later[name] != by_name[name]["source_schedule"] for name in shapes)  # New Day is in the key too


def test_rows_of_a_plain_profile_pass_through_untouched() -> None:
    row = SourceRow(1, {"flow": "a"})
    assert list(expanded_rows([row])) == [row]
