"""Where Podpath's build and teardown time goes: timers wrapped around netcore functions, for a few runs.

Used by ``bench/build_teardown.py`` for its "Where the time goes" section, in runs separate from the
headline figures. Nothing in netcore is changed on disk: the wrappers are installed on the imported
modules for one call and removed afterwards. Each wrapper costs a couple of microseconds; with ~3,000
calls for a 200-host build that is a few milliseconds of distortion at most.

The main-thread phases below do not nest, so they add up to the build; whatever the wrappers do not
cover (the planner's and the adapter's own loops, the lock, ...) is reported as "other". The
/etc/netns files are written on a worker thread while the main thread works; that thread's wall time
is shown separately, and the main thread's wait for it is a phase of its own.
"""

from __future__ import annotations

import shutil
import statistics
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from netcore import reconcile
from netcore.kernel import etc_files, linux, netlink, netns, nft
from netcore.sandbox import lifecycle
from netcore.workloads import client as workloads

WORKER_FILES = "(worker thread) /etc/netns files, wall time"


class Recorder:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter = Counter()
        self.order: list[str] = []
        self._lock = threading.Lock()
        self._restore: list[tuple[object, str, object]] = []
        self.missing: list[str] = []

    def add(self, label: str, seconds: float) -> None:
        with self._lock:
            if label not in self.seconds:
                self.order.append(label)
            self.seconds[label] += seconds
            self.calls[label] += 1

    def wrap(self, owner: object, attr: str, label: str) -> None:
        original = getattr(owner, attr, None)
        if original is None:  # netcore changed: time what is still there, say what is not
            self.missing.append(f"{getattr(owner, '__name__', owner)}.{attr}")
            return
        recorder = self

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                recorder.add(label, time.perf_counter() - start)

        self._restore.append((owner, attr, original))
        setattr(owner, attr, timed)

    def restore(self) -> None:
        for owner, attr, original in reversed(self._restore):
            setattr(owner, attr, original)
        self._restore.clear()


@contextmanager
def installed(recorder: Recorder, phase: str):
    try:
        if phase == "build":
            recorder.wrap(lifecycle, "compile_state", "compile the topology (compile_state)")
            recorder.wrap(linux.LinuxKernel, "destroy", "remove leftovers first (LinuxKernel.destroy)")
            recorder.wrap(lifecycle, "write_record", "write the sandbox record")
            recorder.wrap(reconcile, "plan_changes", "plan (plan_changes)")
            recorder.wrap(netns, "create", "create namespaces (netns.create)")
            recorder.wrap(linux.ApplySession, "run_sysctls", "sysctls (ApplySession.run_sysctls)")
            recorder.wrap(netlink.Channel, "__init__", "open netlink sockets (Channel.__init__)")
            recorder.wrap(linux.ApplySession, "request", "build pyroute2 message objects (ApplySession.request)")
            recorder.wrap(netlink.Channel, "_encode", "encode messages with pyroute2 (Channel._encode)")
            recorder.wrap(netlink.Channel, "_send_and_collect", "kernel: sendall + read acks (_send_and_collect)")
            recorder.wrap(linux, "link_indexes", "link dumps (link_indexes)")
            recorder.wrap(linux.ApplySession, "__exit__", "finish session (flush_aliases, close sockets)")
            recorder.wrap(nft, "load", "load nftables tables (nft.load: ip netns exec nft -f)")
            recorder.wrap(workloads, "change_servers", "start servers (workload runner)")
            recorder.wrap(etc_files, "apply_file_ops", WORKER_FILES)
            # The adapter's pool for the files thread, with its future's result() timed.
            recorder._restore.append((linux, "ThreadPoolExecutor", linux.ThreadPoolExecutor))
            linux.ThreadPoolExecutor = _timed_pool(recorder)
        else:
            recorder.wrap(workloads, "stop_runner", "stop the workload runner (stop_runner)")
            recorder.wrap(netns, "list_names", "list namespaces (netns.list_names)")
            recorder.wrap(netns, "delete", "unpin namespaces (netns.delete)")
            recorder.wrap(etc_files, "remove", "remove /etc/netns entries (etc_files.remove)")
            recorder.wrap(shutil, "rmtree", "remove the runtime directory (shutil.rmtree)")
        yield recorder
    finally:
        recorder.restore()


def _timed_pool(recorder: Recorder):
    class TimedPool(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            future = super().submit(fn, *args, **kwargs)
            result = future.result

            def timed_result(timeout=None):
                start = time.perf_counter()
                try:
                    return result(timeout)
                finally:
                    recorder.add("wait for the /etc/netns thread", time.perf_counter() - start)

            future.result = timed_result
            return future
    return TimedPool


def _rows(recorder: Recorder, total: float, total_label: str) -> dict:
    main = {k: v for k, v in recorder.seconds.items() if k != WORKER_FILES}
    rows = {label: (recorder.seconds[label], recorder.calls[label]) for label in recorder.order}
    for name in recorder.missing:
        rows[f"(not timed: {name} no longer exists)"] = (0.0, 0)
    rows["other (Python between the phases above)"] = (total - sum(main.values()), 0)
    rows[total_label] = (total, 1)
    return rows


def build(sandbox: str, topology) -> dict:
    """Create the sandbox with timers installed; return {phase: (seconds, calls)}."""
    recorder = Recorder()
    with installed(recorder, "build"):
        start = time.perf_counter()
        lifecycle.create_sandbox(sandbox, topology)
        total = time.perf_counter() - start
    return _rows(recorder, total, "TOTAL create_sandbox")


def teardown(sandbox: str) -> dict:
    recorder = Recorder()
    with installed(recorder, "teardown"):
        start = time.perf_counter()
        lifecycle.delete_sandbox(sandbox)
        total = time.perf_counter() - start
    return _rows(recorder, total, "TOTAL delete_sandbox (call returned)")


def summarize(samples: list[dict]) -> dict:
    """Median milliseconds per phase over the samples, in first-seen order."""
    out = {}
    for part in ("build", "teardown"):
        labels: list[str] = []
        for sample in samples:
            labels += [k for k in sample[part] if k not in labels]
        out[part] = [{"phase": label,
                      "ms": statistics.median(s[part].get(label, (0.0, 0))[0] for s in samples) * 1000,
                      "calls": max(s[part].get(label, (0.0, 0))[1] for s in samples)} for label in labels]
    kernel = [s["kernel_s"] for s in samples if s.get("kernel_s") is not None]
    if kernel:
        out["teardown"].append({"phase": "kernel done (probe), from the start of delete_sandbox",
                                "ms": statistics.median(kernel) * 1000, "calls": 0})
    return out
