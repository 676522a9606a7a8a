"""The read-only kernel views Podpath runs for a learner: exact listings only, rebuilt from what was parsed."""

from __future__ import annotations

import pytest

from netcore.jail.views import kernel_view


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["nft", "list", "ruleset"], ["nft", "list", "ruleset"]),
        (["nft", "-a", "list", "ruleset"], ["nft", "-a", "list", "ruleset"]),
        (["nft", "list", "table", "inet", "podpath"], ["nft", "list", "table", "inet", "podpath"]),
        (
            ["nft", "list", "chain", "inet", "podpath", "default/hello-world-service"],
            ["nft", "list", "chain", "inet", "podpath", "default/hello-world-service"],
        ),
        (["conntrack", "-L"], ["conntrack", "-L"]),
        (
            ["conntrack", "-L", "-p", "tcp", "--dport", "80", "--src", "10.244.0.7"],
            ["conntrack", "-L", "-p", "tcp", "--dport", "80", "--src", "10.244.0.7"],
        ),
        (
            ["conntrack", "-L", "-p", "tcp", "--src-nat", "-d", "203.0.113.1"],
            ["conntrack", "-L", "-p", "tcp", "--src-nat", "-d", "203.0.113.1"],
        ),
        (["conntrack", "-C"], ["conntrack", "-C"]),
    ],
)
def test_read_only_listings_become_views(argv, expected):
    assert kernel_view(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["nft", "flush", "ruleset"],
        ["nft", "-f", "/etc/shadow"],
        ["nft", "list", "ruleset", "-f", "/etc/shadow"],
        ["nft", "list", "table", "inet", "x;flush ruleset"],
        ["nft", "-i"],
        ["nft", "list", "table", "inet", "../../etc"] + ["x"],
        ["conntrack", "-D"],
        ["conntrack", "-F"],
        ["conntrack", "-L", "-p", "tcp", "--dport", "0"],
        ["conntrack", "-L", "-s", "$(id)"],
        ["conntrack", "-L", "-E"],
        ["conntrack", "-L", "-p"],
        ["conntrack", "-U", "--mark", "1"],
        ["conntrack", "-L", "-o", "xml", ">", "/tmp/x"],
        ["curl", "file:///etc/shadow"],
        [],
    ],
)
def test_anything_else_is_not_a_view_and_goes_to_the_jail(argv):
    assert kernel_view(argv) is None
