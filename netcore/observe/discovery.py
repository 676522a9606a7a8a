"""Which hosts a sandbox has right now, and a wake-up when that may have changed.

A host is a named namespace ``pp-<sandbox>-<host>`` under /run/netns. ``list_hosts`` reads the
directory; ``NetnsDirWatch`` is an inotify watch on it, so a lab step or a cluster change that adds
or removes namespaces is seen at once instead of at the next periodic rescan. inotify reports the
file's creation, which comes just before the namespace is bind-mounted on it: a name whose file is
not a namespace yet is reported as pending, for the caller to look again shortly.
"""

from __future__ import annotations

import ctypes
import os
import struct

from netcore.kernel import netns
from netcore.names import NETNS_DIR
from netcore.observe.host import namespace_inode

IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_Q_OVERFLOW, IN_IGNORED = 0x4000, 0x8000
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC
EVENT = struct.Struct("=iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)

_libc = ctypes.CDLL(None, use_errno=True)


def list_hosts(prefix: str, listing: list[str] | None = None) -> tuple[dict[str, int], list[str]]:
    """Return {host: namespace inode} for the sandbox's mounted namespaces, and the hosts still pending.

    ``listing``: the sandbox's namespace names, when the caller has listed /run/netns already.
    """
    found: dict[str, int] = {}
    pending: list[str] = []
    for namespace in sorted(listing) if listing is not None else netns.list_names(prefix):
        inode = namespace_inode(namespace)
        if inode is None:
            if netns.exists(namespace):
                pending.append(namespace[len(prefix) :])
            continue
        found[namespace[len(prefix) :]] = inode
    return found, pending


class NetnsDirWatch:
    """inotify on /run/netns; ``read()`` returns the names that changed (None: too many, rescan all)."""

    def __init__(self) -> None:
        self.lost = False
        self.fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"inotify_init1: {os.strerror(code)}")
        mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
        if _libc.inotify_add_watch(self.fd, str(NETNS_DIR).encode(), mask) < 0:
            code = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(code, f"watch {NETNS_DIR}: {os.strerror(code)}")

    def fileno(self) -> int:
        return self.fd

    def read(self) -> list[str] | None:
        names: list[str] = []
        overflow = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            offset = 0
            while offset + EVENT.size <= len(data):
                _wd, mask, _cookie, length = EVENT.unpack_from(data, offset)
                name = data[offset + EVENT.size : offset + EVENT.size + length].split(b"\0", 1)[0]
                offset += EVENT.size + length
                if mask & IN_IGNORED:
                    self.lost = True  # the directory itself went away: the watch is gone with it
                if mask & (IN_Q_OVERFLOW | IN_IGNORED):
                    overflow = True
                elif name:
                    names.append(name.decode(errors="replace"))
        return None if overflow else names

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        self.close()
