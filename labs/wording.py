"""Learner wording for what the agent reports (pure): "building node0… 11 hosts, 45% done" while a sandbox
is built, "now on step 3: 2 hosts, 6 addresses changed in 0.3 s" when done, instead of netcore's
operation names ("107 operations (4 AddAddress…)").

The consumers turn each progress and done message into these words; netcore's own reports stay as they
are for the CLI and the benchmarks.
"""

from __future__ import annotations

import re

# What a kind of operation changes, in the words of the narrative (singular, plural), in the order a
# learner reads them; the rest (sysctls, files, interface settings) is detail the kernel tabs show.
NOUNS = {
    "CreateNamespace": ("host", "hosts"),
    "DeleteNamespace": ("host", "hosts"),
    "CreateLink": ("cable or device", "cables and devices"),
    "DeleteLink": ("cable or device", "cables and devices"),
    "AddAddress": ("address", "addresses"),
    "DeleteAddress": ("address", "addresses"),
    "AddRoute": ("route", "routes"),
    "DeleteRoute": ("route", "routes"),
    "LoadRuleset": ("firewall/NAT table", "firewall/NAT tables"),
    "DeleteRuleset": ("firewall/NAT table", "firewall/NAT tables"),
    "StartServer": ("server", "servers"),
    "StopServer": ("server", "servers"),
}
ORDER = list(dict.fromkeys(NOUNS.values()))
HOST_PATTERNS = (
    re.compile(r"^(?:create namespace for|delete namespace of) host (?P<host>\S+)"),
    re.compile(r"^(?:add \S+|set|delete link) (?P<host>[^\s:]+):"),
    re.compile(r"^(?P<host>[^\s:]+): "),
)
JOB_VERBS = {
    "lab_start": "building",
    "exercise_start": "building",
    "lab_step": "changing",
    "lab_reset": "resetting",
    "exercise_reset": "resetting",
    "apply": "applying on",
    "exercise_submit": "applying on",
    "cni": "switching the pod network on",
    "delete": "removing",
}


def host_of(what: str) -> str | None:
    """The host an operation summary is about, if it names one."""
    for pattern in HOST_PATTERNS:
        match = pattern.match(what)
        if match:
            return match.group("host")
    return None


def progress_words(*, job: str, what: str, done: int, total: int, hosts: int | None) -> str:
    """One progress line: the host being worked on, how many hosts the build makes, how far it is.

    The kernel works in passes over the hosts (namespaces, then settings, links, addresses, routes), so
    a count of hosts reached would hit the total early and stand still: the share done is what moves."""
    verb = JOB_VERBS.get(job, "working on")
    share = f"{100 * done // total}% done" if total else ""
    size = f"{hosts} host{'s' if hosts != 1 else ''}, " if hosts else ""
    host = host_of(what)
    if host is None:
        if what.startswith(("start ", "stop ")):
            doing = "starting the servers in the pods" if what.startswith("start") else "stopping servers"
        else:
            doing = "writing the hosts' files" if "files" in what else f"{verb} the sandbox"
    else:
        doing = f"{verb} {host}"
    return f"{doing}… {size}{share}".rstrip(", ")


def hosts_created(what: str, done: int) -> int | None:
    """The number of hosts a build makes, told by its first pass (every new namespace at once)."""
    return done if what.startswith("create namespace for host") else None


def changes_words(counts: dict[str, int]) -> str:
    """What a change did, by kind: "2 hosts, 4 cables and devices, 6 addresses" ("" for details only)."""
    totals: dict[tuple[str, str], int] = {}
    for kind, number in counts.items():
        if kind in NOUNS:
            totals[NOUNS[kind]] = totals.get(NOUNS[kind], 0) + number
    return ", ".join(f"{totals[noun]} {noun[1] if totals[noun] != 1 else noun[0]}" for noun in ORDER if noun in totals)


def done_words(job: str, result: dict) -> str:
    """The line shown when a job is done."""
    report = result.get("report") or {}
    step = result.get("step")
    if job == "delete":
        return "sandbox removed"
    if job == "gc":
        return result.get("gc", "leftovers removed")
    head = {
        "lab_start": f"step {step} is ready",
        "lab_step": f"now on step {step}",
        "lab_reset": "back on step 1",
        "exercise_start": "your sandbox is ready",
        "exercise_reset": "back on the starting state",
        "apply": "applied",
        "cni": "pod network switched",
    }.get(job, "done")
    if not report.get("operations"):
        return f"{head}: nothing needed changing" if job not in ("lab_start", "exercise_start") else head
    what = changes_words(report.get("counts", {}))
    verb = "built" if job in ("lab_start", "exercise_start") else "changed"
    took = f"{report.get('seconds', 0):.1f} s"
    return f"{head}: {what} {verb} in {took}" if what else f"{head} ({took})"
