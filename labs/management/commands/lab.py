"""`podpath lab list` and `podpath lab show LAB`: the catalog from the command line."""

from __future__ import annotations

import json
import textwrap

from labs.catalog import Step, get_lab
from labs.management import completers
from labs.management.base import PodpathCommand
from labs.management.commands.apply import resource_name
from labs.selectors import lab_list


def step_state(step: Step) -> list[str]:
    """What a step builds: a topology's hosts, or a cluster's size, pod network and objects."""
    if step.cluster is not None:
        objects = [resource_name(o["kind"], o["metadata"]["name"]) for o in step.cluster.objects]
        return [
            f"cluster: {step.cluster.nodes} nodes, pod network {step.cluster.cni}",
            f"objects: {', '.join(objects) or 'none'}",
        ]
    hosts = step.topology.host_names() if step.topology is not None else []
    return [f"hosts: {', '.join(hosts) or 'none'}"]


class Command(PodpathCommand):
    help = "List the labs, or show one lab's steps."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list,show}")
        listing = sub.add_parser("list", help="list the labs")
        listing.add_argument("-o", "--output", choices=["text", "json"], default="text")
        show = sub.add_parser("show", help="show a lab's steps")
        show.add_argument("lab").completer = completers.labs

    def handle(self, *args, action: str, **options):
        if action == "list":
            labs = lab_list()
            if options["output"] == "json":
                self.stdout.write(
                    json.dumps([{"id": lab.id, "title": lab.title, "steps": len(lab.steps)} for lab in labs], indent=2)
                )
                return
            self.stdout.write(f"{'LAB':24} {'STEPS':>5}  TITLE")
            for lab in labs:
                self.stdout.write(f"{lab.id:24} {len(lab.steps):>5}  {lab.title}")
            return
        lab = get_lab(options["lab"])
        self.stdout.write(f"{lab.title} ({lab.id})")
        if lab.summary:
            self.stdout.write(lab.summary)
        for step in lab.steps:
            self.stdout.write(f"\n{step.number}. {step.title}")
            for line in step_state(step):
                label, _, items = line.partition(": ")
                self.stdout.write(
                    textwrap.fill(
                        items,
                        width=100,
                        initial_indent=f"   {label}: ",
                        subsequent_indent=" " * (len(label) + 5),
                        break_on_hyphens=False,
                    )
                )
            for attempt in step.tries:
                should = "succeed" if attempt.expect == "success" else "fail"
                self.stdout.write(f"   try on {attempt.host}: {attempt.command}  (should {should})")
