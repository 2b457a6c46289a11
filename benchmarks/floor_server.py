"""An aiohttp.web server that only answers Save Flow with a fixed success: the cheapest service
there could be. The bare loop against it, next to the bare loop against the emulator, tells
whether the emulator holds the overhead figure's floor back."""

from __future__ import annotations

import asyncio

from aiohttp import web

ANSWER = b'{"code":0,"msg":"OK","requestId":"00000000-0000-4000-8000-000000000000","data":{"flowId":1}}'


async def save(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=ANSWER, content_type="application/json")


async def serve() -> None:
    app = web.Application()
    app.router.add_post("/batch-processing-service/v2.1/flows", save)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve())
