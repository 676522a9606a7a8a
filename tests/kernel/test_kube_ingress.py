"""The ingress controller on the real kernel: a real nginx in the controller pod, reached from `external`
through its LoadBalancer address, checked against kubernetes-sigs/ingress-controller-conformance's
features (tests/ingress_conformance.py) with its echoserver backends, whose JSON names the Service and
the pod that answered. Then what the features leave out: proxy headers, TLS by SNI, 503s, the talk's
Ingress, reloads that lose no request, and no nginx left behind.

One cluster (3 nodes) holds every feature but the catch-all default backend, which a test applies and
removes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from netcore import names
from netcore.errors import PodpathError
from netcore.kernel import netns
from netcore.kube import api
from netcore.kube.ingress import INGRESS_ADDRESS
from netcore.workloads import client as workloads
from tests import ingress_conformance as cases
from tests.conftest import new_sandbox_name
from tests.kernel.kube_helpers import ClusterSandbox
from tests.talk import TALK_INGRESS, TALK_POD

EXTERNAL = "198.51.100.100"
TALK_BACKENDS = "\n---\n".join(
    [TALK_POD, TALK_POD.replace("hello-world", "hello-darkness")]
    + [
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
        f"spec: {{selector: {{app: {name}}}, ports: [{{port: 8080, targetPort: 80}}]}}\n"
        for name in ("hello-world", "hello-darkness")
    ]
)


@pytest.fixture(scope="module")
def cluster():
    name = new_sandbox_name()
    api.create_cluster(name, nodes=3)
    sandbox = ClusterSandbox(name)
    groups = masters(name)
    try:
        sandbox.apply("\n---\n".join([cases.ALL, TALK_BACKENDS, TALK_INGRESS]))
        yield sandbox
    finally:
        sandbox.delete()
    assert not nginx_processes(name, groups)


class Answer:
    def __init__(self, result: subprocess.CompletedProcess) -> None:
        body, _, status = result.stdout.rpartition("\n")
        self.returncode = result.returncode
        self.status = int(status) if status.isdigit() else 0
        self.body = body
        self.verbose = result.stderr

    @property
    def echo(self) -> dict:
        return json.loads(self.body)


def request(
    cluster, host: str | None, path: str = "/", method: str = "GET", scheme: str = "http", *options: str
) -> Answer:
    """curl from `external` to the controller's LoadBalancer address, as the conformance client sends."""
    argv = ["curl", "-s", "-m", "3", "-X", method, "-w", "\n%{http_code}", *options]
    if scheme == "https":
        port_host = host or INGRESS_ADDRESS
        argv += ["--resolve", f"{port_host}:443:{INGRESS_ADDRESS}", f"https://{port_host}{path}"]
    else:
        argv += (["-H", f"Host: {host}"] if host else []) + [f"http://{INGRESS_ADDRESS}{path}"]
    return Answer(cluster.on_host("external", *argv))


def nginx_processes(sandbox: str, groups: set[int] = frozenset()) -> list[int]:
    """nginx processes of the sandbox: masters carry its prefix on their command line; workers are
    retitled ("nginx: worker process"), so they are found by their master, or by its process group
    (the master leads one: ``groups``, from an earlier call) should they ever be orphaned."""
    mark = f"/run/podpath/{sandbox}/ingress-nginx/".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            _, parent, group = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:3]
            parent_cmdline = Path(f"/proc/{parent}/cmdline").read_bytes() if parent != "0" else b""
        except (OSError, ValueError):
            continue
        if b"nginx" in cmdline and (mark in cmdline or mark in parent_cmdline or int(group) in groups):
            found.append(int(pid))
    return found


def masters(sandbox: str) -> set[int]:
    mark = f"/run/podpath/{sandbox}/ingress-nginx/".encode()
    return {pid for pid in nginx_processes(sandbox) if mark in Path(f"/proc/{pid}/cmdline").read_bytes()}


# -- status and classes (features/ingress_class.feature) ---------------------------------------------------


