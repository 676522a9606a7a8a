"""The ingress controller's routes -> nginx.conf text (pure).

The configuration is the one ingress-nginx would render for the same routes, cut to what Podpath
implements: ``upstream`` blocks of pod addresses, one ``server`` per host (plus the default server
``_``) listening on 80 and on 443 with TLS, ``location`` blocks in nginx's matching order, and
ingress-nginx's proxy headers (``X-Forwarded-For`` is the client address nginx saw, ``X-Real-IP``,
``X-Forwarded-Host``/``-Port``/``-Proto``, ``X-Request-ID``, ``X-Original-URI``), upstream HTTP/1.1.

Nothing is read from /etc/nginx and nothing is written outside the sandbox: runtime paths (pid,
logs, temp directories) are relative, under the prefix (``nginx -p``) the workload runner gives
each controller pod; certificates are absolute paths of sandbox files. Workers run as ``nobody``,
which cannot enter the sandbox's runtime directory, so request and response bodies stay in memory
and never go to the temp directories.

The first line names the configuration's generation (a digest of the rest and of the certificates),
which a status server on 127.0.0.1:10246 inside the pod answers: after a reload the runner waits
until nginx answers the new generation.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ingress.py builds the routes and imports this module to render them
    from netcore.kube.compile.ingress import Location, Routes, Upstream, VirtualServer

GENERATION_LINE = "# podpath ingress-nginx generation "
STATUS_ADDRESS = "127.0.0.1:10246"  # ingress-nginx's own status port, on loopback only
GENERATION_PATH = "/podpath/generation"
PLACEHOLDER = "@GENERATION@"
SAFE_TOKEN = re.compile(r"[A-Za-z0-9_./~%*:@!+,=^$-]+")

HEAD = """\
# Rendered by Podpath from the Ingresses the controller serves (netcore/kube/compile/ingress.py).
# Relative paths are under the prefix (-p) the workload runner gives each controller pod.
user nobody nogroup;
worker_processes 1;
pid nginx.pid;
error_log error.log notice;
worker_shutdown_timeout 30s;

events {
    worker_connections 1024;
}

http {
    server_tokens off;
    log_format upstreaminfo '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                            '"$http_referer" "$http_user_agent" $request_length $request_time '
                            '[$proxy_upstream_name] $upstream_addr $upstream_response_length '
                            '$upstream_response_time $upstream_status $request_id';
    access_log access.log upstreaminfo;
    client_body_temp_path client-body;
    proxy_temp_path proxy-temp;
    fastcgi_temp_path fastcgi-temp;
    uwsgi_temp_path uwsgi-temp;
    scgi_temp_path scgi-temp;
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    proxy_max_temp_file_size 0;
    server_names_hash_bucket_size 128;
    keepalive_timeout 75s;

    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate {fake};
    ssl_certificate_key {fake};

    map $http_host $best_http_host {
        default $http_host;
        "" $host;
    }
    map $http_upgrade $connection_upgrade {
        default upgrade;
        "" close;
    }

    proxy_http_version 1.1;
    proxy_set_header Host $best_http_host;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_set_header X-Request-ID $request_id;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Host $best_http_host;
    proxy_set_header X-Forwarded-Port $server_port;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Scheme $scheme;
    proxy_set_header X-Scheme $scheme;
    proxy_set_header X-Original-URI $request_uri;
    proxy_set_header Proxy "";
    proxy_connect_timeout 5s;
    proxy_send_timeout 60s;
    proxy_read_timeout 60s;
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries 3;
    proxy_redirect off;
"""

STATUS_SERVER = f"""
    # The workload runner's window on this configuration: after a reload it waits for this generation.
    server {{
        listen {STATUS_ADDRESS};
        access_log off;
        location = {GENERATION_PATH} {{
            return 200 "{PLACEHOLDER}\\n";
        }}
        location = /nginx_status {{
            stub_status;
        }}
        location / {{
            return 404;
        }}
    }}
}}
"""


def quote(text: str) -> str:
    """Return a configuration token for ``text``: as it is when safe, else double-quoted."""
    if SAFE_TOKEN.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_name(host: str) -> str:
    """An exact host as it is; ``*.foo.com`` as a regex matching exactly one label before foo.com
    (nginx's own ``*.foo.com`` would match any number of labels)."""
    if host.startswith("*."):
        return "~^[^.]+" + host[1:].replace(".", "\\.") + "$"  # a host has only letters, digits, - and .
    return host


def render_upstream(upstream: Upstream) -> str:
    servers = "".join(f"        server {endpoint} max_fails=0;\n" for endpoint in upstream.endpoints)
    return f"\n    upstream {upstream.name} {{\n{servers}    }}\n"


def render_location(location: Location) -> str:
    backend = location.backend
    target = f"= {quote(location.path)}" if location.match == "exact" else quote(location.path)
    lines = [f"        # {location.about}", f"        location {target} {{"]
    if backend.service:
        lines += [
            f'            set ${variable} "{value}";'
            for variable, value in (
                ("namespace", backend.namespace),
                ("ingress_name", backend.ingress),
                ("service_name", backend.service),
                ("service_port", backend.port),
            )
        ]
    lines.append(f'            set $proxy_upstream_name "{backend.name}";')
    if backend.upstream:
        lines.append(f"            proxy_pass http://{backend.upstream};")
    else:
        lines.append(f"            return {backend.status};")
    lines.append("        }")
    return "\n".join(lines) + "\n"


def location_order(location: Location) -> tuple:
    """Exact locations first, then prefixes longest first (nginx's own precedence, for the reader)."""
    return (location.match != "exact", -len(location.path), location.path)


def render_server(server: VirtualServer, certificate_dir: str) -> str:
    default = " default_server" if server.host == "_" else ""
    lines = [
        "",
        "    server {",
        f"        listen 80{default};",
        f"        listen 443 ssl http2{default};",
        f"        server_name {quote(server_name(server.host))};",
    ]
    if server.certificate:
        path = quote(f"{certificate_dir}/{server.certificate}")
        lines += [f"        ssl_certificate {path};", f"        ssl_certificate_key {path};"]
    out = "\n".join(lines) + "\n"
    for location in sorted(server.locations.values(), key=location_order):
        out += "\n" + render_location(location)
    return out + "    }\n"


def render_nginx_conf(routes: Routes, *, certificate_dir: str, fake_certificate: str) -> str:
    """Return nginx.conf for the routes, its first line naming its generation."""
    body = HEAD.replace("{fake}", quote(fake_certificate))
    body += "".join(render_upstream(u) for u in routes.upstreams)
    body += "".join(render_server(s, certificate_dir) for s in routes.servers)
    body += STATUS_SERVER
    digest = hashlib.sha256(body.encode())
    for name, pem in routes.certificates:
        digest.update(f"\0{name}\0{pem}".encode())
    generation = digest.hexdigest()[:16]
    return GENERATION_LINE + generation + "\n" + body.replace(PLACEHOLDER, generation)


def config_generation(text: str) -> str | None:
    """Return the generation a rendered configuration names on its first line."""
    first = text.split("\n", 1)[0]
    return first[len(GENERATION_LINE) :].strip() or None if first.startswith(GENERATION_LINE) else None
