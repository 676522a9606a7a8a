"""Errors netcore raises, each carrying what a user needs to fix the cause.

Callers (the command line, the web views) print ``str(error)``; the message is complete on its own.
"""

from __future__ import annotations


class PodpathError(Exception):
    """Base of every error netcore raises on purpose."""


class InvalidName(PodpathError):
    """A sandbox, host or interface name that is malformed or could escape the sandbox prefix."""


class NotFound(PodpathError):
    """An unknown sandbox, lab, step or host."""


class AlreadyExists(PodpathError):
    """Creating something whose name is taken."""


class SpecError(PodpathError):
    """A lab or topology file that does not describe a valid state.

    ``source`` names the file (or document), ``field`` the dotted path inside it, ``expected`` what
    would have been valid there.
    """

    def __init__(self, source: str, field: str, expected: str) -> None:
        self.source = source
        self.field = field
        self.expected = expected
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {expected}")


class ApplyError(PodpathError):
    """The kernel refused an operation; names the operation and the kernel's reason."""

    def __init__(self, operation: object, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(f"{describe(operation)}: {reason}")


def describe(operation: object) -> str:
    """Render an operation for an error message, preferring its own summary."""
    summary = getattr(operation, "summary", None)
    return summary() if callable(summary) else repr(operation)
