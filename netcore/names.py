"""Every kernel and file-system name a sandbox owns comes from here, so teardown never has to guess.

A sandbox ``s1`` with a host ``m1`` lives in the network namespace ``pp-s1-m1``; its files are under
``/etc/netns/pp-s1-m1/`` and ``/run/podpath/s1/``. Sandbox names have no dash, which makes
``pp-<sandbox>-`` a prefix no other sandbox can share.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from netcore.errors import InvalidName

PREFIX = "pp"
NETNS_DIR = Path("/run/netns")
ETC_NETNS_DIR = Path("/etc/netns")
IFNAMSIZ = 15  # the kernel's limit for an interface name, without the trailing NUL
PEER_ALIAS_PREFIX = "podpath peer "  # each veth end's alias: "podpath peer <host>:<ifname>" of its peer

SANDBOX_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
HOST_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$")
IFNAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$")


def runtime_root() -> Path:
    """Return the directory holding sandbox records and runtime files (overridable for tests)."""
    return Path(os.environ.get("PODPATH_RUN_DIR", "/run/podpath"))


def check_sandbox_name(name: str) -> str:
    """Return ``name`` if it is a valid sandbox name, else raise InvalidName."""
    if not isinstance(name, str) or not SANDBOX_RE.match(name):
        raise InvalidName(
            f"invalid sandbox name {name!r}: use 1-16 lowercase letters and digits, starting with a letter"
        )
    return name


def check_host_name(name: str) -> str:
    """Return ``name`` if it is a valid host name, else raise InvalidName."""
    if not isinstance(name, str) or not HOST_RE.match(name) or "--" in name:
        raise InvalidName(
            f"invalid host name {name!r}: use up to 32 lowercase letters, digits and single dashes,"
            " starting with a letter"
        )
    return name


def check_ifname(name: str) -> str:
    """Return ``name`` if it is a valid interface name (at most 15 characters), else raise."""
    if not isinstance(name, str) or not IFNAME_RE.match(name):
        raise InvalidName(
            f"invalid interface name {name!r}: up to {IFNAMSIZ} letters, digits, '_', '.' or '-',"
            " starting with a letter"
        )
    return name


def sandbox_prefix(sandbox: str) -> str:
    """Return the namespace-name prefix every host of ``sandbox`` carries."""
    return f"{PREFIX}-{check_sandbox_name(sandbox)}-"


def netns_name(sandbox: str, host: str) -> str:
    """Return the network namespace name of ``host`` in ``sandbox``."""
    return sandbox_prefix(sandbox) + check_host_name(host)


def split_netns_name(name: str) -> tuple[str, str] | None:
    """Return (sandbox, host) for a namespace name that follows the scheme, else None."""
    parts = name.split("-", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    sandbox, host = parts[1], parts[2]
    if not SANDBOX_RE.match(sandbox) or not HOST_RE.match(host) or "--" in host:
        return None
    return sandbox, host


def etc_netns_dir(namespace: str) -> Path:
    """Return the directory whose files `ip netns exec` mounts over /etc for that namespace."""
    return ETC_NETNS_DIR / namespace


def sandbox_dir(sandbox: str) -> Path:
    """Return the runtime directory of a sandbox (record, lock, workload socket, logs)."""
    return runtime_root() / check_sandbox_name(sandbox)


def mac_address(host: str, ifname: str) -> str:
    """Return a stable, locally administered unicast MAC for an interface.

    Stable MACs make a rebuilt step identical to the first build and make captures readable.
    """
    digest = hashlib.sha256(f"{host}/{ifname}".encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])


def record_path(sandbox: str) -> Path:
    """Return the sandbox's record: it exists exactly while the sandbox does."""
    return sandbox_dir(sandbox) / "sandbox.json"


def lock_path(sandbox: str) -> Path:
    """Return the lock file serialising changes to a sandbox (kept outside its directory)."""
    return runtime_root() / "locks" / f"{check_sandbox_name(sandbox)}.lock"


def data_dir(sandbox: str) -> Path:
    """Return where sandbox-wide data files for workloads live (the DNS records, say)."""
    return sandbox_dir(sandbox) / "data"


def runner_socket_path(sandbox: str) -> Path:
    return sandbox_dir(sandbox) / "workloads.sock"


def runner_pid_path(sandbox: str) -> Path:
    return sandbox_dir(sandbox) / "workloads.pid"


def runner_log_path(sandbox: str) -> Path:
    return sandbox_dir(sandbox) / "workloads.log"