def test_served_ingresses_show_the_controllers_address_and_others_none(cluster):
    for ingress in cluster.cluster().list("Ingress", "ingress-class"):
        name, status = ingress["metadata"]["name"], ingress["status"]["loadBalancer"]
        assert status == ({"ingress": [{"ip": INGRESS_ADDRESS}]} if name in cases.SERVED_CLASSES else {}), name
    talk = cluster.cluster().get("Ingress", "default", "hello-ingress")
    assert talk["spec"]["ingressClassName"] == "nginx"  # the default class, written in on create
    assert talk["status"]["loadBalancer"]["ingress"][0]["ip"] == INGRESS_ADDRESS


def test_only_ingresses_of_the_nginx_class_route_traffic(cluster):
    for host in sorted(cases.SERVED_CLASSES):
        answer = request(cluster, host)
        assert answer.status == 200 and answer.echo["service"] == "ingress-class-prefix", host
    for host in ("ingress-class", "foreign-class", "legacy-other"):
        assert request(cluster, host).status == 404, host


# -- features/host_rules.feature -------------------------------------------------------------------------


def test_host_rules(cluster):
    for host, service in cases.HOST_CASES:
        answer = request(cluster, host)
        if service is None:
            assert answer.status == 404, host
            assert "<center>nginx</center>" in answer.body  # the controller's own 404 page
        else:
            assert answer.status == 200, host
            assert (answer.echo["service"], answer.echo["host"], answer.echo["namespace"]) == (
                service,
                host,
                "host-rules",
            )


def test_host_rules_over_tls_verify_the_hostname(cluster, tmp_path):
    ca = tmp_path / "foo.bar.com.pem"
    ca.write_bytes(cases.certificate("foo.bar.com")[0])
    answer = request(cluster, "foo.bar.com", "/", "GET", "https", "--cacert", str(ca))
    assert answer.returncode == 0 and answer.status == 200
    assert (answer.echo["service"], answer.echo["host"]) == ("foo-bar-com", "foo.bar.com")


# -- features/path_rules.feature -------------------------------------------------------------------------


def test_path_rules(cluster):
    failures = []
    for host, path, service in cases.PATH_CASES:
        answer = request(cluster, host, path)
        got = answer.echo["service"] if answer.status == 200 else answer.status
        if got != (service or 404) or (service and answer.echo["path"] != path):
            failures.append(f"{host}{path}: got {got}, expected {service or 404}")
    assert not failures, "\n".join(failures)


# -- features/default_backend.feature --------------------------------------------------------------------


def test_default_backend_serves_every_request_nothing_else_matches(cluster):
    assert request(cluster, "my-host").status == 404
    cluster.apply(cases.DEFAULT_BACKEND)
    try:
        status = cluster.cluster().get("Ingress", "default-backend", "default-backend")["status"]
        assert status["loadBalancer"]["ingress"][0]["ip"] == INGRESS_ADDRESS
        for method, host, path in [
            ("GET", "my-host", ""),
            ("GET", "my-host", "sub-path"),
            ("POST", "some-host", ""),
            ("PUT", None, "resource"),
            ("DELETE", "some-host", "resource"),
            ("PATCH", "my-host", "resource"),
        ]:
            answer = request(cluster, host, "/" + path, method, "http", "-A", "Go-http-client/1.1", "-D", "/dev/stderr")
            echo = answer.echo
            assert answer.status == 200 and echo["service"] == "echo-service", (method, host, path)
            assert (echo["method"], echo["path"], echo["proto"]) == (method, "/" + path, "HTTP/1.1")
            assert echo["host"] == (host or INGRESS_ADDRESS)
            assert echo["headers"]["User-Agent"] == ["Go-http-client/1.1"]
            head = answer.verbose.lower()
            assert head.startswith("http/1.1 200") and all(
                f"\n{h}:" in head for h in ("content-length", "content-type", "date", "server")
            )
        # rules still win on their hosts
        assert request(cluster, "foo.bar.com").echo["service"] == "foo-bar-com"
    finally:
        api.delete_resources(cluster.name, [("Namespace", "", "default-backend")])
    assert request(cluster, "my-host").status == 404


# -- features/load_balancing.feature ---------------------------------------------------------------------


def test_requests_spread_over_every_pod_of_the_service(cluster):
    pods = {p["metadata"]["name"] for p in cluster.cluster().list("Pod", "load-balancing")}
    assert len(pods) == 10
    answers = [request(cluster, "load-balancing") for _ in range(100)]
    assert all(a.status == 200 for a in answers)
    assert {a.echo["pod"] for a in answers} == pods


