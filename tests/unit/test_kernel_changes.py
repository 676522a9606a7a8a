"""What a change did, tab by tab: added and removed lines per host, rulesets by their loaded text."""

from __future__ import annotations

from labs.kernel_changes import UNKNOWN_RULESET, Change, change_view, diff_lines
from netcore.state import Address, Device, RouteFact, Ruleset, State
from netcore.topology.model import Endpoint


def state(*, c1_up=True, address="10.0.0.2/24", route=True, ruleset=None) -> State:
    c1, host = Endpoint("c1", "eth0"), Endpoint("host", "veth1")
    return State(
        hosts=frozenset({"c1", "host"}),
        devices={c1: Device("veth", peer=host, up=c1_up), host: Device("veth", peer=c1)},
        addresses=frozenset({Address(c1, address)}),
        routes=frozenset({RouteFact("c1", "0.0.0.0/0", "eth0", via="10.0.0.1")}) if route else frozenset(),
        rulesets={"host": ruleset} if ruleset else {},
    )


def test_only_what_changed_appears_and_only_for_the_host_it_changed_on():
    change = change_view("step 2", state(), state(c1_up=False, address="10.0.0.3/24"), {})
    assert change.tabs["links"] == {
        "c1": [("-", "eth0 veth UP peer host:veth1"), ("+", "eth0 veth DOWN peer host:veth1")]
    }
    assert change.tabs["addresses"] == {"c1": [("-", "eth0 10.0.0.2/24"), ("+", "eth0 10.0.0.3/24")]}
    assert change.tabs["routes"] == {} and change.tabs["nftables"] == {}
    assert change.counts() == {"links": 2, "addresses": 2, "routes": 0, "nftables": 0}


def test_a_new_sandbox_is_all_additions_and_a_removed_route_is_a_removal():
    built = change_view("build", State(), state(), {})
    assert all(sign == "+" for hosts in built.tabs.values() for lines in hosts.values() for sign, _ in lines)
    assert built.tabs["routes"] == {"c1": [("+", "0.0.0.0/0 via 10.0.0.1 dev eth0")]}
    assert change_view("x", state(), state(route=False), {}).tabs["routes"] == {
        "c1": [("-", "0.0.0.0/0 via 10.0.0.1 dev eth0")]
    }


def test_rulesets_diff_by_text_and_an_unknown_old_text_is_said_so():
    old = "table ip podpath {\n  chain postrouting {\n    masquerade\n  }\n}"
    new = "table ip podpath {\n  chain postrouting {\n    oifname eth0 masquerade\n  }\n}"
    before, after = state(ruleset=Ruleset("aaa")), state(ruleset=Ruleset("bbb", new))
    assert change_view("x", before, after, {"host": old}).tabs["nftables"] == {
        "host": [("-", "    masquerade"), ("+", "    oifname eth0 masquerade")]
    }
    unknown = change_view("x", before, after, {}).tabs["nftables"]["host"]
    assert ("-", UNKNOWN_RULESET) in unknown and ("+", "    oifname eth0 masquerade") in unknown
    assert change_view("x", after, after, {"host": new}).tabs["nftables"] == {}


def test_a_change_survives_its_json_form():
    change = change_view("step 2", state(), state(c1_up=False), {})
    assert Change.from_json(change.to_json()) == change
    assert diff_lines(["a", "b"], ["a", "b"]) == []
