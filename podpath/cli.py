"""The `podpath` console script: Podpath's own commands, grouped; Django's behind `podpath manage`.

    podpath                      the commands, grouped (also --help, -h, help)
    podpath help COMMAND         one command's options (also podpath COMMAND --help)
    podpath COMMAND ...          a Podpath command (labs/management/commands/)
    podpath manage COMMAND ...   Django's administration commands: migrate, createsuperuser, shell, ...

Django's commands also answer without `manage` (`podpath migrate`), so scripts written before it keep
working; the help shows only Podpath. Bash completion (`podpath completion bash`) is argcomplete over
the same commands' parsers, built in podpath/completion.py.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from importlib.metadata import PackageNotFoundError, version

# The product's commands, as `podpath --help` shows them. "manage" is not a command module: it hands
# the rest of the line to Django.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Labs and sandboxes", ("lab", "sandbox", "use")),
    (
        "Cluster (kubectl-style; exec and trace reach a lab's hosts too)",
        ("apply", "get", "describe", "delete", "exec", "cni", "probe", "trace"),
    ),
    ("Serving", ("serve", "agent")),
    ("Admin", ("manage", "demo_accounts", "completion")),
)
MANAGE = "manage"
MANAGE_SUMMARY = "Django's own commands: podpath manage migrate, shell, ..."
HELP_FLAGS = ("-h", "--help", "help")
WIDTH = 80


def product_commands() -> list[str]:
    return [name for _, names in GROUPS for name in names if name != MANAGE]


def summary(help_text: str) -> str:
    """A command's help up to its first full stop, colon or semicolon: one line of the overview."""
    return re.split(r"[.:;] ", help_text.strip(), maxsplit=1)[0].rstrip(".")


def overview(summaries: dict[str, str]) -> str:
    """The text of `podpath --help`: one screen, Podpath's commands only."""
    lines = [
        "Podpath: container and Kubernetes networking on a real Linux kernel.",
        "usage: podpath COMMAND [ARGS]; podpath COMMAND --help shows its options.",
        "",
    ]
    for title, names in GROUPS:
        lines += [f"{title}:", *(f"  {name:13} {summaries[name]}" for name in names)]
    lines += ["-s NAME defaults to the current sandbox: podpath use NAME, or PODPATH_SANDBOX."]
    return "\n".join(lines) + "\n"


def command_summaries() -> dict[str, str]:
    from django.core.management import load_command_class

    found = {name: summary(load_command_class("labs", name).help) for name in product_commands()}
    return {**found, MANAGE: MANAGE_SUMMARY}


def django_commands() -> set[str]:
    from django.core.management import get_commands

    return set(get_commands()) - set(product_commands())


def podpath_version() -> str:
    try:
        return version("podpath")
    except PackageNotFoundError:
        return "unknown"


def unknown(name: str) -> int:
    close = difflib.get_close_matches(name, [*product_commands(), MANAGE], n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    sys.stderr.write(f"Error: unknown command {name!r}{hint}; podpath --help lists the commands\n")
    return 2


def main(argv: list[str] | None = None) -> None:
    try:
        dispatch(sys.argv[1:] if argv is None else list(argv))
    except BrokenPipeError:  # `podpath lab show kubernetes | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    except KeyboardInterrupt:
        sys.exit(130)


def dispatch(args: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podpath.settings")
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    if "_ARGCOMPLETE" in os.environ:
        from podpath.completion import complete

        complete()
        return
    if not args or (args[0] in HELP_FLAGS and len(args) == 1):
        sys.stdout.write(overview(command_summaries()))
        return
    name, rest = args[0], args[1:]
    if name == "help":
        name, rest = rest[0], ["--help"]
    if name == "--version":
        sys.stdout.write(f"podpath {podpath_version()}\n")
    elif name == MANAGE:
        execute_from_command_line([f"podpath {MANAGE}", *rest])
    elif name in product_commands() or name in django_commands():
        execute_from_command_line(["podpath", name, *rest])
    else:
        sys.exit(unknown(name))


if __name__ == "__main__":
    main()
