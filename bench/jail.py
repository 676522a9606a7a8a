"""Benchmark: what the learner jail costs a console command, against the same command run trusted.

    .venv/bin/python bench/jail.py [--runs 50] [--out bench/results/jail.json]

Builds one sandbox on the connecting-containers lab, then alternates, run by run, the same commands
through ``run_in_namespace`` trusted (``ip netns exec``, as root) and jailed (the learner jail: a
launcher process, fresh namespaces and root, seccomp), so both see the same machine load. Reports p50
and p95 of each and the ratio of medians. Commands: ``true`` (the bare cost), ``ip -br addr`` and a
``curl`` to the container next door (what a console line does).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import common  # noqa: E402  (bench/common.py)

COMMANDS = {"true": ["true"], "ip addr": ["ip", "-br", "addr"], "curl": ["curl", "-s", "-m", "2", "http://172.17.0.3/"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "jail.json"))
    args = parser.parse_args(argv)

    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podpath.settings")
    django.setup()
    from labs import stepper
    from netcore import names
    from netcore.kernel.run import run_in_namespace
    from netcore.sandbox import lifecycle

    sandbox = "bj" + secrets.token_hex(4)
    stepper.lab_start(sandbox=sandbox, lab_id="connecting-containers", step=3)
    namespace = names.netns_name(sandbox, "c1")
    timings: dict[str, dict[str, list[float]]] = {name: {"trusted": [], "jailed": []} for name in COMMANDS}
    try:
        for _ in range(args.runs):
            for name, command in COMMANDS.items():
                for how in ("trusted", "jailed"):
                    started = time.perf_counter()
                    result = run_in_namespace(namespace, command, timeout=5, jailed=how == "jailed")
                    timings[name][how].append((time.perf_counter() - started) * 1000)
                    assert result.exit_code == 0, (name, how, result.text())
    finally:
        lifecycle.delete_sandbox(sandbox)

    figures = {}
    for name, runs in timings.items():
        trusted, jailed = common.spread(runs["trusted"]), common.spread(runs["jailed"])
        figures[name] = {"trusted_ms": trusted, "jailed_ms": jailed, "ratio_p50": jailed["p50"] / trusted["p50"]}
        print(
            f"{name:8} trusted p50 {trusted['p50']:6.1f} ms p95 {trusted['p95']:6.1f} | "
            f"jailed p50 {jailed['p50']:6.1f} ms p95 {jailed['p95']:6.1f} | ratio {figures[name]['ratio_p50']:.2f}"
        )
    common.write_json(
        args.out,
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": common.machine(),
            "commit": common.commit(["netcore/jail", "netcore/kernel/run.py"]),
            "runs": args.runs,
            "figures": figures,
        },
    )
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
