"""A URL or a key that is not what the tool expects is a config mistake: exit 1 with what it
should be, never `aborted … 404` (exit 4) nor the whole table of keys."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from migrate.emulator.config import EmulatorConfig
from migrate.emulator.server import EmulatorServer
from tests.conftest import base_state, export_rows, run_cli, write_config

APP_KEY, APP_SECRET = "url-key-1", "url-secret-value-1"


@contextmanager
def serving(start: Callable[[], Coroutine[Any, Any, str]],
            stop: Callable[[], Coroutine[Any, Any, None]]) -> Iterator[str]:
    """A server on its own event loop in a thread (the CLI runs its own loop in this one): its URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@contextmanager
def emulator(state: dict[str, Any]) -> Iterator[tuple[str, EmulatorServer]]:
    server = EmulatorServer(EmulatorConfig.model_validate(state))
    with serving(server.start, server.stop) as url:
        yield url, server


@contextmanager
def web_page_everywhere(status: int) -> Iterator[str]:
    """A portal that answers every path with a web page (and `status`)."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(status=status, content_type="text/html",
                            text="<!DOCTYPE html><html><head><title>Portal</title></head><body>Welcome</body></html>")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    runner = web.AppRunner(app)

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    with serving(start, runner.cleanup) as url:
        yield url


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_APP_KEY", APP_KEY)
    monkeypatch.setenv("MIGRATE_APP_SECRET", APP_SECRET)


def _state() -> dict[str, Any]:
    return base_state(flows=3, tasks_per_flow=1, applications=[{"app_key": APP_KEY, "app_secret": APP_SECRET}])


@pytest.mark.usefixtures("credentials")
def test_the_emulators_base_url_pasted_whole_is_a_config_error_with_the_right_url(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(_state()) as (root, server):
        pasted = f"{root}/batch-processing-service/v2.1/"  # what `migrate emulator` prints as "base URL"
        config = write_config(tmp_path, state=_state(), rows=export_rows(3), url=pasted)
        code, out, err = run_cli(capsys, "run", str(config))
        saves = server.app.stats.as_json()["saves_by_flow"]
    assert code == 1, err
    assert "aborted" not in out + err and "Traceback" not in err
    assert "does not lead to the service" in err and "HTTP 404" in err
    assert f'try url = "{root}"' in err, err
    assert saves == {}  # nothing was sent


@pytest.mark.usefixtures("credentials")
def test_the_right_url_still_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(_state()) as (root, _):
        config = write_config(tmp_path, state=_state(), rows=export_rows(3), url=root + "/")
        code, out, err = run_cli(capsys, "run", str(config))
    assert code == 0, err
    assert "3 flows: saved 3" in out


@pytest.mark.usefixtures("credentials")
def test_a_plan_against_a_wrong_url_is_a_config_error_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(_state()) as (root, _):
        config = write_config(tmp_path, state=_state(), rows=export_rows(3),
                              url=f"{root}/batch-processing-service/v2.1")
        code, _, err = run_cli(capsys, "plan", str(config))
    assert code == 1 and f'try url = "{root}"' in err, err


@pytest.mark.usefixtures("credentials")
def test_a_web_page_where_the_service_should_answer_is_a_config_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with web_page_everywhere(200) as portal:
        config = write_config(tmp_path, state=_state(), rows=export_rows(2), url=portal)
        code, _, err = run_cli(capsys, "run", str(config))
    assert code == 1, err
    assert "answered a web page" in err and "scheme://host[:port]" in err


@pytest.mark.usefixtures("credentials")
def test_a_gateway_error_page_is_still_the_service_in_trouble_not_a_wrong_url(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 503 maintenance page is retried as before, and the run stops as aborted (4): the URL
    may well be right."""
    with web_page_everywhere(503) as gateway:
        config = write_config(tmp_path, state=_state(), rows=export_rows(2), url=gateway, run={"attempts": 2})
        code, out, err = run_cli(capsys, "run", str(config))
    assert code == 4, err
    assert "does not lead to the service" not in err + out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[run]", "[run]\nconcurency = 3"), "run.concurency: unknown key in [run]: did you mean `concurrency`?"),
        (("[mapping.tasks]", "[mapping.tasks]\nupstraem = \"u\""),
         "mapping.tasks.upstraem: unknown key in [mapping.tasks]: did you mean `upstream`?"),
        (('name = "flow_name"', 'name = { colum = "flow_name" }'),
         "mapping.fields.name.colum: unknown key in [mapping.fields.name]: did you mean `column`?"),
        (('name = "flow_name"', 'nmae = "flow_name"'), "unknown Save Flow field `nmae`: did you mean `name`?"),
        (("[source]", "Run = 1\n[source]"), "Run: unknown key in the top level: did you mean `run`?"),
    ],
)
def test_an_unknown_key_suggests_the_closest_known_one(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       change: tuple[str, str], expected: str) -> None:
    config = write_config(tmp_path, state=base_state(), rows=export_rows(2))
    config.write_text(config.read_text().replace(*change, 1))
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and expected in err, err
    assert "known keys:" not in err  # one suggestion, not the table's every key
    assert "(value {" not in err  # nor the table's contents


def test_an_unknown_key_far_from_any_names_the_keys_of_its_table(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, state=base_state(), rows=export_rows(2))
    config.write_text(config.read_text().replace("[target]", "[target]\nfrobnicate = 1", 1))
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and "target.frobnicate: unknown key in [target]: known keys: url, user_id, org_id" in err
