"""What the exercise web tests share: a class with an instructor and students, and a fake agent.

The fake agent stands in for ``agent.client`` inside ``exercises.services``: it records the
jobs asked of it and answers each with what the real agent would return (the shapes of
``agent.jobs``), so views, services and consumers run without a kernel.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from classrooms.models import Classroom, Enrollment
from exercises import get_exercise


class FakeAgent:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        self.hosts: list[str | None] = []  # the host each submit named (None: the sandbox's own)
        self.passing: set[int] = set()  # which criteria pass on the next check
        self.accept = True

    def submit(self, job: str, sandbox: str, args: dict | None = None, host: str | None = None) -> str:
        self.calls.append((job, sandbox, args or {}))
        self.hosts.append(host)
        return f"job{len(self.calls)}"

    def call(self, job: str, sandbox: str, args: dict | None = None, timeout: float = 0) -> dict:
        self.calls.append((job, sandbox, args or {}))
        exercise = get_exercise(args["exercise_id"])
        if job == "exercise_submit":
            if self.accept:
                return {
                    "accepted": True,
                    "errors": [],
                    "changes": ["c1: add address 172.17.0.2/16 on eth0"],
                    "operations": 1,
                }
            return {
                "accepted": False,
                "changes": [],
                "operations": 0,
                "errors": [
                    {
                        "source": "submission",
                        "field": "hosts.c1.interfaces.eth0.address",
                        "expected": "an IPv4 address with a prefix, like 10.0.0.1/24, got '172.17.0.2/33'",
                        "message": "...",
                    }
                ],
            }
        if job == "exercise_check":
            results = [
                {
                    "index": i,
                    "type": c.type,
                    "title": c.title,
                    "passed": i in self.passing,
                    "observed": "connected" if i in self.passing else "tcp to 10.0.2.2:80: no answer within 1 s",
                    "hint": None if i in self.passing else (c.hint or exercise.hints[0]),
                    "seconds": 0.1,
                }
                for i, c in enumerate(exercise.checks)
            ]
            return {"results": results, "passed": all(r["passed"] for r in results)}
        if job == "exercise_predict":
            return {
                "result": {
                    "index": -1,
                    "type": "predict",
                    "title": exercise.predict.question,
                    "passed": True,
                    "observed": "timeout: no reply; went c1 -> host -> internet",
                    "hint": None,
                    "seconds": 1.0,
                },
                "walk": WALK,
                "walk_id": "abc123",
            }
        raise AssertionError(f"unexpected job {job}")

    def jobs(self) -> list[str]:
        return [job for job, _, _ in self.calls]


HOP = {
    "host": "c1",
    "name": "c1",
    "interface": "eth0",
    "direction": "out",
    "l3": {"src": "172.17.0.2", "dst": "198.51.100.10"},
    "l4": {},
    "changes": [],
}
WALK = {
    "verdict": {"outcome": "timeout", "text": "no reply within 1 s"},
    "legs": [
        {
            "purpose": "request",
            "request": [HOP, {**HOP, "host": "internet", "name": "internet", "direction": "in"}],
            "reply": [],
        }
    ],
}


@pytest.fixture
def agent(monkeypatch) -> FakeAgent:
    fake = FakeAgent()
    monkeypatch.setattr("exercises.services.call_sync", fake.call)
    monkeypatch.setattr("exercises.services.submit_sync", fake.submit)
    monkeypatch.setattr("labs.services.submit_sync", fake.submit)
    return fake


def user_in(group: str, username: str) -> User:
    user = User.objects.create_user(username)  # no password: tests sign in with force_login
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def people(db) -> dict[str, User]:
    return {
        "teacher": user_in("instructor", "teacher"),
        "other_teacher": user_in("instructor", "other-teacher"),
        "ada": user_in("student", "ada"),
        "bob": user_in("student", "bob"),
        "eve": user_in("student", "eve"),
    }  # eve is in no class


@pytest.fixture
def room(people) -> Classroom:
    """A class on connecting containers: ada and bob are in it."""
    room = Classroom.objects.create(name="Networking 101", instructor=people["teacher"], lab_id="connecting-containers")
    for name in ("ada", "bob"):
        Enrollment.objects.create(classroom=room, student=people[name])
    return room
