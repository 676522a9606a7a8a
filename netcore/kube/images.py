"""The images a pod may run: a catalog of built-in workloads, not containers (pure).

A pod is a network namespace; its containers' images become servers of the workload catalog
(``netcore.workloads.catalog``) that the sandbox's runner serves from sockets inside that namespace.
Images are matched by repository, ignoring registry, tag and digest, and by the repository's last
component (``registry.k8s.io/e2e-test-images/agnhost:2.47`` is agnhost). Each image reads what the
real one reads: declared ports, ``command``/``args`` as Kubernetes combines them with the image's
entrypoint, and environment variables with ``$(VAR)`` references, downward-API ``fieldRef``s, and values
from ConfigMaps and Secrets (``envFrom``, ``configMapKeyRef``, ``secretKeyRef``) when the caller passes a
way to read them (``Sources``).
``check_pod`` refuses what cannot run, naming the field; ``pod_servers`` returns what runs.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

from netcore.errors import SpecError
from netcore.topology.model import Server

HOSTNAME_MAX = 63  # the kernel's limit; Kubernetes truncates a pod's hostname to it
AGNHOST_MODES = ("netexec", "pause", "porter", "serve-hostname")
KLOG_FLAGS = {
    "v": int,
    "vmodule": str,
    "logtostderr": bool,
    "alsologtostderr": bool,
    "log_dir": str,
    "log_file": str,
    "log_file_max_size": int,
    "skip_headers": bool,
    "skip_log_headers": bool,
    "add_dir_header": bool,
    "one_output": bool,
    "stderrthreshold": str,
    "log_backtrace_at": str,
}
FIELD_PATHS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.labels['KEY']",
    "metadata.annotations['KEY']",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.podIP",
    "status.podIPs",
    "status.hostIP",
    "status.hostIPs",
)
PORTER_PREFIXES = {
    "SERVE_PORT_": "http-text",
    "SERVE_TCP_PORT_": "http-text",
    "SERVE_UDP_PORT_": "udp-text",
    "SERVE_TLS_PORT_": "https-text",
    "SERVE_SCTP_PORT_": None,
}
DNS_RECORDS_ENV = "PODPATH_DNS_RECORDS"
ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
# Reads a stored object by (kind, namespace, name): how the kubelet finds a pod's ConfigMaps and Secrets.
Sources = Callable[[str, str, str], "dict | None"]


@dataclass(frozen=True)
class Listener:
    """A server one container runs, with the manifest field that asked for it (for error messages)."""

    kind: str
    port: int
    protocol: str
    options: tuple[tuple[str, str], ...]
    field: str


@dataclass(frozen=True)
class Container:
    """One container as its image sees it: manifest, resolved environment, the pod's hostname."""

    spec: dict
    field: str  # spec.containers[i]
    env: dict[str, tuple[str, str]]  # name -> (value, field that set it)
    hostname: str

    def value(self, name: str, default: str = "") -> str:
        return self.env[name][0] if name in self.env else default


@dataclass(frozen=True)
class Image:
    name: str
    about: str
    listeners: Callable[[Container], list[Listener]]


# -- image names -------------------------------------------------------------------------------------


def repository_path(image: str) -> str:
    """Strip registry, tag, digest and Docker Hub's ``library/`` from an image reference."""
    ref = image.strip().split("@", 1)[0]
    if ref.rfind(":") > ref.rfind("/"):
        ref = ref[: ref.rfind(":")]
    parts = ref.lower().split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts)


def image_repository(image: str) -> str:
    """Return the catalog name ``image`` matches, else its bare repository path."""
    path = repository_path(image)
    if path in IMAGES:
        return path
    last = path.rsplit("/", 1)[-1]
    if last in IMAGES:
        return last
    return next((name for name in IMAGES if name.rsplit("/", 1)[-1] == last), path)


def catalog_names() -> list[str]:
    return sorted(IMAGES)


