"""A table of one row per task (`[mapping] flow_key`): which rows make one flow, as the rest of the
mapping reads a key (an id as the id it is, a name as the eye reads it), and what is refused
rather than saved short of a task or with a later row's facts dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, run_cli, write_config, write_export

from migrate.mapping.identity import marker

TASKS = ('[mapping]\nflow_key = ["flow_id"]\n\n[mapping.fields]', '[mapping.tasks]\ntask_id = "task_id"\n'
         'task_name = "task_name"\nupstream = "upstream"\n')


def table(tmp_path: Path, rows: list[dict[str, str]], key: str = "flow_id") -> Path:
    config = write_config(tmp_path, state=base_state(), rows=rows, run={"create_missing": True})
    text = config.read_text(encoding="utf-8").replace("[mapping.fields]", TASKS[0].replace("flow_id", key), 1)
    text = text.replace('[mapping.tasks]\ntask_id = "task_id"\n', TASKS[1], 1)
    text = text.replace('emulator_config = "state.json"', 'emulator_config = "state.json"\n'
                                                          'emulator_state = "emulator.sqlite"', 1)
    config.write_text(text, encoding="utf-8")
    return config


def task_row(flow_id: str, task_id: str, upstream: str = "", name: str = "etl_sales",
             schedule: str = "0 0 3 * * ? *", owners: str = "alice") -> dict[str, str]:
    return {"flow_id": flow_id, "flow_name": name, "schedule": schedule, "owners": owners, "task_id": task_id,
            "task_name": f"t{task_id}", "upstream": upstream}


def plan(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    code, out, err = run_cli(capsys, "plan", str(config), "--json", "--offline")
    assert out, err
    return code, {a["name"]: a for a in json.loads(out)["actions"]}


def codes(action: dict[str, Any]) -> list[str]:
    return [error["code"] for error in action.get("errors", [])]


def live_tasks(capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Each live flow's task names, as `migrate export` reads them back from the service."""
    out_file = tmp_path / "snapshot.jsonl"
    code, _, err = run_cli(capsys, "export", str(config), "--out", str(out_file), "--overwrite")
    assert code == 0, err
    lines = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()[1:]]
    return {line["flowName"]: sorted(t["taskName"] for t in line["graph"]["tasks"]) for line in lines}


@pytest.mark.parametrize("spelling", ["0100", " 100", "100 "])
def test_a_task_row_with_its_key_spelt_otherwise_is_a_task_of_its_flow(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], spelling: str) -> None:
    # Excel drops leading zeros, a pasted cell keeps a blank: read as written, the row was a flow of
    # its own (a DUPLICATE, refused) and flow 100 was saved without its `load` task.
    config = table(tmp_path, [task_row("100", "7001"), task_row("100", "7002", "7001"),
                              task_row(spelling, "7003", "7002")])
    code, actions = plan(capsys, config)
    assert code == 3 and actions["etl_sales"]["action"] == "valid" and actions["etl_sales"]["rows"] == [1, 2, 3]
    code, _, err = run_cli(capsys, "run", str(config))
    assert code == 0, err
    assert live_tasks(capsys, config, tmp_path)["etl_sales"] == ["t7001", "t7002", "t7003"]


