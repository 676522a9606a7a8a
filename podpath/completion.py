"""Bash completion: argcomplete over one parser that holds every Podpath command's own parser.

The shell code from `podpath completion bash` calls `podpath` with _ARGCOMPLETE set; main() then calls
complete(), which answers from the parsers the commands build for themselves (so options never drift
from the commands) and from completers for names: sandboxes, labs, kinds (labs/management/completers.py).
"""

from __future__ import annotations

import argparse

from podpath.cli import GROUPS, MANAGE, MANAGE_SUMMARY, product_commands, summary


def build_parser() -> argparse.ArgumentParser:
    from django.core.management import load_command_class

    from podpath.cli import django_commands

    parser = argparse.ArgumentParser(prog="podpath")
    sub = parser.add_subparsers(dest="command")
    for name in (n for _, names in GROUPS for n in names):
        if name == MANAGE:
            manage = sub.add_parser(MANAGE, help=MANAGE_SUMMARY)
            manage.add_argument("django_command", choices=sorted(django_commands()))
            manage.add_argument("args", nargs=argparse.REMAINDER)
            continue
        command = load_command_class("labs", name)
        command._called_from_command_line = True  # its parser's errors exit, as on a command line
        own = command.create_parser("podpath", name)
        sub.add_parser(name, parents=[own], add_help=False, help=summary(command.help))
    helping = sub.add_parser("help", help="one command's options")
    helping.add_argument("topic", choices=[*product_commands(), MANAGE])
    return parser


def complete() -> None:
    """Answer the shell's completion request (argcomplete exits the process when it has)."""
    import argcomplete

    argcomplete.autocomplete(build_parser())
