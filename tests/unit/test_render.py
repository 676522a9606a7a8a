"""nftables rendering: golden tables, and the transaction that replaces a table atomically."""

from __future__ import annotations

import pytest

from netcore.render import nftables
from netcore.render.nftables import digest_of, render_ruleset, transaction
from netcore.topology.model import Host, NatRule
from tests.golden import assert_golden
from tests.topologies import CONTAINERS, topology


def test_masquerade_table_golden():
    assert_golden("ruleset-container-host.nft", render_ruleset(topology(CONTAINERS).host("host")))


def test_port_mapping_table_golden():
    host = Host(
        name="host",
        nat=(
            NatRule(kind="dnat", protocol="tcp", port=8080, to="172.17.0.2:80"),
            NatRule(kind="dnat", in_if="eth0", destination="198.51.100.2", protocol="udp", port=53, to="172.17.0.3"),
            NatRule(kind="snat", source="172.17.0.0/16", out_if="eth0", to="198.51.100.2"),
        ),
    )
    assert_golden("ruleset-port-mapping.nft", render_ruleset(host))


def test_a_host_without_rules_has_no_table():
    assert render_ruleset(Host(name="m1")) is None


def test_the_digest_changes_with_the_rules_and_is_in_the_comment():
    one = render_ruleset(Host(name="h", nat=(NatRule(kind="masquerade", out_if="eth0"),)))
    two = render_ruleset(Host(name="h", nat=(NatRule(kind="masquerade", out_if="eth1"),)))
    assert digest_of(one) != digest_of(two)
    assert f'comment "podpath {digest_of(one)}"' in one


def test_the_transaction_declares_then_deletes_then_recreates_the_table():
    text = render_ruleset(Host(name="h", nat=(NatRule(kind="masquerade", out_if="eth0"),)))
    script = transaction(text)
    assert script.startswith("table inet podpath\ndelete table inet podpath\ntable inet podpath {")
    assert transaction(None) == "table inet podpath\ndelete table inet podpath\n"


def test_the_walks_trace_table_marks_its_protocols_before_every_other_chain():
    text = nftables.render_trace_table("podpath-trace-0a1b2c3d", {"udp", "tcp"})
    assert text == (
        "table inet podpath-trace-0a1b2c3d {\n"
        "\tchain prerouting {\n\t\ttype filter hook prerouting priority -450; policy accept;\n"
        "\t\tmeta l4proto { tcp, udp } meta nftrace set 1\n\t}\n"
        "\tchain output {\n\t\ttype filter hook output priority -450; policy accept;\n"
        "\t\tmeta l4proto { tcp, udp } meta nftrace set 1\n\t}\n"
        "}\n"
    )


def test_a_trace_table_never_takes_podpaths_own_name():
    with pytest.raises(ValueError, match="podpath-trace-"):
        nftables.render_trace_table("podpath", {"tcp"})
