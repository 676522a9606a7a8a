"""The controller's nginx configuration: golden texts for the talk and the conformance features, and
the rendered text as nginx itself reads it (``nginx -t``, unprivileged, everything under a temp dir)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from netcore import names
from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, new_cluster
from netcore.kube.compile import nginx_conf
from netcore.kube.compile.ingress import FAKE_CERTIFICATE, RUNTIME_DIR, ingress_data
from netcore.workloads import ingress_nginx
from tests import ingress_conformance as cases
from tests.golden import assert_golden
from tests.talk import TALK_INGRESS, TALK_POD

NOW = "2026-11-26T10:00:00Z"
TALK_SERVICES = "\n---\n".join(
    f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
    f"spec: {{selector: {{app: {name}}}, ports: [{{port: 8080, targetPort: 80}}]}}\n"
    for name in ("hello-world", "hello-darkness")
)


def data_of(*texts: str, sandbox: str = "k1", nodes: int = 2) -> dict[str, str]:
    cluster = new_cluster(ClusterConfig(nodes=nodes), NOW)
    for text in texts:
        cluster, _ = apply_objects(cluster, parse_manifests(text, "test.yaml"), NOW)
    return dict(ingress_data(cluster, sandbox))


def test_the_talks_ingress_golden():
    darkness = TALK_POD.replace("hello-world", "hello-darkness")
    data = data_of(TALK_POD, darkness, TALK_SERVICES, TALK_INGRESS)
    assert list(data) == ["ingress-nginx.conf"]
    assert_golden("ingress-nginx-talk.conf", data["ingress-nginx.conf"])


def test_the_conformance_features_golden():
    data = data_of(cases.ALL, nodes=3)
    assert sorted(data) == [
        "ingress-nginx.conf",
        "ingress-tls-host-rules.conformance-tls.pem",
        "ingress-tls-sni.one.pem",
        "ingress-tls-sni.two.pem",
    ]
    assert_golden("ingress-nginx-conformance.conf", data["ingress-nginx.conf"])


def test_the_generation_changes_with_a_certificate_and_only_with_what_nginx_reads():
    before = data_of(cases.SNI)["ingress-nginx.conf"]
    assert data_of(cases.SNI)["ingress-nginx.conf"] == before  # rendering is deterministic
    renewed = cases.SNI.replace(
        cases.tls_secret("sni", "one", "one.tls.test"),
        cases.tls_secret("sni", "one", "one-renewed.tls.test").replace("one-renewed", "one"),
    )
    after = data_of(renewed)["ingress-nginx.conf"]
    assert after.split("\n", 2)[2] == before.split("\n", 2)[2].replace(
        nginx_conf.config_generation(before), nginx_conf.config_generation(after)
    )
    assert nginx_conf.config_generation(after) != nginx_conf.config_generation(before)


def test_the_runner_and_the_compiler_agree_on_the_generation_line_and_the_status_server():
    assert ingress_nginx.GENERATION_LINE == nginx_conf.GENERATION_LINE
    assert f"{ingress_nginx.STATUS[0]}:{ingress_nginx.STATUS[1]}" == nginx_conf.STATUS_ADDRESS
    assert ingress_nginx.GENERATION_REQUEST.split()[1].decode() == nginx_conf.GENERATION_PATH
    assert ingress_nginx.FAKE_CERTIFICATE == FAKE_CERTIFICATE


def test_paths_nginx_would_misread_are_quoted():
    assert nginx_conf.quote("/foo/bar") == "/foo/bar"
    assert nginx_conf.quote('/a b;{"c"}') == '"/a b;{\\"c\\"}"'
    assert nginx_conf.server_name("*.foo-bar.com") == "~^[^.]+\\.foo-bar\\.com$"


@pytest.mark.skipif(
    shutil.which("nginx") is None and not shutil.os.path.exists("/usr/sbin/nginx"), reason="needs nginx"
)
def test_nginx_accepts_the_rendered_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("PODPATH_RUN_DIR", str(tmp_path))
    odd = cases.classed("odd", "odd").replace(
        "{path: /, pathType: Prefix", '{path: "/a b;{}", pathType: ImplementationSpecific'
    )
    data = data_of(cases.ALL, cases.DEFAULT_BACKEND, odd, sandbox="k1", nodes=3)
    data_dir = names.data_dir("k1")
    data_dir.mkdir(parents=True)
    for name, text in data.items():
        (data_dir / name).write_text(text)
    runtime = names.sandbox_dir("k1") / RUNTIME_DIR
    prefix = runtime / "pod"
    prefix.mkdir(parents=True)
    ingress_nginx.ensure_fake_certificate(runtime / FAKE_CERTIFICATE)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run(
        [nginx, "-t", "-p", f"{prefix}/", "-c", str(data_dir / "ingress-nginx.conf"), "-e", str(prefix / "error.log")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
