"""Who may reach what: every view of the URLconf and every websocket route, as seven people, against ONE table.

The routes are not listed by hand: they are read from ``django.urls.get_resolver()`` and from the
websocket routers ``podpath.asgi`` serves. A route that is not in ``HTTP`` or ``WEBSOCKET`` below fails
``test_every_route_is_in_the_table``, so a new view is covered the day it is added: its author must
say who may reach it.

The people, in the column order of the table:

=============  ==========================================================================
anon           not signed in
student        ada: in the class, owns the sandbox and the exercise attempt the routes name
classmate      bob: in the same class, owns nothing the routes name
stranger       eve: a student of another class
other_teacher  the instructor of that other class
teacher        the class's instructor
admin          a superuser
=============  ==========================================================================

Every POST is sent as a browser would, with a CSRF token (``Client(enforce_csrf_checks=True)``), and
once more without one: that one must be refused (403) on every route but the Kubernetes API, which
authenticates by bearer token, never by cookie.
"""

from __future__ import annotations

import base64
import sys

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.core.cache import cache
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import agent.client
from classrooms.models import Classroom, Enrollment
from exercises import get_exercise
from exercises import services as exercise_services
from exercises.models import Attempt, PredictAnswer, Submission
from hosts.services import local_host
from labs.models import Sandbox
from tests.web.exercise_setup import WALK, FakeAgent, user_in

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ("anon", "student", "classmate", "stranger", "other_teacher", "teacher", "admin")
EXERCISE = "bridge-three"  # on the class's lab, with a prediction
SECRET = "ADA-PRIVATE-7f3c"  # in ada's submission and attempt: no page of anyone but her and her teacher shows it

# -- the table: route name -> {method: one answer per role, in ROLES order} ---------------------------
# "*" = not a server error (Django admin pages: 200, or 302 to the index for an object it does not have).
OWNER_ONLY = "302 200 404 404 404 200 200"  # ada's sandbox: her, her teacher, an admin
OWNER_POST = "302 200 404 404 404 200 200"
CLASS_MEMBERS = "302 200 200 404 404 200 200"  # anyone in the class (each on their own exercise sandbox)
TEACHERS = "302 404 404 404 404 200 200"  # the class's instructor and admins
TEACHERS_POST = "302 404 404 404 404 302 302"
POST_ONLY = "302 405 405 405 405 405 405"  # a GET to a POST-only view, signed in or not
EVERYONE = "200 200 200 200 200 200 200"
ADMIN_ONLY = "302 404 404 404 404 404 200"
ADMIN_SITE = "302 302 302 302 302 302 *"  # Django's admin: staff only, the rest to its login

