"""Sandbox records: one small JSON file per sandbox under /run/podpath/<sandbox>/, and the lock.

The record exists exactly while the sandbox does (the workload runner exits when it disappears). It
lives on tmpfs like the namespaces themselves, so a reboot forgets both together.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from netcore import names
from netcore.errors import NotFound


@dataclass(frozen=True)
class SandboxRecord:
    name: str
    created: str
    hosts: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def age_seconds(self) -> float:
        return (datetime.now(UTC) - datetime.fromisoformat(self.created)).total_seconds()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_record(name: str) -> SandboxRecord:
    """Return a sandbox's record, or raise NotFound."""
    try:
        data = json.loads(names.record_path(name).read_text())
    except FileNotFoundError:
        raise NotFound(f"unknown sandbox {name!r}") from None
    return SandboxRecord(
        name=data["name"], created=data["created"], hosts=tuple(data.get("hosts", ())), meta=data.get("meta", {})
    )


def write_record(record: SandboxRecord) -> None:
    """Write the record atomically (a reader never sees half a file)."""
    path = names.record_path(record.name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    data = asdict(record)
    data["hosts"] = list(record.hosts)
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def record_exists(name: str) -> bool:
    return names.record_path(name).exists()


def list_records() -> list[SandboxRecord]:
    out: list[SandboxRecord] = []
    root = names.runtime_root()
    if not root.is_dir():
        return out
    for entry in sorted(os.listdir(root)):
        if names.SANDBOX_RE.match(entry) and names.record_path(entry).exists():
            with contextlib.suppress(NotFound, ValueError, KeyError):
                out.append(read_record(entry))
    return out


@contextlib.contextmanager
def sandbox_lock(name: str) -> Iterator[None]:
    """Hold the sandbox's lock: other callers (other processes too) wait until it is released.

    The lock file may be removed by the holder (deleting the sandbox); a waiter that then gets the
    lock on the removed file notices by its inode and tries again on the new one.
    """
    path = names.lock_path(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)


def remove_lock_file(name: str) -> None:
    """Remove the lock file; only call while holding the lock."""
    names.lock_path(name).unlink(missing_ok=True)
