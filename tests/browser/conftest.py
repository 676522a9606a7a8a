"""Browser tier: a real Podpath (daphne, the embedded agent, a private SQLite database) and Debian's
chromium driven by Playwright. No browser is downloaded: chromium comes from the Debian package."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORDS = {"instructor": "instructor-demo", "student": "student-demo", "admin": "admin-demo"}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def podpath_server():
    """Run the dashboard as scripts/serve does (debug off), on a free port with its own database."""
    var = Path(tempfile.mkdtemp(prefix="podpath-browser-"))
    env = {**os.environ, "PODPATH_VAR_DIR": str(var)}
    env.pop("PODPATH_DEBUG", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    podpath = [sys.executable, "-m", "podpath.cli"]
    for args in (["migrate", "--noinput", "-v", "0"], ["demo_accounts"]):
        subprocess.run([*podpath, *args], env=env, check=True, capture_output=True)
    port = free_port()
    log = open(var / "server.log", "wb")
    server = subprocess.Popen([*podpath, "serve", f"127.0.0.1:{port}"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError((var / "server.log").read_text()) from None
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", env
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        cleanup_sandboxes(env)
        shutil.rmtree(var, ignore_errors=True)


def cleanup_sandboxes(env: dict) -> None:
    """Delete the sandboxes the dashboard made during the session (its database names them)."""
    script = (
        "from labs.models import Sandbox\nfrom netcore.sandbox import lifecycle\n"
        "from netcore.sandbox.registry import record_exists\n"
        "for s in Sandbox.objects.all():\n    record_exists(s.name) and lifecycle.delete_sandbox(s.name)\n"
    )
    subprocess.run([sys.executable, "-m", "podpath.cli", "shell", "-c", script], env=env, capture_output=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def login(browser, podpath_server):
    """Open a new browser context signed in as a demo user: ``page = login("student")``."""
    base, _env = podpath_server
    contexts = []

    def sign_in(username: str, viewport=(1400, 1000)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORDS[username])
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.base = base
        return page

    yield sign_in
    for context in contexts:
        context.close()


def shoot(page, name: str) -> None:
    """Keep a screenshot of a main page for the docs, when asked to (PODPATH_SCREENSHOTS=1)."""
    if os.environ.get("PODPATH_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
