"""A Gateway's routes -> its nginx.conf (pure).

nginx has no notion of header, query or method matches across routes, so the order of candidates is
decided here, by the spec's precedence (``netcore.kube.gateway.match``), and nginx only tries them in
that order. Per virtual host (``server``), one ``location /`` holds the candidates as a cascade:

    if ($gw_m3) { return 520; }      # first candidate whose conditions all hold
    if ($gw_m1) { return 521; }
    return 404;                       # none: the spec's 404
    error_page 520 = @r2;             # ...and each code hands the request to its rule's named location

Each condition (path, method, header, query parameter) is a ``map`` giving ``1`` or nothing, and each
candidate a ``map`` of its conditions' concatenation (``111`` when all hold): nginx evaluates them
lazily, per request. A rule's named location (``@r2``) applies its filters (request and response
header modifiers, redirect, URL rewrite) and picks a backend by weight with ``split_clients`` over
``$request_id`` (random per request); a share that cannot be served answers 500 (invalid backendRef)
or 503 (no ready endpoints). Values from routes are literal: ``$`` is written as ``${gw_dollar}``.

Runtime paths are relative to the prefix the workload runner gives the pod's nginx, as for the
ingress controller (``netcore.kube.compile.nginx_conf``), whose generation line and status server
this configuration shares so the runner reloads it the same way.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from netcore.kube.compile.nginx_conf import GENERATION_LINE, PLACEHOLDER, STATUS_SERVER, quote
from netcore.kube.gateway.match import ANY_HOST, Candidate, Condition, Match
from netcore.kube.gateway.routes import GatewayRoutes, Target, VirtualHost

FIRST_CODE, LAST_CODE = 520, 599  # error_page codes nothing else answers with: 80 rules per virtual host
VARIABLE_NAME = re.compile(r"[A-Za-z0-9_]+")
HEADER_VARIABLE = re.compile(r"[A-Za-z0-9_-]+")
WELL_KNOWN_PORTS = {"http": 80, "https": 443}

HEAD = """\
# Rendered by Podpath from Gateway {gateway} and its HTTPRoutes (netcore/kube/gateway/nginx.py).
# Relative paths are under the prefix (-p) the workload runner gives the gateway pod.
user nobody nogroup;
worker_processes 1;
pid nginx.pid;
error_log error.log notice;
worker_shutdown_timeout 30s;

events {{
    worker_connections 1024;
}}

