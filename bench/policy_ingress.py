"""Benchmark: NetworkPolicy enforcement latency, the e2e reachability matrix, and nginx reloads.

    .venv/bin/python bench/policy_ingress.py [--runs 5] [--out bench/results/policy_ingress.json]
                                             [--markdown docs/performance-policy-ingress.md]

One 3-node cluster with the NetworkPolicy e2e layout (namespaces x, y, z; pods a, b, c serving 80 and
81 over TCP and UDP). Per run:
- policy to enforcement: a thread connects from x/a to x/b:80 every 2 ms while a deny-all-ingress
  policy for x is applied; the figure is from the start of the apply to the start of the first
  connection attempt that failed (target <= 100 ms); the policy is then deleted;
- the full matrix: 9 x 9 pods, ports 80 and 81, TCP and UDP (324 real probes), without policies
  (target <= 3 s), and with a default-deny policy in x (blocked probes wait for their 1 s timeout);
- an Ingress change: applying an Ingress with a new path until the call returns with nginx serving it
  (checked with a request right after).
"""

from __future__ import annotations

import argparse
import secrets
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import common  # noqa: E402  (bench/common.py)

from netcore import names  # noqa: E402
from netcore.kernel import netns  # noqa: E402
from netcore.kube import api  # noqa: E402
from netcore.kube.compile.network import pod_hosts  # noqa: E402
from netcore.kube.probe import matrix  # noqa: E402
from netcore.sandbox import lifecycle  # noqa: E402
from tests.kernel.e2e_layout import layout  # noqa: E402

TARGETS = {"policy_s": 0.100, "matrix_s": 3.0}
DENY_X = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: "x"}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""


def ingress(paths: int) -> str:
    rules = "".join(
        f"""      - path: /p{i}
        pathType: Prefix
        backend: {{service: {{name: s-x-b, port: {{number: 80}}}}}}
"""
        for i in range(paths)
    )
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: bench, namespace: "x"}}
spec:
  rules:
  - host: bench.example
    http:
      paths:
{rules}"""


class Prober(threading.Thread):
    """Connect from a pod to a pod every 2 ms; remember when each attempt started and how it went."""

    def __init__(self, netns_name: str, ip: str, port: int) -> None:
        super().__init__(daemon=True)
        self.fd = netns.open_fd(netns_name)
        self.target = (ip, port)
        self.attempts: list[tuple[float, bool]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with netns.entered(self.fd):
                sock = socket.socket()
            sock.settimeout(0.05)
            started = time.perf_counter()
            try:
                sock.connect(self.target)
                ok = True
            except OSError:
                ok = False
            finally:
                sock.close()
            self.attempts.append((started, ok))
            time.sleep(0.002)


def policy_latency(sandbox: str) -> float:
    cluster = api.load_cluster(sandbox)
    source = names.netns_name(sandbox, pod_hosts(cluster)[("x", "a")])
    prober = Prober(source, cluster.get("Pod", "x", "b")["status"]["podIP"], 80)
    prober.start()
    time.sleep(0.05)
    started = time.perf_counter()
    api.apply_manifests(sandbox, DENY_X, "deny.yaml")
    time.sleep(0.1)
    prober.stop.set()
    prober.join()
    api.delete_resources(sandbox, [("NetworkPolicy", "x", "deny-all")])
    blocked = [t for t, ok in prober.attempts if t >= started and not ok]
    if not blocked:
        raise RuntimeError("the policy never blocked the probe")
    return blocked[0] - started


def timed_matrix(sandbox: str) -> float:
    started = time.perf_counter()
    cells = matrix(sandbox, ["x", "y", "z"], [80, 81], ["TCP", "UDP"])
    assert len(cells) == 324
    return time.perf_counter() - started


def ingress_change(sandbox: str, paths: int) -> float:
    started = time.perf_counter()
    api.apply_manifests(sandbox, ingress(paths), "ingress.yaml")
    elapsed = time.perf_counter() - started
    lb = api.load_cluster(sandbox).get("Service", "ingress-nginx", "ingress-nginx-controller")
    address = lb["status"]["loadBalancer"]["ingress"][0]["ip"]
    answer = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            names.netns_name(sandbox, "external"),
            "curl",
            "-s",
            "-m",
            "2",
            "-H",
            "Host: bench.example",
            f"http://{address}/p{paths - 1}",
        ],
        capture_output=True,
        text=True,
    )
    if answer.stdout.strip() != "x-b-80":
        raise RuntimeError(f"the new Ingress path did not answer: {answer.stdout!r}")
    return elapsed


def fmt(s: dict, scale: float, unit: str, digits: int) -> str:
    return f"{s['median'] * scale:.{digits}f} [{s['min'] * scale:.{digits}f}-{s['max'] * scale:.{digits}f}] {unit}"


def render_markdown(result: dict) -> str:
    s = result["summary"]
    met = lambda key: "met" if s[key]["median"] <= TARGETS[key] else "**NOT met**"  # noqa: E731
    return f"""# Performance: NetworkPolicy, the reachability matrix, Ingress reloads

