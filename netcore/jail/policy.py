"""What a jail is made of (pure): the account, the limits and the mounts of its fresh root.

The jailed command sees a root built from nothing: the host's /usr (with /bin, /sbin, /lib as the
usual links) and /etc read-only, minus the machine's secrets; the sandbox host's /etc/netns files over
/etc (what ``ip netns exec`` does); a fresh /proc of its own PID namespace; the namespace's /sys
read-only; a minimal /dev; and an empty, size-capped tmpfs as /tmp and working directory. Nothing else of
the host exists inside: not /root, /home, /run, /var, the checkout, or other sandboxes' files.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

LEARNER = "podpath-learner"  # the account every learner command runs as; scripts/bootstrap creates it

# Paths under /etc that no learner reads, even where file modes would already refuse them: login
# secrets, keys, and the configuration of services that may carry passwords.
ETC_SECRETS = (
    "shadow",
    "shadow-",
    "gshadow",
    "gshadow-",
    "ssh",
    "ssl/private",
    "sudoers",
    "sudoers.d",
    "security/opasswd",
    "krb5.keytab",
    "redis",
    "postgresql",
    "postgresql-common",
    "nginx",
    "netns",
    "podpath",
)

# Device nodes a command may need: output sinks and randomness (TLS, DNS ids). No tty, no disks.
DEVICES = ("null", "zero", "full", "random", "urandom")

# Directories of the host taken read-only; the merged-/usr links (/bin -> usr/bin) are recreated as links.
SYSTEM_DIRS = ("usr", "etc", "bin", "sbin", "lib", "lib64", "lib32", "libx32")

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one jailed command (setrlimit, plus the wall clock and the tmpfs size)."""

    cpu_seconds: int = 10
    address_space: int = 512 * 1024 * 1024
    processes: int = 64  # counted per uid on the whole machine: every learner command shares the uid
    open_files: int = 64
    file_size: int = 8 * 1024 * 1024
    tmpfs_size: int = 16 * 1024 * 1024
    wall_seconds: float = 12.0


@dataclass(frozen=True)
class Mount:
    """One step of building the root: ``kind`` is bind, tmpfs, proc, sysfs, link or mask."""

    kind: str
    target: str  # inside the new root, absolute
    source: str = ""  # host path for bind; link target for link
    readonly: bool = True


@dataclass(frozen=True)
class JailSpec:
    """Everything the launcher needs, as plain data (it travels as JSON on the launcher's argv)."""

    argv: tuple[str, ...]
    uid: int
    gid: int
    netns_path: str | None  # None: a new empty network namespace (the probe)
    mounts: tuple[Mount, ...]
    limits: Limits = field(default_factory=Limits)
    env: tuple[tuple[str, str], ...] = (("PATH", PATH), ("HOME", "/tmp"), ("LANG", "C.UTF-8"))
    cwd: str = "/tmp"
    hostname: str = "sandbox"

    def to_json_dict(self) -> dict:
        return asdict(self)


def plan_mounts(
    *, etc_overrides: dict[str, str], host_root: str = "/", limits: Limits | None = None
) -> tuple[Mount, ...]:
    """Return the mounts of a fresh root, in order, for a host whose /etc overrides are given.

    ``etc_overrides`` maps a file name under /etc (``resolv.conf``, ``hosts``) to the host file that
    replaces it, as ``ip netns exec`` binds /etc/netns/<ns>/* over /etc.
    """
    limits = limits or Limits()
    root = Path(host_root)
    mounts: list[Mount] = []
    for name in SYSTEM_DIRS:
        path = root / name
        if path.is_symlink():
            mounts.append(Mount("link", f"/{name}", os.readlink(path)))
        elif path.is_dir():
            mounts.append(Mount("bind", f"/{name}", str(path)))
    for secret in ETC_SECRETS:
        if (root / "etc" / secret).exists():
            mounts.append(Mount("mask", f"/etc/{secret}"))
    for name, source in sorted(etc_overrides.items()):
        if (root / "etc" / name).exists() and "/" not in name:
            mounts.append(Mount("bind", f"/etc/{name}", source))
    mounts.append(Mount("proc", "/proc"))
    mounts.append(Mount("sysfs", "/sys"))
    mounts.append(Mount("tmpfs", "/dev", readonly=False))
    for device in DEVICES:
        mounts.append(Mount("bind", f"/dev/{device}", f"/dev/{device}", readonly=False))
    mounts.append(Mount("link", "/dev/fd", "/proc/self/fd"))
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        mounts.append(Mount("link", f"/dev/{name}", f"/proc/self/fd/{number}"))
    mounts.append(Mount("tmpfs", "/tmp", str(limits.tmpfs_size), readonly=False))
    return tuple(mounts)


def etc_overrides_of(etc_dir: Path | None) -> dict[str, str]:
    """Return the /etc files a sandbox host puts over the host's (its /etc/netns/<ns> directory)."""
    if etc_dir is None or not etc_dir.is_dir():
        return {}
    return {entry.name: str(entry) for entry in etc_dir.iterdir() if entry.is_file()}
