"""The YAML panel's apply result shows kubectl's outcomes and the warnings about stored-only fields."""

from __future__ import annotations

from django.template.loader import render_to_string


def test_the_panel_lists_warnings_before_the_outcomes():
    result = {
        "outcomes": [[["Pod", "default", "web"], "created"]],
        "warnings": ["Warning: spec.containers[0].resources is stored but has no effect in Podpath"],
        "report": {"describe": "1 change"},
    }
    html = render_to_string("labs/partials/apply_result.html", {"result": result})
    assert (
        '<ul class="warnings"><li>Warning: spec.containers[0].resources is stored but has no effect in Podpath'
        "</li></ul>" in html
    )
    assert html.index("warnings") < html.index("<code>pod/web</code> created")


def test_no_warnings_no_list():
    html = render_to_string(
        "labs/partials/apply_result.html",
        {"result": {"outcomes": [[["Pod", "default", "web"], "unchanged"]], "report": {}}},
    )
    assert "warnings" not in html
