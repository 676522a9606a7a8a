"""The `podpath` console script: Django's management commands with Podpath's settings preset.

`podpath sandbox create s1 --lab evolution` is `python manage.py sandbox create s1 --lab evolution`.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podpath.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["podpath", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
