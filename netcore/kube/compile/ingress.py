"""Ingress objects -> the ingress controller's routes, nginx configuration and certificate files (pure).

The routes are what ingress-nginx builds from the Ingresses it serves (``served_ingresses``, oldest
first), and follow networking.k8s.io/v1 as it implements it:

- one virtual server per host; an exact host beats a wildcard, and ``*.foo.com`` matches exactly one
  label (``bar.foo.com``, not ``foo.com`` nor ``baz.bar.foo.com``); rules without a host, and
  requests for no known host, go to the default server ``_``;
- every server starts with a root location ``/``: the Ingress's ``defaultBackend`` if the Ingress that
  made the server has one, else the controller's own 404; a rule for ``/`` replaces it. An Ingress
  with a ``defaultBackend`` and no rules takes the default server's root (the catch-all);
- ``Exact`` is ``location = /p``; ``Prefix`` matches by path element, so ``/p`` (trailing slash
  ignored) becomes ``location = /p`` plus ``location /p/`` (``/p/x`` and ``/p`` match, ``/px`` does
  not); ``ImplementationSpecific`` is nginx's own prefix match (``location /p``), and a trailing ``/*``
  (the talk's ``/void/*``, GCE style) means everything under ``/void/``. nginx then prefers an exact
  match, then the longest prefix. When two rules claim the same location, the oldest Ingress's wins,
  and an ``Exact`` path beats the exact location a ``Prefix`` path implies;
- a backend is a Service and a port (by number or by name); requests go straight to the Service's
  endpoints (the pod addresses and target ports in its Endpoints), round robin, as ingress-nginx
  does, bypassing the ClusterIP. A Service without endpoints (or missing, or without that port)
  answers 503;
- TLS: each host listed in an Ingress's ``tls`` (all its rules' hosts when the list is empty) serves
  the certificate of the named ``kubernetes.io/tls`` Secret in the Ingress's namespace, chosen by SNI;
  a host without one, or with a Secret whose certificate and key do not load, serves the
  controller's self-signed "Kubernetes Ingress Controller Fake Certificate", as ingress-nginx does.

``ingress_data`` returns the sandbox data files (``ingress-nginx.conf`` and one PEM file per Secret in
use); ``ingress_servers`` the controller pod's server, which the workload runner runs as a real nginx
(``netcore.workloads.ingress_nginx``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from netcore import names
from netcore.kube.compile.nginx_conf import render_nginx_conf
from netcore.kube.ingress import INGRESS_IMAGE, served_ingresses
from netcore.kube.store import Cluster
from netcore.topology.model import Server

__all__ = ["INGRESS_IMAGE", "compile_routes", "ingress_data", "ingress_servers", "match_request"]

CONFIG_NAME = "ingress-nginx.conf"
RUNTIME_DIR = "ingress-nginx"  # under the sandbox's runtime directory: one prefix per controller pod
FAKE_CERTIFICATE = "fake-certificate.pem"  # made by the runner, shared by the sandbox's controller pods
DEFAULT_SERVER = "_"
ROOT = ("prefix", "/")


@dataclass(frozen=True)
class Backend:
    """Where a location sends a request: an upstream of pod addresses, or a status nginx answers."""

    upstream: str | None  # None: nginx answers ``status`` itself
    status: int = 0
    namespace: str = ""
    ingress: str = ""
    service: str = ""
    port: str = ""

    @property
    def name(self) -> str:
        """The upstream's name as ingress-nginx logs it (``$proxy_upstream_name``)."""
        if self.upstream:
            return self.upstream
        return "upstream-default-backend" if self.status == 404 else f"{self.namespace}-{self.service}-{self.port}"


CONTROLLER_404 = Backend(upstream=None, status=404)


@dataclass(frozen=True)
class Location:
    match: str  # "exact" or "prefix"
    path: str
    backend: Backend
    origin: str  # "rule", "implied" (the exact twin of a Prefix path), "root" (made with the server),
    # "guard" (keeps nginx from redirecting /p to /p/)
    about: str = ""  # the rule it came from, for a comment in the configuration

    @property
    def key(self) -> tuple[str, str]:
        return (self.match, self.path)


