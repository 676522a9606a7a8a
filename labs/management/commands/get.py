"""`podpath get [-s SANDBOX] KIND [NAME] [-n NS|-A] [-o json|yaml|wide] [-l SELECTOR]`: kubectl get."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from labs.management import completers
from labs.management.base import PodpathCommand
from netcore.kube import api
from netcore.kube.kinds import resolve_kind
from netcore.kube.printers import no_resources_message, render_objects, render_table
from netcore.kube.selectors import matches, parse_label_selector


class Command(PodpathCommand):
    help = "List cluster objects, or show one, shaped like kubectl's output."

    intermixed_arguments = True

    def add_arguments(self, parser):
        self.add_sandbox_argument(parser)
        parser.add_argument(
            "kind", help="pods, po, services, svc, deployments, ... (comma-separated allowed)"
        ).completer = completers.kinds
        parser.add_argument("names", nargs="*")
        parser.add_argument("-n", "--namespace", default="default")
        parser.add_argument("-A", "--all-namespaces", action="store_true")
        parser.add_argument("-o", "--output", choices=["json", "yaml", "wide", "name"])
        parser.add_argument("-l", "--selector")

    def handle(
        self,
        *args,
        sandbox: str,
        kind: str,
        names: list[str],
        namespace: str,
        all_namespaces: bool,
        output: str | None,
        selector: str | None,
        **options,
    ):
        cluster = api.load_cluster(sandbox)
        # kubectl's "all": the workload kinds, not every kind.
        spelled = (
            [
                "pods",
                "replicationcontrollers",
                "services",
                "daemonsets",
                "deployments",
                "replicasets",
                "statefulsets",
                "horizontalpodautoscalers",
                "jobs",
                "cronjobs",
            ]
            if kind == "all"
            else kind.split(",")
        )
        kinds = [resolve_kind(k) for k in spelled]
        wanted_labels = parse_label_selector(selector) if selector else None
        found, missing = [], []
        for k in kinds:
            scope = None if all_namespaces or not k.namespaced else namespace
            objects = cluster.list(k.kind, scope)
            if wanted_labels is not None:
                objects = [o for o in objects if matches(wanted_labels, o["metadata"].get("labels", {}))]
            if names:
                by_name = {o["metadata"]["name"]: o for o in objects}
                missing += [f'{k.resource} "{n}" not found' for n in names if n not in by_name]
                objects = [by_name[n] for n in names if n in by_name]
            found.append((k, objects))
        if not names or any(objects for _, objects in found):  # kubectl: a missing name prints only the error
            self.show(found, output, all_namespaces, namespace, single=len(names) == 1 and len(kinds) == 1)
        for message in missing:
            sys.stderr.write(f"Error from server (NotFound): {message}\n")
        if missing:
            raise SystemExit(1)

    def show(self, found, output, all_namespaces, namespace, single):
        everything = [o for _, objects in found for o in objects]
        if output in ("json", "yaml"):
            if everything or not single:
                self.stdout.write(render_objects(everything, output, single=single and len(everything) == 1), ending="")
            return
        if output == "name":
            for k, objects in found:
                for obj in objects:
                    self.stdout.write(f"{k.singular}{'.' + k.group if k.group else ''}/{obj['metadata']['name']}")
            return
        now = datetime.now(UTC)
        printed = False
        for k, objects in found:
            if objects:
                if printed:
                    self.stdout.write("")
                self.stdout.write(
                    render_table(k, objects, wide=output == "wide", all_namespaces=all_namespaces, now=now), ending=""
                )
                printed = True
        if not printed and not everything:
            k = found[0][0]
            sys.stderr.write(no_resources_message(k, namespace=namespace, all_namespaces=all_namespaces))
