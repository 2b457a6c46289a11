"""`migrate export` and the shared selection, through the CLI against the embedded emulator kept
in a SQLite file: a service seeded with 300 varied flows (through the emulator's own Save Flow),
exported whole, restored by the `snapshot` profile into an empty service, exported again and
compared field by field; each selection criterion against a filter over the seeded flows."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, profile_run_config, run_cli

from migrate.emulator.config import load_emulator_config
from migrate.emulator.models import BatchService
from migrate.emulator.store import Store
from migrate.selection import SelectionError, make_selection, selection_from_table

FLOWS = 300
FIRST_ID = 2000
SCHEDULES = (("0 0 2 * * ? *", "D"), ("0 15 * * * ? *", "H"), ("0 0 3 ? * MON *", "W"), ("0 0 4 1 * ? *", "M"),
             ("0 0/5 * * * ? *", "mi"))
TEAM_A, TEAM_A_SUB = "a" * 32, "b" * 32
# What the service keeps itself, never the flow's to set: a created flow has its own.
SERVICE_KEPT = ("updateTime", "createTime", "updateUser", "creator", "entry", "dirId", "directory")


def seeded(i: int) -> dict[str, Any]:
    """Flow FIRST_ID + i as Save Flow takes it: 1 to 3 tasks in a chain, edges with their own
    cycleGap and rerun, every 25th waiting on the flow before it, and every field varied."""
    flow_id = FIRST_ID + i
    freq, cycle = SCHEDULES[i % len(SCHEDULES)]
    tasks = [{"taskName": name, "taskId": str(700000 + 10 * i + k), "nodeId": f"t_{700000 + 10 * i + k}",
              "x": round(0.0132 + 0.01 * k, 4), "y": 0.008100000381469727 + k / 1000}
             for k, name in enumerate(("extract", "transform", "load")[: 1 + i % 3])]
    relations = [{"cycleGap": "D0" if k % 2 else "D-1", "source": tasks[k]["nodeId"],
                  "target": tasks[k + 1]["nodeId"], "rerun": k % 2 == 0} for k in range(len(tasks) - 1)]
    flows = []
    if i % 25 == 1:
        upstream = flow_id - 1
        flows = [{"flowId": str(upstream), "flowName": name_of(i - 1), "nodeId": f"f_{upstream}",
                  "isVirtual": False, "x": 0.0186, "y": 0.0016999999046325683}]
        relations.append({"cycleGap": "D-1", "source": f"f_{upstream}", "target": tasks[0]["nodeId"],
                          "rerun": False})
    return {
        "id": str(flow_id), "type": 0 if i % 10 == 0 else 1, "name": name_of(i), "freq": freq, "cycle": cycle,
        "alertMode": i % 4, "doAs": f"db_{i % 3}", "owners": ";".join(owners_of(i)),
        "visitors": "dora;eve" if i % 2 else "", "startTime": f"2026-01-{1 + i % 28:02d}", "active": int(i % 7 != 0),
        "parameters": json.dumps([{"key": "env", "value": f"e{i}"}], separators=(",", ":")) if i % 3 == 0 else "[]",
        "desc": f"flow {i} [migrate:crontab/{i:016x}]" if i % 4 == 0 else f"flow {i}", "queue": "q_big" if i % 6 == 0
        else "", "tasks": tasks, "flows": flows, "relations": relations,
    }


def name_of(i: int) -> str:
    return ("etl_", "report_", "misc_")[i % 3] + str(i)


def owners_of(i: int) -> list[str]:
    return ["alice", *(["bob"] if i % 4 == 0 else []), *(["carol"] if i % 5 == 0 else [])]


def directory_of(i: int) -> str:
    return TEAM_A_SUB if i % 11 == 0 else TEAM_A if i % 5 == 1 else "root"


def modified(i: int) -> str:
    return "2026-11-05 10:00:00.000" if i >= 150 else "2026-10-15 10:00:00.000"


def seeded_emulator(folder: Path, config: str, flows: int) -> BatchService:
    """An emulator kept in folder/emulator.sqlite, its config (folder/config) holding flows FIRST_ID
    onwards and their tasks, opened for the caller to save `seeded` flows through its own Save Flow
    (then `_keep_all()` and close its store)."""
    state = base_state(flows=0)
    state["tasks"] = [{"task_id": t["taskId"], "name": t["taskName"]} for i in range(flows) for t in seeded(i)["tasks"]]
    state["flows"] = [{"flow_id": FIRST_ID + i, "name": f"x{i}", "owners": ["alice"], "org_id": "o1"}
                      for i in range(flows)]
    (folder / config).write_text(json.dumps(state), encoding="utf-8")
    return BatchService(load_emulator_config(folder / config), Store(folder / "emulator.sqlite"))


def seed(folder: Path) -> None:
    """The emulator's state, made through its own Save Flow (so every graph is as the service
    stores it), then moved into directories and given update times."""
    state = base_state(flows=0)
    state["tasks"] = [{"task_id": t["taskId"], "name": t["taskName"]} for i in range(FLOWS) for t in seeded(i)["tasks"]]
    state["flows"] = [{"flow_id": FIRST_ID + i, "name": name_of(i), "owners": ["alice"], "org_id": "o1"}
                      for i in range(FLOWS)]
    (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
    (folder / "empty.json").write_text(json.dumps(base_state(flows=0, tasks_per_flow=0)), encoding="utf-8")
    service = BatchService(load_emulator_config(folder / "state.json"), Store(folder / "emulator.sqlite"))
    service.directories = {TEAM_A: (service.root_dir_id, "team_a"), TEAM_A_SUB: (TEAM_A, "sub")}
    for i in range(FLOWS):
        service.save_flow("u1", "o1", seeded(i))
        flow = service.flows[FIRST_ID + i]
        flow.update_time = modified(i)
        flow.dir_id = service.root_dir_id if directory_of(i) == "root" else directory_of(i)
    service._keep_all()
    service.store.close()  # the last connection: its write-ahead log goes into the file, which tests copy


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    seed(folder)
    return folder


def config(folder: Path, name: str = "seeded.toml", emulator: str = "state.json", state: str = "emulator.sqlite",
           run: str = "") -> Path:
    return profile_run_config(folder / name, "snapshot", "all.jsonl", emulator_config=emulator,
                              emulator_state=state, run=run, rate=5000)


def snapshot(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header, *flows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return header, flows


def exported_ids(capsys: pytest.CaptureFixture[str], folder: Path, *criteria: str) -> list[int]:
    out = folder / "selected.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(folder)), "--out", str(out), "--overwrite", *criteria)
    assert code == 0, err
    return [flow["flowId"] for flow in snapshot(out)[1]]


def expected(keep: Any) -> list[int]:
    return [FIRST_ID + i for i in range(FLOWS) if keep(i)]


def by_task_names(flow: dict[str, Any]) -> dict[str, Any]:
    """A flow with its service-kept facts left out and its task ids (which a created flow gets
    anew from Import) replaced by the task names, so that two snapshots compare field by field."""
    graph = dict(flow["graph"])
    names = {t["nodeId"]: t["taskName"] for t in graph["tasks"]}
    graph["tasks"] = [{**t, "taskId": t["taskName"], "nodeId": t["taskName"]} for t in graph["tasks"]]
    graph["relations"] = [{**r, "source": names.get(r["source"], r["source"]),
                           "target": names.get(r["target"], r["target"])} for r in graph["relations"]]
    graph.pop("creator", None)
    kept = {k: v for k, v in flow.items() if k not in SERVICE_KEPT}
    return {**kept, "graph": graph}


def test_export_restore_into_an_empty_service_and_export_again_is_the_same(
        service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("state.json", "empty.json", "emulator.sqlite"):
        (tmp_path / name).write_bytes((service / name).read_bytes())
    first = tmp_path / "all.jsonl"
    code, out, err = run_cli(capsys, "export", str(config(tmp_path)), "--out", str(first))
    assert code == 0, err
    assert out.splitlines() == [f"{FLOWS} flows matched of {FLOWS} listed; {FLOWS} written to {first}",
                                f"read the live service: {2 * FLOWS + 2} requests "
                                f"({FLOWS} get, {FLOWS} export, 1 getMyFlow, 1 listWorkFlowDirs)"]
    assert not first.with_name("all.jsonl.partial").exists()
    header, flows = snapshot(first)
    assert header["snapshot"] == 1 and header["flows"] == FLOWS and header["selection"] == {}
    assert header["target"] == "embedded" and header["made"]
    assert [f["flowId"] for f in flows] == expected(lambda i: True)
    one = flows[26]  # three tasks (26 % 3 == 2), and waiting on flow 2025 (26 % 25 == 1)
    assert one["graph"]["flows"][0]["flowId"] == "2025" and len(one["graph"]["tasks"]) == 3
    assert {f["directory"] for f in flows} == {"", "team_a", "team_a/sub"}

    # (c) into an empty service: every flow created (by Import, asking for its id), then saved
    restore = config(tmp_path, "restore.toml", "empty.json", "restored.sqlite",
                     run="create_missing = true\nconcurrency = 1")
    code, out, err = run_cli(capsys, "run", str(restore))
    assert code == 0, out + err
    assert f"{FLOWS} flows: created {FLOWS}" in out
    log = [json.loads(line) for line in next((tmp_path / "results").glob("*.jsonl")).read_text().splitlines()]
    warned = {w["code"] for line in log for w in line.get("warnings", [])}
    assert warned <= {"DIRECTORY"} and "DIRECTORY" in warned  # the one fact not carried: where it was

    # (d) exported again: field by field the same, but what the service keeps itself
    again = tmp_path / "again.jsonl"
    code, out, err = run_cli(capsys, "export", str(config(tmp_path, "again.toml", "empty.json", "restored.sqlite")),
                             "--out", str(again))
    assert code == 0, err
    _, restored = snapshot(again)
    assert [f["flowId"] for f in restored] == [f["flowId"] for f in flows]  # ids kept
    differences = [(f["flowId"], key) for f, g in zip(flows, restored, strict=True)
                   for key in set(by_task_names(f)) | set(by_task_names(g))
                   if by_task_names(f).get(key) != by_task_names(g).get(key)]
    assert differences == []
    assert {f["directory"] for f in restored} == {""}  # created in the root: the DIRECTORY warning said so


@pytest.mark.parametrize(("criteria", "keep"), [
    (("--id", "2003", "--id", "2010"), lambda i: i in (3, 10)),
    (("--name", "etl_*"), lambda i: i % 3 == 0),
    (("--name", "etl_1?", "--name", "report_1?"), lambda i: 10 <= i < 20 and i % 3 in (0, 1)),
    (("--name-regex", r"^misc_\d$"), lambda i: i < 10 and i % 3 == 2),
    (("--owner", "bob"), lambda i: i % 4 == 0),
    (("--owner", "bob", "--owner", "carol"), lambda i: i % 4 == 0 or i % 5 == 0),
    (("--dir-id", TEAM_A), lambda i: directory_of(i) == TEAM_A),
    (("--dir", "team_a", "--recursive"), lambda i: directory_of(i) != "root"),
    (("--dir", "team_a/sub"), lambda i: directory_of(i) == TEAM_A_SUB),
    (("--active", "0"), lambda i: i % 7 == 0),
    (("--cycle", "W"), lambda i: i % 5 == 2),
    (("--modified-since", "2026-11-01"), lambda i: i >= 150),
    (("--name", "etl_*", "--active", "1", "--owner", "carol"), lambda i: i % 3 == 0 and i % 7 and i % 5 == 0),
], ids=lambda value: " ".join(value) if isinstance(value, tuple) else "")
def test_each_criterion_selects_exactly_the_expected_flows(service: Path, capsys: pytest.CaptureFixture[str],
                                                           criteria: tuple[str, ...], keep: Any) -> None:
    assert exported_ids(capsys, service, *criteria) == expected(keep)


def test_ids_file_and_the_listing_first(service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = tmp_path / "ids.txt"
    # saved by Notepad: a byte-order mark before the first id (it was read as part of it, and refused)
    ids.write_text("2001\n\n2002  # and this one\n# the flows of ticket 14\n", encoding="utf-8-sig")
    out = tmp_path / "two.jsonl"
    code, text, err = run_cli(capsys, "export", str(config(service)), "--ids-file", str(ids), "--out", str(out))
    assert code == 0, err
    assert [f["flowId"] for f in snapshot(out)[1]] == [2001, 2002]
    assert "6 requests (2 get, 2 export, 1 getMyFlow, 1 listWorkFlowDirs)" in text  # Get and Export only for the two
    # the snapshot itself as the ids file, saved again with a byte-order mark: its flows
    saved_again = tmp_path / "again.jsonl"
    saved_again.write_text(out.read_text(encoding="utf-8"), encoding="utf-8-sig")
    again = tmp_path / "again-out.jsonl"
    code, text, err = run_cli(capsys, "export", str(config(service)), "--ids-file", str(saved_again),
                              "--out", str(again))
    assert code == 0 and [f["flowId"] for f in snapshot(again)[1]] == [2001, 2002], err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_an_ids_file_or_snapshot_passed_through_windows_powershell_is_read(
        encoding: str, service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Windows PowerShell 5.1's `>` and Out-File write UTF-16 with a byte-order mark: such an ids
    file, and a snapshot that went through it, were refused as not UTF-8."""
    bom = {"utf-16": "", "utf-16-be": "\ufeff"}[encoding]  # Python's utf-16 writes its mark itself
    ids = tmp_path / "ids.txt"
    ids.write_text(bom + "2001\r\n2002\r\n", encoding=encoding)
    out = tmp_path / "two.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(service)), "--ids-file", str(ids), "--out", str(out))
    assert code == 0 and [f["flowId"] for f in snapshot(out)[1]] == [2001, 2002], err
    bare = tmp_path / "bare.txt"  # UTF-16 without its mark: named so, not "'1\x00' is not a flow id"
    bare.write_bytes("2001\r\n".encode("utf-16-le"))
    code, _, err = run_cli(capsys, "export", str(config(service)), "--ids-file", str(bare), "--out", str(out))
    assert code == 1 and "UTF-16 without a byte-order mark" in err and "\\x00" not in err, err
    redirected = tmp_path / "redirected.jsonl"
    redirected.write_text(bom + out.read_text(encoding="utf-8"), encoding=encoding)
    again = tmp_path / "again-out.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(service)), "--ids-file", str(redirected), "--out", str(again))
    assert code == 0 and [f["flowId"] for f in snapshot(again)[1]] == [2001, 2002], err


