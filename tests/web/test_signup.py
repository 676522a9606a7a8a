"""Students join on their own with the class code: an account, enrolled, signed in; a wrong code makes
nothing; guessing codes through the form is rate-limited like joining."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from classrooms.models import Enrollment
from classrooms.roles import STUDENT, role_of

pytestmark = pytest.mark.django_db

GOOD = {"username": "grace", "password": "a-long-passphrase", "password_again": "a-long-passphrase"}


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def test_a_student_signs_up_with_the_code_and_lands_in_the_class(client, room):
    response = client.post("/accounts/signup/", {**GOOD, "code": room.code.lower()})
    assert response.status_code == 302 and response["Location"] == f"/classes/{room.code}/"
    grace = User.objects.get(username="grace")
    assert role_of(grace) == STUDENT and grace.check_password(GOOD["password"])
    assert Enrollment.objects.filter(classroom=room, student=grace).exists()
    assert client.get(f"/classes/{room.code}/").status_code == 200  # signed in


@pytest.mark.parametrize(
    "change, field",
    [
        ({"code": "NOPE1234"}, "code"),
        ({"password_again": "something-else"}, "password_again"),
        ({"password": "short", "password_again": "short"}, "password"),
        ({"username": "../admin"}, "username"),
    ],
)
def test_a_bad_form_makes_no_account_and_says_why_next_to_the_field(client, room, change, field):
    response = client.post("/accounts/signup/", {**GOOD, "code": room.code, **change})
    assert response.status_code == 200 and f'id="error-{field}"' in response.content.decode()
    assert not User.objects.filter(username__in=["grace", "../admin"]).exists()


def test_a_taken_name_is_refused(client, room, people):
    taken = next(iter(people.values())).username
    response = client.post("/accounts/signup/", {**GOOD, "username": taken.upper(), "code": room.code})
    assert 'id="error-username"' in response.content.decode()


def test_guessing_codes_through_sign_up_is_slowed_down(client, room):
    for attempt in range(30):
        client.post("/accounts/signup/", {**GOOD, "username": f"guess{attempt}", "code": f"WRONG{attempt:03d}"})
    blocked = client.post("/accounts/signup/", {**GOOD, "code": room.code})
    assert blocked.status_code == 429 and not User.objects.filter(username="grace").exists()


def test_the_sign_in_page_points_to_sign_up(client):
    assert 'href="/accounts/signup/"' in client.get("/accounts/login/").content.decode()
