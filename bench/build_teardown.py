"""Benchmark: how fast Podpath builds and tears down topologies, next to a raw-netlink floor.

Run from the repository root, as root:

    .venv/bin/python bench/build_teardown.py [--runs 5] [--sizes 10,50,100,200]
        [--out bench/results/build_teardown.json] [--markdown docs/performance.md]

    .venv/bin/python bench/build_teardown.py --from-json bench/results/build_teardown.json \\
        --markdown docs/performance.md      # re-render the document only, no measurement

What is measured, in one process, interleaved run by run so that a noisy machine hurts both sides alike:

a. a single-switch topology of N hosts (host ``switch`` with bridge ``br0`` and ports p0..pN-1; hosts
   h0..hN-1 with ``eth0`` in 10.0.0.0/16, each linked to a port) built with
   ``lifecycle.create_sandbox`` and removed with ``lifecycle.delete_sandbox``;
b. the same topology built by ``bench/raw_floor.py`` (hand-packed rtnetlink, no Podpath code);
c. every step of every lab in the catalog: built fresh (``stepper.lab_start(step=k)``), reached from the
   previous step (``stepper.lab_step``), and deleted.

For each build: seconds to build, seconds until the teardown call returns, seconds until the kernel has
really destroyed the namespaces (see ``Probe``), and a 1-packet ping from h0 to the last host.

Rules this script keeps (the machine is shared): it only creates sandboxes named ``bn<token>...``
(namespaces ``pp-bn<token>...``) and, for the floor and the probes, namespaces ``bn<token>...-*`` (a
random token per invocation); it removes everything it created in ``finally`` blocks, never calls
Podpath's garbage collector (which would remove other people's namespaces), and never changes the
root network namespace.

Why the floor's and the probes' namespaces do not follow Podpath's ``pp-<sandbox>-<host>`` scheme:
``lifecycle.collect_garbage()`` (the kernel tests call it) removes every namespace of that scheme
whose sandbox has no record in ITS run directory, and this bench's records are in /tmp/bn-run.
Outside the scheme, a concurrent test run cannot remove them mid-measurement. The bench's Podpath
sandboxes stay exposed to that (see the report).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import select
import shlex
import signal
import socket
import statistics
import string
import struct
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

# The bench's sandboxes live beside any real ones (in /run/podpath, named bn<token>...), so that a
# `podpath sandbox gc` running meanwhile sees their records and leaves them alone.
RUN_DIR = os.environ.get("PODPATH_RUN_DIR", "/run/podpath")

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(REPO), str(BENCH_DIR)]

import raw_floor  # noqa: E402  (bench/raw_floor.py)
from raw_floor import host_address  # noqa: E402

from netcore.sandbox import lifecycle  # noqa: E402
from netcore.sandbox.registry import read_record  # noqa: E402
from netcore.topology import sysctls as podpath_sysctls  # noqa: E402
from netcore.topology.model import Endpoint, Host, Interface, Link, Topology  # noqa: E402

NETNS_DIR = "/run/netns"
TARGETS = {"hosts": 200, "build_s": 0.6, "teardown_async_s": 0.2}
# Figures measured before the project started (shared/notes/topology-build-figures.md), for scale only:
# (approach, build s, teardown+async s) at N=200 on a machine of this kind, not in this run.
REFERENCE_200 = [
    ("Mininet (Linux bridge)", 3.664, 5.311),
    ("plain pyroute2", 7.750, 6.370),
    ("fastest raw netlink found (pyroute2 raw)", 0.327, 0.162),
]
PROBE_TIMEOUT_S = 20.0
PING_RETRY_S = 1.5


# -- naming ------------------------------------------------------------------------------------------


class Names:
    """Unique, short names for everything one invocation creates: ``bn<token><kind><counter>``."""

    def __init__(self) -> None:
        alphabet = string.ascii_lowercase + string.digits
        self.token = random.choice(string.ascii_lowercase) + "".join(random.choices(alphabet, k=3))
        self.counter = 0

    def sandbox(self, kind: str) -> str:
        """A Podpath sandbox name (lowercase letters and digits, at most 16 characters, starts with bn)."""
        self.counter += 1
        name = f"bn{self.token}{kind}{self.counter}"
        assert len(name) <= 16 and name.isalnum() and name.islower(), name
        return name

    def mine(self, entry: str) -> bool:
        """True for a namespace or /etc/netns entry this invocation may have created."""
        return entry.startswith((f"pp-bn{self.token}", f"bn{self.token}"))


# -- topology ----------------------------------------------------------------------------------------


def switch_topology(n: int) -> Topology:
    switch = Host(
        "switch",
        role="switch",
        interfaces=(Interface("br0", kind="bridge"),) + tuple(Interface(f"p{i}", master="br0") for i in range(n)),
    )
    hosts = tuple(
        Host(f"h{i}", interfaces=(Interface("eth0", addresses=(f"{host_address(i)}/16",)),)) for i in range(n)
    )
    links = tuple(Link(Endpoint("switch", f"p{i}"), Endpoint(f"h{i}", "eth0")) for i in range(n))
    return Topology(hosts=(switch,) + hosts, links=links)


def ping(namespace: str, address: str) -> tuple[bool, str]:
    """One ping; on failure also say why (the output's last line, and whether the namespace is there)."""
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, "ping", "-c", "1", "-W", "1", address],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        return True, ""
    lines = (result.stdout + result.stderr).strip().splitlines()
    present = os.path.exists(f"{NETNS_DIR}/{namespace}")
    why = f"{lines[-1] if lines else 'no output'} (namespace {'present' if present else 'GONE'})"
    if present:  # broken, or only late? (bridge ports left disabled for up to ~1 s were seen)
        time.sleep(PING_RETRY_S)
        again = subprocess.run(
            ["ip", "netns", "exec", namespace, "ping", "-c", "1", "-W", "1", address],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        why += f"; a second ping {PING_RETRY_S} s later {'got its reply' if again.returncode == 0 else 'failed too'}"
    return False, why


def namespaces_with_prefix(prefix: str) -> list[str]:
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix))
    except FileNotFoundError:
        return []


