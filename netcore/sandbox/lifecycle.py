"""Sandbox lifecycle: create, move to a state, delete, inspect, and collect what no sandbox owns.

Every change to a sandbox holds its lock, so two callers (a browser and a command line, say) never
interleave their plans. Creating is all or nothing: if building the first state fails, everything the
sandbox made is removed again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from netcore import names
from netcore.errors import AlreadyExists, NotFound
from netcore.kernel import netns
from netcore.kernel.base import Kernel, Progress
from netcore.kernel.linux import LinuxKernel
from netcore.reconcile import Report, reconcile
from netcore.sandbox.registry import (
    SandboxRecord,
    list_records,
    now_iso,
    read_record,
    record_exists,
    remove_lock_file,
    sandbox_lock,
    write_record,
)
from netcore.state import State
from netcore.topology.compile import compile_state
from netcore.topology.model import Topology
from netcore.workloads import client as workloads


def kernel_for(name: str) -> Kernel:
    return LinuxKernel(name)


def create_sandbox(
    name: str,
    desired: Topology,
    meta: dict | None = None,
    progress: Progress | None = None,
    prepare: Callable[[], None] | None = None,
) -> Report:
    """Create sandbox ``name`` and build ``desired`` in it; on failure nothing is left behind.

    ``prepare`` runs under the lock once the record exists and before anything is built (to write
    files that belong to the sandbox, like a cluster's objects).
    """
    names.check_sandbox_name(name)
    state = compile_state(desired)
    with sandbox_lock(name):
        if record_exists(name):
            raise AlreadyExists(f"sandbox {name!r} already exists")
        kernel = kernel_for(name)
        kernel.destroy()  # leftovers carrying this sandbox's prefix are its own by name
        write_record(
            SandboxRecord(name=name, created=now_iso(), hosts=tuple(sorted(state.hosts)), meta=dict(meta or {}))
        )
        try:
            if prepare is not None:
                prepare()
            return reconcile(kernel, state, progress, actual=State())
        except BaseException:
            kernel.destroy()
            shutil.rmtree(names.sandbox_dir(name), ignore_errors=True)
            remove_lock_file(name)
            raise


def apply_to_sandbox(
    name: str, desired: Topology, meta: dict | None = None, progress: Progress | None = None
) -> Report:
    """Move an existing sandbox to ``desired``, touching only what differs; update its record."""
    with locked(name):
        return apply_locked(name, desired, meta, progress)


def apply_locked(name: str, desired: Topology, meta: dict | None = None, progress: Progress | None = None) -> Report:
    """``apply_to_sandbox`` for a caller that already holds the sandbox's lock."""
    state = compile_state(desired)
    record = read_record(name)
    report = reconcile(kernel_for(name), state, progress)
    write_record(replace(record, hosts=tuple(sorted(state.hosts)), meta={**record.meta, **(meta or {})}))
    return report


def delete_sandbox(name: str) -> None:
    """Remove everything the sandbox owns: runner, namespaces, /etc/netns files, runtime files."""
    with locked(name):
        destroy_everything(name)
        remove_lock_file(name)


@contextlib.contextmanager
def locked(name: str) -> Iterator[SandboxRecord]:
    """Hold an existing sandbox's lock; refuse an unknown one without leaving a lock file for it."""
    read_record(names.check_sandbox_name(name))
    with sandbox_lock(name):
        yield read_record(name)  # it may have been deleted while we waited


def destroy_everything(name: str) -> None:
    kernel_for(name).destroy()
    shutil.rmtree(names.sandbox_dir(name), ignore_errors=True)


def read_sandbox_state(name: str) -> State:
    """Return the sandbox's actual state as the kernel reports it."""
    read_record(name)
    return kernel_for(name).read()


@dataclass(frozen=True)
class SandboxStatus:
    record: SandboxRecord
    namespaces: int
    missing_hosts: tuple[str, ...]
    runner_pid: int | None

    @property
    def health(self) -> str:
        if self.missing_hosts:
            return "degraded: missing " + ", ".join(self.missing_hosts)
        return "ok"


def sandbox_status(record: SandboxRecord) -> SandboxStatus:
    present = {n[len(names.sandbox_prefix(record.name)) :] for n in netns.list_names(names.sandbox_prefix(record.name))}
    return SandboxStatus(
        record=record,
        namespaces=len(present),
        missing_hosts=tuple(sorted(set(record.hosts) - present)),
        runner_pid=workloads.runner_pid(record.name),
    )


def list_sandboxes() -> list[SandboxStatus]:
    return [sandbox_status(r) for r in list_records()]


def get_sandbox(name: str) -> SandboxStatus:
    return sandbox_status(read_record(names.check_sandbox_name(name)))


def host_namespace(name: str, host: str) -> str:
    """Return the namespace of a host of an existing sandbox, or raise NotFound."""
    record = read_record(names.check_sandbox_name(name))
    namespace = names.netns_name(name, host)
    if not netns.exists(namespace):
        hosts = ", ".join(record.hosts) or "none"
        raise NotFound(f"sandbox {name!r} has no host {host!r} (hosts: {hosts})")
    return namespace


@dataclass(frozen=True)
class GarbageReport:
    namespaces: tuple[str, ...]
    netns_dirs: tuple[str, ...]
    runtime_dirs: tuple[str, ...]

    @property
    def sandboxes(self) -> tuple[str, ...]:
        """The sandbox names the leftovers carry (none of them has a record)."""
        found = {entry for entry in self.runtime_dirs}
        for entry in (*self.namespaces, *self.netns_dirs):
            parsed = names.split_netns_name(entry)
            if parsed is not None:
                found.add(parsed[0])
        return tuple(sorted(found))

    def of(self, sandboxes: set[str]) -> GarbageReport:
        """Only the leftovers of ``sandboxes``."""

        def keep(entry: str) -> bool:
            parsed = names.split_netns_name(entry)
            return parsed is not None and parsed[0] in sandboxes

        return GarbageReport(
            tuple(filter(keep, self.namespaces)),
            tuple(filter(keep, self.netns_dirs)),
            tuple(e for e in self.runtime_dirs if e in sandboxes),
        )

    def describe(self) -> str:
        total = len(self.namespaces) + len(self.netns_dirs) + len(self.runtime_dirs)
        if not total:
            return "nothing to collect"
        parts = [
            f"{len(self.namespaces)} namespaces",
            f"{len(self.netns_dirs)} /etc/netns directories",
            f"{len(self.runtime_dirs)} runtime directories",
        ]
        return "removed " + ", ".join(parts)


def find_garbage() -> GarbageReport:
    """List prefixed namespaces, /etc/netns directories and runtime directories no sandbox record owns."""
    owned = {r.name for r in list_records()}
    stale_namespaces = []
    for namespace in netns.list_names(names.PREFIX + "-"):
        parsed = names.split_netns_name(namespace)
        if parsed is not None and parsed[0] not in owned:
            stale_namespaces.append(namespace)
    stale_dirs = []
    if names.ETC_NETNS_DIR.is_dir():
        for entry in sorted(os.listdir(names.ETC_NETNS_DIR)):
            parsed = names.split_netns_name(entry)
            if parsed is not None and parsed[0] not in owned:
                stale_dirs.append(entry)
    stale_runtime = []
    root = names.runtime_root()
    locks = names.lock_path("a").parent  # the lock files' directory looks like a sandbox's name: never one
    if root.is_dir():
        for entry in sorted(os.listdir(root)):
            if (
                names.SANDBOX_RE.match(entry)
                and entry not in owned
                and (root / entry).is_dir()
                and root / entry != locks
            ):
                stale_runtime.append(entry)
    return GarbageReport(tuple(stale_namespaces), tuple(stale_dirs), tuple(stale_runtime))


def collect_garbage(only: set[str] | None = None) -> GarbageReport:
    """Remove prefixed namespaces, files and runners that no sandbox record owns.

    ``only``: remove just the leftovers of these sandbox names (what someone was shown and confirmed)."""
    garbage = find_garbage()
    if only is not None:
        garbage = garbage.of(set(only))
    for sandbox in garbage.sandboxes:
        with sandbox_lock(sandbox):
            if record_exists(sandbox):
                continue  # created meanwhile: it is owned now
            destroy_everything(sandbox)
            remove_lock_file(sandbox)
    return garbage
