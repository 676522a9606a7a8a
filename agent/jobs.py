"""What the agent can be asked to do, each a plain synchronous function over netcore.

A job gets its arguments and a progress callback and returns a JSON-able result or raises
PodpathError with a message for the page. The agent (``agent.worker``) runs jobs on worker
threads; nothing here knows about Django, channels or browsers.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.protocol import KERNEL_TABS
from exercises import checks, get_exercise
from labs import stepper
from labs.catalog import get_lab
from labs.last_change import last_change, record_change
from netcore import names
from netcore.errors import PodpathError
from netcore.jail.learner import run_learner_command
from netcore.kernel.base import Progress
from netcore.kernel.run import run_in_namespace
from netcore.kube import api
from netcore.reconcile import Report
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import read_record


def report_json(report: Report) -> dict:
    return {
        "operations": report.operations,
        "counts": report.counts,
        "summaries": list(report.summaries),
        "seconds": round(report.read_s + report.apply_s, 3),
        "describe": report.describe(),
    }


def step_title(sandbox: str, number: int) -> str:
    lab, _ = stepper.lab_position(sandbox=sandbox)
    return f"step {number} ({lab.step(number).title})"


def lab_start(*, sandbox: str, lab_id: str, step: int = 1, progress: Progress) -> dict:
    get_lab(lab_id).step(step)
    report = stepper.lab_start(sandbox=sandbox, lab_id=lab_id, step=step, progress=progress)
    record_change(sandbox, f"building {step_title(sandbox, step)}", report)
    return {"step": step, "report": report_json(report)}


def lab_step(*, sandbox: str, step: int | None = None, by: int = 0, progress: Progress) -> dict:
    """Move to ``step``, or ``by`` steps from where the sandbox is when the job runs (next: 1): the
    agent runs one sandbox's moves in the order they were asked, so quick clicks add up."""
    if step is None:
        step = stepper.step_after(sandbox=sandbox, by=by)
    report = stepper.lab_step(sandbox=sandbox, step=step, progress=progress)
    record_change(sandbox, f"moving to {step_title(sandbox, step)}", report)
    return {"step": step, "report": report_json(report)}


def lab_reset(*, sandbox: str, progress: Progress) -> dict:
    report = stepper.lab_reset(sandbox=sandbox, progress=progress)
    record_change(sandbox, f"the reset to {step_title(sandbox, 1)}", report)
    return {"step": 1, "report": report_json(report)}


def cluster_start(*, sandbox: str, nodes: int = 2, cni: str = "bridge", progress: Progress) -> dict:
    """Create a sandbox holding an empty Kubernetes cluster (``podpath sandbox create --cluster``)."""
    report = api.create_cluster(sandbox, nodes, cni, progress)
    return {"nodes": nodes, "cni": cni, "report": report_json(report)}


def delete(*, sandbox: str, progress: Progress) -> dict:
    lifecycle.delete_sandbox(sandbox)
    return {"deleted": sandbox}


def apply_manifests(*, sandbox: str, text: str, source: str = "editor", progress: Progress) -> dict:
    applied = api.apply_manifests(sandbox, text, source, progress)
    record_change(sandbox, f"applying manifests from the {source}", applied.report)
    return {
        "outcomes": [[list(key), outcome] for key, outcome in applied.outcomes],
        "warnings": [f"Warning: {warning}" for key, _ in applied.outcomes for warning in applied.warnings.get(key, [])],
        "report": report_json(applied.report),
    }


def set_cni(*, sandbox: str, mode: str, progress: Progress) -> dict:
    report = api.set_cni(sandbox, mode, progress)
    record_change(sandbox, f"switching the CNI to {mode}", report)
    return {"cni": mode, "report": report_json(report)}


JOBS: dict[str, Callable[..., dict]] = {
    "lab_start": lab_start,
    "lab_step": lab_step,
    "lab_reset": lab_reset,
    "cluster_start": cluster_start,
    "delete": delete,
    "apply": apply_manifests,
    "cni": set_cni,
}


def run_job(name: str, arguments: dict, progress: Progress) -> dict:
    """Run one job by name; an unknown job is a PodpathError like any refusal."""
    job = JOBS.get(name)
    if job is None:
        raise PodpathError(f"unknown job {name!r} (jobs: {', '.join(sorted(JOBS))})")
    return job(**arguments, progress=progress)


def kernel_view(*, sandbox: str, tab: str, progress: Progress) -> dict:
    """What the kernel says, per host, for one tab of the player (the real commands' output)."""
    if tab not in KERNEL_TABS:
        raise PodpathError(f"unknown tab {tab!r} (tabs: {', '.join(KERNEL_TABS)})")
    hosts = read_record(sandbox).hosts
    out = {}
    for host in hosts:
        result = run_in_namespace(names.netns_name(sandbox, host), KERNEL_TABS[tab], timeout=10, max_output=1024 * 1024)
        out[host] = result.text().strip()
    change = last_change(sandbox)
    changed = None if change is None or tab not in change.tabs else {"title": change.title, "hosts": change.tabs[tab]}
    return {"tab": tab, "command": " ".join(KERNEL_TABS[tab]), "hosts": out, "change": changed}


JOBS["kernel_view"] = kernel_view


def collect_garbage(*, sandbox: str, only: list[str] | None = None, progress: Progress) -> dict:
    """Remove leftovers no sandbox owns, or only those of the sandbox names ``only`` (``sandbox`` is
    ignored: the job is host-wide)."""
    return {"gc": lifecycle.collect_garbage(None if only is None else set(only)).describe()}


JOBS["gc"] = collect_garbage