# -- the environment ----------------------------------------------------------------------------------


def expand(text: str, env: dict[str, str]) -> str:
    """Expand ``$(VAR)`` as Kubernetes does: ``$$`` is a literal ``$``, unknown references stay as written."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i) and (end := text.find(")", i + 2)) != -1:
            name = text[i + 2 : end]
            out.append(env.get(name, text[i : end + 1]))
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def field_value(pod: dict, path: str) -> str | None:
    """Return a downward-API field's value ("" while the pod has none yet), or None if unsupported."""
    meta, spec, status = (pod.get(k) or {} for k in ("metadata", "spec", "status"))
    keyed = re.fullmatch(r"metadata\.(labels|annotations)\['([^']*)'\]", path)
    if keyed:
        return str((meta.get(keyed.group(1)) or {}).get(keyed.group(2), ""))
    values = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace") or "default",
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName") or "default",
        "status.podIP": status.get("podIP"),
        "status.hostIP": status.get("hostIP"),
        "status.podIPs": ",".join(i.get("ip", "") for i in status.get("podIPs") or []) or status.get("podIP"),
        "status.hostIPs": ",".join(i.get("ip", "") for i in status.get("hostIPs") or []) or status.get("hostIP"),
    }
    if path not in values:
        return None
    return str(values[path] or "")


def config_data(sources: Sources | None, kind: str, namespace: str, name: object) -> dict[str, str] | None:
    """Return a ConfigMap's or Secret's data as text (a Secret's decoded), or None when it cannot be read."""
    obj = sources(kind, namespace, name) if sources is not None and isinstance(name, str) else None
    if obj is None:
        return None
    data = dict(obj.get("data") or {})
    if kind == "Secret":
        try:
            return {key: base64.b64decode(value).decode("utf-8", "replace") for key, value in data.items()}
        except (binascii.Error, ValueError):
            return None
    return {key: str(value) for key, value in data.items()}


def env_from(pod: dict, container: dict, field: str, sources: Sources | None) -> dict[str, tuple[str, str]]:
    """Return the variables ``envFrom`` brings in: every key of each ConfigMap or Secret that is a valid
    variable name, with the entry's prefix; later entries win, as in the kubelet."""
    namespace = (pod.get("metadata") or {}).get("namespace") or "default"
    env: dict[str, tuple[str, str]] = {}
    for j, entry in enumerate(container.get("envFrom") or []):
        for ref_key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = entry.get(ref_key) if isinstance(entry, dict) else None
            data = config_data(sources, kind, namespace, (ref or {}).get("name")) if ref else None
            for key, value in (data or {}).items():
                name = f"{entry.get('prefix', '')}{key}"
                if ENV_NAME.fullmatch(name):
                    env[name] = (value, f"{field}.envFrom[{j}]")
    return env


def value_from(pod: dict, source: dict, sources: Sources | None) -> str | None:
    """Return the value of a configMapKeyRef or secretKeyRef, or None when it cannot be read."""
    namespace = (pod.get("metadata") or {}).get("namespace") or "default"
    for ref_key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
        ref = source.get(ref_key)
        if isinstance(ref, dict):
            return (config_data(sources, kind, namespace, ref.get("name")) or {}).get(ref.get("key", ""))
    return None