http {{
    server_tokens off;
    log_format gateway '$remote_addr - [$time_local] "$request" $status $body_bytes_sent host=$host '
                       'rule=$gateway_rule upstream=$upstream_addr $request_id';
    access_log access.log gateway;
    client_body_temp_path client-body;
    proxy_temp_path proxy-temp;
    fastcgi_temp_path fastcgi-temp;
    uwsgi_temp_path uwsgi-temp;
    scgi_temp_path scgi-temp;
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    proxy_max_temp_file_size 0;
    server_names_hash_bucket_size 128;
    map_hash_bucket_size 128;
    underscores_in_headers on;
    keepalive_timeout 75s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate {fake};
    ssl_certificate_key {fake};
    proxy_http_version 1.1;
    proxy_connect_timeout 5s;
    proxy_read_timeout 60s;
    proxy_next_upstream error timeout;
    proxy_redirect off;

    geo $gw_dollar {{
        default "$";
    }}
    map $http_host $gw_host {{
        default $http_host;
        "" $host;
    }}
    map $host $gateway_rule {{  # "-" unless a rule's location sets it (access.log names the rule)
        default "-";
    }}
"""


def literal(text: str) -> str:
    """A quoted nginx string whose ``$`` stays a dollar sign."""
    return quote(text).replace("$", "${gw_dollar}") if "$" in text else quote(text)


class Renderer:
    """Collects the http-level maps and split_clients while rendering servers."""

    def __init__(self) -> None:
        self.maps: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}  # (source, entries) -> variable
        self.blocks: list[str] = []

    def map(self, source: str, entries: tuple[tuple[str, str], ...], default: str = '""') -> str:
        """Return the variable of a map (shared by every use of the same one)."""
        key = (source, entries + (("default", default),))
        if key not in self.maps:
            variable = f"$gw_v{len(self.maps) + 1}"
            self.maps[key] = variable
            lines = [f"    map {source} {variable} {{"] + [f"        {k} {v};" for k, v in entries]
            lines.append(f"        default {default};")
            self.blocks.append("\n".join(lines) + "\n    }\n")
        return self.maps[key]

    def condition(self, source: str, pattern: str) -> str:
        return self.map(source, ((quote("~" + pattern), "1"),))

    def candidate(self, candidate: Candidate) -> str | None:
        """The variable that holds (``1``) when every condition of a candidate does; "" for always;
        None when nginx cannot tell (a header or parameter name it has no variable for)."""
        conditions = conditions_of(candidate.match)
        if conditions is None:
            return None
        variables = [self.condition(source, pattern) for source, pattern in conditions]
        if not variables:
            return ""
        if len(variables) == 1:
            return variables[0]
        return self.map(quote("".join(variables)), ((quote("1" * len(variables)), "1"),))


def conditions_of(match: Match) -> list[tuple[str, str]] | None:
    """Each condition of a match as (nginx variable, anchored regular expression)."""
    out: list[tuple[str, str]] = []
    if match.path_type == "Exact":
        out.append(("$uri", f"^{re.escape(match.path)}$"))
    elif match.path_type == "RegularExpression":
        out.append(("$uri", f"^(?:{match.path})$"))
    elif match.path.rstrip("/"):
        out.append(("$uri", f"^{re.escape(match.path.rstrip('/'))}(/|$)"))
    if match.method:
        out.append(("$request_method", f"^{match.method}$"))
    for prefix, items, allowed in (("$http_", match.headers, HEADER_VARIABLE), ("$arg_", match.query, VARIABLE_NAME)):
        for item in items:
            if not allowed.fullmatch(item.name):
                return None
            out.append(
                (
                    prefix + item.name.lower().replace("-", "_") if prefix == "$http_" else prefix + item.name,
                    value_pattern(item),
                )
            )
    return out


def value_pattern(condition: Condition) -> str:
    if condition.type == "RegularExpression":
        return f"^(?:{condition.value})$"
    return f"^{re.escape(condition.value)}$"


# -- targets (named locations) ------------------------------------------------------------------------


def filter_of(target: Target, kind: str) -> dict[str, Any] | None:
    return next((f.get(kind) for f in target.filters if f.get(kind) is not None), None)


def prefix_replacement(renderer: Renderer, routes_prefix: str, replacement: str) -> str:
    """A variable holding the path with its matched prefix replaced (the spec's ReplacePrefixMatch table)."""
    prefix = re.escape(routes_prefix.rstrip("/"))
    kept = replacement.rstrip("/")
    return renderer.map(
        "$uri",
        (
            (quote(f"~^{prefix}$"), literal(kept or "/")),
            (quote(f"~^{prefix}(/.*)$"), '"' + literal(kept).strip('"') + '$1"'),
        ),
        default="$uri",
    )


def new_path(renderer: Renderer, modifier: dict[str, Any] | None, prefix: str) -> str | None:
    """The path a redirect or rewrite sends (an nginx value), or None to keep the request's."""
    if not modifier:
        return None
    if modifier["type"] == "ReplaceFullPath":
        return literal(modifier.get("replaceFullPath") or "/")
    return prefix_replacement(renderer, prefix, modifier.get("replacePrefixMatch", ""))


def render_redirect(renderer: Renderer, host: VirtualHost, redirect: dict[str, Any], prefix: str) -> list[str]:
    listener_scheme = "https" if host.https else "http"
    scheme = redirect.get("scheme") or listener_scheme
    if "port" in redirect:
        port = redirect["port"]
    elif redirect.get("scheme"):
        port = WELL_KNOWN_PORTS[scheme]
    else:
        port = host.port
    port_text = "" if port == WELL_KNOWN_PORTS.get(scheme) else f":{port}"
    hostname = redirect.get("hostname") or "$host"
    path = new_path(renderer, redirect.get("path"), prefix)
    location = f"{scheme}://{hostname}{port_text}" + (f"{path}$is_args$args" if path else "$request_uri")
    if path and path.startswith('"'):  # a literal path: keep it inside one quoted string
        location = f'"{scheme}://{hostname}{port_text}{path[1:-1]}$is_args$args"'
    return [f"        return {redirect.get('statusCode', 302)} {location};"]


def render_request_headers(renderer: Renderer, modifier: dict[str, Any] | None, host_value: str) -> list[str]:
    touched = {h["name"].lower() for part in ("set", "add") for h in (modifier or {}).get(part) or []}
    touched |= {name.lower() for name in (modifier or {}).get("remove") or []}
    base = (
        ("Host", host_value),
        ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
        ("X-Forwarded-Proto", "$scheme"),
        ("X-Forwarded-Host", "$gw_host"),
        ("X-Real-IP", "$remote_addr"),
        ("Connection", '""'),
    )
    lines = [f"        proxy_set_header {name} {value};" for name, value in base if name.lower() not in touched]
    for header in (modifier or {}).get("set") or []:
        lines.append(f"        proxy_set_header {quote(header['name'])} {literal(header['value'])};")
    for header in (modifier or {}).get("add") or []:
        if not HEADER_VARIABLE.fullmatch(header["name"]):  # nginx has no variable for the client's value: set it
            lines.append(f"        proxy_set_header {quote(header['name'])} {literal(header['value'])};")
            continue
        variable = "$http_" + header["name"].lower().replace("-", "_")
        inner = literal(header["value"]).strip('"')  # appended to what the client sent, if anything
        joined = renderer.map(variable, (('""', literal(header["value"])),), default=f'"{variable},{inner}"')
        lines.append(f"        proxy_set_header {quote(header['name'])} {joined};")
    for name in (modifier or {}).get("remove") or []:
        lines.append(f'        proxy_set_header {quote(name)} "";')
    return lines


def render_response_headers(modifier: dict[str, Any] | None) -> list[str]:
    lines = []
    for header in (modifier or {}).get("set") or []:
        lines += [
            f"        proxy_hide_header {quote(header['name'])};",
            f"        add_header {quote(header['name'])} {literal(header['value'])} always;",
        ]
    for header in (modifier or {}).get("add") or []:
        lines.append(f"        add_header {quote(header['name'])} {literal(header['value'])} always;")
    for name in (modifier or {}).get("remove") or []:
        lines.append(f"        proxy_hide_header {quote(name)};")
    return lines


def render_backend(renderer: Renderer, target: Target, uri: str) -> list[str]:
    splits = target.splits
    if len(splits) == 1:
        only = splits[0]
        if only.upstream is None:
            return [f"        return {only.status};  # {only.about}"]
        return [f"        proxy_pass http://{only.upstream}{uri};  # {only.about}"]
    variable = f"$gw_split_{target.name}"
    total = sum(split.weight for split in splits)
    lines = [f'    split_clients "${{request_id}}" {variable} {{']
    given = 0.0
    for index, split in enumerate(splits):
        value = split.upstream or f"@{split.status}"
        if index == len(splits) - 1:
            lines.append(f"        * {quote(value)};  # {split.about}")
        else:
            share = round(split.weight * 100 / total, 2)
            given += share
            lines.append(f"        {share:g}% {quote(value)};  # {split.about}, weight {split.weight}")
    renderer.blocks.append("\n".join(lines) + "\n    }\n")
    out = []
    for status in sorted({split.status for split in splits if split.upstream is None}):
        out.append(f'        if ({variable} = "@{status}") {{\n            return {status};\n        }}')
    return out + [f"        proxy_pass http://{variable}{uri};"]


def render_target(renderer: Renderer, target: Target, host: VirtualHost, prefix: str) -> str:
    lines = [f"    # {target.about}", f"    location @{target.name} {{", f'        set $gateway_rule "{target.about}";']
    redirect = filter_of(target, "requestRedirect")
    lines += render_response_headers(filter_of(target, "responseHeaderModifier"))
    if redirect is not None:
        lines += render_redirect(renderer, host, redirect, prefix)
    else:
        rewrite = filter_of(target, "urlRewrite") or {}
        host_value = literal(rewrite["hostname"]) if rewrite.get("hostname") else "$gw_host"
        lines += render_request_headers(renderer, filter_of(target, "requestHeaderModifier"), host_value)
        path = new_path(renderer, rewrite.get("path"), prefix)
        uri = (
            "$request_uri"
            if path is None
            else (f"{path[1:-1]}$is_args$args" if path.startswith('"') else f"{path}$is_args$args")
        )
        lines += render_backend(renderer, target, uri)
    return "\n".join(lines) + "\n    }\n"


# -- servers ------------------------------------------------------------------------------------------


def server_name(hostname: str) -> str:
    return "_" if hostname == ANY_HOST else hostname


def render_server(
    renderer: Renderer, routes: GatewayRoutes, host: VirtualHost, default: bool, certificate_dir: str
) -> str:
    flags = " default_server" if default else ""
    listen = f"{host.port} ssl{flags}" if host.https else f"{host.port}{flags}"
    lines = [
        "",
        f"    # listener {host.listener}, hostname {host.hostname}",
        "    server {",
        f"        listen {listen};",
        f"        server_name {quote(server_name(host.hostname))};",
    ]
    if host.certificate:
        path = quote(f"{certificate_dir}/{host.certificate}")
        lines += [f"        ssl_certificate {path};", f"        ssl_certificate_key {path};"]
    lines += ["", "        location / {"]
    codes: dict[str, int] = {}
    prefixes: dict[str, str] = {}
    for candidate in host.candidates:
        variable = renderer.candidate(candidate)
        if variable is None:
            lines.append(
                f"            # {candidate.route} rule {candidate.rule}: {candidate.match.describe()}: "
                f"a name nginx has no variable for, never matches"
            )
            continue
        if candidate.target not in codes:
            if FIRST_CODE + len(codes) > LAST_CODE:
                lines.append(
                    f"            # {candidate.route} rule {candidate.rule}: past {LAST_CODE - FIRST_CODE + 1}"
                    f" rules on one hostname, left out"
                )
                continue
            codes[candidate.target] = FIRST_CODE + len(codes)
            prefixes[candidate.target] = candidate.match.path
        code = codes[candidate.target]
        lines.append(f"            # {candidate.route} rule {candidate.rule}: {candidate.match.describe()}")
        if variable == "":
            lines.append(f"            return {code};")
            break
        lines.append(f"            if ({variable}) {{\n                return {code};\n            }}")
    else:
        lines.append("            return 404;  # no rule matches")
    lines += [f"            error_page {code} = @{name};" for name, code in codes.items()]
    lines.append("        }")
    out = "\n".join(lines) + "\n"
    for name in codes:
        out += "\n" + render_target(renderer, routes.target(name), host, prefixes[name])
    return out + "    }\n"


def render_gateway_conf(routes: GatewayRoutes, *, certificate_dir: str, fake_certificate: str) -> str:
    """Return nginx.conf for one Gateway, its first line naming its generation."""
    renderer = Renderer()
    servers = ""
    defaults: set[int] = set()
    for host in routes.hosts:
        default = host.hostname == ANY_HOST
        servers += render_server(renderer, routes, host, default, certificate_dir)
        if default:
            defaults.add(host.port)
    for host in routes.hosts:  # a port whose listeners all have hostnames: unknown hosts get a 404
        if host.port not in defaults:
            defaults.add(host.port)
            listen = f"{host.port} ssl default_server" if host.https else f"{host.port} default_server"
            servers += (
                f"\n    # port {host.port}: no listener without a hostname, so other hosts get a 404\n"
                f"    server {{\n        listen {listen};\n        server_name _;\n"
                f"        location / {{\n            return 404;\n        }}\n    }}\n"
            )
    body = HEAD.format(gateway=f"{routes.namespace}/{routes.name}", fake=quote(fake_certificate))
    body += "".join(renderer.blocks)
    body += "".join(
        f"\n    upstream {u.name} {{\n" + "".join(f"        server {e} max_fails=0;\n" for e in u.endpoints) + "    }\n"
        for u in routes.upstreams
    )
    body += servers + STATUS_SERVER
    digest = hashlib.sha256(body.encode())
    for name, pem in routes.certificates:
        digest.update(f"\0{name}\0{pem}".encode())
    generation = digest.hexdigest()[:16]
    return GENERATION_LINE + generation + "\n" + body.replace(PLACEHOLDER, generation)
