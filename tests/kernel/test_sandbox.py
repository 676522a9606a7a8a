"""Sandbox lifecycle on the real kernel: all-or-nothing create, complete delete, the lock, gc."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from netcore import names
from netcore.errors import AlreadyExists, InvalidName, NotFound
from netcore.kernel import netns
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import read_record
from netcore.topology.compile import compile_state
from tests.topologies import CONTAINERS, CONTAINERS_ONE, topology

FULL = topology(CONTAINERS)
ONE = topology(CONTAINERS_ONE)


def leftovers(sandbox: str) -> dict:
    prefix = names.sandbox_prefix(sandbox)
    return {
        "namespaces": netns.list_names(prefix),
        "etc_netns": sorted(p.name for p in names.ETC_NETNS_DIR.glob(prefix + "*")),
        "runtime": names.sandbox_dir(sandbox).exists(),
    }


NOTHING = {"namespaces": [], "etc_netns": [], "runtime": False}


def alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def sandbox(sandbox_name):
    lifecycle.create_sandbox(sandbox_name, FULL, {"purpose": "test"})
    yield sandbox_name
    if os.path.exists(names.record_path(sandbox_name)):
        lifecycle.delete_sandbox(sandbox_name)


def test_delete_removes_namespaces_files_runner_and_records(sandbox):
    runner = lifecycle.get_sandbox(sandbox).runner_pid
    assert runner is not None and alive(runner)
    assert leftovers(sandbox)["namespaces"] == [f"pp-{sandbox}-{h}" for h in ("c1", "c2", "host", "internet")]
    lifecycle.delete_sandbox(sandbox)
    assert leftovers(sandbox) == NOTHING
    assert not alive(runner)
    assert not names.lock_path(sandbox).exists()


def test_an_interrupted_create_leaves_nothing_behind(sandbox_name):
    def interrupt(done, total, what):
        if done > 10:
            raise KeyboardInterrupt("interrupted half-way")

    with pytest.raises(KeyboardInterrupt):
        lifecycle.create_sandbox(sandbox_name, FULL, progress=interrupt)
    assert leftovers(sandbox_name) == NOTHING


def test_creating_twice_is_refused_and_changes_nothing(sandbox):
    before = lifecycle.read_sandbox_state(sandbox)
    with pytest.raises(AlreadyExists):
        lifecycle.create_sandbox(sandbox, ONE)
    assert lifecycle.read_sandbox_state(sandbox).differences(before) == []


def test_bad_names_and_unknown_things_are_one_line_errors(sandbox):
    with pytest.raises(InvalidName):
        lifecycle.create_sandbox("../x", FULL)
    with pytest.raises(NotFound, match="unknown sandbox 'nosuch'"):
        lifecycle.apply_to_sandbox("nosuch", FULL)
    with pytest.raises(NotFound, match=r"has no host 'm9' \(hosts: c1, c2, host, internet\)"):
        lifecycle.host_namespace(sandbox, "m9")


def test_two_callers_never_interleave_their_plans(sandbox):
    events: list[tuple[str, float]] = []

    def move(label: str, desired) -> None:
        lifecycle.apply_to_sandbox(sandbox, desired, progress=lambda d, t, w: events.append((label, d, t)))

    first = threading.Thread(target=move, args=("one", ONE))
    second = threading.Thread(target=move, args=("full", FULL))
    first.start()
    second.start()
    first.join()
    second.join()
    labels = [label for label, *_ in events]
    # Each caller's progress events form one contiguous run: no plan started inside the other.
    runs = [label for i, label in enumerate(labels) if i == 0 or labels[i - 1] != label]
    assert len(runs) == len(set(runs)), labels
    final = lifecycle.read_sandbox_state(sandbox)
    assert final.differences(compile_state(FULL if runs[-1] == "full" else ONE)) == []


def test_the_lock_holds_across_processes(sandbox):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from netcore.sandbox.registry import sandbox_lock\n"
            f"with sandbox_lock({sandbox!r}):\n    print('held', flush=True); time.sleep(0.6)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        lifecycle.apply_to_sandbox(sandbox, ONE)
        assert time.monotonic() - started >= 0.4
    finally:
        holder.wait(timeout=10)


def test_gc_removes_what_no_sandbox_owns_and_nothing_else(sandbox, sandbox_name):
    other = sandbox_name[:-1] + ("0" if sandbox_name[-1] != "0" else "1")
    lifecycle.create_sandbox(other, ONE)
    runner = lifecycle.get_sandbox(other).runner_pid
    # A crashed process lost the record of `other`: everything else of it is now an orphan.
    names.record_path(other).unlink()
    report = lifecycle.collect_garbage()
    assert {f"pp-{other}-{h}" for h in ("c1", "host", "internet")} <= set(report.namespaces)
    assert leftovers(other) == NOTHING
    assert not alive(runner)
    # The live sandbox is untouched.
    assert lifecycle.read_sandbox_state(sandbox).differences(compile_state(FULL)) == []
    assert read_record(sandbox).meta == {"purpose": "test"}
