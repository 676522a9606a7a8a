"""The pure observer model: apply_delta, sequence numbers, and diff as the inverse of apply."""

from __future__ import annotations

import random

import pytest

from netcore.observe.deltas import (
    AddressAdded,
    AddressRemoved,
    ConntrackRemoved,
    ConntrackUpdated,
    Counters,
    HostAdded,
    HostRemoved,
    LinkRemoved,
    LinkUpdated,
    ModelError,
    RouteAdded,
    RouteRemoved,
    SequenceError,
    Traced,
    apply_change,
    apply_delta,
    apply_deltas,
)
from netcore.observe.diff import diff_host, diff_states
from netcore.observe.model import (
    Address,
    ConntrackEntry,
    HostState,
    IfCounters,
    Link,
    Route,
    SandboxState,
    Trace,
    Tuple,
)

LO = Link(1, "lo", "loopback", "00:00:00:00:00:00", 65536, True, "UNKNOWN")
ETH0 = Link(2, "eth0", "veth", "02:00:00:00:00:02", 1500, True, "UP", peer="host:veth-c1")
ETH0_DOWN = Link(2, "eth0", "veth", "02:00:00:00:00:02", 1500, False, "DOWN", peer="host:veth-c1")
ADDR = Address(2, "172.17.0.2/16")
CONNECTED = Route("172.17.0.0/16", 2, protocol="kernel", scope="link", prefsrc="172.17.0.2")
DEFAULT = Route("0.0.0.0/0", 2, gateway="172.17.0.1")
C0 = IfCounters(0, 0, 0, 0)
ENTRY = ConntrackEntry(
    6,
    Tuple("tcp", "172.17.0.2", 40000, "198.51.100.10", 80),
    Tuple("tcp", "198.51.100.10", 80, "198.51.100.2", 40000),
    frozenset({"SRC_NAT", "CONFIRMED"}),
    "SYN_SENT",
)
C1 = HostState(
    links={1: LO, 2: ETH0}, addresses=frozenset({ADDR}), routes=frozenset({CONNECTED, DEFAULT}), counters={1: C0, 2: C0}
)


def numbered(deltas, start: int = 0) -> list:
    from dataclasses import replace

    return [replace(d, seq=start + i + 1) for i, d in enumerate(deltas)]


def test_every_delta_type_changes_exactly_its_part_and_numbers_the_state():
    state = SandboxState("s1")
    steps = numbered(
        [
            HostAdded(host="c1", state=C1),
            LinkUpdated(host="c1", link=ETH0_DOWN),
            RouteRemoved(host="c1", route=DEFAULT),
            AddressRemoved(host="c1", address=ADDR),
            AddressAdded(host="c1", address=Address(2, "10.0.0.1/24")),
            RouteAdded(host="c1", route=Route("10.0.0.0/24", 2, protocol="kernel", scope="link")),
            Counters(host="c1", counters={2: IfCounters(100, 1, 50, 1)}),
            ConntrackUpdated(host="c1", entry=ENTRY),
        ]
    )
    state = apply_deltas(state, steps)
    c1 = state.hosts["c1"]
    assert state.seq == 8
    assert c1.links[2] == ETH0_DOWN and c1.links[1] == LO
    assert c1.addresses == {Address(2, "10.0.0.1/24")}
    assert c1.routes == {CONNECTED, Route("10.0.0.0/24", 2, protocol="kernel", scope="link")}
    assert c1.counters == {1: C0, 2: IfCounters(100, 1, 50, 1)}
    assert c1.conntrack == {ENTRY.key: ENTRY}
    gone = [ConntrackRemoved(host="c1", key=ENTRY.key), LinkRemoved(host="c1", index=2)]
    state = apply_deltas(state, numbered(gone, 8))
    assert state.hosts["c1"].conntrack == {}
    assert state.hosts["c1"].links == {1: LO}
    assert state.hosts["c1"].counters == {1: C0}  # counters leave with their link
    state = apply_delta(state, numbered([HostRemoved(host="c1")], 10)[0])
    assert state.hosts == {} and state.seq == 11


def test_apply_never_changes_the_state_it_was_given():
    before = SandboxState("s1", 1, {"c1": C1})
    copy = SandboxState("s1", 1, {"c1": HostState(dict(C1.links), C1.addresses, C1.routes, dict(C1.counters))})
    apply_delta(before, LinkRemoved(host="c1", index=2, seq=2))
    apply_delta(before, Counters(host="c1", counters={1: IfCounters(1, 1, 1, 1)}, seq=2))
    assert before == copy


def test_a_missed_delta_or_a_repeated_one_is_refused():
    state = SandboxState("s1", 5, {"c1": C1})
    with pytest.raises(SequenceError, match="skips 1"):
        apply_delta(state, LinkUpdated(host="c1", link=ETH0_DOWN, seq=7))
    with pytest.raises(SequenceError, match="already applied"):
        apply_delta(state, LinkUpdated(host="c1", link=ETH0_DOWN, seq=5))
    assert apply_delta(state, LinkUpdated(host="c1", link=ETH0_DOWN, seq=6)).seq == 6


def test_a_delta_about_an_unknown_host_is_a_model_error():
    with pytest.raises(ModelError, match="'c9'"):
        apply_delta(SandboxState("s1"), LinkUpdated(host="c9", link=ETH0, seq=1))


