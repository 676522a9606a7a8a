"""The Kubernetes API's web side with a fake agent: tokens and who they open, discovery, how requests
become agent jobs, and the kubeconfig the dashboard hands out."""

from __future__ import annotations

import json

import pytest
import yaml

from classrooms.models import Classroom
from classrooms.roles import Forbidden
from kubeapi.models import KubeToken
from kubeapi.tokens import kube_token_issue
from labs.models import Sandbox

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


class FakeAgent:
    def __init__(self) -> None:
        self.jobs: list[tuple[str, str, dict]] = []
        self.answer = {"code": 200, "body": {"kind": "PodList", "items": []}, "warnings": []}

    async def call(self, job: str, sandbox: str, args: dict | None = None, timeout: float = 120.0) -> dict:
        self.jobs.append((job, sandbox, args or {}))
        return self.answer


@pytest.fixture
def agent(monkeypatch) -> FakeAgent:
    fake = FakeAgent()
    monkeypatch.setattr("kubeapi.views.call", fake.call)
    return fake


@pytest.fixture
def sandboxes(people):  # noqa: F811
    room = Classroom.objects.create(name="k", instructor=people["teacher"], lab_id="kubernetes")
    return {
        "ada": Sandbox.objects.create(name="k-ada", owner=people["ada"], classroom=room),
        "bob": Sandbox.objects.create(name="k-bob", owner=people["bob"]),
    }


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_without_a_token_the_api_answers_401_as_a_status(client, sandboxes, agent):
    answer = client.get("/k8s/k-ada/api/v1/namespaces/default/pods")
    assert answer.status_code == 401
    assert answer.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    assert agent.jobs == []


def test_a_token_opens_only_its_own_sandbox_and_is_stored_hashed(client, people, sandboxes, agent):  # noqa: F811
    token = kube_token_issue(user=people["ada"], sandbox=sandboxes["ada"])
    assert not KubeToken.objects.filter(digest=token).exists()
    assert client.get("/k8s/k-ada/version", **bearer(token)).status_code == 200
    assert client.get("/k8s/k-bob/version", **bearer(token)).status_code == 401
    again = kube_token_issue(user=people["ada"], sandbox=sandboxes["ada"])
    assert client.get("/k8s/k-ada/version", **bearer(token)).status_code == 401, "a new token replaces the old"
    assert client.get("/k8s/k-ada/version", **bearer(again)).status_code == 200


def test_students_reach_their_own_sandboxes_and_instructors_their_class(people, sandboxes):  # noqa: F811
    with pytest.raises(Forbidden):
        kube_token_issue(user=people["bob"], sandbox=sandboxes["ada"])
    assert kube_token_issue(user=people["teacher"], sandbox=sandboxes["ada"])
    with pytest.raises(Forbidden):
        kube_token_issue(user=people["teacher"], sandbox=sandboxes["bob"])  # bob's is in no class of hers


