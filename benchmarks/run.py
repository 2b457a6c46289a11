"""`make bench`: figures measured side by side in one run, as ratios, written to BENCHMARKS.md.

Every figure compares two things measured in the same run on the same machine, so that a noisy
machine shifts both sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.emulator_process import EmulatorProcess
from migrate.config import Settings
from migrate.job import run_job
from migrate.mapping import ValidFlow, plan_flows
from migrate.sources.readers import read_rows

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Figure:
    name: str
    how: str
    value: float
    target: str
    passed: bool
    detail: str = ""


def emulator_state(flows: int, **extra: Any) -> dict[str, Any]:
    return {
        "users": [{"user_id": "u1", "name": "alice", "org_id": "o1"}],
        "tasks": [{"task_id": str(500000 + i), "name": f"t{i}"} for i in range(flows)],
        "flows": [{"flow_id": 10000 + i, "name": f"f{i}", "owners": ["alice"], "org_id": "o1"} for i in range(flows)],
        **extra,
    }


def write_export(path: Path, flows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("flow_id,flow_name,schedule,owners,task_id\n")
        for i in range(flows):
            out.write(f"{10000 + i},f{i},0 0 2 * * ? *,alice,{500000 + i}\n")


def run_settings(folder: Path, url: str, concurrency: int, rate: float, **run: Any) -> Settings:
    return Settings.model_validate({
        "source": {"path": str(folder / "export.csv")},
        "mapping": {"fields": {"id": "flow_id", "name": "flow_name", "freq": "schedule", "owners": "owners"},
                    "tasks": {"task_id": "task_id"}},
        "defaults": {"type": 1, "alertMode": 0, "doAs": "db", "visitors": "", "startTime": "2026-12-01", "active": 0},
        "target": {"url": url, "user_id": "u1", "org_id": "o1"},
        "run": {"concurrency": concurrency, "rate_per_second": rate, "result_log": str(folder / "{run_id}.jsonl"),
                **run},
    })


async def bare_loop(url: str, bodies: list[bytes], concurrency: int) -> float:
    """The floor: a plain aiohttp loop posting the same payloads, no pacing, retries or log."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    params = {"action": "save", "userId": "u1", "orgId": "o1"}
    target = f"{url}/batch-processing-service/v2.1/flows"

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            async with session.post(target, params=params, data=body,
                                    headers={"Content-Type": "application/json;charset=UTF-8"}) as response:
                answer = json.loads(await response.read())
                assert answer["code"] == 0, answer

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return len(bodies) / (time.perf_counter() - started)


async def ours(settings: Settings) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = await run_job(settings, show_progress=False)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.summary.as_json()
    return result.summary.total / elapsed, result.summary.as_json()


async def emulator_stats(url: str, reset: bool = False) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        if reset:
            await session.post(f"{url}/_emulator/reset")
        async with session.get(f"{url}/_emulator/stats") as response:
            data: dict[str, Any] = await response.json()
            return data


def overhead(folder: Path, flows: int, concurrency: int, rounds: int) -> Figure:
    write_export(folder / "export.csv", flows)
    with EmulatorProcess(emulator_state(flows), folder) as emulator:
        settings = run_settings(folder, emulator.url, concurrency, rate=1_000_000, rate_headroom=0)
        bodies = [f.payload.wire_bytes() for f in plan_flows(read_rows(settings.source), settings)
                  if isinstance(f, ValidFlow)]
        ratios = []
        for _ in range(rounds):  # alternate the two sides so drift hits both
            floor = asyncio.run(bare_loop(emulator.url, bodies, concurrency))
            mine, _ = asyncio.run(ours(settings))
            ratios.append(mine / floor)
    ratio = sorted(ratios)[len(ratios) // 2]
    return Figure("overhead", f"`migrate run` flows/s over a bare aiohttp loop, {flows} flows, concurrency "
                  f"{concurrency}, emulator in its own process, median of {rounds} alternated rounds",
                  ratio, ">= 0.85", ratio >= 0.85, "rounds: " + ", ".join(f"{r:.2f}" for r in ratios))


FIGURES: dict[str, Callable[[Path, argparse.Namespace], Figure]] = {
    "overhead": lambda folder, args: overhead(folder, args.flows, 32, args.rounds),
}


def write_markdown(figures: list[Figure], path: Path) -> None:
    lines = [
        "# Benchmarks", "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, {__import__('os').cpu_count()} cores "
        "(`make bench`). Every figure is a ratio or a count measured side by side in one run.", "",
        "| figure | how | value | target | result |", "|---|---|---|---|---|",
    ]
    for f in figures:
        lines.append(f"| {f.name} | {f.how} | {f.value:.3g} | {f.target} | {'pass' if f.passed else 'falls short'} |")
    lines += ["", "Details:", ""] + [f"- {f.name}: {f.detail}" for f in figures if f.detail]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(FIGURES), action="append")
    parser.add_argument("--flows", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    args = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.only or list(FIGURES):
            figure = FIGURES[name](Path(folder), args)
            print(f"{figure.name}: {figure.value:.3g} (target {figure.target}) "
                  f"{'pass' if figure.passed else 'FALLS SHORT'}  {figure.detail}", flush=True)
            figures.append(figure)
    write_markdown(figures, args.out)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
