"""The plain pages: labs and sandboxes on the home page, a lab's steps on its own page."""

from __future__ import annotations

import pytest

from hosts.models import Placement
from hosts.services import local_host


@pytest.fixture
def recorded_sandbox(db, sandbox_name):
    """A sandbox its host reported with namespaces missing: the page must say it is degraded."""
    Placement.objects.create(
        name=sandbox_name,
        host=local_host(),
        lab="evolution",
        step=2,
        net_hosts=["m1", "m2"],
        health="degraded: missing m1, m2",
    )
    return sandbox_name


def test_home_lists_labs_with_their_steps(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="lab-evolution"' in html and 'id="lab-connecting-containers"' in html
    assert "Physical ages" in html or "physical" in html.lower()


def test_the_admin_home_lists_sandboxes_with_lab_step_and_health(admin_client, recorded_sandbox):
    html = admin_client.get("/").content.decode()
    row = html[html.index(f'id="sandbox-{recorded_sandbox}"') :]
    row = row[: row.index("</tr>")]
    assert "evolution" in row and ">2<" in row
    assert "degraded: missing m1, m2" in row


def test_a_lab_page_shows_each_step_with_its_narrative_and_commands(client):
    html = client.get("/labs/connecting-containers/").content.decode()
    assert 'id="step-1"' in html and "<p>" in html
    assert "ping" in html


def test_an_unknown_lab_is_404(client):
    assert client.get("/labs/nosuchlab/").status_code == 404
