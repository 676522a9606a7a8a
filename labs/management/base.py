"""What every `podpath` command shares: one-line errors with exit code 2, help that shows only the
command's own options, the current sandbox (`-s`, PODPATH_SANDBOX or `podpath use`), a root check, progress."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from labs.management import completers
from labs.management.context import ENV_VAR, current_sandbox
from netcore.errors import PodpathError

# Django's options for every command: still accepted, but no part of a Podpath command's help.
DJANGO_OPTIONS = {
    "--version",
    "--verbosity",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
}
NO_SANDBOX = f"no sandbox given: name one with -s NAME, or set the current one with `podpath use NAME` (or {ENV_VAR})"


class Error(CommandError):
    """Printed by Django as ``Error: <message>``; the process exits with code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=2)


class PodpathCommand(BaseCommand):
    requires_system_checks: list = []
    requires_migrations_checks = False
    suppressed_base_arguments = DJANGO_OPTIONS
    takes_sandbox = False  # set by add_sandbox_argument: fill in the current sandbox when -s is not given
    # kubectl takes names after options (`get svc -n dev web`); argparse needs intermixed parsing for that
    # when a positional takes any number of words.
    intermixed_arguments = False

    def add_sandbox_argument(self, parser) -> None:
        self.takes_sandbox = True
        parser.add_argument(
            "-s", "--sandbox", metavar="NAME", help=f"the sandbox (default: {ENV_VAR}, or the one `podpath use` set)"
        ).completer = completers.sandboxes

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        if self.intermixed_arguments:
            parser.parse_args = parser.parse_intermixed_args  # type: ignore[method-assign]
        return parser

    def execute(self, *args, **options):
        if self.takes_sandbox and not options.get("sandbox"):
            current = current_sandbox()
            if current is None:
                raise Error(NO_SANDBOX)
            options["sandbox"] = current.name
        try:
            return super().execute(*args, **options)
        except PodpathError as error:
            raise Error(str(error)) from None

    def require_root(self) -> None:
        if os.geteuid() != 0:
            raise Error("this command changes the kernel's network namespaces and needs root (try sudo)")

    def progress(self, done: int, total: int, what: str) -> None:
        """Show a live progress line on a terminal; stay quiet when piped."""
        if not sys.stderr.isatty():
            return
        width = 28
        filled = int(width * done / total) if total else width
        line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {what}"[:110]
        sys.stderr.write(line.ljust(110) + ("\n" if done >= total else ""))
        sys.stderr.flush()
