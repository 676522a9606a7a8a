"""Benchmark: does the web process leak? Page loads and websocket connects through ONE ASGI application.

Run from the repository root, as root:

    .venv/bin/python bench/web_leaks.py [--rounds 1000] [--every 100] [--minutes 0]
        [--out bench/results/web_leaks.json] [--markdown docs/reliability.md]

The application is ``podpath.asgi.application``, the one daphne serves, with the embedded agent in
the same process (the default single-machine run), a private SQLite database in a temporary
directory, and one real lab sandbox (connecting-containers, step 3) owned by a student. One round, as
that student with a real session cookie: the home page, the lab's page, the class page, the sandbox's
player, its kernel tab (asked of the agent), and a websocket to the sandbox's live page that connects
(the agent starts watching the kernel) and disconnects (it stops). Every ``--every`` rounds, after a
warm-up round, it records the process's open file descriptors, threads and resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
DATABASE = Path(tempfile.mkdtemp(prefix="podpath-web-leaks-")) / "db.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podpath.settings")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from leaks import growth, leftovers, process_figures, write_section  # noqa: E402

PAGES = ("/", "/labs/connecting-containers/", "/classes/{code}/", "/sandbox/{name}/", "/sandbox/{name}/kernel/links/")


def prepare(name: str) -> dict:
    """The database, a student in a class, and the student's real sandbox."""
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    from agent.jobs import run_job
    from classrooms.models import Classroom, Enrollment
    from labs.models import Sandbox

    call_command("migrate", verbosity=0)
    teacher = User.objects.create_user("teacher")
    student = User.objects.create_user("student")
    student.groups.add(Group.objects.get_or_create(name="student")[0])
    room = Classroom.objects.create(name="bench", instructor=teacher, lab_id="connecting-containers")
    Enrollment.objects.create(classroom=room, student=student)
    Sandbox.objects.create(name=name, owner=student, classroom=room, lab_id="connecting-containers")
    run_job("lab_start", {"sandbox": name, "lab_id": "connecting-containers", "step": 3}, lambda *_: None)
    client = Client()
    client.force_login(student)
    return {"cookie": f"sessionid={client.cookies['sessionid'].value}".encode(), "code": room.code}


async def one_round(application, name: str, world: dict) -> None:
    from channels.testing import HttpCommunicator, WebsocketCommunicator

    headers = [(b"cookie", world["cookie"]), (b"host", b"127.0.0.1")]
    for page in PAGES:
        path = page.format(code=world["code"], name=name)
        response = await HttpCommunicator(application, "GET", path, headers=headers).get_response(timeout=60)
        if response["status"] != 200:
            raise SystemExit(f"GET {path}: {response['status']}")
    socket = WebsocketCommunicator(
        application, f"/ws/sandbox/{name}/", headers=[*headers, (b"origin", b"http://127.0.0.1")]
    )
    connected, _ = await socket.connect(timeout=30)
    if not connected:
        raise SystemExit("the websocket was refused")
    await socket.disconnect()


async def run(rounds: int, every: int, minutes: float, name: str, world: dict) -> dict:
    from podpath.asgi import application

    samples: list[dict] = []
    seconds: list[float] = []
    started = time.monotonic()
    done = 0
    await one_round(application, name, world)  # warm-up: the embedded agent starts, templates compile
    await asyncio.sleep(1)
    samples.append({"round": 0, "seconds": 0.0, **process_figures()})
    for number in range(1, rounds + 1):
        began = time.monotonic()
        await one_round(application, name, world)
        seconds.append(time.monotonic() - began)
        done = number
        stop = bool(minutes) and time.monotonic() - started > minutes * 60
        if number % every == 0 or number == rounds or stop:
            await asyncio.sleep(0.5)  # let the agent's unwatch of the last socket finish
            samples.append({"round": number, "seconds": round(time.monotonic() - started, 1), **process_figures()})
            print(samples[-1], flush=True)
        if stop:
            break
    return {
        "rounds": done,
        "samples": samples,
        "round_seconds": sorted(seconds),
        "wall_s": round(time.monotonic() - started, 1),
    }


def markdown(result: dict) -> str:
    import common

    rows = "\n".join(
        f"| {s['round']} | {s['seconds']} | {s['fds']} | {s['fds_after_gc']} | "
        f"{', '.join(f'{k} {v}' for k, v in sorted(s['fd_kinds'].items()))} | {s['threads']} | "
        f"{s['rss_kib'] / 1024:.1f} |"
        for s in result["samples"]
    )
    grown = growth(result)
    per_round = common.spread(result["round_seconds"])
    left = result["leftovers"]
    a = result["args"]
    return f"""### Leaks: {result["rounds"]} rounds of page loads and websocket connects in one web process

Command: `.venv/bin/python bench/web_leaks.py --rounds {a["rounds"]} --every {a["every"]} --minutes {a["minutes"]}`
(as root). Machine: {result["machine"]}; commit {result["commit"]}.

Each round: {len(PAGES)} page loads ({", ".join(f"`{p}`" for p in PAGES)}) as a signed-in student, then a websocket
to the sandbox's live page, connected (the embedded agent starts watching) and closed (it stops):
{result["rounds"] * len(PAGES)} page loads and {result["rounds"]} websocket connects in all. Round 0 is the baseline
after one warm-up round.

| round | seconds | open fds | after gc.collect() | fds by kind | threads | RSS (MiB) |
| ---: | ---: | ---: | ---: | --- | ---: | ---: |
{rows}

Growth from the baseline to round {result["rounds"]}: **{grown["fds"]:+d} file descriptors
({grown["fds_after_gc"]:+d} after a collection), {grown["threads"]:+d} threads, {grown["rss_kib"] / 1024:+.1f} MiB
RSS**. One round took {per_round["p50"]:.2f} s at the median (p95 {per_round["p95"]:.2f} s).
After deleting the sandbox: {len(left["namespaces"])} namespaces,
{len(left["processes"]) + len(left["children"])} processes left.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=0)
    parser.add_argument("--out", default="bench/results/web_leaks.json")
    parser.add_argument("--markdown", default="", help="replace the <!-- web-leaks --> section of this document")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the sandbox is built for real")
    import common

    from netcore.sandbox import lifecycle
    from netcore.sandbox.registry import record_exists

    name = "wl" + secrets.token_hex(3)
    try:
        world = prepare(name)
        result = asyncio.run(run(args.rounds, args.every, args.minutes, name, world))
    finally:
        if record_exists(name):
            lifecycle.delete_sandbox(name)
    result.update(
        args=vars(args),
        machine=common.machine(),
        leftovers=leftovers(name),
        commit=common.commit(["podpath", "labs", "agent", "bench"]),
    )
    result["growth"] = growth(result)
    common.write_json(args.out, result)
    text = markdown(result)
    print(text)
    if args.markdown:
        write_section(Path(args.markdown), "web-leaks", text)


if __name__ == "__main__":
    main()
