"""The main command's defaults are safe: no debug pages, private var/, scripts cannot read cookies, and a
deployment configuration passes Django's deployment checklist."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from podpath.settings import private_var_dir


def settings_value(expression: str, tmp_path: Path, **env: str) -> str:
    """Evaluate a settings expression in a fresh process, as the server would start."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PODPATH_")}
    clean.update({"PODPATH_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "podpath.settings", **env})
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_debug_is_off_unless_asked_for(tmp_path):
    assert settings_value("settings.DEBUG", tmp_path) == "False"
    assert settings_value("settings.DEBUG", tmp_path, PODPATH_DEBUG="1") == "True"


def test_cookies_are_http_only_and_same_site():
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == settings.CSRF_COOKIE_SAMESITE == "Lax"


def test_the_secret_key_and_database_are_the_owners_alone(tmp_path):
    var = tmp_path / "var"
    assert settings_value("settings.SECRET_KEY != ''", var) == "True"
    (var / "db.sqlite3").write_text("")
    (var / "db.sqlite3").chmod(0o644)
    var.chmod(0o755)
    private_var_dir(var)
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    for path in var.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_deployment_configuration_passes_check_deploy(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODPATH_")}
    env.update(
        {
            "PODPATH_VAR_DIR": str(tmp_path),
            "PODPATH_DEBUG": "0",
            "PODPATH_HTTPS": "1",
            "PODPATH_ALLOWED_HOSTS": "podpath.example.org",
            "PODPATH_SECRET_KEY": secrets.token_urlsafe(50),
        }
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "podpath.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
