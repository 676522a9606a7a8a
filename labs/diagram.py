"""Lay a topology out as a picture: boxes for hosts (children drawn inside their parent), lines for cables.

Pure. Hosts are placed in rows by role, the outside world on top and machines at the bottom, as the
talk's slides draw them: the internet and outside clients, then routers, then switches, then hosts,
nodes and hypervisors, whose containers, pods and VMs sit inside them. A VXLAN tunnel is a dashed line
between the hosts at its two ends. Every element has a stable id (``node-<host>``,
``link-<host>.<if>-<host>.<if>``, ``iface-<host>.<if>``) so live updates can find it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from netcore.topology.model import Host, Topology

ROW_OF_ROLE = {"internet": 0, "client": 0, "router": 1, "switch": 2}
LEAF_W, LEAF_H = 150, 58
PAD, HEADER, GAP, ROW_GAP, MARGIN = 12, 30, 36, 70, 20
BAR_H, BAR_GAP = 14, 16  # a bridge is drawn as a bar across the bottom of its host


@dataclass
class Bar:
    """A bridge (a switch inside a host): its ports' cables end on it."""

    name: str
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = BAR_H

    def anchor(self, toward: tuple[float, float]) -> tuple[float, float]:
        x = min(max(toward[0], self.x + 6), self.x + self.w - 6)
        return x, (self.y if toward[1] < self.y else self.y + self.h)


@dataclass
class Box:
    host: str
    role: str
    label: str
    addresses: list[str]
    parent: str | None
    x: float = 0
    y: float = 0
    w: float = LEAF_W
    h: float = LEAF_H
    children: list[Box] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"node-{self.host}"

    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


@dataclass(frozen=True)
class Line:
    id: str
    a: str  # host.ifname
    b: str
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str = "veth"  # veth | vxlan
    hosts: tuple[str, ...] = ()  # the hosts at its ends: a cable to a host that is gone is gone too


@dataclass
class Diagram:
    width: float
    height: float
    boxes: list[Box]
    lines: list[Line]

    def box(self, host: str) -> Box | None:
        return next((b for b in self.boxes if b.host == host), None)