def resolve_env(pod: dict, container: dict, field: str, sources: Sources | None = None) -> dict[str, tuple[str, str]]:
    """Return the container's variables an image can read: envFrom first, then env's plain values,
    downward-API fieldRefs and ConfigMap or Secret keys. A variable whose source cannot be read (no
    ``sources``, a missing object or key, a resourceFieldRef) is left unset."""
    items = container.get("env") or []
    if not isinstance(items, list):
        raise SpecError("", f"{field}.env", "a list of {name, value} or {name, valueFrom}")
    env = env_from(pod, container, field, sources)
    for j, item in enumerate(items):
        where = f"{field}.env[{j}]"
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            raise SpecError("", f"{where}.name", "a variable name")
        if "valueFrom" in item:
            source = item["valueFrom"]
            path = (
                (source.get("fieldRef") or {}).get("fieldPath")
                if isinstance(source, dict) and set(source) == {"fieldRef"}
                else None
            )
            if path is None:
                found = value_from(pod, source, sources) if isinstance(source, dict) else None
                if found is not None:
                    env[name] = (found, where)
                continue
            value = field_value(pod, path)
            if value is None:
                raise SpecError(
                    "", f"{where}.valueFrom.fieldRef.fieldPath", f"one of {', '.join(FIELD_PATHS)}, got {path!r}"
                )
        else:
            raw = item.get("value", "")
            if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
                raise SpecError("", f"{where}.value", "a string")
            value = expand(str(raw), {k: v for k, (v, _) in env.items()})
        env[name] = (value, where)
    return env


# -- the images ----------------------------------------------------------------------------------------


def check_port(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise SpecError("", where, f"a port number from 1 to 65535, got {value!r}")
    return value


def declared_tcp_ports(c: Container, default: int) -> list[tuple[int, str]]:
    ports = c.spec.get("ports") or []
    found = []
    for j, port in enumerate(ports if isinstance(ports, list) else []):
        if isinstance(port, dict) and str(port.get("protocol", "TCP")).upper() == "TCP":
            where = f"{c.field}.ports[{j}].containerPort"
            found.append((check_port(port.get("containerPort"), where), where))
    return found or [(default, f"{c.field}.image")]


def hello(text: str) -> Callable[[Container], list[Listener]]:
    def listeners(c: Container) -> list[Listener]:
        return [Listener("hello", port, "tcp", (("text", text),), where) for port, where in declared_tcp_ports(c, 80)]

    return listeners


def echoserver(c: Container) -> list[Listener]:
    port_text = c.value("PORT", "3000")
    where = c.env["PORT"][1] if "PORT" in c.env else f"{c.field}.image"
    port = check_port(int(port_text) if port_text.isdigit() else port_text, where)
    options = tuple(
        (key, c.value(env))
        for key, env in (
            ("namespace", "NAMESPACE"),
            ("ingress", "INGRESS_NAME"),
            ("service", "SERVICE_NAME"),
            ("pod", "POD_NAME"),
        )
    )
    return [Listener("echoserver", port, "tcp", options, where)]


def nginx(c: Container) -> list[Listener]:
    return [Listener("nginx", 80, "tcp", (), f"{c.field}.image")]


def nothing(c: Container) -> list[Listener]:
    return []


def coredns(c: Container) -> list[Listener]:
    """Serve the cluster DNS when the pod names its records file (the cluster compiler writes it)."""
    if DNS_RECORDS_ENV not in c.env:
        return []
    path, where = c.env[DNS_RECORDS_ENV]
    if not path.startswith("/"):
        raise SpecError("", where, f"an absolute path to the DNS records file, got {path!r}")
    return [Listener("cluster-dns", 53, protocol, (("records", path),), where) for protocol in ("udp", "tcp")]


# -- agnhost -------------------------------------------------------------------------------------------


def agnhost_argv(c: Container) -> list[tuple[str, str]]:
    """Return the argv Kubernetes runs (ENTRYPOINT /agnhost, CMD pause), each word with its field."""
    env = {k: v for k, (v, _) in c.env.items()}

    def words(key: str) -> list[tuple[str, str]] | None:
        raw = c.spec.get(key)
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(w, (str, int)) for w in raw):
            raise SpecError("", f"{c.field}.{key}", "a list of strings")
        return [(expand(str(w), env), f"{c.field}.{key}[{i}]") for i, w in enumerate(raw)]

    command, args = words("command"), words("args")
    image = f"{c.field}.image"
    if command is None:
        return [("/agnhost", image)] + (args if args is not None else [("pause", image)])
    return command + (args or [])


