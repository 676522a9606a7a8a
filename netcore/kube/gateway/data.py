"""What the network compiler asks of Gateway API: the gateway pods' servers and their data files (pure).

Each Gateway of Podpath's class gets ``gateway-<namespace>.<name>.conf`` (and one PEM file per
listener certificate) in the sandbox's data directory; its pod runs the machine's nginx from it, as
the ingress controller's does (server kind ``gateway-nginx``, ``netcore.workloads.ingress_nginx``).
"""

from __future__ import annotations

from typing import Any

from netcore import names
from netcore.kube.gateway.attach import resolve_gateways
from netcore.kube.gateway.infra import NAME_ENV, NAMESPACE_ENV
from netcore.kube.gateway.nginx import render_gateway_conf
from netcore.kube.gateway.routes import compile_gateway, short
from netcore.topology.model import Server

SERVER_KIND = "gateway-nginx"
RUNTIME_DIR = "gateway-nginx"  # under the sandbox's runtime directory: one prefix per gateway pod
FAKE_CERTIFICATE = "fake-certificate.pem"


def config_name(namespace: str, name: str) -> str:
    # A namespace has no dots, so the first one ends it: no two Gateways share a file. A name may have
    # 253 characters, a file name 255 bytes: long names are cut and keep a digest of the whole.
    return f"gateway-{namespace}.{short(name)}.conf"


def gateway_data(cluster: Any, sandbox: str) -> tuple[tuple[str, str], ...]:
    """Every Gateway's configuration and certificates, as sandbox data files."""
    world = resolve_gateways(cluster)
    data_dir = names.data_dir(sandbox)
    fake = names.sandbox_dir(sandbox) / RUNTIME_DIR / FAKE_CERTIFICATE
    files: dict[str, str] = {}
    for (namespace, name), gateway in sorted(world.gateways.items()):
        if gateway.invalid_parameters:
            continue
        routes = compile_gateway(cluster, world, gateway)
        files[config_name(namespace, name)] = render_gateway_conf(
            routes, certificate_dir=str(data_dir), fake_certificate=str(fake)
        )
        files.update(routes.certificates)
    return tuple(sorted(files.items()))


def gateway_of(pod: dict[str, Any]) -> tuple[str, str] | None:
    """The Gateway a gateway pod serves, from its environment."""
    for container in (pod.get("spec") or {}).get("containers") or []:
        env = {e.get("name"): e.get("value") for e in container.get("env") or []}
        if env.get(NAMESPACE_ENV) and env.get(NAME_ENV):
            return (str(env[NAMESPACE_ENV]), str(env[NAME_ENV]))
    return None


def gateway_servers(pod: dict[str, Any], host: str, sandbox: str) -> tuple[Server, ...]:
    """A gateway pod's server: nginx, run by the workload runner from its Gateway's configuration."""
    gateway = gateway_of(pod)
    if gateway is None:
        return ()
    options = (
        ("config", str(names.data_dir(sandbox) / config_name(*gateway))),
        ("runtime", str(names.sandbox_dir(sandbox) / RUNTIME_DIR)),
    )
    return (Server(host=host, kind=SERVER_KIND, port=80, protocol="tcp", options=options),)
