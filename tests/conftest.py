"""Shared test setup: the address plan, tiers by folder, and the kernel tier's safety net.

Tiers: tests/unit (no root), tests/web (Django, no kernel), tests/kernel (root: real namespaces and
packets), tests/scale (root: web tier and agents as processes over private Redis and PostgreSQL),
tests/browser (root and Debian's chromium). Kernel and browser tests are skipped without
root; CI runs as root, so there they always run.

The kernel tier runs inside a guard that snapshots the root network namespace (links, addresses,
routes, rules, nftables ruleset, sysctls) and the sandbox leftovers (namespaces, /etc/netns entries,
runner processes) before the session and fails the session if anything differs afterwards.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

# -- the address plan the tests rely on (DESIGN.md, "Address plan") -------------------------------
POD_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "10.96.0.0/12"
CLUSTER_DNS = "10.96.0.10"
NODE_CIDR = "172.18.0.0/24"
INTERNET_CIDR = "198.51.100.0/24"
INTERNET_SERVER = "198.51.100.10"
LOAD_BALANCER_POOL = "203.0.113.0/24"
CONTAINER_CIDR = "172.17.0.0/16"  # Docker's default bridge network, used by the labs
LAB_LAN = "10.0.0.0/24"  # the evolution lab's machines

# Test sandboxes live beside any real ones (in /run/podpath), told apart by their random names, so
# that `gc` in a test sees real sandboxes' records and never mistakes them for orphans.
RUNTIME_ROOT = Path("/run/podpath")
RUNTIME_ROOT_EXISTED = RUNTIME_ROOT.exists()
IS_ROOT = os.geteuid() == 0
ROOT_TIERS = ("kernel", "scale", "browser")
# pytest-timeout: pyproject's default (120 s) for unit and web tests; building namespaces and driving a
# browser take longer, but a hung one must still fail in minutes, not use up CI's 90.
ROOT_TIER_TIMEOUT = 600


# Fast tiers first; the browser tier last, because Playwright's sync API keeps an event loop running
# in the main thread until the session ends, and tests after it could not start their own.
TIER_ORDER = {"unit": 0, "web": 1, "kernel": 2, "scale": 3, "browser": 4}


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: TIER_ORDER.get(Path(str(item.fspath)).parent.name, 0))  # stable
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        if tier in ("kernel", "web", "scale", "browser"):
            item.add_marker(getattr(pytest.mark, tier))
        if tier in ROOT_TIERS and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(ROOT_TIER_TIMEOUT))
        if tier in ROOT_TIERS and not IS_ROOT:
            item.add_marker(pytest.mark.skip(reason="needs root (CI runs as root)"))


def pytest_sessionfinish(session, exitstatus):
    if not RUNTIME_ROOT_EXISTED:
        for directory in (RUNTIME_ROOT / "locks", RUNTIME_ROOT):
            try:
                directory.rmdir()  # only if the session created it and left it empty
            except OSError:
                pass


ISSUED: set[str] = set()  # every test sandbox name this session handed out


def new_sandbox_name() -> str:
    """A fresh test sandbox name (t + 10 hex digits) that the residue guard will check."""
    name = "t" + secrets.token_hex(5)
    ISSUED.add(name)
    return name


@pytest.fixture
def sandbox_name() -> str:
    """A fresh sandbox name no other test or user sandbox shares."""
    return new_sandbox_name()


# -- root namespace and residue guard ---------------------------------------------------------------


def run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def root_network_snapshot() -> dict:
    """What Podpath must never change in the root network namespace."""
    sysctls = {}
    for base in (
        "/proc/sys/net/ipv4/conf/all",
        "/proc/sys/net/ipv4/conf/default",
        "/proc/sys/net/ipv6/conf/all",
        "/proc/sys/net/ipv6/conf/default",
        "/proc/sys/net/bridge",
        "/proc/sys/net/core",
    ):
        for path in sorted(Path(base).glob("*")) if Path(base).is_dir() else []:
            try:
                sysctls[str(path)] = path.read_text().strip()
            except OSError:
                pass
    for path in ("/proc/sys/net/ipv4/ip_forward",):
        sysctls[path] = Path(path).read_text().strip()
    links = run("ip", "-o", "link", "show")
    # Counters and link-layer details that the kernel updates on its own are not ours to compare.
    links = "\n".join(line.split(" link/")[0] for line in links.splitlines())
    return {
        "links": links,
        "addresses": run("ip", "-o", "addr", "show"),
        "routes": run("ip", "route", "show", "table", "all"),
        "rules": run("ip", "rule", "show"),
        "nftables": run("nft", "list", "ruleset") if shutil.which("nft") else "",
        "sysctls": sysctls,
    }


TEST_SANDBOX = re.compile(r"t[0-9a-f]{10}")


def residue_snapshot() -> dict:
    """Things named after test sandboxes (``sandbox_name``): tests must leave none behind."""

    def ours(directory: str) -> list[str]:
        path = Path(directory)
        return (
            sorted(p.name for p in path.glob("pp-t*") if TEST_SANDBOX.fullmatch(p.name.split("-")[1]))
            if path.is_dir()
            else []
        )

    runners = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        argv = [a.decode(errors="replace") for a in read_cmdline(pid).split(b"\0")]
        if "netcore.workloads.runner" in argv:
            runners += [f"{pid} {arg}" for arg in argv if TEST_SANDBOX.fullmatch(arg)]
    runners.sort()
    runtime = (
        sorted(p.name for p in RUNTIME_ROOT.glob("t*") if TEST_SANDBOX.fullmatch(p.name))
        if RUNTIME_ROOT.is_dir()
        else []
    )
    locks = (
        sorted(p.name for p in (RUNTIME_ROOT / "locks").glob("t*.lock")) if (RUNTIME_ROOT / "locks").is_dir() else []
    )
    return {
        "namespaces": ours("/run/netns"),
        "etc_netns": ours("/etc/netns"),
        "runners": runners,
        "runtime": runtime,
        "locks": locks,
    }


def read_cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.fixture(scope="session", autouse=True)
def kernel_guard(request):
    """Fail the session if the root namespace changed or a test left sandbox residue behind."""
    uses_kernel = IS_ROOT and any(Path(str(item.fspath)).parent.name in ROOT_TIERS for item in request.session.items)
    if not uses_kernel:
        yield
        return
    root_before, residue_before = root_network_snapshot(), residue_snapshot()
    yield
    root_after, residue_after = root_network_snapshot(), residue_snapshot()
    changed = [key for key in root_before if root_before[key] != root_after[key]]
    assert not changed, f"the test session changed the root network namespace: {changed}"

    # Only what appeared, and is named after this session's sandboxes, counts: another session's
    # test sandboxes may come and go meanwhile on a shared machine.
    def mine(item: str) -> bool:
        return any(name in item for name in ISSUED)

    left = {
        kind: sorted(i for i in set(residue_after[kind]) - set(residue_before[kind]) if mine(i))
        for kind in residue_after
    }
    assert not any(left.values()), f"the test session left residue: {left}"
