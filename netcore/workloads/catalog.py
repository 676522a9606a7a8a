"""The catalog of built-in servers a host can run, as data the parser validates against.

The runner (``netcore.workloads.runner``) implements each kind; this module only names them, so pure
code can reject an unknown kind or option without importing asyncio servers. ``KINDS`` holds every
kind the runner serves; ``CATALOG`` the ones a topology file may name, whose options are all ones the
topology parser reads (``text``). The others are configured by compiled clusters: pods' images
(``netcore.kube.images``) and the cluster DNS.
"""

from __future__ import annotations

from dataclasses import dataclass

TOPOLOGY_OPTIONS = frozenset({"text"})  # the options a topology file can set on a server


@dataclass(frozen=True)
class ServerKind:
    name: str
    about: str
    protocols: tuple[str, ...] = ("tcp",)
    options: tuple[str, ...] = ()
    required: tuple[str, ...] = ()

    @property
    def in_topology(self) -> bool:
        """Whether a topology file can configure this kind completely."""
        return not self.required and TOPOLOGY_OPTIONS.issuperset(self.options)


KINDS: dict[str, ServerKind] = {
    kind.name: kind
    for kind in (
        ServerKind(
            "hello", "HTTP server that answers a fixed text and a newline (default: Hello World)", options=("text",)
        ),
        ServerKind("echo", "HTTP server that answers JSON naming the client address it saw"),
        ServerKind(
            "http-text",
            "HTTP server that answers a text as it is (agnhost porter, serve-hostname)",
            options=("text", "json"),
        ),
        ServerKind(
            "https-text",
            "HTTPS server (self-signed certificate made at start) answering a text",
            options=("text", "json"),
        ),
        ServerKind("tcp-text", "raw TCP server that writes a text and closes the connection", options=("text",)),
        ServerKind(
            "udp-text", "UDP server that answers every datagram with a text", protocols=("udp",), options=("text",)
        ),
        ServerKind("nginx", "HTTP server answering nginx's welcome page"),
        ServerKind(
            "echoserver",
            "the ingress conformance echoserver: JSON describing the request",
            options=("namespace", "ingress", "service", "pod"),
        ),
        ServerKind(
            "netexec",
            "agnhost netexec: HTTP endpoints (/hostname, /clientip, /echo, /dial...) over TCP, or its UDP commands",
            protocols=("tcp", "udp"),
            options=("hostname", "udp-port", "http-override", "tls"),
        ),
        ServerKind(
            "cluster-dns",
            "cluster DNS answering from a JSON records file, re-read when it changes",
            protocols=("udp", "tcp"),
            options=("records",),
            required=("records",),
        ),
        ServerKind(
            "health-check",
            "kube-proxy's health check node port of a LoadBalancer Service with"
            " externalTrafficPolicy Local: 200 with this node's endpoint count, 503 with none",
            options=("namespace", "service", "endpoints"),
            required=("namespace", "service", "endpoints"),
        ),
        ServerKind(
            "ingress-nginx",
            "the ingress controller: a real nginx (HTTP 80, HTTPS 443) run from a"
            " configuration file, reloaded gracefully when it changes",
            options=("config", "runtime"),
            required=("config", "runtime"),
        ),
        ServerKind(
            "gateway-nginx",
            "a Gateway's data plane: a real nginx (one port per listener) run from a"
            " configuration file, reloaded gracefully when it changes",
            options=("config", "runtime"),
            required=("config", "runtime"),
        ),
    )
}

CATALOG: dict[str, ServerKind] = {name: kind for name, kind in KINDS.items() if kind.in_topology}


def catalog_names() -> list[str]:
    """Return the kinds a topology file may name."""
    return sorted(CATALOG)


def kind_names() -> list[str]:
    """Return every kind the runner serves."""
    return sorted(KINDS)


def check_server_options(kind_name: str, protocol: str, options: tuple[tuple[str, str], ...]) -> str | None:
    """Return what is wrong with a server's kind, protocol and options, or None if they are valid."""
    kind = KINDS.get(kind_name)
    if kind is None:
        return f"a server kind from: {', '.join(kind_names())}"
    if protocol not in kind.protocols:
        return f"a {kind_name} server speaks {' or '.join(kind.protocols)}, not {protocol}"
    keys = [key for key, _ in options]
    for key in keys:
        if key not in kind.options:
            return f"no '{key}' option for a {kind_name} server"
    for key in kind.required:
        if key not in keys:
            return f"a {kind_name} server needs the '{key}' option"
    return None
