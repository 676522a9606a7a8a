"""`podpath sandbox ...`: create a sandbox on a lab, step it, reset it, list, delete, collect garbage; on a
deployment of several machines, through the agents (labs/management/remote.py), with the hosts listed and
drained here too."""

from __future__ import annotations

import json

from labs import stepper
from labs.catalog import get_lab
from labs.management import completers, remote
from labs.management.base import PodpathCommand
from labs.management.context import store_sandbox, stored_sandbox
from labs.selectors import step_tries
from labs.tries import run_try
from netcore import names
from netcore.kube import api
from netcore.kube.cluster import CNI_MODES
from netcore.reconcile import Report
from netcore.sandbox import lifecycle


class Command(PodpathCommand):
    help = "Create, step, reset, list and delete sandboxes; remove leftovers no sandbox owns."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{create,list,step,reset,delete,gc,try,hosts,drain,move}"
        )
        create = sub.add_parser("create", help="create a sandbox on a lab's step, or holding a cluster")
        create.add_argument("name")
        what = create.add_mutually_exclusive_group(required=True)
        what.add_argument("--lab").completer = completers.labs
        what.add_argument("--cluster", action="store_true", help="an empty Kubernetes cluster")
        create.add_argument("--step", type=int, default=1)
        create.add_argument("--nodes", type=int, default=2, help="cluster nodes (1 to 8)")
        create.add_argument("--cni", choices=CNI_MODES, default="bridge", help="the cluster's pod network")
        listing = sub.add_parser("list", help="list sandboxes with their state")
        listing.add_argument("-o", "--output", choices=["text", "json"], default="text")
        step = sub.add_parser("step", help="move a sandbox to step N of its lab")
        step.add_argument("name").completer = completers.sandboxes
        step.add_argument("step", type=int)
        reset = sub.add_parser("reset", help="put a sandbox back on its lab's first step")
        reset.add_argument("name").completer = completers.sandboxes
        delete = sub.add_parser("delete", help="delete a sandbox and everything it owns")
        delete.add_argument("name").completer = completers.sandboxes
        sub.add_parser("gc", help="remove namespaces, files and runners that no sandbox owns")
        attempt = sub.add_parser("try", help="run the current step's commands to try and judge them")
        attempt.add_argument("name").completer = completers.sandboxes
        sub.add_parser("hosts", help="list the kernel hosts: up, down or drained, and what they hold")
        drain = sub.add_parser("drain", help="send no new sandboxes to a host (--undo: back in service)")
        drain.add_argument("host")
        drain.add_argument("--undo", action="store_true")
        move = sub.add_parser("move", help="rebuild a sandbox on another host, then delete the old copy")
        move.add_argument("name").completer = completers.sandboxes
        move.add_argument("--to", default="", metavar="HOST", help="the host (default: the least loaded)")

    def handle(self, *args, action: str, **options):
        getattr(self, f"do_{action}")(**options)

    def report(self, name: str, report: Report) -> None:
        lab, number = stepper.lab_position(sandbox=name)
        step = lab.step(number)
        self.stdout.write(f"sandbox {name}: {lab.id} step {number}/{len(lab.steps)}: {step.title}")
        self.stdout.write(f"  {report.describe()}")
        cluster = api.load_cluster(name) if step.cluster is not None else None
        for attempt in step_tries(sandbox=name, step=step, cluster=cluster):
            self.stdout.write(f"  try: podpath exec -s {name} {attempt.host} -- {attempt.command}")

    def remote_report(self, name: str, result: dict) -> None:
        placement = remote.placement_get(name=name)
        assert placement is not None
        where = f"on host {placement.host.host_id}"
        if placement.lab:
            lab = get_lab(placement.lab)
            step = lab.step(int(result.get("step") or placement.step or 1))
            self.stdout.write(f"sandbox {name} {where}: {lab.id} step {step.number}/{len(lab.steps)}: {step.title}")
        else:
            self.stdout.write(f"sandbox {name} {where}")
        if "report" in result:
            self.stdout.write(f"  {result['report']['describe']}")

    def do_create(self, name: str, lab: str | None, cluster: bool, step: int, nodes: int, cni: str, **_):
        if remote.through_agents():
            result = remote.create(name=name, lab=lab, step=step, cluster=cluster, nodes=nodes, cni=cni)
            self.remote_report(name, result)
            return
        self.require_root()
        names.check_sandbox_name(name)
        if cluster:
            report = api.create_cluster(name, nodes, cni, progress=self.progress)
            self.stdout.write(f"sandbox {name}: cluster with {nodes} nodes, pod network {cni}")
            self.stdout.write(f"  {report.describe()}")
            self.stdout.write(f"  try: podpath apply -s {name} -f pod.yaml; podpath get -s {name} pods -o wide")
            return
        assert lab is not None  # --lab and --cluster are a required either-or
        get_lab(lab).step(step)  # refuse a bad name, an unknown lab or step before touching anything
        self.report(name, stepper.lab_start(sandbox=name, lab_id=lab, step=step, progress=self.progress))

    def do_step(self, name: str, step: int, **_):
        if remote.through_agents():
            self.remote_report(name, remote.run("lab_step", name, {"step": step}))
            return
        self.require_root()
        self.report(name, stepper.lab_step(sandbox=name, step=step, progress=self.progress))

    def do_reset(self, name: str, **_):
        if remote.through_agents():
            self.remote_report(name, remote.run("lab_reset", name))
            return
        self.require_root()
        self.report(name, stepper.lab_reset(sandbox=name, progress=self.progress))

    def do_delete(self, name: str, **_):
        if remote.through_agents():
            remote.run("delete", name)
        else:
            self.require_root()
            lifecycle.delete_sandbox(name)
        self.stdout.write(f"sandbox {name} deleted")
        if stored_sandbox() == name:  # `podpath use` pointed at it: no current sandbox now
            store_sandbox(None)

    def do_gc(self, **_):
        if remote.through_agents():
            for status in remote.host_list():
                if status.alive:
                    result = remote.call_sync("gc", "gc", {}, timeout=remote.BUILD_TIMEOUT_S, host=status.host.host_id)
                    self.stdout.write(f"{status.host.host_id}: {result['gc']}")
            return
        self.require_root()
        self.stdout.write(lifecycle.collect_garbage().describe())

    def do_hosts(self, **_):
        self.stdout.write(remote.hosts_text())

    def do_move(self, name: str, to: str, **_):
        from labs.services import sandbox_relocate

        self.stdout.write(
            f"sandbox {name}: moving to host {sandbox_relocate(name=name, to=to)} "
            "(rebuilt there from its lab's step, then deleted on its old host)"
        )

    def do_drain(self, host: str, undo: bool, **_):
        self.stdout.write(remote.drain(host, not undo))

    def do_list(self, output: str, **_):
        if remote.through_agents():
            self.list_placements(output)
            return
        sandboxes = lifecycle.list_sandboxes()
        if output == "json":
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "name": s.record.name,
                            "lab": s.record.meta.get("lab"),
                            "step": s.record.meta.get("step"),
                            "hosts": list(s.record.hosts),
                            "namespaces": s.namespaces,
                            "health": s.health,
                            "created": s.record.created,
                            "runner_pid": s.runner_pid,
                        }
                        for s in sandboxes
                    ],
                    indent=2,
                )
            )
            return
        self.stdout.write(f"{'NAME':16} {'LAB':24} {'STEP':>4} {'HOSTS':>5} {'AGE':>7}  HEALTH")
        for s in sandboxes:
            age = format_age(s.record.age_seconds())
            meta = s.record.meta
            lab = meta.get("lab") or (
                f"cluster ({meta.get('nodes')} nodes, {meta.get('cni')})" if meta.get("kind") == "cluster" else "-"
            )
            self.stdout.write(
                f"{s.record.name:16} {lab:24} {meta.get('step', '-'):>4} {len(s.record.hosts):>5} {age:>7}  {s.health}"
            )

    def list_placements(self, output: str) -> None:
        from labs.selectors import sandbox_rows

        rows = sandbox_rows()
        if output == "json":
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "name": r.name,
                            "host": r.host,
                            "lab": r.lab,
                            "step": r.step,
                            "hosts": r.net_hosts,
                            "namespaces": r.namespaces,
                            "health": r.health,
                            "available": r.available,
                        }
                        for r in rows
                    ],
                    indent=2,
                )
            )
            return
        self.stdout.write(f"{'NAME':16} {'HOST':12} {'LAB':24} {'STEP':>4} {'HOSTS':>5} {'AGE':>7}  HEALTH")
        for r in rows:
            self.stdout.write(
                f"{r.name:16} {r.host:12} {r.lab or '-':24} {r.step or '-':>4} {r.net_hosts:>5} "
                f"{format_age(r.age_s):>7}  {r.health}"
            )

    def do_try(self, name: str, **_):
        self.require_root()
        lab, number = stepper.lab_position(sandbox=name)
        failed = 0
        for attempt in lab.step(number).tries:
            result = run_try(name, attempt)
            mark = "ok  " if result.passed else "FAIL"
            failed += not result.passed
            self.stdout.write(
                f"{mark} {attempt.host}: {attempt.command}  (exit {result.returncode}, expected {attempt.expect})"
            )
            if not result.passed:
                self.stdout.write("     " + result.output.strip().replace("\n", "\n     "))
        if failed:
            raise SystemExit(1)


def format_age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)}s"
    if seconds < 7200:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"
