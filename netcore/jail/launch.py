"""Build a jail and run one command in it (the launcher; run as root, stdlib only).

Usage: ``python -I -S launch.py SPEC_JSON``. The agent starts this program; it is its own process so
that nothing the agent's threads hold (sockets, namespaces, locks) leaks into a learner's command.

1. Join the sandbox host's network namespace (or make an empty one, for the probe), then unshare a mount,
   PID, IPC and UTS namespace. Joining first means the command can never reach another namespace.
2. Fork: the child is PID 1 of the new PID namespace, so killing it ends every process the command made,
   and its /proc shows nothing of the machine.
3. The child builds a fresh root on a tmpfs (see ``policy.plan_mounts``), pivots into it and forgets the
   old one, sets the rlimits, drops every capability from the bounding set, becomes the learner account
   (which clears the remaining capabilities), sets no_new_privs, installs a small seccomp filter and
   executes the command.
4. The parent waits, kills the whole PID namespace at the wall-clock limit, and exits with the command's
   status (124 after a timeout, as timeout(1) does).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 0x2

PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
CLONE_NEWUSER = 0x10000000

# The seccomp filter: system calls an unprivileged command has no business making here, most of them
# the usual doors to kernel bugs (user namespaces give "root" over nftables in a namespace of one's own).
# Per architecture: the audit arch, the calls whose flags must not ask for a user namespace, clone3
# (its flags sit in memory a filter cannot read, so it answers ENOSYS and libc falls back to clone), and
# the calls refused outright.
SECCOMP = {
    "x86_64": {
        "arch": 0xC000003E,
        "unshare": 272,
        "clone": 56,
        "clone3": 435,
        "deny": (
            250,
            248,
            249,
            321,
            323,
            298,
            101,
            246,
            320,
            175,
            313,
            165,
            166,
            155,
            308,
            304,
            425,
            428,
            429,
            430,
            431,
            432,
            433,
        ),
    },
    "aarch64": {
        "arch": 0xC00000B7,
        "unshare": 97,
        "clone": 220,
        "clone3": 435,
        "deny": (
            219,
            217,
            218,
            280,
            282,
            241,
            117,
            104,
            294,
            105,
            273,
            40,
            39,
            41,
            268,
            265,
            425,
            428,
            429,
            430,
            431,
            432,
            433,
        ),
    },
}

NEW_ROOT = "/tmp"  # mount point of the new root's tmpfs; inside the private mount namespace only
EXIT_SETUP = 125  # the jail could not be built (as env(1) and timeout(1) use it)
EXIT_TIMEOUT = 124
EXIT_NOT_FOUND = 127

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


class SetupError(Exception):
    """A step of building the jail failed; the command is never run."""


def check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(error)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    check(
        libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def prctl(option: int, value: int) -> None:
    check(libc.prctl(option, value, 0, 0, 0), f"prctl {option}")


def join_network(netns_path: str | None) -> None:
    """Enter the sandbox host's network namespace, or an empty one of our own when none is named."""
    if netns_path is None:
        check(libc.unshare(CLONE_NEWNET), "unshare network")
        return
    fd = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        check(libc.setns(fd, CLONE_NEWNET), f"join {netns_path}")
    finally:
        os.close(fd)


def inside(target: str) -> str:
    return NEW_ROOT + target


