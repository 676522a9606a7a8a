"""`podpath use [NAME]`: set or show the current sandbox, like kubectl's current context."""

from __future__ import annotations

from labs.management import completers
from labs.management.base import NO_SANDBOX, Error, PodpathCommand
from labs.management.context import ENV_VAR, current_sandbox, store_sandbox
from netcore import names
from netcore.sandbox.registry import read_record


class Command(PodpathCommand):
    help = (
        f"Set or show the current sandbox, the default for -s; {ENV_VAR} overrides it. "
        "With no name, print the current one."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="a sandbox on this machine").completer = completers.sandboxes
        parser.add_argument("--clear", action="store_true", help="forget the stored current sandbox")

    def handle(self, *args, name: str | None, clear: bool, **options):
        if clear:
            if name:
                raise Error("give either NAME or --clear, not both")
            path = store_sandbox(None)
            self.stdout.write(f"no current sandbox stored (removed {path})")
            return
        if name is None:
            current = current_sandbox()
            if current is None:
                raise Error(NO_SANDBOX)
            self.stdout.write(current.name)
            return
        names.check_sandbox_name(name)
        read_record(name)  # an unknown sandbox is an error, as for every other command
        path = store_sandbox(name)
        self.stdout.write(f"current sandbox: {name} (stored in {path})")
        overriding = current_sandbox()
        if overriding is not None and overriding.name != name:
            self.stderr.write(f"note: {ENV_VAR}={overriding.name} in this shell overrides it")