def list_leftovers(*, sandbox: str, progress: Progress) -> dict:
    """What "remove leftovers" would remove on this host, by sandbox name: namespaces and files no sandbox
    record owns (a crash or an interrupted delete leaves them). Reads only (``sandbox`` is ignored)."""
    garbage = lifecycle.find_garbage()
    return {"leftovers": [{"sandbox": name, "items": leftover_items(garbage.of({name}))} for name in garbage.sandboxes]}


def leftover_items(garbage: lifecycle.GarbageReport) -> list[str]:
    return [
        *garbage.namespaces,
        *(f"/etc/netns/{d}" for d in garbage.netns_dirs),
        *(f"runtime directory {d}" for d in garbage.runtime_dirs),
    ]


JOBS["leftovers"] = list_leftovers


def console(*, sandbox: str, target: str, line: str, progress: Progress) -> dict:
    """Run one console line in a host or pod for a learner: never a shell, always in the learner jail."""
    from labs.console import MAX_OUTPUT, TIME_LIMIT_S, Refused, parse_command
    from labs.tries import namespace_for

    try:
        command = parse_command(line)
    except Refused as error:
        raise PodpathError(str(error)) from None
    cluster = api.load_cluster(sandbox) if read_record(sandbox).meta.get("kind") == "cluster" else None
    namespace = namespace_for(sandbox, target, cluster)
    result = run_learner_command(namespace, command.argv, timeout=TIME_LIMIT_S, max_output=MAX_OUTPUT)
    return {"target": target, "command": command.text(), "exit": result.exit_code, "output": result.text()}


JOBS["console"] = console


def packet_walk(
    *,
    sandbox: str,
    source: str,
    destination: str,
    protocol: str | None = None,
    port: int | None = None,
    progress: Progress,
) -> dict:
    """Send one real request and return its walk (podpath.walk/1), keeping its pcap for download."""
    from netcore.walk.run import walk

    result = walk(sandbox=sandbox, source=source, destination=destination, protocol=protocol or None, port=port or None)
    return walk_kept(sandbox, result.walk)


def walk_kept(sandbox: str, walk) -> dict:
    """A walk as JSON with the id of its pcap, kept in the sandbox's directory for download."""
    import secrets

    from netcore.walk.pcap import render_pcap

    walk_id = secrets.token_hex(6)
    directory = names.sandbox_dir(sandbox) / "walks"
    directory.mkdir(exist_ok=True)
    (directory / f"{walk_id}.pcap").write_bytes(render_pcap(walk))
    return {"walk": walk.to_json(), "walk_id": walk_id}


JOBS["walk"] = packet_walk


def walk_pcap(*, sandbox: str, walk_id: str, progress: Progress) -> dict:
    """A kept walk's capture, base64 (the web tier asks for it: it reads no kernel host's files)."""
    import base64

    from netcore.errors import NotFound

    path = names.sandbox_dir(sandbox) / "walks" / f"{walk_id}.pcap"
    if not walk_id.isalnum() or not path.is_file():
        raise NotFound(f"no walk {walk_id!r} in sandbox {sandbox}")
    return {"pcap": base64.b64encode(path.read_bytes()).decode()}


JOBS["walk_pcap"] = walk_pcap


# -- exercises (exercises.checks): build, submit, check, reset, settle a prediction ----------------------------


def exercise_start(*, sandbox: str, exercise_id: str, progress: Progress) -> dict:
    report = checks.exercise_start(sandbox=sandbox, exercise=get_exercise(exercise_id), progress=progress)
    return {"exercise": exercise_id, "report": report_json(report)}


def exercise_submit(*, sandbox: str, exercise_id: str, text: str, progress: Progress) -> dict:
    """Apply a student's document; a refusal is data (errors naming document and field), not a failure."""
    return checks.exercise_submit(
        sandbox=sandbox, exercise=get_exercise(exercise_id), text=text, progress=progress
    ).to_json()


def exercise_check(*, sandbox: str, exercise_id: str, progress: Progress) -> dict:
    """Run every check: per criterion passed or failed, what was observed, and the hint for a failure."""
    with lifecycle.locked(sandbox):
        pass  # a build or change still under way finishes first: checks look at a settled sandbox
    results = checks.exercise_check(sandbox=sandbox, exercise=get_exercise(exercise_id))
    return {"results": [r.to_json() for r in results], "passed": all(r.passed for r in results)}


def exercise_reset(*, sandbox: str, exercise_id: str, progress: Progress) -> dict:
    report = checks.exercise_reset(sandbox=sandbox, exercise=get_exercise(exercise_id), progress=progress)
    return {"exercise": exercise_id, "report": report_json(report)}


def exercise_predict(*, sandbox: str, exercise_id: str, progress: Progress) -> dict:
    """Send the packet that settles an exercise's prediction; return the verdict and the walk to play."""
    with lifecycle.locked(sandbox):
        pass
    result, walk = checks.predict_observe(sandbox=sandbox, exercise=get_exercise(exercise_id))
    return {"result": result.to_json(), **(walk_kept(sandbox, walk) if walk is not None else {})}


JOBS.update(
    {
        "exercise_start": exercise_start,
        "exercise_submit": exercise_submit,
        "exercise_check": exercise_check,
        "exercise_reset": exercise_reset,
        "exercise_predict": exercise_predict,
    }
)


# -- the Kubernetes API (kubeapi): agent.kube_jobs --------------------------------------------------------------


def _kube_jobs() -> dict[str, Callable[..., dict]]:
    from agent.kube_jobs import kube_exec, kube_request

    return {"kube_read": kube_request, "kube_write": kube_request, "kube_exec": kube_exec}


JOBS.update(_kube_jobs())
