#!/usr/bin/env python3
"""Django's command-line utility for Podpath (the `podpath` script does the same)."""

import sys

from podpath.cli import main

if __name__ == "__main__":
    main(sys.argv[1:])
