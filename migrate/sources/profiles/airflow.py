"""Airflow DAG lists: the REST collection `GET /api/v1/dags` (`{"dags": [...], "total_entries"}`)
and `airflow dags list -o json`. One flow per DAG, one task standing for the DAG run.

`schedule_interval` in any of its tagged forms, or the newer `timetable_summary`, is converted
by the `airflow` dialect; a DAG with neither is reported, not guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd

from migrate.config import SourceSettings
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.profiles.json_documents import load_json
from migrate.sources.readers import SourceError, SourceRow


def _dags(settings: SourceSettings) -> list[dict[str, Any]]:
    document = load_json(settings)
    dags = document.get("dags") if isinstance(document, dict) else document
    if not isinstance(dags, list) or not all(isinstance(d, dict) for d in dags):
        raise SourceError(f"{settings.path}: expected a list of DAGs or {{\"dags\": [...]}}")
    return dags


def _schedule(dag: dict[str, Any]) -> tuple[str, bool]:
    """The schedule text for the airflow dialect, and whether the export had one at all."""
    if "schedule_interval" in dag:
        value = dag["schedule_interval"]
        return ("None" if value is None else value if isinstance(value, str) else json.dumps(value)), True
    for key in ("timetable_summary", "schedule"):
        if dag.get(key) is not None:
            return str(dag[key]), True
    return "", False


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    frame = pd.DataFrame.from_records(_dags(settings)).astype(object)
    for record in frame.to_dict("records"):
        dag = {str(k): v for k, v in record.items() if not (isinstance(v, float) and pd.isna(v))}
        dag_id = str(dag.get("dag_id", "")).strip()
        flow = FlowRows(key=dag_id or f"dag {len(dag)}", name=dag_id)
        if not dag_id:
            flow.fail("MISSING_FIELD", "a DAG without dag_id")
        schedule, known = _schedule(dag)
        if not known:
            flow.fail("MISSING_SCHEDULE", "the export has no schedule_interval or timetable_summary for this DAG "
                                          "(`airflow dags list` prints none: export with the REST API)")
        flow.schedule = schedule
        owners = dag.get("owners", dag.get("owner", ""))
        paused = dag.get("is_paused", dag.get("paused", False))
        tags = [t.get("name", "") if isinstance(t, dict) else str(t) for t in dag.get("tags") or []]
        description = str(dag.get("description") or "")
        flow.cells.update(
            owners=";".join(owners) if isinstance(owners, list) else str(owners),
            active="0" if str(paused).lower() in ("true", "1") else "1",
            desc=(description + (f" [tags: {', '.join(tags)}]" if tags else "")).strip(),
            start=str(dag.get("start_date") or ""),
        )
        flow.tasks = [{"task_id": "1", "task_name": dag_id, "command": f"airflow dags trigger {dag_id}"}]
        yield flow


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("airflow", "airflow", read, "Airflow DAG lists (REST API or `airflow dags list -o json`)")
