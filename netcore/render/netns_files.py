"""Render the files `ip netns exec` mounts over /etc inside a host: resolv.conf and hosts.

Pure. Every namespace needs a resolv.conf of its own, or lookups go to the machine's resolver, which
is unreachable from a sandbox, and hang until they time out. A lab host has no DNS server, so its
resolver points at loopback and fails at once; its hosts file names every host of the topology, so
``ping m2`` works the way it would on a real network with /etc/hosts.
"""

from __future__ import annotations

import ipaddress

from netcore.topology.model import Host, Topology

NO_DNS_RESOLV_CONF = (
    "# Written by Podpath: this host has no DNS server; names come from /etc/hosts.\n"
    "nameserver 127.0.0.1\n"
    "options timeout:1 attempts:1\n"
)


def render_resolv_conf(host: Host) -> str:
    return host.resolv_conf if host.resolv_conf is not None else NO_DNS_RESOLV_CONF


def render_hosts_file(topology: Topology) -> str:
    """Return an /etc/hosts naming each host by its first address (shared by every host)."""
    lines = ["# Written by Podpath from the sandbox topology.", "127.0.0.1\tlocalhost"]
    for host in sorted(topology.hosts, key=lambda h: h.name):
        address = first_address(host)
        if address is not None:
            lines.append(f"{address}\t{host.name}")
    return "\n".join(lines) + "\n"


def first_address(host: Host) -> str | None:
    for iface in host.interfaces:
        if iface.kind != "vxlan" and iface.addresses:
            return str(ipaddress.IPv4Interface(iface.addresses[0]).ip)
    return None
