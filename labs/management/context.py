"""The current sandbox, like kubectl's current context: the one a command uses when `-s` names none.

Where it comes from, first found wins:

1. ``-s NAME`` on the command line;
2. the ``PODPATH_SANDBOX`` environment variable (one shell, one script);
3. the name ``podpath use NAME`` stored in ``$XDG_CONFIG_HOME/podpath/sandbox``
   (``~/.config/podpath/sandbox``): one small file per user, kept across shells and reboots.
   Under sudo that is the home sudo gives, root's on Debian.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "PODPATH_SANDBOX"


@dataclass(frozen=True)
class Current:
    name: str
    origin: str  # "-s", "PODPATH_SANDBOX" or the stored file's path


def context_file(environ: Mapping[str, str] = os.environ) -> Path:
    config = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".config")
    return Path(config) / "podpath" / "sandbox"


def stored_sandbox(environ: Mapping[str, str] = os.environ) -> str | None:
    try:
        return context_file(environ).read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def current_sandbox(given: str | None = None, environ: Mapping[str, str] = os.environ) -> Current | None:
    """The sandbox a command works on, and where that choice came from; None when nothing names one."""
    if given:
        return Current(given, "-s")
    if environ.get(ENV_VAR):
        return Current(environ[ENV_VAR], ENV_VAR)
    stored = stored_sandbox(environ)
    return Current(stored, str(context_file(environ))) if stored else None


def store_sandbox(name: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """Remember ``name`` as the current sandbox, or forget the stored one (None)."""
    path = context_file(environ)
    if name is None:
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(name + "\n")
    return path
