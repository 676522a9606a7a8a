"""The sysctls Podpath manages inside every sandbox namespace, and their values unless a host says otherwise.

Every managed key is written in every namespace, because a new namespace does not start from the
kernel's defaults: IPv4 settings such as ``ip_forward`` are copied from the root namespace.
"""

from __future__ import annotations

import os

BASE: dict[str, str] = {
    # IPv6 router and multicast chatter would flood every capture and counter.
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
    # A host forwards only when its topology says so (a router, a container host, a node).
    "net.ipv4.ip_forward": "0",
    # Reverse-path filtering drops legitimate asymmetric lab traffic; labs turn it on to show it.
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
    # ICMP errors (unreachable, the reject of a Service without endpoints) are what a lab shows;
    # the per-destination rate limit would make them arrive only sometimes.
    "net.ipv4.icmp_ratelimit": "0",
    # Deleting a primary address must not take its secondaries with it.
    "net.ipv4.conf.all.promote_secondaries": "1",
    "net.ipv4.conf.default.promote_secondaries": "1",
    # Learners' commands run without CAP_NET_RAW (netcore/jail): ping uses ICMP datagram sockets,
    # which this range opens to every group, as systemd does on most distributions.
    "net.ipv4.ping_group_range": "0 2147483647",
}

# Managed only where the kernel has them: br_netfilter is built in on some kernels, a module elsewhere.
# Bridged traffic passes the inet hooks (Service hairpin, NetworkPolicy between pods on one node) only
# with it; a new namespace starts with it on.
BRIDGE_NF = "net.bridge.bridge-nf-call-iptables"
OPTIONAL: dict[str, str] = {BRIDGE_NF: "1"}

# Keys a topology may set, with the values they accept.
SETTABLE: dict[str, tuple[str, ...]] = {
    "net.ipv4.ip_forward": ("0", "1"),
    "net.ipv4.conf.all.rp_filter": ("0", "1", "2"),
    "net.ipv4.conf.default.rp_filter": ("0", "1", "2"),
    BRIDGE_NF: ("0", "1"),
}


def base_sysctls() -> dict[str, str]:
    """Return the managed keys with their base values, the optional ones only if this kernel has them.

    br_netfilter's switches are global to the kernel's feature set, so the root namespace's /proc tells
    whether sandbox namespaces have them (read only; the root namespace is never written).
    """
    present = {key: value for key, value in OPTIONAL.items() if os.path.exists(sysctl_path(key))}
    return {**BASE, **present}


def sysctl_path(key: str) -> str:
    """Return the /proc/sys path of a dotted sysctl key."""
    return "/proc/sys/" + key.replace(".", "/")


# Every key a topology may set has a base value, so leaving a step that set it restores the base.
assert set(SETTABLE) <= set(BASE) | set(OPTIONAL), "each settable sysctl needs a base value"