def test_removing_what_is_not_there_changes_nothing():
    hosts = {"c1": C1}
    assert apply_change(hosts, AddressRemoved(host="c1", address=Address(2, "10.9.9.9/8"))) == hosts
    assert apply_change(hosts, LinkRemoved(host="c1", index=42)) == hosts
    assert apply_change(hosts, HostRemoved(host="c9")) == hosts


STEP = Trace(
    id=7,
    family="inet",
    table="podpath",
    chain="nat-postrouting",
    type="rule",
    handle=12,
    verdict="accept",
    iif=2,
    oif=3,
    protocol=6,
    packet=Tuple("tcp", "172.17.0.2", 40000, "198.51.100.10", 80),
)


def test_a_trace_event_is_not_state_it_only_advances_the_sequence():
    state = SandboxState("s1", 5, {"c1": C1})
    after = apply_delta(state, Traced(host="c1", event=STEP, seq=6))
    assert after == SandboxState("s1", 6, {"c1": C1}) and after.hosts is state.hosts  # not even copied
    assert apply_change(state.hosts, Traced(host="c1", event=STEP)) == state.hosts
    # Numbered like any delta, about a host the state has.
    with pytest.raises(SequenceError, match="already applied"):
        apply_delta(after, Traced(host="c1", event=STEP, seq=6))
    with pytest.raises(ModelError, match="'c9'"):
        apply_delta(after, Traced(host="c9", event=STEP, seq=7))
    # Between state deltas it changes nothing they do: snapshot + deltas stays a fresh read.
    mixed = numbered(
        [
            LinkUpdated(host="c1", link=ETH0_DOWN),
            Traced(host="c1", event=STEP),
            RouteRemoved(host="c1", route=DEFAULT),
            Traced(host="c1", event=STEP),
        ],
        5,
    )
    plain = numbered([LinkUpdated(host="c1", link=ETH0_DOWN), RouteRemoved(host="c1", route=DEFAULT)], 5)
    assert apply_deltas(state, mixed).hosts == apply_deltas(state, plain).hosts
    assert apply_deltas(state, mixed).seq == 9


def test_diff_of_equal_states_is_empty_and_links_come_first_and_go_last():
    assert diff_host("c1", C1, C1) == []
    new = HostState(
        links={1: LO, 3: Link(3, "eth1", "veth", None, 1500, True, "UP")},
        addresses=frozenset({Address(3, "10.0.0.1/24")}),
        routes=frozenset(),
        counters={1: C0},
    )
    kinds = [type(d).__name__ for d in diff_host("c1", C1, new)]
    assert kinds[0] == "LinkUpdated" and kinds[-1] == "LinkRemoved"
    assert kinds.index("AddressRemoved") < kinds.index("AddressAdded")


def test_counters_are_sent_only_for_interfaces_whose_counters_changed():
    new = HostState(C1.links, C1.addresses, C1.routes, {1: C0, 2: IfCounters(1, 1, 0, 0)})
    assert diff_host("c1", C1, new) == [Counters(host="c1", counters={2: IfCounters(1, 1, 0, 0)})]


def random_host(rng: random.Random) -> HostState:
    links = {}
    for index in rng.sample(range(1, 8), rng.randint(1, 5)):
        links[index] = Link(
            index,
            f"if{index}{rng.choice('ab')}",
            rng.choice(["veth", "bridge"]),
            None,
            rng.choice([1500, 1400]),
            rng.random() < 0.7,
            rng.choice(["UP", "DOWN", "LOWERLAYERDOWN"]),
            master=rng.choice([None, 2]),
        )
    indexes = sorted(links)
    addresses = frozenset(
        Address(rng.choice(indexes), f"10.0.{rng.randint(0, 3)}.1/24") for _ in range(rng.randint(0, 4))
    )
    routes = frozenset(
        Route(
            f"10.{rng.randint(0, 4)}.0.0/16",
            rng.choice(indexes + [None]),
            gateway=rng.choice([None, "10.0.0.254"]),
            metric=rng.choice([0, 100]),
        )
        for _ in range(rng.randint(0, 4))
    )
    counters = {i: IfCounters(rng.randint(0, 3), 0, rng.randint(0, 3), 0) for i in indexes}
    conntrack = {}
    for _ in range(rng.randint(0, 3)):
        entry = ConntrackEntry(
            6,
            Tuple("tcp", "10.0.0.1", rng.randint(1, 4), "10.0.1.1", 80),
            Tuple("tcp", "10.0.1.1", 80, "10.0.0.1", 1),
            frozenset(rng.sample(["ASSURED", "SEEN_REPLY", "SRC_NAT"], 2)),
            rng.choice(["ESTABLISHED", None]),
        )
        conntrack[entry.key] = entry
    return HostState(links, addresses, routes, counters, conntrack)


def random_state(rng: random.Random, seq: int) -> SandboxState:
    hosts = {h: random_host(rng) for h in rng.sample(["a", "b", "c", "d"], rng.randint(0, 4))}
    return SandboxState("s1", seq, hosts)


@pytest.mark.parametrize("seed", range(200))
def test_applying_the_diff_of_two_states_gives_the_second(seed):
    rng = random.Random(seed)
    old, new = random_state(rng, 10), random_state(rng, 0)
    deltas = numbered(diff_states(old, new), start=old.seq)
    result = apply_deltas(old, deltas)
    assert result.hosts == new.hosts
    assert result.seq == old.seq + len(deltas)
    assert diff_states(result, new) == []