HTTP: dict[str, dict[str, str]] = {
    "login": {"GET": EVERYONE, "POST": EVERYONE},  # a wrong password re-renders the form
    "logout": {"GET": "405 405 405 405 405 405 405", "POST": "302 302 302 302 302 302 302"},
    "classrooms:join": {"GET": POST_ONLY, "POST": "302 302 302 302 302 302 302"},
    "classrooms:signup": {"GET": EVERYONE, "POST": EVERYONE},  # the form again: no code given
    "labs:home": {"GET": EVERYONE, "POST": EVERYONE},
    "labs:favicon": {"GET": "301 301 301 301 301 301 301", "POST": "301 301 301 301 301 301 301"},
    "labs:present": {"GET": POST_ONLY, "POST": TEACHERS_POST},
    "labs:follow": {"GET": POST_ONLY, "POST": "302 302 302 404 404 404 404"},
    "labs:move": {"GET": POST_ONLY, "POST": OWNER_POST},
    "labs:rebuild": {"GET": POST_ONLY, "POST": OWNER_POST},
    "labs:lab-detail": {"GET": EVERYONE, "POST": EVERYONE},
    "labs:open-lab": {"GET": POST_ONLY, "POST": "302 302 302 302 302 302 302"},  # each opens their own
    "labs:player": {"GET": OWNER_ONLY, "POST": OWNER_ONLY},
    "labs:step": {"GET": POST_ONLY, "POST": OWNER_POST},
    "labs:reset": {"GET": POST_ONLY, "POST": OWNER_POST},
    "labs:kernel-tab": {"GET": OWNER_ONLY, "POST": OWNER_ONLY},
    "labs:apply-yaml": {"GET": POST_ONLY, "POST": OWNER_POST},
    "labs:console": {"GET": POST_ONLY, "POST": OWNER_POST},
    "labs:walk": {"GET": POST_ONLY, "POST": OWNER_POST},
    "labs:walk-pcap": {"GET": OWNER_ONLY, "POST": OWNER_ONLY},
    "labs:classroom-create": {"GET": POST_ONLY, "POST": "302 404 404 404 302 302 302"},
    "labs:reset-class": {"GET": POST_ONLY, "POST": TEACHERS_POST},
    "labs:admin-sandboxes": {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
    "labs:admin-orphans": {"GET": ADMIN_ONLY, "POST": "302 404 404 404 404 404 302"},
    "labs:admin-act": {"GET": POST_ONLY, "POST": "302 404 404 404 404 404 302"},
    "labs:admin-drain": {"GET": POST_ONLY, "POST": "302 404 404 404 404 404 302"},
    "exercises:classroom": {"GET": CLASS_MEMBERS, "POST": CLASS_MEMBERS},
    "exercises:class-progress": {"GET": TEACHERS, "POST": TEACHERS},
    "exercises:class-attempts-csv": {"GET": TEACHERS, "POST": TEACHERS},
    "exercises:exercise": {"GET": CLASS_MEMBERS, "POST": CLASS_MEMBERS},
    "exercises:exercise-apply": {"GET": POST_ONLY, "POST": CLASS_MEMBERS},
    "exercises:exercise-check": {"GET": POST_ONLY, "POST": CLASS_MEMBERS},
    "exercises:exercise-reset": {"GET": POST_ONLY, "POST": CLASS_MEMBERS},
    "exercises:exercise-hint": {"GET": POST_ONLY, "POST": CLASS_MEMBERS},
    "exercises:exercise-predict": {"GET": POST_ONLY, "POST": CLASS_MEMBERS},
    "exercises:exercise-predict-walk": {"GET": POST_ONLY, "POST": CLASS_MEMBERS},
    "kubeapi:kubeconfig": {"GET": POST_ONLY, "POST": OWNER_POST},
    "kubeapi:api": {"GET": "401 401 401 401 401 401 401", "POST": "401 401 401 401 401 401 401"},  # bearer only
    "admin:*": {"GET": ADMIN_SITE, "POST": ADMIN_SITE},
}
CSRF_EXEMPT = {"kubeapi:api"}

# websocket route -> who may connect ("ok") and who is refused ("no"), in ROLES order
WEBSOCKET: dict[str, str] = {
    "ws/sandbox/<str:name>/": "no ok no no no ok ok",
    "ws/exercise/<str:name>/": "no ok no no no ok ok",
    "ws/classroom/<str:code>/": "no no no no no ok ok",
    "kubectl exec": "no no no no no no no",  # bearer token only: a session opens nothing
}


# -- walking the routes -------------------------------------------------------------------------------


def http_routes() -> list[tuple[str, URLPattern]]:
    """Every named view of the URLconf as (namespace:name, pattern); admin pages as ``admin:*``."""
    found: list[tuple[str, str, URLPattern]] = []

    def walk(patterns, namespace: str, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, (namespace, pattern.namespace)))
                walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
            else:
                name = pattern.name or f"<unnamed {prefix}{pattern.pattern}>"
                name = f"{namespace}:{name}" if namespace else name
                found.append((name, prefix + str(pattern.pattern), pattern))

    walk(get_resolver().url_patterns, "", "")
    return [(name, pattern) for name, _, pattern in found]


def table_key(name: str) -> str:
    return "admin:*" if name.startswith("admin:") else name


def websocket_routes() -> list[str]:
    from kubeapi import routing as kube_routing
    from podpath import asgi

    routes = [str(p.pattern) for p in asgi.websocket_urlpatterns]
    routes += ["kubectl exec" for _ in kube_routing.websocket_urlpatterns]
    return routes


