"""The topology picture: containers drawn inside their host, rows by role, cables between box edges."""

from __future__ import annotations

from labs.catalog import load_catalog
from labs.diagram import layout
from tests.topologies import CONTAINERS, topology


def inside(child, parent) -> bool:
    return (
        parent.x <= child.x
        and child.x + child.w <= parent.x + parent.w
        and parent.y <= child.y
        and child.y + child.h <= parent.y + parent.h
    )


def overlap(a, b) -> bool:
    return not (a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y)


def test_containers_sit_inside_their_host_and_the_internet_is_on_top():
    diagram = layout(topology(CONTAINERS))
    host, c1, c2, internet = (diagram.box(n) for n in ("host", "c1", "c2", "internet"))
    assert inside(c1, host) and inside(c2, host) and not overlap(c1, c2)
    assert internet.y + internet.h <= host.y
    ids = {line.id for line in diagram.lines}
    assert "link-c1.eth0-host.veth-c1" in ids and len(diagram.lines) == 3


def test_every_lab_step_lays_out_without_overlapping_siblings():
    for lab in load_catalog().values():
        for step in lab.steps:
            if step.topology is None:
                continue
            diagram = layout(step.topology)
            assert diagram.width > 0 and diagram.height > 0
            for a in diagram.boxes:
                for b in diagram.boxes:
                    if a is not b and a.parent == b.parent:
                        assert not overlap(a, b), (lab.id, step.number, a.host, b.host)
                    if b.parent == a.host:
                        assert inside(b, a)
            for line in diagram.lines:
                assert 0 <= line.x1 <= diagram.width and 0 <= line.y2 <= diagram.height


def test_a_cable_to_a_host_that_is_gone_is_drawn_gone_too():
    from labs.svg import render_topology

    svg = render_topology(layout(topology(CONTAINERS)), missing=frozenset({"c1"}))
    cable = svg[svg.index('id="link-c1.eth0-host.veth-c1"') :]
    cable = cable[: cable.index(">")]
    assert "missing" in cable and 'data-hosts="c1 host"' in cable
    other = svg[svg.index("<line", svg.index('class="links"')) :]
    assert all("missing" not in line for line in other.split("<line")[1:] if "c1" not in line.split(">")[0])
