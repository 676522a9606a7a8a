"""Static files: every script and style the pages load is collected for a deployment."""

from __future__ import annotations

import re

from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import override_settings


def test_collectstatic_gathers_every_file_the_pages_load(tmp_path, rf, django_user_model):
    with override_settings(STATIC_ROOT=tmp_path):
        call_command("collectstatic", "--noinput", verbosity=0)
    request = rf.get("/")
    request.user = django_user_model(username="someone")
    page = render_to_string("base.html", request=request)
    loaded = re.findall(r'(?:src|href)="/static/([^"]+)"', page)
    loaded += ["podpath/live.js", "podpath/walk.js", "podpath/exercises.css"]
    assert any(name.startswith("django_htmx/") for name in loaded)
    missing = [name for name in loaded if not (tmp_path / name).is_file()]
    assert not missing, missing