# -- what the features leave out ---------------------------------------------------------------------------


def test_the_backend_sees_the_clients_address_and_the_forwarded_headers(cluster):
    for scheme, port in (("http", "80"), ("https", "443")):
        echo = request(cluster, "load-balancing", "/x?y=1", "GET", scheme, "-k").echo
        headers = {k: v[0] for k, v in echo["headers"].items()}
        assert headers["X-Forwarded-For"] == EXTERNAL and headers["X-Real-Ip"] == EXTERNAL, scheme
        assert headers["X-Forwarded-Host"] == "load-balancing" and echo["host"] == "load-balancing"
        assert (headers["X-Forwarded-Proto"], headers["X-Forwarded-Port"]) == (scheme, port)
        assert headers["X-Original-Uri"] == "/x?y=1" and len(headers["X-Request-Id"]) == 32
        assert echo["proto"] == "HTTP/1.1"


def test_each_tls_host_serves_its_own_certificate_and_others_the_fake_one(cluster, tmp_path):
    for host in ("one.tls.test", "two.tls.test"):
        ca = tmp_path / f"{host}.pem"
        ca.write_bytes(cases.certificate(host)[0])
        answer = request(cluster, host, "/", "GET", "https", "--cacert", str(ca), "-v")
        assert answer.returncode == 0 and answer.status == 200, answer.verbose[-500:]
        assert f"subject: CN={host}" in answer.verbose
    # the other Secret's certificate does not verify this host: SNI picked the right one above
    wrong = request(cluster, "two.tls.test", "/", "GET", "https", "--cacert", str(tmp_path / "one.tls.test.pem"))
    assert wrong.returncode == 60
    for host in ("three.tls.test", "nobody.tls.test"):  # a missing Secret; no TLS host at all
        answer = request(cluster, host, "/", "GET", "https", "-k", "-v")
        assert "Kubernetes Ingress Controller Fake Certificate" in answer.verbose, host
    assert request(cluster, "three.tls.test", "/", "GET", "https", "-k").echo["service"] == "two"
    assert request(cluster, "nobody.tls.test", "/", "GET", "https", "-k").status == 404


def test_a_backend_without_endpoints_service_or_port_answers_503(cluster):
    for path in ("/no-endpoints", "/no-service", "/no-port"):
        answer = request(cluster, "unavailable", path)
        assert answer.status == 503 and "503 Service Temporarily Unavailable" in answer.body, path


def test_the_talks_ingress_routes_from_outside(cluster):
    assert request(cluster, "world.hello.org").body == "Hello World\n"
    assert request(cluster, "darkness.hello.org", "/void/").body == "Hello Darkness\n"
    assert request(cluster, "darkness.hello.org", "/void/of/silence").body == "Hello Darkness\n"
    assert request(cluster, "darkness.hello.org", "/").status == 404
    assert request(cluster, "darkness.hello.org", "/void").status == 404  # not under /void/, and no 301
    # and as the slide writes it
    result = cluster.on_host(
        "external", "curl", "-s", "-m", "3", "-H", "Host: world.hello.org", f"http://{INGRESS_ADDRESS}/"
    )
    assert result.stdout == "Hello World\n"


def test_pods_reach_the_controller_too(cluster):
    result = cluster.in_pod(
        "hello-world",
        "curl",
        "-s",
        "-m",
        "3",
        "-H",
        "Host: darkness.hello.org",
        "http://ingress-nginx-controller.ingress-nginx/void/",
    )
    assert result.stdout == "Hello Darkness\n"


# -- reloads -------------------------------------------------------------------------------------------


