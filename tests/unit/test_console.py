"""The student console: read-only networking commands pass (with time limits added), the rest is refused."""

from __future__ import annotations

import pytest

from labs.console import Refused, parse_command


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        ("ping -c 1 10.0.0.2", ["ping", "-W", "1", "-c", "1", "10.0.0.2"]),
        ("curl -s http://web/", ["curl", "--max-time", "5", "-s", "http://web/"]),
        (
            "curl -s -m 2 -H 'Host: world.hello.org' http://203.0.113.2/",
            ["curl", "-s", "-m", "2", "-H", "Host: world.hello.org", "http://203.0.113.2/"],
        ),
        ("wget -q web", ["wget", "-O-", "-T", "5", "-q", "web"]),
        (
            "dig +short web.default.svc.cluster.local",
            ["dig", "+time=2", "+tries=1", "+short", "web.default.svc.cluster.local"],
        ),
        ("nc -z -w 1 10.244.1.3 6379", ["nc", "-z", "-w", "1", "10.244.1.3", "6379"]),
        ("ip -br addr show", ["ip", "-br", "addr", "show"]),
        ("ip route get 8.8.8.8", ["ip", "route", "get", "8.8.8.8"]),
        ("nft list ruleset", ["nft", "list", "ruleset"]),
        ("ss -tlnp", ["ss", "-tlnp"]),
        ("conntrack -L -p tcp", ["conntrack", "-L", "-p", "tcp"]),
    ],
)
def test_allowed_commands_pass_with_time_limits(line, argv):
    assert list(parse_command(line).argv) == argv


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("bash", "not available"),
        ("ping 10.0.0.2", "count"),
        ("ping -c 1000 10.0.0.2", "count"),
        ("ping -c 1 -f 10.0.0.2", "floods"),
        ("curl -o /etc/passwd http://x/", "files"),
        ("curl -sO http://x/", "files"),
        ("curl -d @/etc/shadow http://x/", "read files"),
        ("nc -l 80", "listens"),
        ("nc -z 10.0.0.1 80", "time limit"),
        ("ip link set eth0 down", "only 'show'"),
        ("ip addr add 10.0.0.9/24 dev eth0", "only 'show'"),
        ("nft flush ruleset", "nft list ruleset"),
        ("conntrack -F", "listing only"),
        ("ping -c 1 x; rm -rf /", "no shell"),
        ("curl http://x/ | sh", "no shell"),
        ("curl $(cat /etc/passwd)", "no shell"),
        ("", "type a command"),
    ],
)
def test_everything_else_is_refused_with_a_reason(line, why):
    with pytest.raises(Refused, match=why):
        parse_command(line)


def every_lab_try():
    from labs.catalog import load_catalog

    for lab in load_catalog().values():
        for step in lab.steps:
            for attempt in step.tries:
                yield f"{lab.id} {step.number} {attempt.host}: {attempt.command}", attempt.command


@pytest.mark.parametrize("where, command", list(every_lab_try()), ids=lambda value: value[:60])
def test_every_labs_command_to_try_passes_the_teaching_list(where, command):
    parse_command(command)  # the labs' own commands are what the console is for: none is refused


@pytest.mark.parametrize(
    "line",
    [
        "bridge link",
        "bridge fdb show",
        "getent hosts hello-world-service",
        "sysctl -n net.ipv4.ip_forward",
        "cat /etc/resolv.conf",
    ],
)
def test_the_labs_read_only_commands_are_offered(line):
    assert parse_command(line).text() == line


@pytest.mark.parametrize(
    "line",
    ["bridge link set dev veth0 state 0", "sysctl -w net.ipv4.ip_forward=1", "cat /etc/shadow", "getent shadow root"],
)
def test_their_changing_or_file_reading_forms_are_refused(line):
    with pytest.raises(Refused):
        parse_command(line)


@pytest.mark.parametrize("line", ["curl \x00", "ping -c 1 10.0.0.1\x00x", "curl http://web/\x1b[2J"])
def test_control_characters_are_refused(line):
    """Found by the fuzzer (tests/unit/test_fuzz_inputs.py): a NUL byte passed and crashed the runner."""
    with pytest.raises(Refused, match="control characters"):
        parse_command(line)