# -- the teardown probe ------------------------------------------------------------------------------


class Probe:
    """Tells when the kernel has really destroyed a sandbox's namespaces, from namespaces we own.

    Why a probe at all: a teardown only unpins namespaces (umount + unlink). The kernel destroys an
    unpinned namespace later, on its ``netns`` workqueue (``cleanup_net``), and the sandbox has no link
    to the root namespace, so nothing there shows when that happens.

    Why not just a veth into the last host (the first idea): measured on this kernel, that veth
    vanishes long before the kernel is done. ``cleanup_net`` takes every namespace queued so far as
    one batch and unregisters the batch's devices in one pass, in roughly the REVERSE order the
    namespaces were unpinned; the first unpins of a teardown often make a batch of their own. In one
    200-host teardown a veth into ``switch`` (unpinned last) vanished at 111 ms, one into h199 at
    160 ms, the last host's devices at 243 ms; in other runs h199 went last. And once its devices are
    gone a namespace still goes through every subsystem's exit work: with a veth into EVERY namespace
    as ground truth, the last device vanished 60-100 ms before the kernel was done (N=200).

    What this probe does instead. It adds nothing to the namespaces being torn down, so the kernel's
    work is the same as without it:

    1. A namespace of ours, ``bn<token>q<k>-x`` (P; outside the sandbox's ``pp-<sandbox>-`` prefix,
       so the teardown cannot remove it, and outside Podpath's naming scheme altogether) gives every
       target namespace an id (RTM_NEWNSID; an id holds no reference) and listens to RTNLGRP_NSID.
       ``cleanup_net`` starts each batch by taking it off the queue and removing the batch's ids from
       other namespaces (RTM_DELNSID to P). Once P has seen every target's id go, every target is in
       a batch that has started (``all_batched_s``).
    2. Only then P unpins a marker namespace of ours, ``bn<token>q<k>-m`` (M, empty, with an id in
       P too). M cannot be in any of those batches, and the workqueue runs one ``cleanup_net`` at a
       time, in order: M's batch starts when the last batch holding a target has completely
       finished, and its first act is to remove M's id (RTM_DELNSID). That event is "kernel done"
       (``kernel_done_s``); it comes a few microseconds of scheduling after the real end.
    3. Optionally (``last_host``), the first idea too, for comparison: a veth from P into the last
       host; when it vanishes is ``last_host_veth_s``. This adds one veth pair (2 of ~600 devices at
       N=200) to the teardown.

    If events are lost (socket overrun), the probe asks instead (dumps P's ids, looks the link up).
    The probe never keeps a fd of a target namespace open (that would keep it alive).
    """

    NSID_BASE = 1000
    MARKER_NSID = 999
    LAST_HOST = 2  # interface index of P's end of the veth into the last host

    def __init__(self, name: str, targets: list[str], last_host: str | None = None) -> None:
        self.p_name = f"{name}-x"
        self.m_name = f"{name}-m"
        self.targets = targets
        self.last_host = last_host
        self.events: socket.socket | None = None
        self.query: socket.socket | None = None
        self.pinned: list[str] = []

    def __enter__(self) -> Probe:
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create(self) -> None:
        home = raw_floor.current_netns_fd()
        try:
            try:
                raw_floor.new_named_netns(self.p_name)
                self.pinned.append(self.p_name)
                self.events = raw_floor.route_socket()
                self.events.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: no overruns
                self.events.bind((0, raw_floor.RTMGRP_LINK | (1 << (raw_floor.RTNLGRP_NSID - 1))))
                self.query = raw_floor.route_socket()
                raw_floor.new_named_netns(self.m_name)  # unshare again: straight into a new namespace
                self.pinned.append(self.m_name)
            finally:
                raw_floor.setns(home)
        finally:
            os.close(home)
        # Ids first: a veth into a namespace gives it an id in P implicitly, and a second id is refused.
        for nsid, target in [(self.MARKER_NSID, self.m_name), *enumerate(self.targets, self.NSID_BASE)]:
            fd = os.open(f"{NETNS_DIR}/{target}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                self.query.sendall(raw_floor.new_nsid(1, fd, nsid))
                raw_floor.expect_ack(self.query, 1, f"probe id for {target}")
            finally:
                os.close(fd)  # never keep a target namespace alive
        if self.last_host is not None:
            fd = os.open(f"{NETNS_DIR}/{self.last_host}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                self.query.sendall(raw_floor.new_veth(1, "pl", self.LAST_HOST, "bnprobe", 0, fd, up=False, ack=True))
                raw_floor.expect_ack(self.query, 1, f"probe veth into {self.last_host}")
            finally:
                os.close(fd)
        while True:  # drop the notifications of our own setup
            try:
                self.events.recv(1 << 20, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break

    def _link_exists(self, index: int) -> bool:
        assert self.query is not None
        self.query.sendall(raw_floor.message(raw_floor.RTM_GETLINK, 0, 2, raw_floor.ifinfo(index)))
        _length, msg_type, *_ = raw_floor.NLMSGHDR.unpack_from(self.query.recv(1 << 16))
        return msg_type != raw_floor.NLMSG_ERROR  # the link, or ENODEV

    def _live_ids(self) -> set[int]:
        assert self.query is not None
        self.query.sendall(raw_floor.dump_nsids(3))
        ids: set[int] = set()
        while True:
            data = self.query.recv(1 << 20)
            for msg_type, body in _messages(data):
                if msg_type in (raw_floor.NLMSG_DONE, raw_floor.NLMSG_ERROR):
                    return ids
                ids.add(_nsid(body))

    def wait(self, start: float, timeout: float = PROBE_TIMEOUT_S) -> dict:
        """After the teardown returned: steps 1-3 above; times are seconds since ``start``."""
        assert self.events is not None
        ids = set(range(self.NSID_BASE, self.NSID_BASE + len(self.targets)))
        link_pending = self.last_host is not None
        marker_pending = True
        out: dict[str, float | None] = dict.fromkeys(("kernel_done_s", "all_batched_s", "last_host_veth_s"))
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if not ids and out["all_batched_s"] is None:
                raw_floor.delete_named_netns(self.m_name)  # M queues behind every target
                self.pinned.remove(self.m_name)
                out["all_batched_s"] = time.perf_counter() - start
                ids.add(self.MARKER_NSID)
            if not marker_pending and not link_pending:
                break
            ready, _, _ = select.select([self.events], [], [], 0.02)
            try:
                data = self.events.recv(1 << 20) if ready else b""
            except OSError:  # ENOBUFS: some events were lost; ask instead
                data, ready = b"", []
            now = time.perf_counter() - start
            for msg_type, body in _messages(data):
                if msg_type == raw_floor.RTM_DELNSID:
                    ids.discard(_nsid(body))
                elif msg_type == raw_floor.RTM_DELLINK and struct.unpack_from("=i", body, 4)[0] == self.LAST_HOST:
                    link_pending = False
                    out["last_host_veth_s"] = now
            if not ready:  # quiet for 20 ms (or events lost): check by asking
                ids &= self._live_ids()
                if link_pending and not self._link_exists(self.LAST_HOST):
                    link_pending = False
                    out["last_host_veth_s"] = now
            if marker_pending and out["all_batched_s"] is not None and self.MARKER_NSID not in ids:
                marker_pending = False
                out["kernel_done_s"] = now
        return out

    def close(self) -> None:
        for sock in (self.events, self.query):
            if sock is not None:
                sock.close()
        self.events = self.query = None
        for name in reversed(self.pinned):
            raw_floor.delete_named_netns(name)
        self.pinned.clear()


def _messages(data: bytes):
    """Yield (type, body) for each netlink message in a datagram."""
    offset = 0
    while offset + 16 <= len(data):
        length, msg_type, _flags, _seq, _pid = raw_floor.NLMSGHDR.unpack_from(data, offset)
        if length < 16:
            break
        yield msg_type, data[offset + 16 : offset + length]
        offset += (length + 3) & ~3


def _nsid(body: bytes) -> int:
    """The NETNSA_NSID of an RTM_NEWNSID/DELNSID body (rtgenmsg, padded to 4 bytes, then attributes)."""
    offset = 4
    while offset + 4 <= len(body):
        length, kind = struct.unpack_from("=HH", body, offset)
        if length < 4:
            break
        if kind & 0x3FFF == raw_floor.NETNSA_NSID:
            return struct.unpack_from("=i", body, offset + 4)[0]
        offset += (length + 3) & ~3
    return -1


# -- machine noise -----------------------------------------------------------------------------------


def cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def busy_cores(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total * os.cpu_count(), 2) if total else 0.0


def wait_for_quiet(max_wait: float, threshold_cores: float = 0.5) -> float:
    """Wait (up to max_wait) until the whole machine uses less than ``threshold_cores``; return seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < max_wait:
        before = cpu_times()
        time.sleep(0.1)
        if busy_cores(before, cpu_times()) < threshold_cores:
            break
    return round(time.perf_counter() - start, 3)


def foreign_namespaces(names: Names) -> int:
    return sum(1 for n in namespaces_with_prefix("") if not names.mine(n))


# -- measurements ------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.names = Names()
        self.live_sandboxes: set[str] = set()
        self.live_floors: list[raw_floor.RawSwitch] = []

    @contextmanager
    def measurement(self):
        """Settle before a measurement: collect garbage, let the machine go quiet; yield context facts."""
        time.sleep(self.args.settle)
        gc.collect()
        facts = {"waited_s": wait_for_quiet(self.args.quiet_wait), "foreign_netns": foreign_namespaces(self.names)}
        yield facts

    def teardown_with_probe(self, targets: list[str], teardown, last_host: str | None = None) -> dict:
        """Run ``teardown()`` under a Probe; return seconds until it returned and until the kernel was done."""
        with Probe(self.names.sandbox("q"), targets, last_host) as probe:
            start = time.perf_counter()
            teardown()
            returned = time.perf_counter() - start
            waited = probe.wait(start)
        if waited["kernel_done_s"] is None:
            print(
                f"warning: the kernel did not finish destroying {targets[0]}... within {PROBE_TIMEOUT_S} s",
                file=sys.stderr,
            )
        return {"teardown_s": returned, "teardown_async_s": waited.pop("kernel_done_s"), **waited}

    def podpath_switch(self, n: int) -> dict:
        sandbox = self.names.sandbox("p")
        topology = switch_topology(n)
        with self.measurement() as facts:
            self.live_sandboxes.add(sandbox)
            cpu0 = cpu_times()
            start = time.perf_counter()
            report = lifecycle.create_sandbox(sandbox, topology)
            build = time.perf_counter() - start
            facts["busy_cores"] = busy_cores(cpu0, cpu_times())
        ok, why = ping(f"pp-{sandbox}-h0", host_address(n - 1))
        prefix = f"pp-{sandbox}-"
        times = self.teardown_with_probe(
            namespaces_with_prefix(prefix), lambda: lifecycle.delete_sandbox(sandbox), last_host=f"{prefix}h{n - 1}"
        )
        self.live_sandboxes.discard(sandbox)
        return {
            "sandbox": sandbox,
            "build_s": build,
            **times,
            "ping_ok": ok,
            "ping_error": why,
            "operations": report.operations,
            **facts,
        }

    def floor_switch(self, n: int) -> dict:
        sandbox = self.names.sandbox("f")
        sysctls = {} if self.args.floor_no_sysctls else managed_sysctls()
        floor = raw_floor.RawSwitch(f"{sandbox}-", n, sysctls=sysctls)
        with self.measurement() as facts:
            self.live_floors.append(floor)
            cpu0 = cpu_times()
            start = time.perf_counter()
            floor.build()
            build = time.perf_counter() - start
            facts["busy_cores"] = busy_cores(cpu0, cpu_times())
        ok, why = ping(f"{sandbox}-h0", host_address(n - 1))
        times = self.teardown_with_probe(list(floor.created), floor.teardown, last_host=f"{sandbox}-h{n - 1}")
        self.live_floors.remove(floor)
        return {
            "sandbox": sandbox,
            "build_s": build,
            **times,
            "ping_ok": ok,
            "ping_error": why,
            "phases": floor.phases,
            **facts,
        }

    # -- labs ----------------------------------------------------------------------------------------

    def lab_measure(self, lab, stepper) -> list[dict]:
        """One run over a lab: every step built fresh and deleted, then a walk 1 -> 2 -> ... -> last."""
        out = []
        for step in lab.steps:
            sandbox = self.names.sandbox("l")
            row = {"lab": lab.id, "step": step.number, "slug": step.slug, "sandbox": sandbox}
            try:
                with self.measurement() as facts:
                    self.live_sandboxes.add(sandbox)
                    start = time.perf_counter()
                    stepper.lab_start(sandbox=sandbox, lab_id=lab.id, step=step.number)
                    row["build_s"] = time.perf_counter() - start
                prefix = f"pp-{sandbox}-"
                present = namespaces_with_prefix(prefix)
                wanted = len(read_record(sandbox).hosts)  # a cluster step's hosts exist only once compiled
                row["hosts_built"] = f"{len(present)}/{wanted}"
                row.update(self.teardown_with_probe(present, lambda sandbox=sandbox: lifecycle.delete_sandbox(sandbox)))
                self.live_sandboxes.discard(sandbox)
                row.update(facts)
            except Exception as error:  # a lab being written may not build: report it, go on
                row["error"] = f"{type(error).__name__}: {error}"
                self.drop_sandbox(sandbox)
            out.append(row)
        if len(lab.steps) > 1:
            sandbox = self.names.sandbox("w")
            try:
                self.live_sandboxes.add(sandbox)
                stepper.lab_start(sandbox=sandbox, lab_id=lab.id, step=1)
                for step in lab.steps[1:]:
                    with self.measurement():
                        start = time.perf_counter()
                        try:
                            stepper.lab_step(sandbox=sandbox, step=step.number)
                            out[step.number - 1]["step_in_s"] = time.perf_counter() - start
                        except Exception as error:
                            out[step.number - 1]["step_in_error"] = f"{type(error).__name__}: {error}"
                            break
            except Exception as error:
                out[0]["walk_error"] = f"{type(error).__name__}: {error}"
            finally:
                self.drop_sandbox(sandbox)
        return out

    def drop_sandbox(self, sandbox: str) -> None:
        """Delete a sandbox of ours if it (or anything under its prefix) exists; never raise."""
        try:
            if lifecycle.record_exists(sandbox):
                lifecycle.delete_sandbox(sandbox)
            elif namespaces_with_prefix(f"pp-{sandbox}-"):
                lifecycle.destroy_everything(sandbox)
        except Exception as error:  # noqa: BLE001 - cleanup must go on
            print(f"warning: cleaning up sandbox {sandbox}: {error}", file=sys.stderr)
        self.live_sandboxes.discard(sandbox)

    def load_labs(self) -> tuple[list, object, str]:
        """Return (labs, stepper module, status). Never raises: the catalog may be half-written."""
        try:
            from labs import catalog as catalog_module
            from labs import stepper

            root = Path(self.args.labs_dir).resolve() if self.args.labs_dir else catalog_module.CONTENT_DIR
            if self.args.labs_dir:
                labs = catalog_module.load_catalog(root)
                catalog_module.catalog = lambda: labs  # the stepper reads this one (benchmarking drafts)
            else:
                labs = catalog_module.catalog()  # the cached catalog the stepper itself reads
        except Exception as error:  # noqa: BLE001
            return [], None, f"catalog could not be read: {type(error).__name__}: {error}"
        if not labs:
            return [], stepper, f"the catalog is empty (no lab under {root})"
        return list(labs.values()), stepper, f"{len(labs)} labs"

    # -- the whole run -------------------------------------------------------------------------------

    def run(self) -> dict:
        args = self.args
        raw_floor.ensure_netns_dir()
        labs, stepper, lab_status = self.load_labs() if not args.no_labs else ([], None, "skipped (--no-labs)")
        import podpath_phases  # noqa: F401 - imported now so its netcore imports are fingerprinted too

        started = datetime.now(UTC)
        self.code_at_start = code_fingerprint()
        switch_runs: dict[tuple[int, str], list[dict]] = {}
        lab_runs: list[dict] = []
        for run in range(args.runs):
            sizes = args.sizes if run % 2 == 0 else list(reversed(args.sizes))
            for k, n in enumerate(sizes):
                order = ["podpath", "floor"] if (run + k) % 2 == 0 else ["floor", "podpath"]
                for approach in order:
                    row = self.podpath_switch(n) if approach == "podpath" else self.floor_switch(n)
                    row["run"] = run
                    switch_runs.setdefault((n, approach), []).append(row)
                    print(
                        f"run {run + 1}/{args.runs}  N={n:<4} {approach:8s} build {row['build_s']:.3f} s  "
                        f"teardown {row['teardown_s']:.3f} s  +async {fmt(row['teardown_async_s'])} s  "
                        f"ping {'ok' if row['ping_ok'] else 'FAILED: ' + row['ping_error']}",
                        file=sys.stderr,
                    )
            for lab in labs:
                rows = self.lab_measure(lab, stepper)
                for row in rows:
                    row["run"] = run
                lab_runs += rows
                print(
                    f"run {run + 1}/{args.runs}  lab {lab.id}: {len(rows)} steps"
                    + ("" if all("error" not in r for r in rows) else " (errors)"),
                    file=sys.stderr,
                )
        breakdown = None
        if args.breakdown_runs:
            try:
                breakdown = self.breakdown(max(args.sizes), args.breakdown_runs)
            except Exception as error:  # noqa: BLE001 - never lose the figures above to the breakdown
                print(f"warning: phase breakdown failed: {type(error).__name__}: {error}", file=sys.stderr)
        result = assemble(
            args, started, switch_runs, lab_runs, lab_status, breakdown, floor_phases(switch_runs, max(args.sizes))
        )
        now = code_fingerprint([REPO / p for p in self.code_at_start])
        changed = sorted(p for p in set(now) | set(self.code_at_start) if now.get(p) != self.code_at_start.get(p))
        result["meta"]["source_changed_during_run"] = changed
        if changed:
            print(
                f"WARNING: code changed while the benchmark ran ({', '.join(changed)}); re-run it on a quiet tree",
                file=sys.stderr,
            )
        return result

    def breakdown(self, n: int, runs: int) -> dict:
        """Where Podpath's time goes at N hosts: separate instrumented runs (not part of the figures above)."""
        import podpath_phases

        samples = []
        for _ in range(runs):
            sandbox = self.names.sandbox("b")
            with self.measurement():
                self.live_sandboxes.add(sandbox)
                build, not_found = podpath_phases.build(sandbox, switch_topology(n))
            teardown: dict = {}

            def delete(sandbox: str = sandbox, teardown: dict = teardown, not_found: list = not_found) -> None:
                rows, missing = podpath_phases.teardown(sandbox)
                teardown.update(rows)
                not_found.extend(missing)

            times = self.teardown_with_probe(namespaces_with_prefix(f"pp-{sandbox}-"), delete)
            self.live_sandboxes.discard(sandbox)
            samples.append(
                {"build": build, "teardown": teardown, "kernel_s": times["teardown_async_s"], "not_found": not_found}
            )
            print(f"breakdown N={n}: build {build['TOTAL create_sandbox'][0]:.3f} s", file=sys.stderr)
        return {"hosts": n, "runs": runs, **podpath_phases.summarize(samples)}

    def cleanup(self) -> dict:
        """Remove whatever is still ours, then report what is left of ours (should be nothing)."""
        for floor in list(self.live_floors):
            floor.teardown()
        self.live_floors.clear()
        for sandbox in sorted(self.live_sandboxes):
            self.drop_sandbox(sandbox)
        for namespace in namespaces_with_prefix(""):
            if self.names.mine(namespace):
                raw_floor.delete_named_netns(namespace)  # probes and floors interrupted half-way
        left_netns = [n for n in namespaces_with_prefix("") if self.names.mine(n)]
        try:
            left_etc = sorted(e for e in os.listdir("/etc/netns") if self.names.mine(e))
        except FileNotFoundError:
            left_etc = []
        run_dir = Path(RUN_DIR)
        left_run = sorted(p.name for p in run_dir.glob(f"bn{self.names.token}*")) if run_dir.is_dir() else []
        for lock in (run_dir / "locks").glob(f"bn{self.names.token}*.lock"):
            lock.unlink(missing_ok=True)
        return {"netns": left_netns, "etc_netns": left_etc, "run_dir": left_run}


def managed_sysctls() -> dict[str, str]:
    """The sysctls Podpath writes in every namespace on this kernel (what the floor writes too)."""
    base = getattr(podpath_sysctls, "base_sysctls", None)
    return dict(base()) if base is not None else dict(podpath_sysctls.BASE)


def source_state() -> dict:
    """Which code was measured: the commit, and the files that differ from it (the tree is shared)."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return result.stdout

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "netcore", "labs").splitlines() if line]
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "subject": git("log", "-1", "--format=%s").strip(),
        "uncommitted": dirty,
    }


def code_fingerprint(paths: list[Path] | None = None) -> dict[str, str]:
    """sha256 of each file the measured code can run: the netcore and labs modules this process has
    imported, the workload runner's package (a separate process imports it at each start), the labs."""
    if paths is None:
        imported = [Path(m.__file__) for m in list(sys.modules.values()) if getattr(m, "__file__", None)]
        paths = [p for p in imported if p.is_relative_to(REPO / "netcore") or p.is_relative_to(REPO / "labs")]
        paths += [*REPO.glob("netcore/workloads/*.py"), *REPO.glob("labs/content/**/*")]
    out = {}
    for path in sorted(set(paths)):
        try:
            out[str(path.relative_to(REPO))] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        except (FileNotFoundError, IsADirectoryError):
            pass
    return out


def floor_phases(switch_runs: dict, n: int) -> dict:
    rows = switch_runs.get((n, "floor"), [])
    phases = [r["phases"] for r in rows if r.get("phases")]
    if not phases:
        return {}
    return {"hosts": n, "runs": len(phases), "phases": {k: statistics.median(p[k] for p in phases) for k in phases[0]}}


# -- statistics and report ---------------------------------------------------------------------------


def stats(values: list[float | None]) -> dict | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def fmt_stats(s: dict | None) -> str:
    if s is None:
        return "n/a"
    d = 4 if s["max"] < 0.01 else 3  # sub-10 ms figures get one more digit
    return f"{s['median']:.{d}f} [{s['min']:.{d}f}-{s['max']:.{d}f}]"


def machine() -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", NETNS_DIR], capture_output=True, text=True)
    import pyroute2

    return {
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "cpu": cpu,
        "python": platform.python_version(),
        "pyroute2": getattr(pyroute2, "__version__", "?"),
        "netns_dir_fs": fs.stdout.strip() or "?",
        "hostname": platform.node(),
    }


def assemble(args, started, switch_runs, lab_runs, lab_status, breakdown, floor_breakdown) -> dict:
    switch = []
    for (n, approach), rows in sorted(switch_runs.items()):
        switch.append(
            {
                "hosts": n,
                "approach": approach,
                "runs": rows,
                "build_s": stats([r["build_s"] for r in rows]),
                "teardown_s": stats([r["teardown_s"] for r in rows]),
                "teardown_async_s": stats([r["teardown_async_s"] for r in rows]),
                "last_host_veth_s": stats([r.get("last_host_veth_s") for r in rows]),
                "all_batched_s": stats([r.get("all_batched_s") for r in rows]),
                "ping_ok": sum(r["ping_ok"] for r in rows),
                "count": len(rows),
            }
        )
    by = {(e["hosts"], e["approach"]): e for e in switch}
    ratios = []
    for n in sorted({e["hosts"] for e in switch}):
        p, f = by.get((n, "podpath")), by.get((n, "floor"))
        if p and f:
            ratios.append(
                {
                    "hosts": n,
                    **{
                        key: (p[key]["median"] / f[key]["median"] if p[key] and f[key] and f[key]["median"] else None)
                        for key in ("build_s", "teardown_s", "teardown_async_s")
                    },
                }
            )
    labs: dict[tuple[str, int], list[dict]] = {}
    for row in lab_runs:
        labs.setdefault((row["lab"], row["step"]), []).append(row)
    lab_steps = []
    for (lab_id, step), rows in labs.items():
        errors = sorted({r[k] for r in rows for k in ("error", "step_in_error", "walk_error") if k in r})
        lab_steps.append(
            {
                "lab": lab_id,
                "step": step,
                "slug": rows[0]["slug"],
                "hosts_built": next((r["hosts_built"] for r in rows if r.get("hosts_built")), None),
                "build_s": stats([r.get("build_s") for r in rows]),
                "teardown_s": stats([r.get("teardown_s") for r in rows]),
                "teardown_async_s": stats([r.get("teardown_async_s") for r in rows]),
                "step_in_s": stats([r.get("step_in_s") for r in rows]),
                "errors": errors,
                "runs": rows,
            }
        )
    busy = [r.get("busy_cores", 0) for rows in switch_runs.values() for r in rows]
    waited = [r.get("waited_s", 0) for rows in switch_runs.values() for r in rows]
    foreign = [r.get("foreign_netns", 0) for rows in switch_runs.values() for r in rows]
    return {
        "meta": {
            "command": "cd /work/main && " + " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]),
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "runs": args.runs,
            "sizes": args.sizes,
            "machine": machine(),
            "source": source_state(),
            "floor": {
                "sysctls": {} if args.floor_no_sysctls else managed_sysctls(),
                "description": raw_floor.__doc__.split("\n\n", 1)[1].strip(),
            },
            "noise": {
                "busy_cores_during_build": stats(busy),
                "waited_for_quiet_s": stats(waited),
                "foreign_netns_seen": stats(foreign),
            },
            "targets": TARGETS,
            "reference_200": REFERENCE_200,
        },
        "switch": switch,
        "ratios": ratios,
        "breakdown": {"podpath": breakdown, "floor": floor_breakdown},
        "labs": {"status": lab_status, "steps": lab_steps},
    }


def table(result: dict) -> str:
    lines = [
        "| N | approach | runs | build s | teardown s | teardown+async (kernel done) s "
        "| h(N-1) veth gone s | ping ok |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in result["switch"]:
        name = "Podpath" if e["approach"] == "podpath" else "raw floor"
        lines.append(
            f"| {e['hosts']} | {name} | {e['count']} | {fmt_stats(e['build_s'])} | "
            f"{fmt_stats(e['teardown_s'])} | {fmt_stats(e['teardown_async_s'])} | "
            f"{fmt_stats(e.get('last_host_veth_s'))} | {e['ping_ok']}/{e['count']} |"
        )
    return "\n".join(lines)


def ping_failures(result: dict) -> str:
    rows = [
        f"- N={e['hosts']} {e['approach']} run {r['run'] + 1}: {r.get('ping_error') or 'no reply'}"
        for e in result["switch"]
        for r in e["runs"]
        if not r["ping_ok"]
    ]
    return ("Failed pings:\n" + "\n".join(rows)) if rows else ""


def ratio_table(result: dict) -> str:
    lines = ["| N | build | teardown | teardown+async (kernel done) |", "|---|---|---|---|"]
    for r in result["ratios"]:
        lines.append(
            f"| {r['hosts']} | {fmt(r['build_s'], 2)} | {fmt(r['teardown_s'], 2)} | {fmt(r['teardown_async_s'], 2)} |"
        )
    return "\n".join(lines)


def lab_table(result: dict) -> str:
    steps = result["labs"]["steps"]
    if not steps:
        return f"No lab figures: {result['labs']['status']}."
    lines = [
        "| lab | step | hosts | build s | teardown s | teardown+async s | step-in s | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in steps:
        lines.append(
            f"| {s['lab']} | {s['step']} {s['slug']} | {s['hosts_built'] or '?'} | "
            f"{fmt_stats(s['build_s'])} | {fmt_stats(s['teardown_s'])} | "
            f"{fmt_stats(s['teardown_async_s'])} | {fmt_stats(s['step_in_s'])} | "
            f"{'; '.join(s['errors']).replace('|', '/')} |"
        )
    return "\n".join(lines)


def targets_text(result: dict) -> list[str]:
    n = TARGETS["hosts"]
    by = {(x["hosts"], x["approach"]): x for x in result["switch"]}
    e, floor = by.get((n, "podpath")), by.get((n, "floor"))
    if e is None:
        return [f"(no {n}-host run in this result)"]
    out = []
    for key, label in (("build_s", "built"), ("teardown_async_s", "torn down (kernel done)")):
        target = TARGETS[key]
        s = e[key]
        verdict = "n/a" if s is None else ("met" if s["median"] <= target else "NOT met")
        line = (
            f"- {label} <= {target} s: Podpath median {fmt(s and s['median'])} s "
            f"[{fmt(s and s['min'])}-{fmt(s and s['max'])}] -> **{verdict}**"
        )
        if floor is not None and floor[key] is not None:
            line += f"; the raw floor: {fmt(floor[key]['median'])} s"
        if key == "teardown_async_s" and e.get("last_host_veth_s"):
            line += (
                f". Until the last host's veth vanished (closer to what the earlier notes measured): "
                f"Podpath {fmt(e['last_host_veth_s']['median'])} s"
            )
            if floor is not None and floor.get("last_host_veth_s"):
                line += f", the floor {fmt(floor['last_host_veth_s']['median'])} s"
        out.append(line)
    return out


def breakdown_text(result: dict) -> list[str]:
    out = []
    pod = result["breakdown"].get("podpath")
    if pod:
        out += [
            f"Podpath, N={pod['hosts']}, median of {pod['runs']} separate instrumented runs (timers wrapped "
            "around netcore functions for these runs only; see `bench/podpath_phases.py`). Each phase "
            "is its own time, without the listed phases that run inside it, so the main-thread phases "
            "add up to the build; the /etc/netns files are written on a worker thread at the same time "
            "(its wall time is shown, and the main thread's wait for it).",
            "",
            "| phase | ms | calls |",
            "|---|---|---|",
        ]
        for row in pod["build"]:
            out.append(f"| {row['phase']} | {row['ms']:.1f} | {row['calls']} |")
        total = next((r["ms"] for r in pod["build"] if r["phase"].startswith("TOTAL")), 0.0)
        main = [r for r in pod["build"] if not r["phase"].startswith(("TOTAL", "(worker"))]
        if total:
            top = sorted(main, key=lambda r: -r["ms"])[:4]
            out += [
                "",
                "Largest main-thread phases: "
                + "; ".join(f"{r['phase']} {r['ms']:.0f} ms ({100 * r['ms'] / total:.0f}%)" for r in top)
                + ".",
            ]
        if pod.get("not_found"):
            out += ["", "(Not in the measured code, so not timed: " + ", ".join(pod["not_found"]) + ".)"]
        out += ["", "| teardown phase | ms | calls |", "|---|---|---|"]
        for row in pod["teardown"]:
            out.append(f"| {row['phase']} | {row['ms']:.1f} | {row['calls']} |")
        out.append("")
    floor = result["breakdown"].get("floor")
    if floor:
        out += [
            f"Raw floor, N={floor['hosts']}, median over its {floor['runs']} runs above:",
            "",
            "| phase | ms |",
            "|---|---|",
        ]
        for phase, seconds in floor["phases"].items():
            out.append(f"| {phase} | {seconds * 1000:.1f} |")
        out.append("")
    return out


def render_markdown(result: dict) -> str:
    meta = result["meta"]
    m = meta["machine"]
    noise = meta["noise"]
    ref = "; ".join(f"{name} {b:.2f} s / {t:.2f} s" for name, b, t in meta["reference_200"])
    floor_doc = meta["floor"]["description"]
    src = meta.get("source", {})
    lines = [
        "# Performance: building and tearing down topologies",
        "",
        "Generated by `bench/build_teardown.py` from its JSON output; do not edit the figures by hand.",
        "The other figures, each generated by its own benchmark:",
        "",
        "- [performance-kubernetes.md](performance-kubernetes.md) (`bench/kube_apply.py`): apply to ready, "
        "one more Service, memory per pod",
        "- [performance-policy-ingress.md](performance-policy-ingress.md) (`bench/policy_ingress.py`): "
        "NetworkPolicy enforcement, the reachability matrix, Ingress reloads",
        "- [performance-walk.md](performance-walk.md) (`bench/walk.py`): packet walk latency, cross-node Service path",
        "- [performance-observe.md](performance-observe.md) (`bench/observe.py`): kernel change to delta, "
        "idle observers' CPU",
        "- [performance-live-picture.md](performance-live-picture.md) (`bench/live_picture.py`): kernel change "
        "to the page's picture, in a real browser",
        "",
        "## Reproduce",
        "",
        "```",
        meta["command"],
        "```",
        "",
        f"Measured {meta['started']} to {meta['finished']} (UTC), {meta['runs']} runs per figure, on "
        f"commit {src.get('commit', '?')} ({src.get('subject', '')})"
        + (f" with uncommitted changes in: {', '.join(src['uncommitted'])}." if src.get("uncommitted") else ".")
        + (
            " **Warning: these files changed while the benchmark ran (someone else's edits), so the "
            f"figures mix code versions: {', '.join(meta['source_changed_during_run'])}.**"
            if meta.get("source_changed_during_run")
            else ""
        ),
        "",
        "## Machine",
        "",
        f"- nproc: {m['nproc']}; kernel: {m['kernel']}; CPU: {m['cpu'] or '?'}",
        f"- Python {m['python']}, pyroute2 {m['pyroute2']}",
        f"- /run/netns is on {m['netns_dir_fs']} (on this VM /run is not a tmpfs: every named namespace's"
        " mount-point file is a disk-file-system inode, for Podpath and the floor alike)",
        "",
        f"## Targets ({TARGETS['hosts']} hosts, from the project's issue)",
        "",
        *targets_text(result),
        "",
        f"For scale, figures measured before the project on a machine of this kind (not in this run), "
        f"build / teardown+async at 200 hosts: {ref}.",
        "",
        "## Single switch, N hosts",
        "",
        "Seconds, median [min-max] over the runs. *teardown* = until the teardown call returned; "
        "*teardown+async* = until the kernel had destroyed the namespaces (see Method); "
        "*ping ok* = runs in which a 1-packet ping h0 -> h(N-1), sent as soon as the build returned, got "
        f"its reply (a failed one is tried again {PING_RETRY_S} s later, to tell a broken topology from a "
        "late one; see the failures listed under the table).",
        "",
        table(result),
        "",
        *([ping_failures(result), ""] if ping_failures(result) else []),
        "Podpath / raw floor (ratio of the medians):",
        "",
        ratio_table(result),
        "",
        "## Where the time goes",
        "",
        *breakdown_text(result),
        "## Method",
        "",
        "- Everything is measured in one process and one invocation. Each run visits every N (ascending "
        "in even runs, descending in odd ones) and builds the topology with Podpath and with the floor "
        "back to back, alternating which goes first, so slow periods of a shared machine hit both.",
        "- Figures are medians with min and max; with a handful of runs the spread matters as much "
        "as the median. Before each measurement the bench collects Python garbage and waits (up to "
        f"{meta.get('quiet_wait', 2.0)} s) for the machine to use less than half a core. During builds "
        f"the whole machine was busy {fmt_stats(noise['busy_cores_during_build'])} cores "
        f"(2 = both cores busy; includes the build itself); the bench waited "
        f"{fmt_stats(noise['waited_for_quiet_s'])} s for quiet; other users' named namespaces "
        f"present: {fmt_stats(noise['foreign_netns_seen'])}.",
        "- *teardown+async (kernel done)*: a teardown only unpins namespaces; the kernel destroys them "
        "later on its `netns` workqueue, one batch at a time, and the sandbox has no link to the root "
        "namespace. The bench's probe namespace (`bn<token>q<k>-x`, its own, outside the sandbox's "
        "prefix) gives every sandbox namespace a netns id before the teardown and listens for their "
        "removal (RTM_DELNSID), which `cleanup_net` does when it starts a batch. Once all are gone, the "
        "probe unpins an empty marker namespace of its own; the workqueue is ordered, so the marker's "
        "batch starts, and removes the marker's id, only when the last batch holding a sandbox "
        "namespace has completely finished. That event is the figure. Nothing is added to the "
        "sandbox's namespaces, so the kernel's work is unchanged (see `Probe` in the script).",
        "- *h(N-1) veth gone*: the simpler probe first considered, a veth pair from the probe namespace "
        "into the last host, and the time its end vanishes. It is shown for comparison only: it "
        "measures when that one namespace's devices were unregistered, not when the kernel finished. "
        "Devices of a batch are unregistered in one pass in an order of the kernel's choosing, and "
        "each namespace then still goes through every subsystem's exit work. It is closer to what the "
        "earlier notes measured as teardown+async (interfaces gone).",
        "- The build is verified by the ping after the timed section; the teardown+async wait also "
        "ensures the next measurement does not compete with the kernel still destroying namespaces.",
        "- The raw floor (`bench/raw_floor.py`) wrote these sysctls in every namespace, as Podpath does: "
        + (", ".join(f"`{k}={v}`" for k, v in meta["floor"]["sysctls"].items()) or "none")
        + ".",
        "- The raw floor (`bench/raw_floor.py`):",
        "",
        *("  " + line if line else "" for line in floor_doc.splitlines()),
        "",
        "## Labs",
        "",
        "Every step of every lab in the catalog: *build* = `stepper.lab_start(step=k)` on a new sandbox; "
        "*teardown* and *teardown+async* = deleting that sandbox (the same probe, on all its "
        "namespaces); *step-in* = `stepper.lab_step` from step k-1 to step k on one sandbox walked through the "
        "lab. Seconds, median [min-max].",
        "",
        lab_table(result),
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="10,50,100,200", type=lambda s: [int(x) for x in s.split(",") if x.strip()])
    parser.add_argument("--out", default="bench/results/build_teardown.json")
    parser.add_argument("--markdown", help="also write the Markdown report here (e.g. docs/performance.md)")
    parser.add_argument("--from-json", help="do not measure: render --markdown from this JSON result")
    parser.add_argument(
        "--breakdown-runs",
        type=int,
        default=3,
        help="instrumented Podpath runs at the largest N for the phase breakdown (0: none)",
    )
    parser.add_argument("--no-labs", action="store_true", help="skip the lab catalog")
    parser.add_argument("--labs-dir", help="benchmark the labs under this directory instead of labs/content")
    parser.add_argument(
        "--floor-no-sysctls", action="store_true", help="the floor skips the sysctls Podpath writes in every namespace"
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=2.0, help="max seconds to wait for a quiet machine before each measurement"
    )
    parser.add_argument("--settle", type=float, default=0.2)
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.sizes) or max(args.sizes, default=0) > 65000:
        parser.error("sizes must be between 1 and 65000")
    return args


def interrupted(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # so the finally blocks remove what was built


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.from_json:
        result = json.loads(Path(args.from_json).read_text())
    else:
        if os.geteuid() != 0:
            print("this benchmark builds network namespaces: run it as root", file=sys.stderr)
            return 2
        signal.signal(signal.SIGTERM, interrupted)
        bench = Bench(args)
        leftovers = None
        try:
            result = bench.run()
        finally:
            leftovers = bench.cleanup()
            if any(leftovers.values()):
                print(f"WARNING: left behind: {leftovers}", file=sys.stderr)
        result["meta"]["leftovers"] = leftovers
        result["meta"]["quiet_wait"] = args.quiet_wait
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {out}", file=sys.stderr)
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(render_markdown(result))
        print(f"wrote {args.markdown}", file=sys.stderr)
    print(table(result))
    print()
    if ping_failures(result):
        print(ping_failures(result))
        print()
    print("Podpath / floor (ratio of medians):")
    print(ratio_table(result))
    print()
    print("\n".join(targets_text(result)))
    print()
    print("\n".join(breakdown_text(result)))
    print("Labs:")
    print(lab_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