@dataclass
class VirtualServer:
    host: str
    locations: dict[tuple[str, str], Location] = field(default_factory=dict)
    certificate: str | None = None  # data file name of the Secret's PEM; None: the fake certificate

    @property
    def wildcard(self) -> bool:
        return self.host.startswith("*.")


@dataclass(frozen=True)
class Upstream:
    name: str
    endpoints: tuple[str, ...]  # "ip:port"


@dataclass(frozen=True)
class Routes:
    servers: tuple[VirtualServer, ...]  # the default server first, then by host
    upstreams: tuple[Upstream, ...]
    certificates: tuple[tuple[str, str], ...]  # (data file name, certificate and key in PEM)


# -- backends -----------------------------------------------------------------------------------------


class Upstreams:
    """Upstreams by (namespace, service, port), named ``<namespace>-<service>-<port>`` like ingress-nginx's."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.by_key: dict[tuple[str, str, str], Upstream] = {}

    def backend(self, namespace: str, ingress: str, spec: dict) -> Backend:
        service = spec.get("service") or {}
        name, port = service.get("name", ""), service.get("port") or {}
        ref = str(port["number"]) if "number" in port else str(port.get("name", ""))
        about = {"namespace": namespace, "ingress": ingress, "service": name, "port": ref}
        endpoints = self.endpoints(namespace, name, port)
        if not endpoints:
            return Backend(upstream=None, status=503, **about)
        key = (namespace, name, ref)
        if key not in self.by_key:
            taken = {u.name for u in self.by_key.values()}
            base = upstream = f"{namespace}-{name}-{ref}"
            count = 1
            while upstream in taken:  # "a-b"/"c" and "a"/"b-c" would share a name
                count += 1
                upstream = f"{base}-{count}"
            self.by_key[key] = Upstream(upstream, endpoints)
        return Backend(upstream=self.by_key[key].name, **about)

    def endpoints(self, namespace: str, name: str, port: dict) -> tuple[str, ...]:
        """The ready pod addresses behind one Service port, from the Endpoints the controllers derived."""
        service = self.cluster.get("Service", namespace, name)
        if service is None:
            return ()
        wanted = next(
            (
                p
                for p in service["spec"].get("ports", [])
                if ("number" in port and p.get("port") == port["number"])
                or ("name" in port and p.get("name") == port["name"])
            ),
            None,
        )
        if wanted is None or wanted.get("protocol", "TCP") != "TCP":
            return ()
        found = self.cluster.get("Endpoints", namespace, name) or {}
        out = {
            f"{address['ip']}:{subset_port['port']}"
            for subset in found.get("subsets", [])
            for subset_port in subset.get("ports", [])
            if subset_port.get("name", "") == wanted.get("name", "") and subset_port.get("protocol", "TCP") == "TCP"
            for address in subset.get("addresses", [])
        }
        return tuple(sorted(out, key=endpoint_order))


def endpoint_order(endpoint: str) -> tuple[int, ...]:
    address, _, port = endpoint.partition(":")
    return (*map(int, address.split(".")), int(port))


# -- paths --------------------------------------------------------------------------------------------


def path_locations(path: dict) -> list[tuple[str, str, str]]:
    """Return the (match, location path, origin) an HTTP path becomes."""
    text, kind = path.get("path") or "/", path.get("pathType", "ImplementationSpecific")
    if kind == "Exact":
        return [("exact", text, "rule")]
    if kind == "Prefix":
        trimmed = text.rstrip("/") or "/"
        if trimmed == "/":
            return [("prefix", "/", "rule")]
        return [("exact", trimmed, "implied"), ("prefix", trimmed + "/", "rule")]
    if text.endswith("/*"):
        return [("prefix", text[:-1], "rule")]
    return [("prefix", text, "rule")]


def describe_path(path: dict) -> str:
    return f"{path.get('path') or '/'} ({path.get('pathType', 'ImplementationSpecific')})"


def claim(server: VirtualServer, location: Location) -> None:
    """Add a location unless an earlier one holds its place (a root placeholder and an implied exact
    location give way; an explicit Exact path beats the exact twin of a Prefix path)."""
    current = server.locations.get(location.key)
    if current is None or current.origin == "root" or (current.origin == "implied" and location.origin == "rule"):
        server.locations[location.key] = location


def guard_redirects(server: VirtualServer) -> None:
    """Keep nginx from redirecting ``/p`` to ``/p/``.

    A proxying location whose name ends with a slash makes nginx answer a request for the same path
    without it with a 301 to the slashed path (its ``auto_redirect``); under Ingress semantics ``/p``
    is simply not that location's (an Exact ``/p/`` does not match ``/p``, nor does ``/void/*``). An
    exact location for ``/p`` sends it where the other locations would.
    """
    for (_match, path), location in list(server.locations.items()):
        bare = path.rstrip("/")
        if not bare or not path.endswith("/") or not location.backend.upstream or ("exact", bare) in server.locations:
            continue
        shorter = [loc for (m, p), loc in server.locations.items() if m == "prefix" and bare.startswith(p)]
        fallback = max(shorter, key=lambda loc: len(loc.path))
        about = f"{bare} does not match {path}: as {fallback.path} answers, not nginx's 301 to {path}"
        server.locations[("exact", bare)] = Location("exact", bare, fallback.backend, "guard", about)


# -- TLS ----------------------------------------------------------------------------------------------


def certificate_file(namespace: str, secret: str) -> str:
    # A namespace has no dots, so the first one ends it: no two Secrets share a file.
    return f"ingress-tls-{namespace}.{secret}.pem"


def secret_pem(secret: dict | None) -> str | None:
    """Return the Secret's certificate and key as one PEM text, or None if nginx could not load them."""
    if secret is None or secret.get("type") != "kubernetes.io/tls":
        return None
    data = secret.get("data") or {}
    try:
        cert, key = (base64.b64decode(data[k], validate=True) for k in ("tls.crt", "tls.key"))
    except (KeyError, ValueError):
        return None
    if not certificate_matches_key(cert, key):
        return None
    return cert.decode("ascii").rstrip("\n") + "\n" + key.decode("ascii").rstrip("\n") + "\n"