def test_a_backup_is_never_written_over_unless_asked(service: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Yesterday's full backup, exported again over one flow, was replaced without a word (found
    by a fresh operator): an existing file is refused, untouched, before the service is read;
    --overwrite replaces it (a nightly backup to one path)."""
    out = tmp_path / "backup.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(service)), "--out", str(out))
    assert code == 0, err
    full = out.read_bytes()
    code, text, err = run_cli(capsys, "export", str(config(service)), "--ids-file", str(ids_of(tmp_path, "2001")),
                              "--out", str(out))
    assert code == 1 and text == "" and err.strip() == (f"migrate: {out} exists: a backup is never written over; "
                                                         "choose another file, or add --overwrite to replace it")
    assert out.read_bytes() == full
    code, _, err = run_cli(capsys, "export", str(config(service)), "--ids-file", str(ids_of(tmp_path, "2001")),
                           "--out", str(out), "--overwrite")
    assert code == 0 and [f["flowId"] for f in snapshot(out)[1]] == [2001], err


def test_a_snapshot_is_its_owners_alone(service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A snapshot holds every parameter and command of its flows, the secrets an export carried
    too, and was made -rw-r--r-- (the umask's): now 0600, JSON Lines and Parquet alike, whatever the
    umask, and a backup written over (--overwrite) too."""
    old = os.umask(0o022)
    try:
        for name in ("backup.jsonl", "backup.parquet", "backup.jsonl"):
            out = tmp_path / name
            code, _, err = run_cli(capsys, "export", str(config(service)), "--out", str(out), "--overwrite")
            assert code == 0, err
            assert stat.S_IMODE(out.stat().st_mode) == 0o600, oct(out.stat().st_mode)
    finally:
        os.umask(old)


