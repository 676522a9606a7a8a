"""Named network namespaces through the syscalls themselves: create, enter, list, delete.

Python 3.11 has no ``os.setns``/``os.unshare``, and pyroute2's helpers fork a child per call and keep a
process-global stack; here a namespace is entered by the calling thread only, with ctypes, which costs
microseconds and is safe to use from several threads at once.

A named namespace is what ``ip netns`` makes: a bind mount of the namespace file on /run/netns/NAME.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from netcore.errors import NotFound, PodpathError
from netcore.names import NETNS_DIR

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SHARED = 1 << 20
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)
_dir_lock = threading.Lock()
_dir_ready = False


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        if code == errno.EPERM:
            raise PodpathError(f"{what}: permission denied (Podpath's kernel work needs root)")
        raise OSError(code, f"{what}: {os.strerror(code)}")


def ensure_netns_dir() -> None:
    """Make /run/netns a shared mount point, as `ip netns add` does, so mounts propagate."""
    global _dir_ready
    with _dir_lock:
        if _dir_ready:
            return
        NETNS_DIR.mkdir(parents=True, exist_ok=True)
        target = str(NETNS_DIR).encode()
        if _libc.mount(b"", target, b"none", MS_SHARED | MS_REC, None) != 0:
            if ctypes.get_errno() != errno.EINVAL:
                _check(-1, "make /run/netns shared")
            # Not a mount point yet: bind it onto itself, then share it.
            _check(_libc.mount(target, target, b"none", MS_BIND | MS_REC, None), "bind /run/netns")
            _check(_libc.mount(b"", target, b"none", MS_SHARED | MS_REC, None), "make /run/netns shared")
        _dir_ready = True


def path_of(name: str) -> Path:
    return NETNS_DIR / name


def exists(name: str) -> bool:
    return path_of(name).exists()


def list_names(prefix: str) -> list[str]:
    """Return the named namespaces whose names start with ``prefix``, sorted."""
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix))
    except FileNotFoundError:
        return []


def open_fd(name: str) -> int:
    """Open a namespace by name; the caller closes the fd. Never creates one."""
    try:
        return os.open(path_of(name), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotFound(f"no network namespace {name!r}") from None


def _current_fd() -> int:
    return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


@contextlib.contextmanager
def entered(fd: int) -> Iterator[None]:
    """Run the body with the calling thread inside the namespace ``fd``; always come back."""
    home = _current_fd()
    try:
        _check(_libc.setns(fd, CLONE_NEWNET), "enter namespace")
        try:
            yield
        finally:
            _check(_libc.setns(home, CLONE_NEWNET), "return to namespace")
    finally:
        os.close(home)


@contextlib.contextmanager
def entered_name(name: str) -> Iterator[None]:
    fd = open_fd(name)
    try:
        with entered(fd):
            yield
    finally:
        os.close(fd)


def create(name: str, inside: Callable[[], None] | None = None) -> None:
    """Create the named namespace ``name`` and run ``inside`` in it before returning."""
    create_many([name], (lambda _name: inside()) if inside is not None else None)


def create_many(names: list[str], inside: Callable[[str], None] | None = None) -> None:
    """Create named namespaces one after the other, running ``inside(name)`` in each.

    The thread unshares into a fresh namespace, pins it with a bind mount, runs ``inside`` (sysctls,
    opening a socket there), then unshares straight into the next one; it returns to where it was
    only once, at the end, or at the first failure (which leaves that namespace undone).
    """
    ensure_netns_dir()
    home = _current_fd()
    try:
        for name in names:
            _create_here(name, inside)
    finally:
        try:
            _check(_libc.setns(home, CLONE_NEWNET), "return to namespace")
        finally:
            os.close(home)


def _create_here(name: str, inside: Callable[[str], None] | None) -> None:
    path = path_of(name)
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    except FileExistsError:
        raise PodpathError(f"network namespace {name!r} already exists") from None
    try:
        _check(_libc.unshare(CLONE_NEWNET), f"create namespace {name}")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    try:
        _check(
            _libc.mount(b"/proc/thread-self/ns/net", str(path).encode(), b"none", MS_BIND, None),
            f"pin namespace {name}",
        )
        if inside is not None:
            inside(name)
    except BaseException:
        _libc.umount2(str(path).encode(), MNT_DETACH)
        path.unlink(missing_ok=True)
        raise


def delete(name: str) -> None:
    """Unpin a named namespace; the kernel frees it (and its devices) once nothing holds it."""
    path = path_of(name)
    if _libc.umount2(str(path).encode(), MNT_DETACH) != 0:
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOENT):
            _check(-1, f"delete namespace {name}")
    path.unlink(missing_ok=True)