def certificate_matches_key(cert: bytes, key: bytes) -> bool:
    """Whether the PEM certificate loads and the PEM key is its private key (what nginx -t insists on)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert.decode("ascii"), key.decode("ascii")  # PEM is text; the configuration holds it as such
        public = x509.load_pem_x509_certificate(cert).public_key()
        private = serialization.load_pem_private_key(key, password=None)
    except (ValueError, TypeError):  # UnicodeDecodeError is a ValueError; a key with a password, TypeError
        return False
    spki = (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.public_bytes(*spki) == private.public_key().public_bytes(*spki)


# -- the routes ---------------------------------------------------------------------------------------


def compile_routes(cluster: Cluster) -> Routes:
    """Return the controller's virtual servers, upstreams and certificates for the served Ingresses."""
    upstreams = Upstreams(cluster)
    servers = {DEFAULT_SERVER: VirtualServer(DEFAULT_SERVER)}
    servers[DEFAULT_SERVER].locations[ROOT] = Location(
        "prefix", "/", CONTROLLER_404, "root", "the controller's own 404"
    )
    ingresses = served_ingresses(cluster)
    for ingress in ingresses:
        meta, spec = ingress["metadata"], ingress.get("spec") or {}
        namespace, name = meta["namespace"], meta["name"]
        default = CONTROLLER_404
        if spec.get("defaultBackend"):
            default = upstreams.backend(namespace, name, spec["defaultBackend"])
            catch_all = servers[DEFAULT_SERVER].locations[ROOT]
            if not spec.get("rules") and catch_all.backend == CONTROLLER_404:
                servers[DEFAULT_SERVER].locations[ROOT] = Location(
                    "prefix", "/", default, "root", f"{namespace}/{name}: defaultBackend (no rules: the catch-all)"
                )
        for rule in spec.get("rules") or []:
            host = rule.get("host") or DEFAULT_SERVER
            if host not in servers:
                about = f"{namespace}/{name}: " + (
                    "defaultBackend" if default != CONTROLLER_404 else "no rule for /: the controller's own 404"
                )
                servers[host] = VirtualServer(host, {ROOT: Location("prefix", "/", default, "root", about)})
    for ingress in ingresses:
        meta, spec = ingress["metadata"], ingress.get("spec") or {}
        namespace, name = meta["namespace"], meta["name"]
        for rule in spec.get("rules") or []:
            server = servers[rule.get("host") or DEFAULT_SERVER]
            for path in (rule.get("http") or {}).get("paths") or []:
                backend = upstreams.backend(namespace, name, path.get("backend") or {})
                about = f"{namespace}/{name}: {describe_path(path)}"
                for match, location, origin in path_locations(path):
                    claim(server, Location(match, location, backend, origin, about))
    for server in servers.values():
        guard_redirects(server)
    certificates = assign_certificates(cluster, ingresses, servers)
    ordered = [servers[DEFAULT_SERVER]] + sorted(
        (s for h, s in servers.items() if h != DEFAULT_SERVER), key=lambda s: (s.wildcard, s.host)
    )
    return Routes(
        tuple(ordered),
        tuple(sorted(upstreams.by_key.values(), key=lambda u: u.name)),
        tuple(sorted(certificates.items())),
    )


