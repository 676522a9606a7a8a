"""What bash completion offers for a command's arguments (argcomplete reads an action's ``completer``).

Each completer is cheap and never fails: a wrong guess only means no suggestions.
"""

from __future__ import annotations


def sandboxes(**_) -> list[str]:
    """The sandboxes on this machine."""
    from netcore.sandbox.registry import list_records

    try:
        return [record.name for record in list_records()]
    except OSError:
        return []


def labs(**_) -> list[str]:
    from labs.catalog import catalog

    return list(catalog())


def kinds(**_) -> list[str]:
    """kubectl's resource names: pods, services, deployments, ..."""
    from netcore.kube.kinds import KINDS

    return [kind.plural for kind in KINDS]