def link_id(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"link-{first}-{second}"


def host_label(host: Host) -> str:
    return host.label or host.name


def host_addresses(host: Host) -> list[str]:
    return [f"{iface.name} {address}" for iface in host.interfaces for address in iface.addresses]


def size(box: Box) -> None:
    """Size a box from its children (bottom-up): children in a row under a header, bridges below."""
    for child in box.children:
        size(child)
    bars = len(box.bars) * (BAR_H + BAR_GAP)
    if box.children:
        box.w = max(LEAF_W, sum(c.w for c in box.children) + GAP * (len(box.children) - 1) + 2 * PAD)
        box.h = HEADER + max(c.h for c in box.children) + 2 * PAD + bars
    elif box.bars:
        box.h = LEAF_H + bars - BAR_GAP / 2


def place(box: Box, x: float, y: float) -> None:
    box.x, box.y = x, y
    cx = x + PAD + (box.w - 2 * PAD - (sum(c.w for c in box.children) + GAP * (len(box.children) - 1))) / 2
    for child in box.children:
        place(child, cx, y + HEADER + PAD)
        cx += child.w + GAP
    bottom = y + box.h - PAD / 2
    for bar in reversed(box.bars):
        bar.x, bar.w = x + PAD, box.w - 2 * PAD
        bar.y = bottom - BAR_H
        bottom -= BAR_H + BAR_GAP


def flatten(boxes: list[Box]) -> list[Box]:
    out = []
    for box in boxes:
        out.append(box)
        out += flatten(box.children)
    return out


def edge_point(box: Box, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box's centre toward a point leaves the box."""
    cx, cy = box.center()
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(box.w / 2 / abs(dx) if dx else float("inf"), box.h / 2 / abs(dy) if dy else float("inf"))
    return cx + dx * scale, cy + dy * scale


def layout(topology: Topology) -> Diagram:
    """Return boxes and lines for a topology, in a stable arrangement."""
    boxes = {
        h.name: Box(
            h.name,
            h.role,
            host_label(h),
            host_addresses(h),
            h.inside,
            bars=[Bar(i.name) for i in h.interfaces if i.kind == "bridge"],
        )
        for h in topology.hosts
    }
    ports = {f"{h.name}:{i.name}": i.master for h in topology.hosts for i in h.interfaces if i.master}
    roots = []
    for host in topology.hosts:
        box = boxes[host.name]
        if host.inside in boxes:
            boxes[host.inside].children.append(box)
        else:
            roots.append(box)
    for box in boxes.values():
        box.children.sort(key=lambda b: b.host)
    rows: dict[int, list[Box]] = {}
    for box in sorted(roots, key=lambda b: b.host):
        rows.setdefault(ROW_OF_ROLE.get(box.role, 3), []).append(box)
    for box in roots:
        size(box)
    widths = {r: sum(b.w for b in row) + GAP * (len(row) - 1) for r, row in rows.items()}
    width = max(widths.values(), default=LEAF_W) + 2 * MARGIN
    y = MARGIN
    for rank in sorted(rows):
        row = rows[rank]
        x = (width - widths[rank]) / 2
        for box in row:
            place(box, x, y)
            x += box.w + GAP
        y += max(b.h for b in row) + ROW_GAP
    every = flatten(roots)
    lines = [cable(boxes, str(link.a), str(link.b), link.a.host, link.b.host, ports=ports) for link in topology.links]
    lines += tunnels(topology, boxes)
    return Diagram(width=width, height=y - ROW_GAP + MARGIN, boxes=every, lines=lines)


def anchor(boxes: dict[str, Box], end: str, host: str, toward: tuple[float, float], ports: dict[str, str]) -> tuple:
    """Where a cable ends: on its bridge's bar for a bridge port, else on its host's edge."""
    box = boxes[host]
    bar = next((b for b in box.bars if b.name == ports.get(end)), None)
    return bar.anchor(toward) if bar is not None else edge_point(box, toward)


def cable(
    boxes: dict[str, Box],
    a: str,
    b: str,
    host_a: str,
    host_b: str,
    kind: str = "veth",
    ports: dict[str, str] | None = None,
) -> Line:
    ports = ports or {}
    box_a, box_b = boxes[host_a], boxes[host_b]
    if b in ports and a not in ports:  # settle the bridge end first, then aim the box end at it
        x2, y2 = anchor(boxes, b, host_b, box_a.center(), ports)
        x1, y1 = anchor(boxes, a, host_a, (x2, y2), ports)
    else:
        x1, y1 = anchor(boxes, a, host_a, box_b.center(), ports)
        x2, y2 = anchor(boxes, b, host_b, (x1, y1), ports)
    ends = (a.replace(":", "."), b.replace(":", "."))
    return Line(
        link_id(*ends), ends[0], ends[1], round(x1, 1), round(y1, 1), round(x2, 1), round(y2, 1), kind, (host_a, host_b)
    )


def tunnels(topology: Topology, boxes: dict[str, Box]) -> list[Line]:
    """A dashed line per VXLAN tunnel whose far end is another host's address."""
    owner = {}
    for host in topology.hosts:
        for iface in host.interfaces:
            for address in iface.addresses:
                owner[str(ipaddress.IPv4Interface(address).ip)] = host.name
    out, seen = [], set()
    for host in topology.hosts:
        for iface in host.interfaces:
            remote = iface.vxlan.remote if iface.vxlan else None
            far = owner.get(remote) if remote else None
            if far is None or frozenset((host.name, far)) in seen:
                continue
            seen.add(frozenset((host.name, far)))
            out.append(cable(boxes, f"{host.name}:{iface.name}", f"{far}:vxlan", host.name, far, kind="vxlan"))
    return out
