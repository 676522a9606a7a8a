"""Two kernel hosts on one machine: sandboxes placed across both and driven through the web tier's own
services over Redis and PostgreSQL, drain, a full fleet, and one agent killed mid-build then recovered
without losing its sandbox."""

from __future__ import annotations

import subprocess

import pytest

from tests.scale.deployment import Deployment, deployment_env

LAB = "connecting-containers"

OPEN = """
import json
from django.contrib.auth.models import User
from labs.services import sandbox_open
from hosts.errors import NoCapacity
user, _ = User.objects.get_or_create(username="{user}")
try:
    sandbox, _ = sandbox_open(user=user, lab_id="{lab}")
    print(json.dumps(sandbox.name))
except NoCapacity as error:
    print(json.dumps("refused: " + str(error)))
"""

PLACEMENTS = """
import json
from hosts.models import Placement
print(json.dumps({p.name: [p.host.host_id, p.step, p.health] for p in Placement.objects.select_related("host")}))
"""

HOSTS = """
import json
from hosts.selectors import host_list
print(json.dumps({s.host.host_id: s.state for s in host_list()}))
"""


def netns_of(name: str) -> list[str]:
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in listing.splitlines() if line.startswith(f"pp-{name}-")]


@pytest.fixture(scope="module")
def deployment(services):
    root = services.root / "deployment"
    (root / "var").mkdir(parents=True)
    site = Deployment(root, deployment_env(services.database_url, services.redis_url, root))
    migrated = site.cli("migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    site.start_agent("ha", sandboxes=2)
    site.start_agent("hb", sandboxes=2)
    built_here: list[str] = []
    try:
        site.wait(HOSTS, lambda hosts: hosts == {"ha": "up", "hb": "up"}, "both agents registered")
        yield site
        built_here = list(site.web(PLACEMENTS))
    finally:
        site.stop()
    left = {name: netns_of(name) for name in [*built_here, "clitest", "clifull"] if netns_of(name)}
    assert not left, f"the scale tier left namespaces behind: {left}"


def built(placements: dict, names: list[str]) -> bool:
    return all(name in placements and placements[name][2] == "ok" and placements[name][1] for name in names)


def test_sandboxes_spread_over_both_hosts_are_built_there_and_driven_by_routing(deployment):
    names = [deployment.web(OPEN.format(user=f"student{i}", lab=LAB)) for i in range(3)]
    assert not any(name.startswith("refused") for name in names), names
    placements = deployment.wait(PLACEMENTS, lambda p: built(p, names), "three sandboxes built")
    assert {placements[name][0] for name in names} == {"ha", "hb"}
    for name in names:  # built for real, by the agent that holds it, recorded in its own run directory
        assert netns_of(name)
        assert (deployment.run_dir(placements[name][0]) / name / "sandbox.json").exists()
    on_hb = next(name for name in names if placements[name][0] == "hb")
    deployment.web(f"""
import json
from labs.models import Sandbox
from labs.services import sandbox_step
sandbox = Sandbox.objects.get(name="{on_hb}")
print(json.dumps(sandbox_step(user=sandbox.owner, sandbox=sandbox, step=2)))
""")
    deployment.wait(PLACEMENTS, lambda p: p[on_hb][1] == 2, "the step reported by hb")


def test_a_drained_host_takes_nothing_and_a_full_fleet_refuses_cleanly(deployment):
    placements = deployment.web(PLACEMENTS)
    deployment.web('import json; from hosts.services import host_drain; host_drain(host_id="ha"); print("0")')
    try:
        free_on_hb = 2 - sum(1 for host, _, _ in placements.values() if host == "hb")
        for i in range(free_on_hb):
            name = deployment.web(OPEN.format(user=f"late{i}", lab=LAB))
            assert deployment.web(PLACEMENTS)[name][0] == "hb"
        refused = deployment.web(OPEN.format(user="onetoomany", lab=LAB))
        assert refused.startswith("refused: no capacity")
        assert (
            deployment.web(
                "import json; from labs.models import Sandbox; "
                'print(json.dumps(Sandbox.objects.filter(owner__username="onetoomany").count()))'
            )
            == 0
        )
    finally:
        deployment.web('from hosts.services import host_drain; host_drain(host_id="ha", drained=False); print("0")')


def test_the_cli_drives_sandboxes_from_a_machine_without_a_kernel_host_through_the_agents(deployment):
    hosts = deployment.cli("sandbox", "hosts")
    assert hosts.returncode == 0 and " up " in hosts.stdout.splitlines()[1], hosts.stdout
    deployment.web('from hosts.models import Host; Host.objects.update(sandboxes=3); print("0")')
    try:
        created = deployment.cli("sandbox", "create", "clitest", "--lab", LAB, "--step", "2")
        assert created.returncode == 0, created.stderr
        assert created.stdout.startswith("sandbox clitest on host h") and "step 2/" in created.stdout
        assert netns_of("clitest")
        stepped = deployment.cli("sandbox", "step", "clitest", "3")
        assert stepped.returncode == 0 and "step 3/" in stepped.stdout, stepped.stderr
        listing = deployment.cli("sandbox", "list")
        row = next(line for line in listing.stdout.splitlines() if line.startswith("clitest"))
        assert row.split()[1] in ("ha", "hb") and " 3 " in row and row.endswith("ok")
        deleted = deployment.cli("sandbox", "delete", "clitest")
        assert deleted.returncode == 0, deleted.stderr
        assert not netns_of("clitest") and "clitest" not in deployment.web(PLACEMENTS)

        deployment.cli("sandbox", "drain", "ha")
        deployment.cli("sandbox", "drain", "hb")
        refused = deployment.cli("sandbox", "create", "clifull", "--lab", LAB)
        assert refused.returncode == 2 and "no capacity" in refused.stderr
        assert "clifull" not in deployment.web(PLACEMENTS)
    finally:
        deployment.cli("sandbox", "drain", "ha", "--undo")
        deployment.cli("sandbox", "drain", "hb", "--undo")
        deployment.web('from hosts.models import Host; Host.objects.update(sandboxes=2); print("0")')


def test_a_page_watching_a_sandbox_gets_its_live_view_from_the_host_holding_it(deployment):
    placements = deployment.web(PLACEMENTS)
    name = next(n for n, (host, _, health) in placements.items() if host == "hb" and health == "ok")
    view = deployment.web(f"""
import asyncio, json
from channels.layers import get_channel_layer
from agent.client import watch
from agent.protocol import sandbox_group

async def main():
    layer = get_channel_layer()
    page = await layer.new_channel()
    await layer.group_add(sandbox_group("{name}"), page)
    await watch("{name}", page)
    try:
        while True:
            message = await asyncio.wait_for(layer.receive(page), 30)
            if message["type"] == "state.view":
                return message["view"]
    finally:
        await watch("{name}", page, watching=False)

print(json.dumps(asyncio.run(main())))
""")
    assert view["hosts"]  # the hosts the picture shows present, as hb's observer saw them in its kernel


def test_an_agent_killed_mid_build_is_shown_down_then_recovers_its_sandbox(deployment):
    deployment.web('from hosts.models import Host; Host.objects.update(sandboxes=4); print("0")')
    deployment.web('from hosts.services import host_drain; host_drain(host_id="hb"); print("0")')
    name = deployment.web(OPEN.format(user="crash", lab="kubernetes"))  # the biggest build: 11 namespaces
    deployment.web('from hosts.services import host_drain; host_drain(host_id="hb", drained=False); print("0")')
    assert deployment.web(PLACEMENTS)[name][0] == "ha"
    deployment.wait(
        f'import json,subprocess; print(json.dumps(bool([l for l in subprocess.run(["ip","netns","list"],'
        f'capture_output=True,text=True).stdout.splitlines() if l.startswith("pp-{name}-")])))',
        bool,
        "the build under way",
        timeout=60,
    )
    deployment.kill_agent("ha")  # kill -9 while it builds

    deployment.wait(HOSTS, lambda hosts: hosts["ha"] == "down", "ha shown down", timeout=30)
    refused = deployment.web(f"""
import json
from agent.client import call_sync
from netcore.errors import PodpathError
try:
    call_sync("kernel_view", "{name}", {{"tab": "links"}}, timeout=60)
    print(json.dumps("answered"))
except PodpathError as error:
    print(json.dumps(str(error)))
""")
    assert refused.startswith("host ha is down") and f"sandbox {name} is unavailable" in refused
    assert name in deployment.web(PLACEMENTS)  # unavailable, not lost

    deployment.start_agent("ha", sandboxes=4)  # the same host comes back and reconciles what it holds
    placements = deployment.wait(PLACEMENTS, lambda p: built(p, [name]), "the sandbox recovered", timeout=240)
    assert placements[name][0] == "ha" and placements[name][2] == "ok"
    assert len(netns_of(name)) >= 5
