"""What the last change (a step, a reset, an apply) did to the kernel, tab by tab and host by host (pure).

The reconcile that made the change read the kernel's state before and planned to the state after, so
the difference of the two is exactly what changed; it costs no extra reading. Each kernel tab of the
player shows it above what the kernel says now. Rulesets are compared by digest in the kernel; their
text before the change is the text Podpath loaded last (kept with the change), when the digests match.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from netcore.state import State

TABS = ("links", "addresses", "routes", "nftables")
UNKNOWN_RULESET = "(a ruleset Podpath did not load: its text is not known)"


@dataclass(frozen=True)
class Change:
    title: str
    tabs: dict[str, dict[str, list[tuple[str, str]]]]  # tab -> host -> [("+" | "-", line)], changed hosts only

    def counts(self) -> dict[str, int]:
        return {tab: sum(len(lines) for lines in hosts.values()) for tab, hosts in self.tabs.items()}

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "tabs": {
                tab: {host: [list(line) for line in lines] for host, lines in hosts.items()}
                for tab, hosts in self.tabs.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict) -> Change:
        return cls(
            data["title"],
            {
                tab: {host: [tuple(line) for line in lines] for host, lines in hosts.items()}
                for tab, hosts in data["tabs"].items()
            },
        )


def link_lines(state: State, host: str) -> list[str]:
    out = []
    for end, device in sorted(state.devices.items(), key=lambda item: item[0].ifname):
        if end.host != host:
            continue
        parts = [end.ifname, device.kind, "UP" if device.up else "DOWN"]
        if device.peer is not None:
            parts.append(f"peer {device.peer}")
        if device.vxlan is not None:
            parts.append(f"vni {device.vxlan.vni} remote {device.vxlan.remote}")
        if device.master:
            parts.append(f"master {device.master}")
        if device.mtu:
            parts.append(f"mtu {device.mtu}")
        out.append(" ".join(parts))
    return out


def address_lines(state: State, host: str) -> list[str]:
    return [f"{a.end.ifname} {a.cidr}" for a in sorted(state.addresses) if a.end.host == host]


def route_lines(state: State, host: str) -> list[str]:
    return [r.summary() for r in sorted(state.routes) if r.host == host]


def ruleset_lines(text: str | None) -> list[str]:
    return [line.rstrip() for line in (text or "").splitlines() if line.strip()]


def diff_lines(before: list[str], after: list[str]) -> list[tuple[str, str]]:
    """The removed and added lines, in the order a unified diff gives them (no context lines)."""
    out = []
    for line in difflib.unified_diff(before, after, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        out.append((line[0], line[1:]))
    return out


def change_view(title: str, before: State, after: State, before_rulesets: dict[str, str | None]) -> Change:
    """Compare the states either side of a change; ``before_rulesets`` holds each host's old ruleset text."""
    tabs: dict[str, dict[str, list[tuple[str, str]]]] = {tab: {} for tab in TABS}
    readers = {"links": link_lines, "addresses": address_lines, "routes": route_lines}
    for host in sorted(before.hosts | after.hosts):
        for tab, read in readers.items():
            lines = diff_lines(read(before, host), read(after, host))
            if lines:
                tabs[tab][host] = lines
        old, new = before.rulesets.get(host), after.rulesets.get(host)
        if old == new:
            continue
        old_lines = [] if old is None else ruleset_lines(before_rulesets.get(host)) or [UNKNOWN_RULESET]
        new_lines = [] if new is None else ruleset_lines(new.text) or [UNKNOWN_RULESET]
        lines = diff_lines(old_lines, new_lines)
        if lines:
            tabs["nftables"][host] = lines
    return Change(title, tabs)
