"""The student console's teaching surface: which commands a learner is offered, with which arguments (pure).

This list is for teaching, not for security: it keeps a learner on the networking commands a lab is
about and answers the rest with a friendly message. The boundary is the process itself: what passes
runs in the learner jail (``netcore.jail``: an unprivileged account without capabilities, a fresh root
without the machine's secrets, rlimits and a wall clock), or, for nftables and conntrack listings, as a
read-only view that Podpath runs itself (``netcore.jail.views``).

Never a shell. A line is split like a shell would split it; arguments that write files, listen or wait
forever are refused with the reason, and time limits are added where the command has none.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

MAX_OUTPUT = 64 * 1024
TIME_LIMIT_S = 12
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
SHELL_SYNTAX = re.compile(r"[;&|<>`$\\\\]|\$\(")
ALLOWED = (
    "curl, wget, ping -c N, dig, nslookup, getent hosts, nc with -w, ip addr|link|route|neigh show, "
    "bridge link|fdb|vlan show, nft list ruleset, ss, conntrack -L, sysctl -n KEY, cat /etc/resolv.conf|hosts"
)


class Refused(ValueError):
    """A command line the console does not run; the message says why and what is allowed."""


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]

    def text(self) -> str:
        return shlex.join(self.argv)


def parse_command(line: str) -> Command:
    """Return the command to run for a console line, or raise Refused."""
    line = line.strip()
    if not line:
        raise Refused("type a command, e.g. ping -c 1 10.0.0.2")
    if CONTROL.search(line):
        raise Refused("that line has control characters (a NUL byte, an escape): type the command as text")
    if SHELL_SYNTAX.search(line):
        raise Refused("no shell here: pipes, redirections, ';', '&' and '$' are not allowed")
    try:
        argv = shlex.split(line)
    except ValueError as error:
        raise Refused(f"cannot read that line: {error}") from None
    check = CHECKS.get(argv[0])
    if check is None:
        raise Refused(f"{argv[0]!r} is not available here; allowed: {ALLOWED}")
    return Command(tuple(check(argv)))


def number_after(argv: list[str], flags: tuple[str, ...]) -> int | None:
    for index, arg in enumerate(argv):
        for flag in flags:
            if arg == flag and index + 1 < len(argv):
                value = argv[index + 1]
            elif flag.startswith("--") and arg.startswith(flag + "="):
                value = arg.split("=", 1)[1]
            elif not flag.startswith("--") and arg.startswith(flag) and arg[len(flag) :].isdigit():
                value = arg[len(flag) :]
            else:
                continue
            try:
                return int(float(value))
            except ValueError:
                raise Refused(f"{flag} takes a number, got {value!r}") from None
    return None


def refuse_flags(argv: list[str], flags: tuple[str, ...], why: str) -> None:
    for arg in argv[1:]:
        name = arg.split("=", 1)[0]
        if name in flags or (
            len(name) > 1
            and not name.startswith("--")
            and name.startswith("-")
            and any(f"-{c}" in flags for c in name[1:])
        ):
            raise Refused(f"{argv[0]} {name}: {why}")


def check_curl(argv: list[str]) -> list[str]:
    refuse_flags(
        argv,
        (
            "-o",
            "--output",
            "-O",
            "--remote-name",
            "-T",
            "--upload-file",
            "-K",
            "--config",
            "-c",
            "--cookie-jar",
            "-D",
            "--dump-header",
            "--trace",
            "--trace-ascii",
            "--libcurl",
            "-F",
            "--form",
            "--data-binary",
            "--unix-socket",
        ),
        "writes or reads files",
    )
    if any(a.startswith("@") for a in argv[1:]):
        raise Refused("curl: '@file' arguments read files")
    if number_after(argv, ("-m", "--max-time")) is None:
        argv = [argv[0], "--max-time", "5", *argv[1:]]
    return argv


def check_wget(argv: list[str]) -> list[str]:
    refuse_flags(
        argv,
        (
            "-o",
            "--output-file",
            "-a",
            "--append-output",
            "-P",
            "--directory-prefix",
            "-i",
            "--input-file",
            "--post-file",
            "-r",
            "--recursive",
            "-m",
            "--mirror",
        ),
        "writes or reads files",
    )
    rest = [a for a in argv[1:] if a not in ("-O-", "-O", "-")]
    if number_after(argv, ("-T", "--timeout")) is None:
        rest = ["-T", "5", *rest]
    return [argv[0], "-O-", *rest]


def check_ping(argv: list[str]) -> list[str]:
    count = number_after(argv, ("-c",))
    if count is None or not 1 <= count <= 10:
        raise Refused("ping needs a count from 1 to 10: ping -c 3 ADDRESS")
    refuse_flags(argv, ("-f",), "floods")
    if number_after(argv, ("-W",)) is None:
        argv = [argv[0], "-W", "1", *argv[1:]]
    return argv


def check_dig(argv: list[str]) -> list[str]:
    return [argv[0], "+time=2", "+tries=1", *[a for a in argv[1:] if a != "-f"]]


def check_nslookup(argv: list[str]) -> list[str]:
    if len(argv) > 3 or any(a.startswith("-") for a in argv[1:]):
        raise Refused("nslookup NAME [SERVER]")
    return ["nslookup", "-timeout=2", "-retry=1", *argv[1:]]


def check_nc(argv: list[str]) -> list[str]:
    refuse_flags(
        argv,
        ("-l", "-e", "-c", "-k", "-L", "-U", "--exec", "--sh-exec", "--lua-exec"),
        "listens, runs programs or uses local sockets",
    )
    wait = number_after(argv, ("-w",))
    if wait is None or not 1 <= wait <= 5:
        raise Refused("nc needs a time limit: nc -z -w 1 HOST PORT (-w from 1 to 5)")
    return argv


IP_OBJECTS = {
    "addr": "addr",
    "address": "addr",
    "a": "addr",
    "link": "link",
    "l": "link",
    "route": "route",
    "r": "route",
    "neigh": "neigh",
    "neighbour": "neigh",
    "n": "neigh",
}


def check_ip(argv: list[str]) -> list[str]:
    args = [a for a in argv[1:] if a not in ("-br", "-brief", "-4", "-d", "-details", "-s", "-stats", "-c")]
    if not args or args[0] not in IP_OBJECTS:
        raise Refused("ip addr|link|route|neigh [show ...]")
    verb = args[1] if len(args) > 1 else "show"
    if verb not in ("show", "list", "ls", "get") or (verb == "get" and IP_OBJECTS[args[0]] != "route"):
        raise Refused(f"ip {args[0]} {verb}: only 'show' (and 'ip route get') here: nothing changes the kernel")
    return argv


def check_nft(argv: list[str]) -> list[str]:
    args = [a for a in argv[1:] if a not in ("-a", "--handle", "-n", "-nn")]
    if args[:2] != ["list", "ruleset"] and not (args[:2] == ["list", "table"] and len(args) <= 4):
        raise Refused("nft list ruleset (or nft list table FAMILY NAME)")
    return argv


def check_ss(argv: list[str]) -> list[str]:
    refuse_flags(argv, ("-K", "--kill", "-D", "--diag", "-F", "--filter"), "changes or writes something")
    return argv


def check_conntrack(argv: list[str]) -> list[str]:
    if len(argv) < 2 or argv[1] not in ("-L", "--dump", "-S", "--stats", "-C", "--count"):
        raise Refused("conntrack -L [filters] (listing only)")
    return argv


def check_bridge(argv: list[str]) -> list[str]:
    args = [a for a in argv[1:] if a not in ("-d", "-details", "-s", "-stats", "-j", "-json", "-p", "-pretty")]
    if not args or args[0] not in ("link", "fdb", "vlan", "mdb") or args[1:2] not in ([], ["show"]):
        raise Refused("bridge link|fdb|vlan|mdb [show]: nothing changes the kernel")
    return argv


def check_getent(argv: list[str]) -> list[str]:
    if len(argv) < 3 or argv[1] not in ("hosts", "ahosts", "ahostsv4", "services", "protocols"):
        raise Refused("getent hosts NAME")
    return argv


def check_sysctl(argv: list[str]) -> list[str]:
    keys = [a for a in argv[1:] if a not in ("-n", "-e")]
    if not keys or any(a.startswith("-") or "=" in a for a in keys):
        raise Refused("sysctl -n KEY (reading only), e.g. sysctl -n net.ipv4.ip_forward")
    return argv


READABLE_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf")


def check_cat(argv: list[str]) -> list[str]:
    if len(argv) < 2 or any(a not in READABLE_FILES for a in argv[1:]):
        raise Refused(f"cat {' | '.join(READABLE_FILES)}")
    return argv


CHECKS = {
    "curl": check_curl,
    "wget": check_wget,
    "ping": check_ping,
    "dig": check_dig,
    "nslookup": check_nslookup,
    "nc": check_nc,
    "ip": check_ip,
    "nft": check_nft,
    "ss": check_ss,
    "conntrack": check_conntrack,
    "bridge": check_bridge,
    "getent": check_getent,
    "sysctl": check_sysctl,
    "cat": check_cat,
}
