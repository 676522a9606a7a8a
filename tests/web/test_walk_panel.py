"""The walk panel: what the walk says about how it read the destination (a Gateway's decision) is shown."""

from __future__ import annotations

from types import SimpleNamespace

from django.template.loader import render_to_string

from tests.web.exercise_setup import WALK


def test_the_walk_panel_lists_the_walks_notes():
    notes = [
        "Gateway default/shop: listener http, hostname shop.example",
        "Gateway default/shop: matched default/hello rule 0 (PathPrefix /cart)",
    ]
    html = render_to_string(
        "labs/partials/walk.html",
        {"walk": {**WALK, "notes": notes}, "walk_id": "abc123", "sandbox": SimpleNamespace(name="s1"), "steps": []},
    )
    assert '<ul class="walk-notes">' in html
    assert all(f"<li>{note}</li>" in html for note in notes)
    bare = render_to_string(
        "labs/partials/walk.html",
        {"walk": WALK, "walk_id": "abc123", "sandbox": SimpleNamespace(name="s1"), "steps": []},
    )
    assert "walk-notes" not in bare