def test_every_route_is_in_the_table():
    missing = sorted({table_key(n) for n, _ in http_routes()} - set(HTTP))
    assert not missing, f"say who may reach these views in HTTP: {missing}"
    stale = sorted(set(HTTP) - {table_key(n) for n, _ in http_routes()})
    assert not stale, f"these rows name no route any more: {stale}"
    assert sorted(set(websocket_routes())) == sorted(WEBSOCKET), "say who may connect in WEBSOCKET"
    for row in HTTP.values():
        assert all(len(answers.split()) == len(ROLES) for answers in row.values())


# -- the world: a class, its people, ada's sandbox, attempt and prediction ---------------------------


@pytest.fixture
def fake_agent(monkeypatch) -> FakeAgent:
    """Stand in for the agent wherever a module imported ``agent.client``'s functions."""
    fake = FakeAgent()

    def call(job: str, sandbox: str, args: dict | None = None, timeout: float = 0, host: str | None = None) -> dict:
        if job.startswith("exercise_"):
            return fake.call(job, sandbox, args, timeout)
        fake.calls.append((job, sandbox, args or {}))
        if job == "walk":
            return {"walk": WALK, "walk_id": "abc123"}
        if job.startswith("kube_"):
            return {"code": 200, "body": {}, "output": "", "exit": 0}
        if job == "leftovers":
            return {"leftovers": []}
        if job == "walk_pcap":  # the agent keeps the capture: the web side reads no kernel host's files
            return {"pcap": base64.b64encode(b"\xd4\xc3\xb2\xa1").decode()}
        return {}

    async def acall(
        job: str, sandbox: str, args: dict | None = None, timeout: float = 0, host: str | None = None
    ) -> dict:
        return call(job, sandbox, args, timeout, host)

    async def asubmit(
        job: str, sandbox: str, args: dict | None = None, reply_channel=None, host: str | None = None
    ) -> str:
        return fake.submit(job, sandbox, args, host)

    fakes = {
        agent.client.call: acall,
        agent.client.call_sync: call,
        agent.client.submit: asubmit,
        agent.client.submit_sync: fake.submit,
    }
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").split(".")[0] not in ("labs", "exercises", "classrooms", "kubeapi"):
            continue
        for attribute, value in list(vars(module).items()):
            if callable(value) and any(value is real for real in fakes):
                monkeypatch.setattr(module, attribute, fakes[value])
    return fake


@pytest.fixture
def world(fake_agent, settings):
    cache.clear()  # the rate limits count in the cache, which outlives a test
    settings.PODPATH_KUBE_SERVER = "http://127.0.0.1:6443"
    people = {
        "student": user_in("student", "ada"),
        "classmate": user_in("student", "bob"),
        "stranger": user_in("student", "eve"),
        "other_teacher": user_in("instructor", "other-teacher"),
        "teacher": user_in("instructor", "teacher"),
        "admin": User.objects.create_superuser("root", password=None),
    }
    room = Classroom.objects.create(name="Networking 101", instructor=people["teacher"], lab_id="connecting-containers")
    other = Classroom.objects.create(
        name="Other class", instructor=people["other_teacher"], lab_id="connecting-containers"
    )
    for who in ("student", "classmate"):
        Enrollment.objects.create(classroom=room, student=people[who])
    Enrollment.objects.create(classroom=other, student=people["stranger"])
    sandbox = Sandbox.objects.create(
        name="acc" + names_suffix(), owner=people["student"], classroom=room, lab_id="connecting-containers"
    )
    exercise = get_exercise(EXERCISE)
    exercise_sandboxes = {}
    for who in ("student", "classmate", "teacher", "admin"):  # each opens the exercise before acting on it
        exercise_sandboxes[who], _ = exercise_services.exercise_open(
            user=people[who], classroom=room, exercise=exercise
        )
        PredictAnswer.objects.create(
            student=people[who], classroom=room, exercise_id=EXERCISE, choice=exercise.predict.answer, correct=True
        )
    submission = Submission.objects.create(
        student=people["student"], classroom=room, exercise_id=EXERCISE, text=f"# {SECRET}\n", accepted=True
    )
    Attempt.objects.create(
        student=people["student"],
        classroom=room,
        exercise_id=EXERCISE,
        submission=submission,
        passed=False,
        results=[
            {
                "index": 0,
                "type": "reach",
                "title": "t",
                "passed": False,
                "observed": SECRET,
                "hint": None,
                "seconds": 0.1,
            }
        ],
    )
    return {"people": people, "room": room, "sandbox": sandbox, "exercise_sandboxes": exercise_sandboxes}


