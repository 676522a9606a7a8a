"""The walk's JSON form (podpath.walk/1, docs/walk.md), its round trip, the pcap file, and the recording's."""

from __future__ import annotations

import json
import struct
from dataclasses import replace

import pytest

from netcore.walk.fixture import trimmed
from netcore.walk.model import OUTCOMES, SCHEMA, Endpoint, Walk, walk_from_json
from netcore.walk.pcap import MAGIC_NANOSECONDS, render_pcap
from netcore.walk.recording import Recording
from netcore.walk.stitch import stitch
from tests.golden import GOLDEN_DIR

HOP_KEYS = {
    "index",
    "time_ns",
    "offset_us",
    "host",
    "name",
    "role",
    "interface",
    "direction",
    "l2",
    "l3",
    "l4",
    "outer",
    "changes",
}


def walk_of(name: str) -> Walk:
    recording = Recording.from_json(json.loads((GOLDEN_DIR / f"walk-{name}.json").read_text()))
    legs = tuple(stitch(recording))
    return Walk(
        "s1",
        Endpoint(legs[0].client.address, None, legs[0].client.place, "client"),
        legs[-1].server,
        legs[-1].protocol,
        legs,
        "2026-11-26T10:00:00.000+00:00",
        12.5,
    )


@pytest.mark.parametrize("name", ["service-bridge", "vxlan", "policy-drop", "no-endpoints", "ingress"])
def test_the_json_form_reads_back_to_the_same_walk(name):
    walk = walk_of(name)
    data = json.loads(json.dumps(walk.to_json()))
    assert data["schema"] == SCHEMA and data["verdict"]["outcome"] in OUTCOMES
    assert walk_from_json(data).to_json() == data


def test_a_hop_holds_its_place_its_layers_and_its_changes():
    data = walk_of("vxlan").to_json()
    hop = next(h for h in data["legs"][0]["request"] if h["outer"])
    assert set(hop) == HOP_KEYS
    assert set(hop["l2"]) == {"src", "dst", "type"} and set(hop["l3"]) == {
        "src",
        "dst",
        "ttl",
        "id",
        "protocol",
        "length",
    }
    assert set(hop["l4"]) == {"protocol", "sport", "dport", "flags", "seq", "ack"}
    assert hop["outer"]["vxlan"] == {"vni": 4097} and hop["outer"]["l4"]["dport"] == 4789
    change = next(c for h in data["legs"][0]["request"] for c in h["changes"] if c["kind"] == "dnat")
    assert set(change) == {"kind", "text", "before", "after", "by", "rule"}
    assert change["by"] == {"kind": "service", "name": "default/hello-world-service"}


def test_a_drop_verdict_names_where_and_the_policy():
    verdict = walk_of("policy-drop").to_json()["verdict"]
    assert verdict["outcome"] == "dropped" and verdict["at"]["host"] == "node1"
    assert verdict["by"] == {"kind": "networkpolicy", "name": "default/test-network-policy"}
    assert verdict["answered_by"] is None


def test_a_name_that_does_not_resolve_is_its_own_outcome():
    dns = walk_of("service-bridge").legs[0]
    failed = replace(
        dns,
        summary="DNS query for nosuch.default.svc.cluster.local (A)",
        verdict=replace(dns.verdict, answer="NXDOMAIN"),
    )
    walk = Walk("s1", dns.client, dns.server, "tcp", (failed, failed))
    assert walk.verdict.outcome == "unresolved" and "NXDOMAIN" in walk.verdict.text
    assert "nosuch.default.svc.cluster.local" in walk.verdict.text


def test_an_unknown_schema_is_refused():
    with pytest.raises(ValueError, match="podpath.walk/1"):
        walk_from_json({"schema": "something/2"})


def test_the_pcap_has_one_ethernet_frame_per_hop_with_nanosecond_kernel_times():
    walk = walk_of("service-bridge")
    data = render_pcap(walk)
    magic, major, minor, _, _, snaplen, linktype = struct.unpack_from("<IHHiIII", data)
    assert (magic, major, minor, linktype) == (MAGIC_NANOSECONDS, 2, 4, 1)
    offset, times = 24, []
    while offset < len(data):
        seconds, nanoseconds, kept, length = struct.unpack_from("<IIII", data, offset)
        assert kept <= length and kept <= snaplen
        times.append(seconds * 1_000_000_000 + nanoseconds)
        offset += 16 + kept
    assert offset == len(data)
    assert times == [h.time_ns for h in walk.hops()]


def test_a_recording_survives_its_json_form_and_trimming_keeps_the_walk():
    recording = Recording.from_json(json.loads((GOLDEN_DIR / "walk-nodeport.json").read_text()))
    again = Recording.from_json(json.loads(json.dumps(recording.to_json())))
    assert [leg.to_json() for leg in stitch(again)] == [leg.to_json() for leg in stitch(recording)]
    smaller = trimmed(recording, spare=0)
    assert len(smaller.captures) <= len(recording.captures)
    assert [leg.to_json() for leg in stitch(smaller)] == [leg.to_json() for leg in stitch(recording)]