def assign_certificates(cluster: Cluster, ingresses: list[dict], servers: dict[str, VirtualServer]) -> dict[str, str]:
    """Give each TLS host the first usable certificate an Ingress names for it; return the PEM files."""
    files: dict[str, str] = {}
    for ingress in ingresses:
        meta, spec = ingress["metadata"], ingress.get("spec") or {}
        rule_hosts = [r["host"] for r in spec.get("rules") or [] if r.get("host")]
        for entry in spec.get("tls") or []:
            if not entry.get("secretName"):
                continue
            pem = secret_pem(cluster.get("Secret", meta["namespace"], entry["secretName"]))
            if pem is None:
                continue
            file_name = certificate_file(meta["namespace"], entry["secretName"])
            for host in entry.get("hosts") or rule_hosts:
                server = servers.get(host)
                if server is not None and server.certificate is None:
                    server.certificate = file_name
                    files[file_name] = pem
    return files


def match_request(routes: Routes, host: str, path: str) -> Location:
    """Return the location nginx picks for a request: the server whose name is the host, else a
    one-label wildcard, else the default server; in it the exact location, else the longest prefix."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.lower().rstrip(".")
    by_host = {s.host: s for s in routes.servers}
    server = by_host.get(name) or next(
        (
            s
            for s in routes.servers
            if s.wildcard
            and name.endswith(s.host[1:])
            and name[: -len(s.host[1:])]
            and "." not in name[: -len(s.host[1:])]
        ),
        by_host[DEFAULT_SERVER],
    )
    exact = server.locations.get(("exact", path))
    if exact is not None:
        return exact
    prefixes = [loc for (match, text), loc in server.locations.items() if match == "prefix" and path.startswith(text)]
    return max(prefixes, key=lambda loc: len(loc.path))


# -- what the network compiler asks for ---------------------------------------------------------------


def ingress_data(cluster: Cluster, sandbox: str) -> tuple[tuple[str, str], ...]:
    """Sandbox data files the controller reads (written before it starts or reloads)."""
    routes = compile_routes(cluster)
    data_dir = names.data_dir(sandbox)
    fake = names.sandbox_dir(sandbox) / RUNTIME_DIR / FAKE_CERTIFICATE
    config = render_nginx_conf(routes, certificate_dir=str(data_dir), fake_certificate=str(fake))
    return ((CONFIG_NAME, config), *routes.certificates)


def ingress_servers(pod: dict, host: str, sandbox: str) -> tuple[Server, ...]:
    """The controller pod's server: nginx, run by the workload runner from the configuration file."""
    options = (
        ("config", str(names.data_dir(sandbox) / CONFIG_NAME)),
        ("runtime", str(names.sandbox_dir(sandbox) / RUNTIME_DIR)),
    )
    return (Server(host=host, kind="ingress-nginx", port=80, protocol="tcp", options=options),)