def names_suffix() -> str:
    import secrets

    return secrets.token_hex(4)


def url_kwargs(world: dict) -> dict[str, str]:
    """A value for every parameter a route may name: all point at ada's things in the class."""
    return {
        "code": world["room"].code,
        "name": world["sandbox"].name,
        "lab_id": "connecting-containers",
        "number": "2",
        "tab": "links",
        "walk_id": "abc123",
        "action": "reset",
        "direction": "next",
        "exercise_id": EXERCISE,
        "sandbox": world["sandbox"].name,
        "rest": "api/v1/namespaces/default/pods",
        "host_id": local_host().host_id,
    }


def http_cases() -> list[tuple[str, str]]:
    cases, seen = [], set()
    for name, _ in http_routes():
        key = table_key(name)
        if key == "admin:*":
            continue
        if key not in seen:
            seen.add(key)
            cases.append(key)
    return cases


def paths_for(key: str, world: dict) -> list[str]:
    from django.urls import reverse

    kwargs = url_kwargs(world)
    if key == "kubeapi:api":
        return [f"/k8s/{world['sandbox'].name}/{kwargs['rest']}"]
    pattern = next(p for n, p in http_routes() if n == key)
    needed = pattern.pattern.regex.groupindex
    return [reverse(key, kwargs={k: kwargs[k] for k in needed})]


