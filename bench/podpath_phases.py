"""Where Podpath's build and teardown time goes: timers wrapped around netcore functions, for a few runs.

Used by ``bench/build_teardown.py`` for its "Where the time goes" section, in runs separate from the
headline figures. Nothing in netcore is changed on disk: the wrappers are installed on the imported
modules for one call and removed afterwards. Each wrapper costs a couple of microseconds; with a few
thousand calls for a 200-host build that is a few milliseconds of distortion at most.

netcore changes quickly, so the list below names old and new homes of the same work; whatever does
not exist in the code being measured is skipped (and listed). Phases may call one another (creating
the namespaces writes their sysctls and opens their sockets, say): each phase is reported with its
OWN time, excluding the phases listed that ran inside it, so the main-thread phases add up to the
build and whatever no wrapper covers is reported as "other". The /etc/netns files are written on a
worker thread while the main thread works; that thread's wall time is shown separately, and the main
thread's wait for it is a phase of its own.
"""

from __future__ import annotations

import inspect
import shutil
import statistics
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager

from netcore import reconcile
from netcore.kernel import etc_files, linux, netlink, netns, nft
from netcore.sandbox import lifecycle
from netcore.workloads import client as workloads

WORKER_FILES = "(worker thread) /etc/netns files, wall time"

# (owner, attribute, label); an attribute missing from the code being measured is skipped.
BUILD = [
    (lifecycle, "compile_state", "compile the topology (compile_state)"),
    (linux.LinuxKernel, "destroy", "remove leftovers first (LinuxKernel.destroy)"),
    (lifecycle, "write_record", "write the sandbox record"),
    (reconcile, "plan_changes", "plan (plan_changes)"),
    (linux.ApplySession, "create_namespaces", "create namespaces (ApplySession.create_namespaces)"),
    (netns, "create_many", "create namespaces (netns.create_many)"),
    (netns, "create", "create namespaces (netns.create)"),
    (linux.ApplySession, "run_sysctls", "sysctls (ApplySession.run_sysctls)"),
    (linux.ApplySession, "write_sysctls", "sysctls (ApplySession.write_sysctls)"),
    (netlink.Channel, "__init__", "open netlink sockets (Channel.__init__)"),
    (linux.ApplySession, "request", "build pyroute2 message objects (ApplySession.request)"),
    (netlink.Channel, "_encode", "encode messages with pyroute2 (Channel._encode)"),
    (netlink.Channel, "_send_and_collect", "kernel: sendall + read acks (_send_and_collect)"),
    (linux, "link_indexes", "link dumps (link_indexes)"),
    (linux.ApplySession, "__exit__", "finish session (flush_aliases, close sockets)"),
    (nft, "load", "load nftables tables (nft.load)"),
    (workloads, "change_servers", "start servers (workload runner)"),
    (etc_files, "apply_file_ops", WORKER_FILES),
]
TEARDOWN = [
    (workloads, "stop_runner", "stop the workload runner (stop_runner)"),
    (netns, "list_names", "list namespaces (netns.list_names)"),
    (netns, "delete", "unpin namespaces (netns.delete)"),
    (etc_files, "remove", "remove /etc/netns entries (etc_files.remove)"),
    (shutil, "rmtree", "remove the runtime directory (shutil.rmtree)"),
]


class Recorder:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter = Counter()
        self.order: list[str] = []
        self.missing: list[str] = []
        self._lock = threading.Lock()
        self._local = threading.local()
        self._restore: list[tuple[object, str, object]] = []

    def add(self, label: str, seconds: float) -> None:
        with self._lock:
            if label not in self.seconds:
                self.order.append(label)
            self.seconds[label] += seconds
            self.calls[label] += 1

    def wrap(self, owner: object, attr: str, label: str) -> None:
        raw = inspect.getattr_static(owner, attr, None)
        if raw is None:
            self.missing.append(f"{getattr(owner, '__name__', owner)}.{attr}")
            return
        original = getattr(owner, attr)
        recorder = self

        def timed(*args, **kwargs):
            stack = recorder._stack()
            stack.append(0.0)  # time spent in wrapped phases called from this one
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                nested = stack.pop()
                if stack:
                    stack[-1] += elapsed
                recorder.add(label, elapsed - nested)

        self._restore.append((owner, attr, raw))
        setattr(owner, attr, staticmethod(timed) if isinstance(raw, staticmethod) else timed)

    def _stack(self) -> list[float]:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        return self._local.stack

    def restore(self) -> None:
        for owner, attr, raw in reversed(self._restore):
            setattr(owner, attr, raw)
        self._restore.clear()


@contextmanager
def installed(recorder: Recorder, phase: str):
    try:
        for owner, attr, label in BUILD if phase == "build" else TEARDOWN:
            recorder.wrap(owner, attr, label)
        if phase == "build" and hasattr(linux, "ThreadPoolExecutor"):
            # The adapter's pool for the files thread, with its future's result() timed.
            recorder._restore.append((linux, "ThreadPoolExecutor", linux.ThreadPoolExecutor))
            linux.ThreadPoolExecutor = _timed_pool(recorder, linux.ThreadPoolExecutor)
        yield recorder
    finally:
        recorder.restore()


def _timed_pool(recorder: Recorder, base: type):
    class TimedPool(base):
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
    rows["other (Python between the phases above)"] = (total - sum(main.values()), 0)
    rows[total_label] = (total, 1)
    return rows


def build(sandbox: str, topology) -> tuple[dict, list[str]]:
    """Create the sandbox with timers installed; return ({phase: (seconds, calls)}, names not found)."""
    recorder = Recorder()
    with installed(recorder, "build"):
        start = time.perf_counter()
        lifecycle.create_sandbox(sandbox, topology)
        total = time.perf_counter() - start
    return _rows(recorder, total, "TOTAL create_sandbox"), recorder.missing


def teardown(sandbox: str) -> tuple[dict, list[str]]:
    recorder = Recorder()
    with installed(recorder, "teardown"):
        start = time.perf_counter()
        lifecycle.delete_sandbox(sandbox)
        total = time.perf_counter() - start
    return _rows(recorder, total, "TOTAL delete_sandbox (call returned)"), recorder.missing


def summarize(samples: list[dict]) -> dict:
    """Median milliseconds per phase over the samples, in first-seen order."""
    out: dict = {}
    for part in ("build", "teardown"):
        labels: list[str] = []
        for sample in samples:
            labels += [k for k in sample[part] if k not in labels]
        out[part] = [
            {
                "phase": label,
                "ms": statistics.median(s[part].get(label, (0.0, 0))[0] for s in samples) * 1000,
                "calls": max(s[part].get(label, (0.0, 0))[1] for s in samples),
            }
            for label in labels
        ]
    kernel = [s["kernel_s"] for s in samples if s.get("kernel_s") is not None]
    if kernel:
        out["teardown"].append(
            {
                "phase": "kernel done (probe), from the start of delete_sandbox",
                "ms": statistics.median(kernel) * 1000,
                "calls": 0,
            }
        )
    out["not_found"] = sorted({name for s in samples for name in s.get("not_found", [])})
    return out