def test_a_name_key_spelt_with_a_blank_or_a_full_width_letter_is_one_flow(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [task_row("", "7001", name="etl_sales"), task_row("", "7002", "7001", name="etl_sales "),
            task_row("", "7003", "7002", name="ｅtl_sales")]
    _, actions = plan(capsys, table(tmp_path, rows, key="flow_name"))
    assert list(actions) == ["etl_sales"] and actions["etl_sales"]["rows"] == [1, 2, 3], actions


def test_a_row_with_a_blank_key_after_a_flow_keeps_that_flow_from_being_saved_short(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Merged cells are written blank after their first row: the row is perhaps the flow's task.
    blank = task_row("", "7002", "7001") | {"flow_name": "", "schedule": "", "owners": ""}
    config = table(tmp_path, [task_row("100", "7001"), blank, task_row("200", "7101", name="etl_hr")])
    code, actions = plan(capsys, config)
    assert code == 5 and codes(actions["etl_sales"]) == ["FLOW_KEY_BLANK"] and actions["etl_sales"]["rows"] == [1, 2]
    assert "row 2 leaves the flow key (flow_id) blank" in actions["etl_sales"]["errors"][0]["message"]
    assert actions["etl_hr"]["action"] == "valid"  # the flows after it are not held up
    code, _, err = run_cli(capsys, "run", str(config))
    assert code == 5, err
    assert "etl_sales" not in live_tasks(capsys, config, tmp_path)


def test_a_first_row_with_a_blank_key_is_refused_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = table(tmp_path, [task_row("", "7001", name="orphan"), task_row("100", "7101")])
    code, actions = plan(capsys, config)
    assert code == 5 and codes(actions["orphan"]) == ["FLOW_KEY_BLANK"] and actions["etl_sales"]["action"] == "valid"


@pytest.mark.parametrize(("column", "later", "shown"), [
    ("schedule", "0 0 4 * * ? *", "'0 0 4 * * ? *', where the flow's first row 1 gives '0 0 3 * * ? *'"),
    ("owners", "bob", "'bob', where the flow's first row 1 gives 'alice'"),
])
def test_a_later_row_that_says_otherwise_of_the_flow_is_its_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, later: str, shown: str) -> None:
    # The flow is made from its first row: a later row's other schedule or owner was dropped unsaid.
    rows = [task_row("100", "7001"), task_row("100", "7002", "7001") | {column: later}]
    code, actions = plan(capsys, table(tmp_path, rows))
    assert code == 5 and codes(actions["etl_sales"]) == ["FLOW_CELLS_DIFFER"]
    assert f"row 2 gives column {column!r} as {shown}" in actions["etl_sales"]["errors"][0]["message"]


def test_later_rows_may_leave_the_flows_cells_blank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [task_row("100", "7001"), task_row("100", "7002", "7001") | {"flow_name": "", "schedule": "", "owners": ""}]
    code, actions = plan(capsys, table(tmp_path, rows))
    assert code == 3 and actions["etl_sales"]["action"] == "valid" and actions["etl_sales"]["rows"] == [1, 2]


def test_an_id_spelt_otherwise_keeps_its_identity_marker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # One row per flow: `0042` saved, then the file opened and saved by Excel (`42`): the same flow,
    # unchanged, not one that carries "another source's" marker.
    rows = [{"flow_id": "0042", "flow_name": "nightly", "schedule": "0 0 2 * * ? *", "owners": "alice",
             "task_id": "7042"}]
    config = write_config(tmp_path, state=base_state(), rows=rows, run={"create_missing": True})
    config.write_text(config.read_text(encoding="utf-8").replace(
        'emulator_config = "state.json"', 'emulator_config = "state.json"\nemulator_state = "emulator.sqlite"'),
        encoding="utf-8")
    code, _, err = run_cli(capsys, "run", str(config))
    assert code == 0, err
    (tmp_path / "export.csv").write_text((tmp_path / "export.csv").read_text(encoding="utf-8").replace("0042", "42"),
                                         encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--json")
    action = json.loads(out)["actions"][0]
    assert code == 0 and action["action"] == "unchanged" and not action.get("warnings"), action


def test_contiguous_groups_is_no_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A profile's own: set in a config, a flow's rows apart in the file were two flows, the first
    # saved without the tasks of the second (a DUPLICATE).
    config = table(tmp_path, [task_row("100", "7001"), task_row("200", "7101", name="etl_hr"),
                              task_row("100", "7002", "7001")])
    config.write_text(config.read_text(encoding="utf-8").replace(
        'flow_key = ["flow_id"]', 'flow_key = ["flow_id"]\ncontiguous_groups = true'), encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and "mapping.contiguous_groups: not a setting" in err, err

def test_a_name_keys_identity_is_the_key_as_read_whichever_row_comes_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Made from the first row's spelling, the identity moved when the rows were sorted otherwise:
    # the flow was another source key's (NAME_TAKEN), and renamed as well, made a second time.
    rows = [task_row("", "7001", name="etl_sales "), task_row("", "7002", "7001", name="etl_sales")]
    config = table(tmp_path, rows, key="flow_name")
    code, _, err = run_cli(capsys, "run", str(config))
    assert code == 0, err
    out_file = tmp_path / "snapshot.jsonl"
    assert run_cli(capsys, "export", str(config), "--out", str(out_file))[0] == 0
    saved = next(flow for line in out_file.read_text(encoding="utf-8").splitlines()[1:]
                 if (flow := json.loads(line))["flowName"] == "etl_sales ")
    assert saved["graph"]["desc"].endswith(marker("tabular", "etl_sales")), saved["graph"]["desc"]
    rows.reverse()  # sorted by task, say
    (tmp_path / "export.csv").unlink()
    write_export(tmp_path / "export.csv", rows)
    code, out, err = run_cli(capsys, "plan", str(config), "--json")
    [action] = json.loads(out)["actions"]
    assert action["action"] == "update" and [c["field"] for c in action["changes"]] == ["name"], action
    assert code == 3 and action["flow_id"] == str(saved["flowId"]), (err, action)


@pytest.mark.parametrize(("rule", "spellings"), [
    ('id = { column = "flow_id", map = { alpha = 100 } }', ["alpha", "Alpha", "alpha"]),  # a map reads any case
    ('id = { template = "{flow_id}" }', ["0100", "100", "100 "]),  # the column, written as a template
])
def test_a_key_spelt_as_the_id_reads_it_is_one_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: str,
                                                     spellings: list[str]) -> None:
    # Grouped as written, the later rows were a DUPLICATE of flow 100, saved without their tasks.
    rows = [task_row(spelling, str(7001 + n), str(7000 + n) if n else "") for n, spelling in enumerate(spellings)]
    config = table(tmp_path, rows)
    config.write_text(config.read_text(encoding="utf-8").replace('id = "flow_id"', rule, 1), encoding="utf-8")
    code, actions = plan(capsys, config)
    assert code == 3 and actions["etl_sales"]["action"] == "valid" and actions["etl_sales"]["rows"] == [1, 2, 3], \
        actions


def test_a_key_of_several_cells_one_left_blank_after_its_flow_is_that_flows_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # flow_key = team and id: a merged id cell written blank was a flow of its own, `ops/`, refused for
    # an unrelated reason, while flow 100 was saved without the task.
    rows = [task_row("100", "7001") | {"team": "ops"}, task_row("", "7002", "7001") | {"team": "ops"},
            task_row("200", "7101", name="etl_hr") | {"team": "ops"}]
    config = table(tmp_path, rows)
    config.write_text(config.read_text(encoding="utf-8").replace('flow_key = ["flow_id"]', 'flow_key = ["team", '
                                                                 '"flow_id"]', 1), encoding="utf-8")
    code, actions = plan(capsys, config)
    assert code == 5 and codes(actions["etl_sales"]) == ["FLOW_KEY_BLANK"] and actions["etl_sales"]["rows"] == [1, 2]
    assert actions["etl_hr"]["action"] == "valid" and len(actions) == 2, actions


def test_rows_below_the_table_that_map_nothing_are_no_rows_of_its_last_flow(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A note in a column of its own below the table, or a cell with a blank in it: read as keyless
    # task rows, they kept the last flow from being saved (FLOW_KEY_BLANK).
    config = table(tmp_path, [task_row("100", "7001"), task_row("100", "7002", "7001")])
    with (tmp_path / "export.csv").open("a", encoding="utf-8") as export:
        export.write(",,,,,,\n, ,,,,,\n")
    text = (tmp_path / "export.csv").read_text(encoding="utf-8").splitlines()
    lines = [text[0] + ",note"] + [line + "," for line in text[1:]]
    lines.append(",,,,,,,reviewed by bob")
    (tmp_path / "export.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, actions = plan(capsys, config)
    assert code == 3 and actions["etl_sales"]["action"] == "valid" and actions["etl_sales"]["rows"] == [1, 2], actions


@pytest.mark.parametrize(("task_id", "upstream"), [("7001", "07001"), ("07001", "7001"), ("07001", "07001")])
def test_an_upstream_task_id_is_read_as_the_task_id_is(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        task_id: str, upstream: str) -> None:
    # Task ids lost their leading zeros and upstream ids kept them: `7001` waited on `07001` was a
    # relation from a node no task has.
    config = table(tmp_path, [task_row("100", task_id), task_row("100", "7002", upstream)])
    code, actions = plan(capsys, config)
    assert code == 3 and actions["etl_sales"]["action"] == "valid", actions


def test_a_flow_keyed_by_name_may_spell_its_id_otherwise_in_a_later_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [task_row("0100", "7001"), task_row("100", "7002", "7001")]  # `0100` is 100, as `id` reads it
    code, actions = plan(capsys, table(tmp_path, rows, key="flow_name"))
    assert code == 3 and actions["etl_sales"]["action"] == "valid", actions
    rows[1]["flow_id"] = "101"  # another id is another flow's
    write_export(tmp_path / "export.csv", rows)
    code, actions = plan(capsys, table(tmp_path, rows, key="flow_name"))
    assert code == 5 and codes(actions["etl_sales"]) == ["FLOW_CELLS_DIFFER"], actions


def test_another_flows_key_with_a_part_merged_from_the_row_before_is_its_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A team merged over its jobs: `,j2` after `fin,j1` was flow `/j2`, saved, and another flow
    # (`fin/j2`) once the cell was filled: two flows for one job.
    rows = [task_row("100", "7001") | {"team": "fin", "job": "j1"},
            task_row("200", "7101", name="etl_hr") | {"team": "", "job": "j2"},
            task_row("200", "7102", "7101", name="etl_hr") | {"team": "", "job": "j2"},
            task_row("300", "7201", name="etl_grid") | {"team": "grid", "job": "j1"}]
    config = table(tmp_path, rows)
    config.write_text(config.read_text(encoding="utf-8").replace('flow_key = ["flow_id"]', 'flow_key = ["team", '
                                                                 '"job"]', 1), encoding="utf-8")
    code, actions = plan(capsys, config)
    assert code == 5 and codes(actions["etl_hr"]) == ["FLOW_KEY_BLANK"], actions
    assert "leaves team of the flow key blank where the row before gives it" in actions["etl_hr"]["errors"][0]["message"]
    assert actions["etl_hr"]["rows"] == [2, 3] and actions["etl_sales"]["action"] == "valid"
    assert actions["etl_grid"]["action"] == "valid"


def test_a_later_row_may_spell_the_flows_name_as_the_eye_reads_it(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # A trailing blank passed, full-width letters were FLOW_CELLS_DIFFER: names are read as the eye reads them.
    rows = [task_row("100", "7001"), task_row("100", "7002", "7001", name="ｅｔｌ_ｓａｌｅｓ"),
            task_row("100", "7003", "7002", name="etl_sales ")]
    code, actions = plan(capsys, table(tmp_path, rows))
    assert code == 3 and actions["etl_sales"]["action"] == "valid", actions


def test_two_tasks_of_one_name_are_refused_before_anything_is_sent(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # Planned valid, the flow's Import was then refused (62102, two tasks named so) and the run failed
    # it; a flow that exists is bound to its tasks by name, which could not tell the two apart.
    rows = [task_row("100", "7001"), task_row("100", "7002", "7001")]
    rows[1]["task_name"] = "t7001"
    code, actions = plan(capsys, table(tmp_path, rows))
    assert code == 5 and codes(actions["etl_sales"]) == ["TASK_NAME_REPEATED"], actions
    assert "tasks 7001 and 7002 are both named 't7001'" in actions["etl_sales"]["errors"][0]["message"]