def client_for(world: dict, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    if role != "anon":
        client.force_login(world["people"][role])
    return client


def send(client: Client, method: str, path: str, *, csrf: bool = True):
    if method == "GET":
        return client.get(path)
    token = _get_new_csrf_string()
    if csrf:
        client.cookies["csrftoken"] = token
    data = {
        "code": "nosuchcode",
        "on": "1",
        "manifests": "",
        "line": "ip link",
        "target": "c1",
        "source": "c1",
        "destination": "172.17.0.3",
        "document": "",
        "choice": get_exercise(EXERCISE).predict.answer,
        "name": "A class",
        "lab_id": "connecting-containers",
        "username": "ada",
        "password": "wrong",
    }
    return client.post(path, data, **({"HTTP_X_CSRFTOKEN": token} if csrf else {}))


def matches(expected: str, status: int) -> bool:
    return status < 500 if expected == "*" else status == int(expected)


@pytest.mark.parametrize("key", http_cases())
def test_each_view_answers_each_person_as_the_table_says(world, key):
    failures = []
    for path in paths_for(key, world):
        for method, answers in HTTP[key].items():
            for role, expected in zip(ROLES, answers.split(), strict=True):
                status = send(client_for(world, role), method, path).status_code
                if not matches(expected, status):
                    failures.append(f"{method} {path} as {role}: {status}, the table says {expected}")
    assert not failures, "\n".join(failures)


def admin_paths() -> list[str]:
    """The admin site's index, each app's index, and each registered model's list, add and change pages."""
    from django.contrib import admin

    paths = {"/admin/", "/admin/password_change/"}
    for model in admin.site._registry:
        app, model_name = model._meta.app_label, model._meta.model_name
        paths |= {
            f"/admin/{app}/",
            f"/admin/{app}/{model_name}/",
            f"/admin/{app}/{model_name}/add/",
            f"/admin/{app}/{model_name}/1/change/",
            f"/admin/{app}/{model_name}/1/delete/",
        }
    return sorted(paths)


def test_the_admin_site_is_for_staff_only(world):
    assert len(admin_paths()) > 10
    failures = []
    for path in admin_paths():
        for method, answers in HTTP["admin:*"].items():
            for role, expected in zip(ROLES, answers.split(), strict=True):
                status = send(client_for(world, role), method, path).status_code
                if not matches(expected, status):
                    failures.append(f"{method} {path} as {role}: {status}, the table says {expected}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("key", [k for k in http_cases() if k not in CSRF_EXEMPT and "POST" in HTTP[k]])
def test_a_post_without_a_csrf_token_is_refused_for_everyone(world, key):
    for path in paths_for(key, world):
        for role in ROLES:
            assert send(client_for(world, role), "POST", path, csrf=False).status_code == 403, (path, role)


def test_no_page_shows_a_students_sandbox_attempts_or_predictions_to_another_student(world):
    """bob (same class), eve and the other class's teacher GET every page: none shows ada's things."""
    ada_things = [world["sandbox"].name, world["exercise_sandboxes"]["student"].name, SECRET]
    class_page = f"/classes/{world['room'].code}/"
    assert world["sandbox"].name in send(client_for(world, "teacher"), "GET", class_page).content.decode()
    for key in http_cases():
        if "GET" not in HTTP[key]:
            continue
        for path in paths_for(key, world):
            for role in ("classmate", "stranger", "other_teacher"):
                body = send(client_for(world, role), "GET", path).content.decode(errors="replace")
                leaked = [thing for thing in ada_things if thing in body and thing not in path]
                assert not leaked, f"GET {path} as {role} shows {leaked}"


def test_each_websocket_admits_each_person_as_the_table_says(world):
    from channels.routing import URLRouter

    from kubeapi import routing as kube_routing
    from podpath import asgi

    exercise_sandbox = world["exercise_sandboxes"]["student"].name
    paths = {
        "ws/sandbox/<str:name>/": f"/ws/sandbox/{world['sandbox'].name}/",
        "ws/exercise/<str:name>/": f"/ws/exercise/{exercise_sandbox}/",
        "ws/classroom/<str:code>/": f"/ws/classroom/{world['room'].code}/",
        "kubectl exec": f"/k8s/{world['sandbox'].name}/api/v1/namespaces/default/pods/web/exec",
    }
    router = URLRouter(asgi.websocket_urlpatterns + kube_routing.websocket_urlpatterns)
    failures = []
    for route, answers in WEBSOCKET.items():
        for role, expected in zip(ROLES, answers.split(), strict=True):
            user = world["people"].get(role)
            connected = async_to_sync(connect)(router, paths[route], user)
            if connected != (expected == "ok"):
                failures.append(f"{paths[route]} as {role}: connected={connected}, the table says {expected}")
    assert not failures, "\n".join(failures)


async def connect(router, path: str, user) -> bool:
    from django.contrib.auth.models import AnonymousUser

    socket = WebsocketCommunicator(router, path, subprotocols=["v5.channel.k8s.io"])
    socket.scope["user"] = user or AnonymousUser()
    connected, _ = await socket.connect()
    await socket.disconnect()
    return connected


def test_the_routes_walked_are_the_ones_served():
    """The walk finds the views a reader of the URLconf would list (a guard on the walker itself)."""
    keys = {table_key(n) for n, _ in http_routes()}
    assert {"labs:player", "exercises:class-progress", "kubeapi:api", "login", "admin:*"} <= keys
    assert len(keys) >= 30


# -- guessing is slow: passwords and join codes -------------------------------------------------------


def test_wrong_passwords_are_limited_per_user_name_and_the_right_one_waits_too(world):
    ada = world["people"]["student"]
    ada.set_password("right-password")
    ada.save()
    client = Client()
    for _ in range(10):
        assert client.post("/accounts/login/", {"username": "ada", "password": "guess"}).status_code == 200
    refused = client.post("/accounts/login/", {"username": "ada", "password": "right-password"})
    assert refused.status_code == 429 and "Too many wrong passwords" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    bob = world["people"]["classmate"]
    bob.set_password("bobs-password")
    bob.save()  # another user name from the same address still signs in
    assert client.post("/accounts/login/", {"username": "bob", "password": "bobs-password"}).status_code == 302


def test_join_codes_are_long_and_wrong_ones_are_limited_per_user(world):
    room = world["room"]
    assert len(room.code) == 8
    eve = world["people"]["stranger"]
    client = Client()
    client.force_login(eve)
    for guess in range(10):
        client.post("/classes/join/", {"code": f"WRONG{guess:03d}"})
    client.post("/classes/join/", {"code": room.code})
    assert not Enrollment.objects.filter(classroom=room, student=eve).exists()
    classmate = Client()  # another student is not held back by eve's guesses
    classmate.force_login(world["people"]["other_teacher"])
    assert classmate.post("/classes/join/", {"code": room.code}).status_code == 302
    assert Enrollment.objects.filter(classroom=room, student=world["people"]["other_teacher"]).exists()
