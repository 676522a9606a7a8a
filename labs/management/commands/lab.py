"""`podpath lab list` and `podpath lab show LAB`: the catalog from the command line."""

from __future__ import annotations

import json

from labs.catalog import get_lab
from labs.management.base import PodpathCommand
from labs.selectors import lab_list


class Command(PodpathCommand):
    help = "List the labs, or show one lab's steps."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list,show}")
        listing = sub.add_parser("list", help="list the labs")
        listing.add_argument("-o", "--output", choices=["text", "json"], default="text")
        show = sub.add_parser("show", help="show a lab's steps")
        show.add_argument("lab")

    def handle(self, *args, action: str, **options):
        if action == "list":
            labs = lab_list()
            if options["output"] == "json":
                self.stdout.write(json.dumps([{"id": lab.id, "title": lab.title, "steps": len(lab.steps)}
                                              for lab in labs], indent=2))
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
            hosts = ", ".join(step.topology.host_names())
            self.stdout.write(f"\n{step.number}. {step.title}\n   hosts: {hosts}")
            for attempt in step.tries:
                should = "succeed" if attempt.expect == "success" else "fail"
                self.stdout.write(f"   try on {attempt.host}: {attempt.command}  (should {should})")