def agnhost(c: Container) -> list[Listener]:
    argv = agnhost_argv(c)
    if not argv or argv[0][0].rsplit("/", 1)[-1] not in ("agnhost", "agnhost-2"):
        where = argv[0][1] if argv else f"{c.field}.command"
        raise SpecError(
            "",
            where,
            "agnhost's own program (/agnhost): Podpath runs the image's built-in"
            f" servers, not other commands; got {argv[0][0] if argv else 'nothing'!r}",
        )
    rest = argv[1:]
    while rest and rest[0][0].startswith("-"):  # agnhost's logging (klog) flags may come before the mode
        if rest[0][0].lstrip("-").partition("=")[0] not in KLOG_FLAGS:
            raise SpecError("", rest[0][1], f"an agnhost mode ({', '.join(AGNHOST_MODES)}) before its flags")
        rest = rest[1:]
    if not rest or rest[0][0] not in AGNHOST_MODES:
        where = rest[0][1] if rest else argv[0][1]
        got = f", got {rest[0][0]!r}" if rest else ""
        raise SpecError("", where, f"an agnhost mode Podpath serves: {', '.join(AGNHOST_MODES)}{got}")
    mode, flags_argv = rest[0][0], rest[1:]
    return AGNHOST[mode](c, flags_argv)


def parse_flags(mode: str, argv: list[tuple[str, str]], spec: dict[str, type]) -> dict[str, tuple[object, str]]:
    """Parse flags as Go's pflag does: --name=value, --name value, --bool, --bool=false."""
    found: dict[str, tuple[object, str]] = {}
    i = 0
    while i < len(argv):
        text, where = argv[i]
        if text == "--" or not text.startswith("-") or text == "-":
            raise SpecError("", where, f"no arguments: agnhost {mode} takes only flags, got {text!r}")
        name, eq, value = text.lstrip("-").partition("=")
        known = spec.get(name) or KLOG_FLAGS.get(name)
        if known is None or (not text.startswith("--") and name != "v"):
            raise SpecError(
                "",
                where,
                f"a flag of agnhost {mode}: {', '.join('--' + f for f in spec) or 'none'}"
                f" (unknown flag {text.split('=')[0]!r})",
            )
        value_where = where
        if known is not bool and not eq:
            if i + 1 >= len(argv):
                raise SpecError("", where, f"a value after {text} (flag needs an argument)")
            i += 1
            value, value_where = argv[i]
        if known is bool:
            parsed: object = (
                True
                if not eq
                else {"1": True, "t": True, "true": True, "0": False, "f": False, "false": False}.get(value.lower())
            )
            if parsed is None:
                raise SpecError("", where, f"true or false for --{name}, got {value!r}")
        elif known is int:
            if not re.fullmatch(r"[+-]?\d+", value):
                raise SpecError("", value_where, f"an integer for --{name}, got {value!r}")
            parsed = int(value)
        else:
            parsed = value
        if name in spec:
            found[name] = (parsed, value_where)
        i += 1
    return found


def flag(found: dict, name: str, default: object, c: Container) -> tuple[object, str]:
    return found.get(name, (default, f"{c.field}.image"))