def test_a_backup_into_a_folder_not_there_names_the_folder(service: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """It said `…/backup.jsonl.partial: No such file or directory`, a file no one asked for."""
    out = tmp_path / "no" / "such" / "backup.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(service)), "--out", str(out))
    assert code == 1 and f"{out.parent}: no such folder to write backup.jsonl in" in err and ".partial" not in err, err


def test_ids_are_read_as_the_service_reads_them(service: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`0002001` selects flow 2001, as an export's row does; full-width digits are no id (they were
    taken for one and matched nothing, found by a fresh operator), nor is 0."""
    code, _, err = run_cli(capsys, "export", str(config(service)), "--id", "02001",
                           "--ids-file", str(ids_of(tmp_path, "0002002")), "--out", str(tmp_path / "two.jsonl"))
    assert code == 0 and [f["flowId"] for f in snapshot(tmp_path / "two.jsonl")[1]] == [2001, 2002], err
    for spelling in ("\uff12\uff10\uff10\uff11", "0", "-2001"):
        code, _, err = run_cli(capsys, "export", str(config(service)), "--id", spelling, "--out", str(tmp_path / "x"))
        assert code == 1 and f"id {spelling!r} is not a flow id: it must be a numeric id" in err, err
    code, _, err = run_cli(capsys, "export", str(config(service)), "--ids-file", str(ids_of(tmp_path, "\uff12001")),
                           "--out", str(tmp_path / "x"))
    assert code == 1 and f"{tmp_path / 'ids.txt'}:1: '\uff12001' is not a flow id" in err, err


def test_a_name_typed_decomposed_selects_the_composed_name() -> None:
    """`Ünïcödé` typed as letters and combining accents (NFD, as a Mac's terminal may) is the name
    the service holds composed (NFC): they look alike, and were not selected alike."""
    import unicodedata

    from migrate.selection import listing_matches, make_selection

    held = unicodedata.normalize("NFC", "Ünïcödé-naïve")
    typed = unicodedata.normalize("NFD", held)
    assert typed != held
    assert listing_matches(make_selection(names=[typed]), "1", held, None)
    assert listing_matches(make_selection(name_regexes=[unicodedata.normalize("NFD", "cödé-")]), "1", held, None)
    assert listing_matches(make_selection(names=["Ünïc*"]), "1", typed, None)  # and a name the service holds so
    assert not listing_matches(make_selection(names=["Unicode-naive"]), "1", held, None)


def ids_of(folder: Path, *ids: str) -> Path:
    path = folder / "ids.txt"
    path.write_text("\n".join(ids) + "\n", encoding="utf-8")
    return path


def test_a_selection_that_matches_nothing_exits_1_with_one_line(service: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "none.jsonl"
    code, text, err = run_cli(capsys, "export", str(config(service)), "--name", "nothing_*", "--out", str(out))
    assert code == 1 and text == "" and len(err.splitlines()) == 1
    assert err.startswith("migrate: the selection (name ['nothing_*']) matches none of the 300 flows you can see")
    assert not out.exists() and not out.with_name("none.jsonl.partial").exists()


def test_a_bad_criterion_is_refused_before_any_request(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "export", str(config(service)), "--modified-since", "yesterday", "--out", "x")
    assert code == 1 and err.strip() == "migrate: modified since 'yesterday' is not a date (YYYY-MM-DD)"
    code, _, err = run_cli(capsys, "export", str(config(service)), "--dir", "nowhere", "--out", "x")
    assert code == 1 and "no directory 'nowhere'" in err


def test_a_select_table_is_the_same_selection_as_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text("12\n13\n", encoding="utf-8")
    table = {"id": 11, "ids_file": "ids.txt", "name": ["etl_*"], "owner": "bob", "dir": "a/b", "recursive": True,
             "active": 1, "cycle": "D", "modified_since": "2026-11-01"}
    assert selection_from_table(table, tmp_path) == make_selection(
        ids=["11", "12", "13"], names=["etl_*"], owners=["bob"], dirs=["a/b"], recursive=True, active="1",
        cycles=["D"], modified_since="2026-11-01")
    with pytest.raises(SelectionError, match="has no key owners"):
        selection_from_table({"owners": "bob"})


def test_a_parquet_snapshot_holds_the_same_flows_and_restores_as_one(service: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """`--out FILE.parquet`: the same flows as the JSON Lines snapshot, a column each to query by
    (pandas reads it), and `restore` and `--ids-file` take it as they take the other."""
    import pandas as pd

    from migrate import snapshots

    for name in ("state.json", "emulator.sqlite"):
        (tmp_path / name).write_bytes((service / name).read_bytes())
    lines, table = tmp_path / "all.jsonl", tmp_path / "all.parquet"
    for out in (lines, table):
        code, _, err = run_cli(capsys, "export", str(config(tmp_path)), "--name", "etl_*", "--out", str(out))
        assert code == 0, err
    as_lines, as_table = snapshots.read(lines), snapshots.read(table)
    assert {k: v for k, v in as_table.header.items() if k != "made"} == \
        {k: v for k, v in as_lines.header.items() if k != "made"}
    assert list(as_table.lines) == list(as_lines.lines)
    frame = pd.read_parquet(table)
    assert list(frame["flowId"]) == [str(i) for i in expected(lambda i: i % 3 == 0)]
    assert set(frame["directory"]) == {"", "team_a", "team_a/sub"}
    code, out, err = run_cli(capsys, "restore", str(table), "--config", str(config(tmp_path)))
    assert code == 0 and f"{FLOWS // 3} flows matched" in out and "unchanged 100" in out, out + err
    code, out, err = run_cli(capsys, "disable", str(config(tmp_path)), "--ids-file", str(table))
    assert code == 3 and f"{FLOWS // 3} flows matched" in out, err
    cut = tmp_path / "cut.parquet"
    snapshots.write(cut, {"target": "embedded"}, [{"flowId": 1}])
    import pyarrow.parquet as pq

    whole = pq.read_table(cut)
    pq.write_table(whole.slice(0, 0).replace_schema_metadata(whole.schema.metadata), cut)
    code, _, err = run_cli(capsys, "restore", str(cut), "--config", str(config(tmp_path)))
    assert code == 1 and "the header says 1 flows, the file holds 0" in err
    uncounted = tmp_path / "uncounted.jsonl"
    uncounted.write_text('{"snapshot": 1}\n{"flowId": 1}\n', encoding="utf-8")  # not "says None flows"
    code, _, err = run_cli(capsys, "restore", str(uncounted), "--config", str(config(tmp_path)))
    assert code == 1 and "the header has no flow count (`flows`), the file holds 1" in err, err


def test_a_snapshot_line_giving_a_key_twice_is_refused(service: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A snapshot edited by hand with a key given twice (a second `owners`) was restored with the
    last value, which the editor may not have meant: refused, as a line that is not JSON is,
    naming the line and the key, before any flow is touched."""
    for name in ("state.json", "emulator.sqlite"):
        (tmp_path / name).write_bytes((service / name).read_bytes())
    two = tmp_path / "two.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(tmp_path)), "--id", "2001", "--id", "2002", "--out", str(two))
    assert code == 0, err
    header, *lines = two.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace('"owners": ', '"owners": "mallory", "owners": ', 1)
    assert '"mallory"' in lines[1]
    two.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "restore", str(two), "--config", str(config(tmp_path)), "--apply")
    assert code == 1 and "two.jsonl: line 3: the key 'owners' is given twice in one object (\"mallory\", then" in err
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").glob("*.jsonl")), out
    # in the header (its target and org_id say which service the flows came from); a line nested
    # past Python's limit, which was a RecursionError traceback (found by a reviewer)
    lines[1] = lines[1].replace('"owners": "mallory", ', "", 1)
    deep = lines[1][:-1] + ', "zz": ' + "[" * 200_000 + "]" * 200_000 + "}"
    for written, said in (([header.replace('"flows": 2', '"flows": 5, "flows": 2', 1), *lines],
                           "two.jsonl: the header (line 1): the key 'flows' is given twice in one object (5, then 2)"),
                          ([header, lines[0], deep], "line 3 is JSON nested too deep to read"),
                          ([header[:-1] + ', "x": ' + "[" * 200_000 + "]" * 200_000 + "}", *lines],
                           "two.jsonl: the header (line 1) is JSON nested too deep to read")):
        two.write_text("\n".join(written) + "\n", encoding="utf-8")
        code, out, err = run_cli(capsys, "restore", str(two), "--config", str(config(tmp_path)), "--apply")
        assert code == 1 and said in err and "Traceback" not in err, err


SECRET = "SECRETxyzzy4242"


@pytest.mark.parametrize("line", [f'app_secret = "{SECRET}"', f"MIGRATE_APP_SECRET={SECRET}",
                                  f"export DB_PASSWORD={SECRET}", f"postgres://etl:{SECRET}@db/prod",
                                  f"password {SECRET}", f"client_secret {SECRET}", f"mysql -p{SECRET}",
                                  f"machine apim.example.com login bob password {SECRET}"])
def test_a_secret_file_given_by_mistake_is_refused_without_echoing_the_secret(
        line: str, service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The credentials file given as an ids file, or as a snapshot to restore: its first line was
    echoed by the refusal, secret and all, on the console and in the --json error (found by a
    reviewer)."""
    secrets = tmp_path / "cred.toml"
    secrets.write_text(line + '\napp_key = "KEYzq81"\n', encoding="utf-8")
    for command in (("export", str(config(service)), "--ids-file", str(secrets), "--out", str(tmp_path / "o.jsonl")),
                    ("restore", str(secrets), "--config", str(config(service)), "--json")):
        code, out, err = run_cli(capsys, *command)
        assert code == 1 and SECRET not in out + err, (command, out, err)
        assert "looks like it sets a secret: not shown" in out + err, (out, err)


def test_the_secret_the_tool_holds_is_masked_in_a_message_about_a_file_read_before_the_service(
        service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The app secret alone on a line of an ids file was echoed by the refusal: the tool knew it
    (the environment's) only once it connected, after the ids file was read."""
    monkeypatch.setenv("MIGRATE_APP_KEY", "KEYzq81")
    monkeypatch.setenv("MIGRATE_APP_SECRET", SECRET)
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{SECRET}\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "export", str(config(service)), "--ids-file", str(ids), "--out",
                             str(tmp_path / "o.jsonl"))
    assert code == 1 and SECRET not in out + err and "not shown" in out + err, (out, err)


def test_the_credentials_files_secret_is_masked_in_a_message_about_an_ids_file(
        service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The config's credentials_file was read only when the service was, after the ids file: its
    secret, on a line of the ids file, was echoed by the refusal."""
    credentials = tmp_path / "creds.toml"
    credentials.write_text(f'app_key = "k1"\napp_secret = "{SECRET}"\n', encoding="utf-8")
    credentials.chmod(0o600)
    configured = config(service)
    configured.write_text(configured.read_text(encoding="utf-8").replace(
        "[target]\n", f'[target]\ncredentials_file = "{credentials}"\n', 1), encoding="utf-8")
    ids = tmp_path / "ids.txt"
    ids.write_text(f"2001\n{SECRET}\n", encoding="utf-8")
    for verb in ("disable", "export"):
        code, out, err = run_cli(capsys, verb, str(configured), "--ids-file", str(ids),
                                 *(["--out", str(tmp_path / "o.jsonl")] if verb == "export" else []))
        assert code == 1 and SECRET not in out + err and "not shown" in err, (verb, out, err)


def test_a_snapshot_line_whose_tasks_are_not_a_list_is_that_flows_refusal(
        service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`"tasks": "x"` in a hand-edited line was an AttributeError traceback, the restore lost: that
    flow is MALFORMED_FLOW, the other restored (found by a fuzzing reviewer)."""
    for name in ("state.json", "emulator.sqlite"):
        (tmp_path / name).write_bytes((service / name).read_bytes())
    two = tmp_path / "two.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(tmp_path)), "--id", "2001", "--id", "2002", "--out", str(two))
    assert code == 0, err
    header, first, second = two.read_text(encoding="utf-8").splitlines()
    edited = json.loads(first)
    edited["graph"]["tasks"] = "notalist"
    two.write_text("\n".join([header, json.dumps(edited), second]) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "restore", str(two), "--config", str(config(tmp_path)), "--json")
    actions = {a.get("flow_id") or a.get("source_key"): a for a in json.loads(out)["actions"]}
    assert code == 5 and "Traceback" not in err, err
    assert actions["2001"]["action"] == "invalid" and "MALFORMED_FLOW" in json.dumps(actions["2001"]), actions
    assert actions["2002"]["action"] == "unchanged", actions


def test_a_snapshot_the_result_log_pattern_matches_is_left_out_once(
        service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A snapshot exported into the results folder, where `result_log = "results/{run_id}.jsonl"`
    matches it: the next run read it as an earlier result log, a warning for each of its lines (222
    lines of "line skipped" for a reviewer's)."""
    for name in ("state.json", "empty.json", "emulator.sqlite"):
        (tmp_path / name).write_bytes((service / name).read_bytes())
    (tmp_path / "results").mkdir()
    for out in (tmp_path / "all.jsonl", tmp_path / "results" / "after.jsonl"):
        code, _, err = run_cli(capsys, "export", str(config(tmp_path)), "--out", str(out))
        assert code == 0, err
    code, _, err = run_cli(capsys, "run", str(config(tmp_path)))
    assert code == 0, err
    assert "line skipped" not in err, err
    assert err.count("after.jsonl: a snapshot written by `migrate export`, not a result log") == 1, err


def test_a_log_with_a_damaged_first_line_is_still_read_and_a_folder_passed_over(
        service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A result log whose first line was cut was left out whole as "not a result log" (its other
    lines unread), and a folder the result_log pattern matches stopped the run: Is a directory."""
    for name in ("state.json", "empty.json", "emulator.sqlite"):
        (tmp_path / name).write_bytes((service / name).read_bytes())
    code, _, err = run_cli(capsys, "export", str(config(tmp_path)), "--out", str(tmp_path / "all.jsonl"))
    assert code == 0, err
    code, _, err = run_cli(capsys, "run", str(config(tmp_path)), "--run-id", "first")
    assert code == 0, err
    log = tmp_path / "results" / "first.jsonl"
    log.write_bytes(b'{"run_id": "first", "stat' + log.read_bytes().split(b"\n", 1)[1])
    (tmp_path / "results" / "folder.jsonl").mkdir()
    # compare = "log" reads the earlier logs whenever they were written (not only a recent one's doubts)
    code, _, err = run_cli(capsys, "run", str(config(tmp_path, run='compare = "log"')), "--run-id", "second")
    assert code == 0 and "Is a directory" not in err and "not a result log" not in err, err
    assert "first.jsonl:1: line skipped" in err, err  # read: its bad line said, its others taken