def test_aggregated_discovery_when_asked_legacy_otherwise(client, people, sandboxes, agent):  # noqa: F811
    headers = bearer(kube_token_issue(user=people["ada"], sandbox=sandboxes["ada"]))
    aggregated = client.get("/k8s/k-ada/api", HTTP_ACCEPT=AGGREGATED, **headers)
    assert aggregated["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    [core] = aggregated.json()["items"]
    pods = next(r for r in core["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["scope"] == "Namespaced" and pods["shortNames"] == ["po"] and "all" in pods["categories"]
    assert {s["subresource"] for s in pods["subresources"]} >= {"exec", "log", "status"}
    groups = client.get("/k8s/k-ada/apis", **headers).json()
    assert groups["kind"] == "APIGroupList"
    names = [g["name"] for g in groups["groups"]]
    assert names.index("networking.k8s.io") < names.index("extensions"), "legacy groups come last"
    legacy = client.get("/k8s/k-ada/apis/extensions/v1beta1", **headers).json()["resources"]
    assert [r["name"] for r in legacy] == ["ingresses"] and "shortNames" not in legacy[0]
    scale = next(
        r
        for r in client.get("/k8s/k-ada/apis/apps/v1", **headers).json()["resources"]
        if r["name"] == "deployments/scale"
    )
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert agent.jobs == [], "discovery needs no agent"


def test_a_list_becomes_one_read_job_with_its_selectors_and_table(client, people, sandboxes, agent):  # noqa: F811
    headers = bearer(kube_token_issue(user=people["ada"], sandbox=sandboxes["ada"]))
    answer = client.get(
        "/k8s/k-ada/api/v1/namespaces/web/pods?labelSelector=app%3Dweb&fieldSelector=status.phase%3DRunning",
        HTTP_ACCEPT=TABLE,
        **headers,
    )
    assert answer.status_code == 200
    [(job, sandbox, args)] = agent.jobs
    request = args["request"]
    assert (job, sandbox) == ("kube_read", "k-ada")
    assert (request["verb"], request["resource"], request["namespace"], request["table"]) == (
        "list",
        "pods",
        "web",
        True,
    )
    assert (request["label_selector"], request["field_selector"]) == ("app=web", "status.phase=Running")


def test_a_write_is_a_write_job_and_its_warnings_become_warning_headers(client, people, sandboxes, agent):  # noqa: F811
    headers = bearer(kube_token_issue(user=people["ada"], sandbox=sandboxes["ada"]))
    agent.answer = {"code": 201, "body": {"kind": "Pod"}, "warnings": ['spec.volumes: stored, not "acted" on']}
    answer = client.post(
        "/k8s/k-ada/api/v1/namespaces/default/pods",
        json.dumps({"kind": "Pod"}),
        content_type="application/json",
        **headers,
    )
    assert answer.status_code == 201
    assert answer["Warning"] == '299 - "spec.volumes: stored, not \\"acted\\" on"'
    assert agent.jobs[0][0] == "kube_write" and agent.jobs[0][2]["request"]["verb"] == "create"
    patched = client.patch(
        "/k8s/k-ada/apis/apps/v1/namespaces/default/deployments/web/scale",
        "{}",
        content_type="application/merge-patch+json",
        **headers,
    )
    assert patched.status_code == 201
    request = agent.jobs[1][2]["request"]
    assert (request["verb"], request["subresource"], request["patch_type"]) == (
        "patch",
        "scale",
        "application/merge-patch+json",
    )


def test_protobuf_bodies_are_refused_with_what_to_do(client, people, sandboxes, agent):  # noqa: F811
    headers = bearer(kube_token_issue(user=people["ada"], sandbox=sandboxes["ada"]))
    answer = client.post(
        "/k8s/k-ada/api/v1/namespaces", b"k8s\x00\n\x0f", content_type="application/vnd.kubernetes.protobuf", **headers
    )
    assert answer.status_code == 415 and answer.json()["reason"] == "UnsupportedMediaType"
    assert "--dry-run=client -o yaml" in answer.json()["message"]
    server_side = client.patch(
        "/k8s/k-ada/apis/apps/v1/namespaces/default/deployments/web",
        "kind: Deployment",
        content_type="application/apply-patch+yaml",
        **headers,
    )
    assert server_side.status_code == 415 and "server-side apply" in server_side.json()["message"]
    assert agent.jobs == []


def test_the_dashboard_hands_the_owner_a_kubeconfig(client, people, sandboxes, settings, tmp_path):  # noqa: F811
    settings.PODPATH_KUBE_SERVER = "https://podpath.example:6443"
    settings.VAR_DIR = tmp_path
    client.force_login(people["ada"])
    answer = client.post("/sandbox/k-ada/kubeconfig/")
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="podpath-k-ada.yaml"'
    config = yaml.safe_load(answer.content)
    [cluster] = config["clusters"]
    assert cluster["cluster"]["server"] == "https://podpath.example:6443/k8s/k-ada"
    assert (
        "BEGIN CERTIFICATE" in __import__("base64").b64decode(cluster["cluster"]["certificate-authority-data"]).decode()
    )
    token = config["users"][0]["user"]["token"]
    assert client.get("/k8s/k-ada/version", **bearer(token)).status_code == 200
    client.force_login(people["bob"])
    assert client.post("/sandbox/k-ada/kubeconfig/").status_code == 404


def test_no_kubeconfig_while_the_api_is_not_served(client, people, sandboxes, settings):  # noqa: F811
    settings.PODPATH_KUBE_SERVER = ""
    client.force_login(people["ada"])
    answer = client.post("/sandbox/k-ada/kubeconfig/")
    assert answer.status_code == 409 and "--kube-tls" in answer.content.decode()