def netexec(c: Container, argv: list[tuple[str, str]]) -> list[Listener]:
    spec = {
        "http-port": int,
        "udp-port": int,
        "sctp-port": int,
        "tls-cert-file": str,
        "tls-private-key-file": str,
        "http-override": str,
        "udp-listen-addresses": str,
    }
    found = parse_flags("netexec", argv, spec)
    http_port, http_where = flag(found, "http-port", 8080, c)
    udp_port, udp_where = flag(found, "udp-port", 8081, c)
    sctp_port, sctp_where = flag(found, "sctp-port", -1, c)
    if sctp_port != -1:
        raise SpecError("", sctp_where, "no SCTP server: Podpath serves TCP and UDP only (leave --sctp-port unset)")
    if flag(found, "udp-listen-addresses", "", c)[0]:
        raise SpecError(
            "",
            found["udp-listen-addresses"][1],
            "no --udp-listen-addresses: Podpath's netexec listens on every address of the pod",
        )
    http_port = check_port(http_port, http_where)
    udp_port = -1 if udp_port == -1 else check_port(udp_port, udp_where)
    options = [("hostname", c.hostname), ("udp-port", str(udp_port))]
    override = flag(found, "http-override", "", c)[0]
    if override:
        options.append(("http-override", str(override)))
    if flag(found, "tls-cert-file", "", c)[0]:
        options.append(("tls", "true"))  # served with the runner's self-signed certificate
    listeners = [Listener("netexec", http_port, "tcp", tuple(options), http_where)]
    if udp_port != -1:
        listeners.append(Listener("netexec", udp_port, "udp", (("hostname", c.hostname),), udp_where))
    return listeners


def serve_hostname(c: Container, argv: list[tuple[str, str]]) -> list[Listener]:
    found = parse_flags("serve-hostname", argv, {"tcp": bool, "udp": bool, "http": bool, "close": bool, "port": int})
    given, port_where = flag(found, "port", 9376, c)
    port = check_port(given, port_where)
    do_http, do_tcp, do_udp = (flag(found, name, name == "http", c)[0] for name in ("http", "tcp", "udp"))
    if do_http and (do_tcp or do_udp):
        where = found["tcp" if do_tcp else "udp"][1]
        raise SpecError(
            "",
            where,
            "--http=false with --tcp or --udp (agnhost serve-hostname can't serve TCP/UDP"
            " mode and HTTP mode at the same time)",
        )
    text = (("text", c.hostname),)
    wanted = [("http-text", "tcp", do_http), ("tcp-text", "tcp", do_tcp), ("udp-text", "udp", do_udp)]
    return [Listener(kind, port, protocol, text, port_where) for kind, protocol, on in wanted if on]


def porter(c: Container, argv: list[tuple[str, str]]) -> list[Listener]:
    found = parse_flags("porter", argv, {"json-response": bool})
    as_json = bool(flag(found, "json-response", False, c)[0])
    listeners = []
    for name, (value, where) in c.env.items():
        prefix = next((p for p in PORTER_PREFIXES if name.startswith(p)), None)
        if prefix is None:
            continue
        kind, port_text = PORTER_PREFIXES[prefix], name[len(prefix) :]
        if kind is None:
            raise SpecError(
                "",
                f"{where}.name",
                "SERVE_PORT_, SERVE_TCP_PORT_, SERVE_UDP_PORT_ or SERVE_TLS_PORT_: Podpath serves no SCTP",
            )
        port = check_port(int(port_text) if port_text.isdigit() else port_text, f"{where}.name")
        options = (("text", value),) if kind == "udp-text" else (("text", value), ("json", str(as_json).lower()))
        listeners.append(Listener(kind, port, "udp" if kind == "udp-text" else "tcp", options, f"{where}.name"))
    return listeners


def pause(c: Container, argv: list[tuple[str, str]]) -> list[Listener]:
    parse_flags("pause", argv, {})
    return []


AGNHOST: dict[str, Callable[[Container, list[tuple[str, str]]], list[Listener]]] = {
    "netexec": netexec,
    "pause": pause,
    "porter": porter,
    "serve-hostname": serve_hostname,
}

