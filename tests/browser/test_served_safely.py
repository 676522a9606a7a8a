"""The dashboard as scripts/serve runs it: no debug page for anyone, static files still served."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

SERVE = Path(__file__).resolve().parents[2] / "scripts" / "serve"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_scripts_serve_turns_no_debug_on():
    text = SERVE.read_text()
    assert "PODPATH_DEBUG" not in re.sub(r"#.*", "", text)
    assert "podpath serve 127.0.0.1:8000" in text  # what podpath_server runs too


def test_a_missing_page_shows_no_url_patterns_or_settings(podpath_server):
    url, _ = podpath_server
    status, body = fetch(url + "/no-such-page/")
    assert status == 404
    for leak in ("URLconf", "Using the URLconf", "DEBUG = True", "Traceback", "admin/"):
        assert leak not in body


def test_static_files_are_served(podpath_server):
    url, _ = podpath_server
    status, body = fetch(url + "/")
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', body)
    assert status == 200 and stylesheet
    assert fetch(url + stylesheet.group(1))[0] == 200