def build_root(mounts: list[dict]) -> None:
    """Mount a tmpfs as the new root and lay every planned mount into it."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount propagates back to the machine
    mount("jail", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
    for entry in mounts:
        kind, target, source, readonly = entry["kind"], entry["target"], entry["source"], entry["readonly"]
        path = inside(target)
        if kind == "link":
            os.symlink(source, path)
        elif kind == "bind":
            if os.path.isdir(source):
                os.makedirs(path, exist_ok=True)
            elif not os.path.exists(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "w").close()
            mount(source, path, None, MS_BIND | MS_REC)
            extra = MS_RDONLY if readonly else 0
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_NOSUID | extra | (MS_NODEV if readonly else 0))
        elif kind == "mask":
            if os.path.isdir(path):
                mount("masked", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0755")
            else:
                mount("/dev/null", path, None, MS_BIND)
        elif kind == "tmpfs":
            os.makedirs(path, exist_ok=True)
            size = f"size={source},mode=1777" if source else "size=64k,mode=0755"
            mount("jail", path, "tmpfs", MS_NOSUID | (MS_NODEV if source else 0), size)
        elif kind == "proc":
            os.makedirs(path, exist_ok=True)
            mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            mount(path + "/sys", path + "/sys", None, MS_BIND | MS_REC)  # /proc/sys read-only
            mount(None, path + "/sys", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
        elif kind == "sysfs":
            os.makedirs(path, exist_ok=True)
            mount("sysfs", path, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
        else:
            raise SetupError(f"unknown mount kind {kind!r}")


def enter_root() -> None:
    """Make the new root the process's root and detach the machine's (pivot_root(".", ".") idiom)."""
    os.chdir(NEW_ROOT)
    machine = os.uname().machine
    if machine not in SYS_PIVOT_ROOT:
        raise SetupError(f"pivot_root: unknown system call number on {machine}")
    check(libc.syscall(SYS_PIVOT_ROOT[machine], b".", b"."), "pivot_root")
    check(libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def set_limits(limits: dict) -> None:
    for name, value in (
        ("RLIMIT_CPU", limits["cpu_seconds"]),
        ("RLIMIT_AS", limits["address_space"]),
        ("RLIMIT_NPROC", limits["processes"]),
        ("RLIMIT_NOFILE", limits["open_files"]),
        ("RLIMIT_FSIZE", limits["file_size"]),
        ("RLIMIT_CORE", 0),
        ("RLIMIT_MEMLOCK", 0),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))


def drop_privileges(uid: int, gid: int) -> None:
    """Become the learner: no capability can come back (bounding set empty, no_new_privs)."""
    with open("/proc/sys/kernel/cap_last_cap") as handle:
        last = int(handle.read())
    for capability in range(last + 1):
        prctl(PR_CAPBSET_DROP, capability)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)  # from root to another uid: permitted, effective and ambient sets clear
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a change of credentials cleared it: set it again


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def seccomp_program(table: dict) -> list[tuple[int, int, int, int]]:
    """A classic BPF program over seccomp_data: (code, jump if true, jump if false, k) per instruction."""
    load_word, jump_eq, jump_set, ret = 0x20, 0x15, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    errno_eperm, errno_enosys = 0x00050000 | 1, 0x00050000 | 38
    deny = table["deny"]
    program = [(load_word, 0, 0, 4), (jump_eq, 1, 0, table["arch"]), (ret, 0, 0, kill), (load_word, 0, 0, 0)]
    if table["arch"] == 0xC000003E:  # the x32 ABI numbers system calls from 0x40000000: refuse it
        program += [(0x35, 0, 1, 0x40000000), (ret, 0, 0, errno_eperm)]  # jge
    program.append((jump_eq, 0, 1, table["clone3"]))
    program.append((ret, 0, 0, errno_enosys))
    for number in deny:
        program += [(jump_eq, 0, 1, number), (ret, 0, 0, errno_eperm)]
    # unshare and clone: allowed unless their flags (args[0], low word at offset 16) ask for CLONE_NEWUSER.
    program += [
        (jump_eq, 1, 0, table["unshare"]),
        (jump_eq, 0, 3, table["clone"]),
        (load_word, 0, 0, 16),
        (jump_set, 0, 1, CLONE_NEWUSER),
        (ret, 0, 0, errno_eperm),
        (ret, 0, 0, allow),
    ]
    return program


def install_seccomp() -> None:
    table = SECCOMP.get(os.uname().machine)
    if table is None:
        raise SetupError(f"no seccomp filter for {os.uname().machine}")
    program = seccomp_program(table)
    filters = (SockFilter * len(program))(*(SockFilter(*instruction) for instruction in program))
    fprog = SockFprog(len(program), filters)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    check(libc.prctl(PR_SET_SECCOMP, 2, ctypes.addressof(fprog), 0, 0), "seccomp")


def child(spec: dict) -> None:
    """PID 1 of the jail: build it, then become the command. Never returns."""
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        check(libc.sethostname(spec["hostname"].encode(), len(spec["hostname"])), "sethostname")
        build_root(spec["mounts"])
        enter_root()
        set_limits(spec["limits"])
        drop_privileges(spec["uid"], spec["gid"])
        os.chdir(spec["cwd"])
        os.closerange(3, 65536)
        program = find_program(spec["argv"][0], dict(spec["env"])["PATH"])
        install_seccomp()  # last: from here on the launcher only executes the command
    except (SetupError, OSError) as error:
        os.write(2, f"podpath jail: {error}\n".encode())
        os._exit(EXIT_SETUP)
    env = dict(spec["env"])
    if program is None:
        os.write(2, f"{spec['argv'][0]}: command not found\n".encode())
        os._exit(EXIT_NOT_FOUND)
    try:
        os.execve(program, spec["argv"], env)
    except OSError as error:
        os.write(2, f"{spec['argv'][0]}: {error.strerror}\n".encode())
        os._exit(126)


def find_program(name: str, path: str) -> str | None:
    """Look ``name`` up in PATH inside the jail (os.execvpe would import modules the new root lacks)."""
    if "/" in name:
        return name
    for directory in path.split(":"):
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def wait_for(pid: int, wall_seconds: float) -> int:
    """Wait for the jail's PID 1; at the wall-clock limit kill it, which ends its whole PID namespace."""
    pidfd = os.pidfd_open(pid)
    ready, _, _ = select.select([pidfd], [], [], wall_seconds)
    os.close(pidfd)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.write(2, f"\n(stopped after {wall_seconds:g} s)\n".encode())
        return EXIT_TIMEOUT
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the agent gave up on us: take the jail down too
        join_network(spec["netns_path"])
        check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    except (SetupError, OSError) as error:
        os.write(2, f"podpath jail: {error}\n".encode())
        return EXIT_SETUP
    pid = os.fork()
    if pid == 0:
        child(spec)
    code = wait_for(pid, spec["limits"]["wall_seconds"])
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