def new_host_rule(index: int) -> str:
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: reload-{index}, namespace: load-balancing}}
spec:
  rules:
  - host: reload-{index}
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: echo-service, port: {{number: 8080}}}}}}}}
"""


def test_a_reload_loses_no_request_and_apply_returns_once_the_new_route_serves(cluster, tmp_path):
    stop = tmp_path / "stop"
    loop = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            names.netns_name(cluster.name, "external"),
            "sh",
            "-c",
            f'while [ ! -e {stop} ]; do curl -s -o /dev/null -m 5 -w "%{{http_code}}\\n" '
            f'-H "Host: load-balancing" http://{INGRESS_ADDRESS}/; done',
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    in_flight = half_sent_request(cluster.name, "load-balancing")
    timings = []
    try:
        time.sleep(0.3)
        for index in range(5):
            started = time.monotonic()
            cluster.apply(new_host_rule(index))
            applied = time.monotonic()
            answer = request(cluster, f"reload-{index}")  # no retry: the route must serve already
            assert answer.status == 200 and answer.echo["service"] == "echo-service"
            timings.append((applied - started, time.monotonic() - started))
            time.sleep(0.1)
        # a connection the old workers held through five reloads still gets its answer
        in_flight.sendall(b"\r\n")
        reply = in_flight.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    finally:
        in_flight.close()
        stop.touch()
        output, _ = loop.communicate(timeout=10)
    codes = output.split()
    assert len(codes) > 50 and set(codes) == {"200"}, f"{len(codes)} requests: {sorted(set(codes))}"
    print(f"\napply -> new route served, seconds: {[f'{a:.3f}/{b:.3f}' for a, b in timings]}")
    for ingress in range(5):
        api.delete_resources(cluster.name, [("Ingress", "load-balancing", f"reload-{ingress}")])
    assert request(cluster, "reload-0").status == 404


def half_sent_request(sandbox: str, host: str):
    """A connection from `external` with a request whose head is not finished yet."""
    import socket

    with netns.entered_name(names.netns_name(sandbox, "external")):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect((INGRESS_ADDRESS, 80))
    sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n".encode())
    return sock


def test_a_configuration_nginx_refuses_is_an_error_and_the_old_one_keeps_serving(cluster, monkeypatch):
    from netcore.kube.compile import nginx_conf

    render = nginx_conf.render_location

    def broken(location) -> str:  # a renderer bug that only the new Ingress's location hits
        text = render(location)
        if "reload-9" not in location.about:
            return text
        return text.replace("{\n", "{\n            no_such_directive on;\n", 1)

    monkeypatch.setattr(nginx_conf, "render_location", broken)
    with pytest.raises(PodpathError, match="nginx refused the new configuration.*no_such_directive"):
        cluster.apply(new_host_rule(9))
    monkeypatch.undo()
    assert cluster.cluster().get("Ingress", "load-balancing", "reload-9") is None  # nothing was applied
    config = (names.data_dir(cluster.name) / "ingress-nginx.conf").read_text()
    assert "reload-9" not in config  # the previous configuration was put back
    assert request(cluster, "load-balancing").status == 200
    assert request(cluster, "reload-9").status == 404


# -- lifecycle -----------------------------------------------------------------------------------------


def test_nginx_dies_with_the_runner_and_is_gone_after_delete(sandbox_name):
    api.create_cluster(sandbox_name, nodes=1)
    sandbox = ClusterSandbox(sandbox_name)
    try:
        found, groups = nginx_processes(sandbox_name), masters(sandbox_name)
        assert len(found) == 2 and len(groups) == 1  # master and worker
        runtime = names.sandbox_dir(sandbox_name) / "ingress-nginx"
        (prefix,) = [p for p in runtime.iterdir() if p.is_dir()]
        assert {"nginx.pid", "error.log", "access.log"} <= {p.name for p in prefix.iterdir()}
        assert request(sandbox, "anything").status == 404
        os.kill(workloads.runner_pid(sandbox_name), signal.SIGKILL)
        deadline = time.monotonic() + 3
        while nginx_processes(sandbox_name, groups) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not nginx_processes(sandbox_name, groups), "nginx outlived its runner"
        # the next change starts a runner, and nginx with it
        sandbox.apply(cases.namespace("later"))
        groups |= masters(sandbox_name)
        assert len(nginx_processes(sandbox_name)) == 2
        assert request(sandbox, "anything").status == 404
        # a master killed outright orphans its worker; the next change replaces both
        (master,) = masters(sandbox_name)
        os.kill(master, signal.SIGKILL)
        sandbox.apply(cases.namespace("later-still"))
        groups |= masters(sandbox_name)
        assert master not in masters(sandbox_name) and len(nginx_processes(sandbox_name, groups)) == 2
        assert request(sandbox, "anything").status == 404
    finally:
        sandbox.delete()
    assert not nginx_processes(sandbox_name, groups)
    assert not names.sandbox_dir(sandbox_name).exists()
