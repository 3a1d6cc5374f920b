"""The browser path in a real headless Chromium: the console page, served by an app's backend on another
origin than the realtime API, mints a secret from that backend, makes a WebRTC call to the embedded server
with a fake microphone that plays a recording, and the backend's sideband runs the kernel function.

What is asserted is what a person would see: the question transcribed, the tool call and its result, the
spoken answer's transcript, and non-silent answer audio; the page logs no console error. A screenshot of
the page after the turn is saved (``out/browser/console.png``, or under ``$SK_REALTIME_ARTIFACTS``).

Needs Debian's ``chromium`` (``apt-get install chromium``; Playwright's own browser download is never
used), the ``playwright`` package, the offline speech engines and ``../shared`` fixtures: each missing
piece skips the test with the reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import SecretStr
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.connectors.backend import ClientSecretMinter
from semantic_kernel_realtime.connectors.endpoints import OpenAIEndpoint
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.console import PAGE
from tests.integration.plugins import WeatherPlugin
from tests.openai_schema import FIXTURES

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-backend-only-key"
QUESTION = FIXTURES / "audio" / "weather-in-paris.pcm16-24k.wav"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("SK_REALTIME_ARTIFACTS") or REPO_ROOT / "out" / "browser")
#: the session the backend decides for every page: transcripts of the question, the weather tool
SETTINGS = RealtimeExecutionSettings(
    input_audio_transcription={"model": "whisper-1"},
    turn_detection={"type": "server_vad", "silence_duration_ms": 400},
    function_choice_behavior=FunctionChoiceBehavior.Auto(),
)

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium): "
                                                "the browser test needs a system Chromium"),
    pytest.mark.timeout(120),
]


@pytest.fixture(scope="module")
def engines():
    from semantic_kernel_realtime.server.speech.defaults import default_synthesizer, default_transcriber

    transcriber, synthesizer = default_transcriber(), default_synthesizer()
    if transcriber is None or synthesizer.name != "espeak-ng":
        pytest.skip("offline speech engines not installed (pip install semantic-kernel-realtime[speech])")
    return transcriber, synthesizer


class Backend:
    """An app's backend: serves the console page, mints secrets with the session decided here, and
    attaches a sideband to each call the page reports (the kernel runs here, not in the browser)."""

    def __init__(self, server: LocalRealtimeServer, kernel: Kernel) -> None:
        self.server = server
        self.kernel = kernel
        self.minter = ClientSecretMinter(OpenAIEndpoint(base_url=server.base_url, api_key=SecretStr(KEY)),
                                         settings=SETTINGS, kernel=kernel)
        self.sidebands: list[OpenAIRealtimeWebsocket] = []
        self.app = web.Application()
        self.app.router.add_get("/console", self.page)
        self.app.router.add_post("/console/session", self.minter.aiohttp_handler)
        self.app.router.add_post("/sideband", self.attach)
        self.runner = web.AppRunner(self.app, access_log=None)
        self.port = 0

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(body=PAGE.read_bytes(), content_type="text/html")

    async def attach(self, request: web.Request) -> web.Response:
        call_id = (await request.json())["call_id"]
        sideband = OpenAIRealtimeWebsocket(api_key=KEY, base_url=self.server.base_url, call_id=call_id)
        await sideband.create_session(settings=SETTINGS, kernel=self.kernel)
        self.sidebands.append(sideband)
        async for event in sideband.receive():  # the call's session now has the sideband's configuration
            if event.service_type == "session.updated":
                break
        return web.json_response({"attached": call_id})

    async def __aenter__(self) -> Backend:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "localhost", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for sideband in self.sidebands:
            await sideband.close_session()
        await self.runner.cleanup()


async def test_the_console_in_chromium_answers_a_spoken_question_with_a_sideband_tool(engines):
    playwright_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed "
                                         "(pip install -e .[dev])")
    if not QUESTION.exists():
        pytest.skip(f"recorded question not found: {QUESTION} (../shared fixtures absent)")
    transcriber, synthesizer = engines
    weather = WeatherPlugin()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    problems: list[str] = []
    async with LocalRealtimeServer(api_key=KEY, transcriber=transcriber, synthesizer=synthesizer) as server, \
            Backend(server, kernel) as backend, playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox",  # CI runs as root
            "--disable-dev-shm-usage",  # containers often have a small /dev/shm
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={QUESTION}%noloop",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-features=WebRtcHideLocalIpsWithMdns",  # plain host candidates: no mDNS on this machine
        ])
        try:
            page = await browser.new_page(viewport={"width": 900, "height": 560})
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            # The page's origin (localhost:<backend>) is not the API's (127.0.0.1:<server>): CORS is exercised.
            await page.goto(f"http://localhost:{backend.port}/console?sideband=/sideband&autostart=1")
            await page.wait_for_function(
                "() => window.consoleState.lines.some(l => l.kind === 'assistant' && /found/.test(l.text))",
                timeout=60_000)
            await page.wait_for_function("() => window.consoleState.outputEnergy > 0.0001", timeout=20_000)
            state = await page.evaluate("() => window.consoleState")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "console.png"))
            await page.click("#hangup")
            await page.wait_for_function("() => window.consoleState.status === 'hung up'", timeout=10_000)
        finally:
            await browser.close()
        for _ in range(100):  # the hangup ends the call and its sideband
            if server.session_count == 0:
                break
            await asyncio.sleep(0.05)
        assert server.session_count == 0
    lines = [(line["kind"], line["text"]) for line in state["lines"]]
    said = [text for kind, text in lines if kind == "user"]
    assert said and "paris" in said[0].lower(), lines  # the question, transcribed
    assert weather.calls and weather.calls[0].lower() == "paris", lines  # run by the backend's sideband
    assert any(kind == "tool" and "weather-get_weather" in text for kind, text in lines), lines
    assert any(kind == "tool" and "21 degrees" in text for kind, text in lines), lines  # the result, shown
    assert any(kind == "assistant" and "21 degrees and sunny" in text for kind, text in lines), lines
    assert state["errors"] == [] and problems == [], (state["errors"], problems)
    assert state["callId"].startswith("rtc_")
