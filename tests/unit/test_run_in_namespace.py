"""run_in_namespace refuses what no kernel could run, before anything starts; and output is capped."""

from __future__ import annotations

import sys

import pytest

from netcore.errors import PodpathError
from netcore.kernel.run import CommandResult, run_capped, run_in_namespace


@pytest.mark.parametrize("argv", [[], ["curl", "\x00"], ["ping\x00", "-c", "1"]])
def test_empty_or_nul_argv_is_refused(argv):
    with pytest.raises(PodpathError):
        run_in_namespace("pp-x-c1", argv, timeout=1, jailed=True)


def test_a_flood_is_cut_at_the_cap_and_a_sleeper_stopped_at_the_clock():
    flood = run_capped([sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('y' * 4096)"], 10, 10_000)
    assert flood.truncated and len(flood.output) == 10_000 and "output cut" in flood.text()
    sleeper = run_capped([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"], 0.5, 1000)
    assert sleeper.timed_out and sleeper.exit_code == 124 and sleeper.output.startswith(b"up")


def test_a_missing_program_is_exit_127():
    assert run_capped(["podpath-no-such-program"], 1, 100) == CommandResult(
        127, b"podpath-no-such-program: command not found\n"
    )