IMAGES: dict[str, Image] = {
    image.name: image
    for image in (
        Image(
            "hello-world",
            "HTTP 'Hello World' on each declared TCP containerPort (default 80): the talk's pod",
            hello("Hello World"),
        ),
        Image(
            "hello-darkness",
            "HTTP 'Hello Darkness' on each declared TCP containerPort (default 80)",
            hello("Hello Darkness"),
        ),
        Image(
            "echoserver", "the ingress conformance echoserver: the request as JSON, on $PORT (default 3000)", echoserver
        ),
        Image(
            "echo-basic",
            "the Gateway API conformance echo server: the request as JSON, on $PORT (default 3000)",
            echoserver,
        ),
        Image("agnhost", "the Kubernetes e2e agnhost: pause, netexec, serve-hostname, porter", agnhost),
        Image("nginx", "nginx's welcome page on port 80", nginx),
        Image(
            "nginx-slim",
            "the Kubernetes documentation's and e2e tests' nginx (registry.k8s.io/nginx-slim): as nginx",
            nginx,
        ),
        Image("busybox", "a client: exec runs the machine's curl, wget, nc, ping, dig and ip in the pod", nothing),
        Image("curlimages/curl", "a client: exec runs the machine's curl in the pod", nothing),
        Image("pause", "the pause container: holds the pod's network namespace, serves nothing", nothing),
        Image("podpath/coredns", f"the cluster DNS, from the records file named by ${DNS_RECORDS_ENV}", coredns),
        # Its nginx is configured by the cluster compiler (netcore.kube.compile.ingress), not by the pod.
        Image("podpath/ingress-nginx", "the ingress controller: nginx routing the cluster's Ingresses", nothing),
        # One per Gateway, made by the gateway controller; configured by netcore.kube.gateway.routes.
        Image("podpath/gateway-nginx", "a Gateway's data plane: nginx routing its HTTPRoutes", nothing),
    )
}


# -- pods ------------------------------------------------------------------------------------------------


def pod_hostname(pod: dict) -> str:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    if spec.get("hostNetwork") and spec.get("nodeName"):
        return str(spec["nodeName"])  # it shares its node's UTS namespace too, as the kubelet runs it
    return str(spec.get("hostname") or meta.get("name") or "")[:HOSTNAME_MAX]


def pod_listeners(pod: dict, sources: Sources | None = None) -> list[Listener]:
    """Return every server the pod's containers run; raise SpecError for what cannot run."""
    containers = (pod.get("spec") or {}).get("containers") if isinstance(pod, dict) else None
    if not isinstance(containers, list) or not containers:
        raise SpecError("", "spec.containers", "a list of containers")
    hostname = pod_hostname(pod)
    taken: dict[tuple[int, str], Listener] = {}
    found = []
    for index, spec in enumerate(containers):
        field = f"spec.containers[{index}]"
        if not isinstance(spec, dict):
            raise SpecError("", field, "a container")
        image_ref = spec.get("image")
        image = IMAGES.get(image_repository(image_ref)) if isinstance(image_ref, str) else None
        if image is None:
            got = f", got {image_ref!r}" if image_ref else ""
            raise SpecError("", f"{field}.image", f"an image from the catalog: {', '.join(catalog_names())}{got}")
        container = Container(spec=spec, field=field, env=resolve_env(pod, spec, field, sources), hostname=hostname)
        for listener in image.listeners(container):
            clash = taken.get((listener.port, listener.protocol))
            if clash is not None:
                raise SpecError(
                    "",
                    listener.field,
                    f"a port nothing else in the pod listens on: "
                    f"{listener.protocol.upper()} {listener.port} is taken by {clash.field}",
                )
            taken[(listener.port, listener.protocol)] = listener
            found.append(listener)
    return found


def check_pod(pod: dict) -> None:
    """Raise SpecError (field path as in Kubernetes) if the pod's containers cannot run here."""
    pod_listeners(pod)


def pod_servers(pod: dict, host: str, sources: Sources | None = None) -> tuple[Server, ...]:
    """Return the servers the pod runs, on ``host`` (the Podpath host of the pod's namespace), reading its
    ConfigMaps and Secrets through ``sources``."""
    return tuple(
        Server(host=host, kind=one.kind, port=one.port, protocol=one.protocol, options=one.options)
        for one in pod_listeners(pod, sources)
    )