Generated by `bench/policy_ingress.py`; do not edit the figures by hand.

```
cd /work/main && .venv/bin/python bench/policy_ingress.py --runs {result["runs"]} --out bench/results/policy_ingress.json --markdown docs/performance-policy-ingress.md
```

Measured {result["started"]} (UTC), {result["runs"]} runs, on commit {result["commit"]}; {result["machine"]}; a
3-node cluster with the NetworkPolicy e2e layout (9 pods serving 80 and 81 over TCP and UDP).

| figure | median [min-max] | target | |
|---|---|---|---|
| from applying a deny policy to the first blocked connection | {fmt(s["policy_s"], 1000, "ms", 0)} | <= {TARGETS["policy_s"] * 1000:.0f} ms | {met("policy_s")} |
| the full matrix, 9 x 9 pods x 2 ports x 2 protocols (324 probes), no policy | {fmt(s["matrix_s"], 1, "s", 2)} | <= {TARGETS["matrix_s"]:.0f} s | {met("matrix_s")} |
| the same matrix with a default-deny policy in x (blocked probes wait 1 s) | {fmt(s["matrix_denied_s"], 1, "s", 2)} | | |
| an Ingress change, until nginx serves the new path | {fmt(s["ingress_s"], 1000, "ms", 0)} | | |

- Policy latency: a thread connects from x/a to x/b every 2 ms; the figure runs from the start of
  `podpath apply` (validation, compile, the node's table replaced in one transaction) to the start of
  the first attempt that failed.
- Matrix: every probe is a real connection (TCP handshake, or a UDP datagram and its answer) from
  inside the source pod, all at once on one event loop.
- Ingress: `podpath apply` returns only once nginx has tested the new configuration, reloaded, and
  its new workers serve; the figure includes that wait.
"""  # noqa: E501 (a Markdown page: its table rows and command lines are as long as they read)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=str(REPO / "bench/results/policy_ingress.json"))
    parser.add_argument("--markdown")
    args = parser.parse_args(argv)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    sandbox = f"bp{secrets.token_hex(4)}"
    api.create_cluster(sandbox, nodes=3)
    runs = []
    try:
        api.apply_manifests(sandbox, layout(), "layout.yaml")
        for index in range(args.runs):
            run = {"policy_s": policy_latency(sandbox), "matrix_s": timed_matrix(sandbox)}
            api.apply_manifests(sandbox, DENY_X, "deny.yaml")
            run["matrix_denied_s"] = timed_matrix(sandbox)
            api.delete_resources(sandbox, [("NetworkPolicy", "x", "deny-all")])
            run["ingress_s"] = ingress_change(sandbox, index + 1)
            runs.append(run)
            print(
                f"run {index}: policy {run['policy_s'] * 1000:.0f} ms, matrix {run['matrix_s']:.2f} s "
                f"(denied {run['matrix_denied_s']:.2f} s), ingress change {run['ingress_s'] * 1000:.0f} ms"
            )
    finally:
        lifecycle.delete_sandbox(sandbox)
    result = {
        "started": started,
        "runs": args.runs,
        "targets": TARGETS,
        "commit": common.commit(["netcore/kube"]),
        "machine": common.machine(),
        "summary": {key: common.median_range([r[key] for r in runs]) for key in runs[0]},
        "runs_detail": runs,
    }
    common.write_json(args.out, result)
    s = result["summary"]
    print(
        f"policy {s['policy_s']['median'] * 1000:.0f} ms (target 100 ms); matrix {s['matrix_s']['median']:.2f} s "
        f"(target 3 s); denied matrix {s['matrix_denied_s']['median']:.2f} s; ingress change "
        f"{s['ingress_s']['median'] * 1000:.0f} ms"
    )
    if args.markdown:
        Path(args.markdown).write_text(render_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
