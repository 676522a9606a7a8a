"""The exercise engine's shell: build an exercise's starting state, apply a submission, run the checks.

    exercise_start(sandbox=..., exercise=...)            a new sandbox on the starting state
    exercise_submit(sandbox=..., exercise=..., text=...)  apply a student's YAML; errors come back as data
    exercise_check(sandbox=..., exercise=...)            every check, for real -> list[CheckResult]
    exercise_reset(sandbox=..., exercise=...)            back to the starting state
    predict_settle(sandbox=..., exercise=...)            run the prediction's packet walk and judge it
    predict_observe(sandbox=..., exercise=...)           the same, with the walk itself to play

Checks run concurrently: every TCP/UDP probe together on one event loop (``netcore.reach``), pings
and commands on threads, object checks straight from the stored cluster; then the packet walks, one
at a time, with nothing else of the check in flight. The judging itself is pure
(``exercises.judge``).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from exercises.definition import (
    Check,
    CheckResult,
    Command,
    Exercise,
    ObjectState,
    PathCheck,
    Reachability,
    SubmitError,
    SubmitResult,
)
from exercises.judge import (
    Reached,
    command_judge,
    object_judge,
    path_judge,
    reachability_judge,
    target_address,
)
from exercises.submission import manifests_from_text, topology_from_text
from labs.catalog import Try
from labs.placeholders import PLACEHOLDER, expand
from labs.tries import namespace_for, run_try
from netcore import names
from netcore.errors import PodpathError, SpecError
from netcore.kernel.base import Progress
from netcore.kernel.run import run_in_namespace
from netcore.kube import api
from netcore.kube.manifests import InvalidManifest
from netcore.reach import Probe, probe_all
from netcore.reconcile import Report
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import read_record

SUBMISSION_FILE = "exercise-submission.yaml"  # the last accepted topology, to roll back to
SUBMISSION_SOURCE = "submission"
MAX_WORKERS = 16


# -- starting, resetting -------------------------------------------------------------------------------


def exercise_start(*, sandbox: str, exercise: Exercise, progress: Progress | None = None) -> Report:
    """Create ``sandbox`` on the exercise's starting state."""
    meta = {"exercise": exercise.id}
    if exercise.cluster is not None:
        start = exercise.cluster
        return api.create_cluster(sandbox, start.nodes, start.cni, progress, meta, list(start.objects))
    return lifecycle.create_sandbox(sandbox, exercise.topology, meta, progress)


def exercise_reset(*, sandbox: str, exercise: Exercise, progress: Progress | None = None) -> Report:
    """Put an exercise's sandbox back on its starting state (what the student changed is undone)."""
    exercise_of(sandbox, exercise)
    if exercise.cluster is not None:
        return api.replace_user_objects(
            sandbox, list(exercise.cluster.objects), None, progress, cni=exercise.cluster.cni
        )
    report = lifecycle.apply_to_sandbox(sandbox, exercise.topology, None, progress)
    (names.sandbox_dir(sandbox) / SUBMISSION_FILE).unlink(missing_ok=True)
    return report


def exercise_of(sandbox: str, exercise: Exercise) -> None:
    """Refuse a sandbox that was not started for this exercise."""
    started = read_record(names.check_sandbox_name(sandbox)).meta.get("exercise")
    if started != exercise.id:
        raise PodpathError(
            f"sandbox {sandbox!r} was started for "
            f"{'exercise ' + repr(started) if started else 'no exercise'}, not {exercise.id!r}"
        )


# -- submitting ----------------------------------------------------------------------------------------


def exercise_submit(*, sandbox: str, exercise: Exercise, text: str, progress: Progress | None = None) -> SubmitResult:
    """Apply what a student wrote: a whole topology (topology exercises) or manifests (cluster ones).

    A document that is not valid is refused as a whole, with every problem as data naming the
    document and field; nothing changes. If the kernel refuses a valid topology, the sandbox goes
    back to the last accepted one and the refusal comes back as an error too.
    """
    exercise_of(sandbox, exercise)
    try:
        if exercise.cluster is not None:
            return submit_manifests(sandbox, text, progress)
        return submit_topology(sandbox, exercise, text, progress)
    except InvalidManifest as invalid:
        return SubmitResult(False, tuple(SubmitError(e.source, e.field, e.expected) for e in invalid.errors))
    except SpecError as error:
        return SubmitResult(False, (SubmitError(error.source, error.field, error.expected),))


def submit_topology(sandbox: str, exercise: Exercise, text: str, progress: Progress | None) -> SubmitResult:
    desired = topology_from_text(text, SUBMISSION_SOURCE)
    saved = names.sandbox_dir(sandbox) / SUBMISSION_FILE
    try:
        report = lifecycle.apply_to_sandbox(sandbox, desired, None, progress)
    except PodpathError as error:
        previous = topology_from_text(saved.read_text(), str(saved)) if saved.exists() else exercise.topology
        try:
            lifecycle.apply_to_sandbox(sandbox, previous)
        except PodpathError as again:
            raise PodpathError(f"{error}; putting the previous topology back failed too: {again}") from error
        return SubmitResult(
            False,
            (
                SubmitError(
                    SUBMISSION_SOURCE, "", f"a topology the kernel accepts: {error} (the previous topology is back)"
                ),
            ),
        )
    saved.write_text(text)
    return SubmitResult(True, changes=tuple(report.summaries), operations=report.operations)


def submit_manifests(sandbox: str, text: str, progress: Progress | None) -> SubmitResult:
    submitted = manifests_from_text(text, SUBMISSION_SOURCE)
    changes: list[str] = []
    operations = 0
    if submitted.count:  # validated as a whole first: if refused, the pod network is not switched either
        try:
            outcomes, report, _warnings = api.apply_manifests(sandbox, submitted.text, SUBMISSION_SOURCE, progress)
        except SpecError:
            raise
        except PodpathError as error:  # the API refused a valid document (a pod cannot move, ...)
            return SubmitResult(False, (SubmitError(SUBMISSION_SOURCE, "", str(error)),))
        changes += [f"{kind.lower()}/{name} {word}" for (kind, _, name), word in outcomes]
        operations += report.operations
    if submitted.cni is not None:
        current = api.load_cluster(sandbox).config.cni
        if submitted.cni == current:
            changes.append(f"podnetwork {current} unchanged")
        else:
            try:
                report = api.set_cni(sandbox, submitted.cni, progress)
            except PodpathError as error:
                return SubmitResult(
                    False, (SubmitError(SUBMISSION_SOURCE, "", str(error)),), tuple(changes), operations
                )
            changes.append(f"podnetwork {current} -> {submitted.cni}")
            operations += report.operations
    return SubmitResult(True, changes=tuple(changes), operations=operations)


# -- checking ------------------------------------------------------------------------------------------


class Context:
    """What every check of one run shares: the sandbox, its cluster (read once), its hosts' addresses
    (read from the kernel on first use)."""

    def __init__(self, sandbox: str) -> None:
        self.sandbox = sandbox
        self.cluster = api.load_cluster(sandbox) if read_record(sandbox).meta.get("kind") == "cluster" else None
        self.lock = threading.Lock()
        self.addresses: dict[str, list[str]] | None = None

    def host_addresses(self) -> dict[str, list[str]]:
        with self.lock:
            if self.addresses is None:
                state = lifecycle.read_sandbox_state(self.sandbox)
                found: dict[str, list[str]] = {host: [] for host in state.hosts}
                for address in sorted(
                    state.addresses, key=lambda a: (a.end.host, a.end.ifname != "eth0", a.end.ifname, a.cidr)
                ):
                    if not address.cidr.startswith("127."):
                        found[address.end.host].append(address.cidr)
                self.addresses = found
            return self.addresses

    def expand(self, text: str) -> str:
        return expand(text, self.cluster) if self.cluster is not None else text

    def expand_pattern(self, pattern: str) -> str:
        """A regular expression with its placeholders filled in as literal text."""
        if self.cluster is None:
            return pattern
        return PLACEHOLDER.sub(lambda m: re.escape(expand(m.group(0), self.cluster)), pattern)


def exercise_check(*, sandbox: str, exercise: Exercise) -> list[CheckResult]:
    """Run every check of the exercise in the sandbox, for real; one result per check, in order."""
    exercise_of(sandbox, exercise)
    return checks_run(sandbox=sandbox, checks=exercise.checks, fallback_hint=exercise.hints[0])


def checks_run(
    *, sandbox: str, checks: tuple[Check, ...] | list[Check], fallback_hint: str | None
) -> list[CheckResult]:
    """Run checks and return their results in order (the engine behind exercise_check).

    Probes, pings, commands and object checks run concurrently; packet walks run afterwards, one at a
    time, so that no other connection of the check shares the sandbox with the packet a walk follows.
    """
    context = Context(sandbox)
    verdicts: dict[int, tuple[bool, str, float]] = {}
    probes = [(i, c) for i, c in enumerate(checks) if isinstance(c, Reachability) and c.protocol != "icmp"]
    walks = [(i, c) for i, c in enumerate(checks) if isinstance(c, PathCheck)]
    others = [(i, c) for i, c in enumerate(checks) if (i, c) not in probes and (i, c) not in walks]
    jobs: list[tuple[list[int], Callable[[], list[tuple[bool, str, float]]]]] = []
    if probes:
        jobs.append(([i for i, _ in probes], lambda: probe_checks(context, [c for _, c in probes])))
    for index, check in others:
        jobs.append(([index], lambda check=check: [timed(lambda: check_one(context, check))]))
    if jobs:
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(jobs))) as pool:
            futures = [(indexes, pool.submit(job)) for indexes, job in jobs]
            for indexes, future in futures:
                for index, verdict in zip(indexes, future.result(), strict=True):
                    verdicts[index] = verdict
    for index, check in walks:
        verdicts[index] = timed(lambda check=check: check_one(context, check))
    results = []
    for index, check in enumerate(checks):
        passed, observed, seconds = verdicts[index]
        results.append(
            CheckResult(
                index,
                check.type,
                check.title,
                passed,
                observed,
                None if passed else (check.hint or fallback_hint),
                seconds,
            )
        )
    return results


def timed(run: Callable[[], tuple[bool, str]]) -> tuple[bool, str, float]:
    started = time.monotonic()
    try:
        passed, observed = run()
    except PodpathError as error:  # an unknown host, pod or Service, a placeholder with nothing behind it
        passed, observed = False, str(error)
    return passed, observed, time.monotonic() - started


def check_one(context: Context, check: Check) -> tuple[bool, str]:
    if isinstance(check, Reachability):
        return ping_check(context, check)
    if isinstance(check, Command):
        return command_check(context, check)
    if isinstance(check, ObjectState):
        if context.cluster is None:
            return False, "this sandbox has no cluster"
        return object_judge(check, context.cluster)
    if isinstance(check, PathCheck):
        walk = path_observe(
            sandbox=context.sandbox,
            source=check.source,
            target=context.expand(check.target),
            protocol=check.protocol,
            port=check.port,
            timeout=check.timeout,
        )
        return path_judge(check.expect, walk)
    raise TypeError(f"unknown check {check!r}")


def probe_checks(context: Context, checks: list[Reachability]) -> list[tuple[bool, str, float]]:
    """Every TCP and UDP reachability check at once: concurrent connections, one per check."""
    out: list[tuple[bool, str, float] | None] = [None] * len(checks)
    planned: dict[float, list[tuple[int, Probe]]] = {}
    for position, check in enumerate(checks):
        try:
            namespace = namespace_for(context.sandbox, check.source, context.cluster)
            address = target_address(
                context.expand(check.target), check.source, context.cluster, context.host_addresses
            )
        except PodpathError as error:
            out[position] = (False, str(error), 0.0)
            continue
        planned.setdefault(check.timeout, []).append(
            (position, Probe(namespace, address, check.port, check.protocol.upper()))
        )
    for seconds, group in planned.items():
        outcomes = probe_all([probe for _, probe in group], seconds)
        for (position, probe), outcome in zip(group, outcomes, strict=True):
            reached = Reached(probe.ip, outcome.connected, outcome.detail, outcome.seconds)
            out[position] = (*reachability_judge(checks[position], reached), outcome.seconds)
    return out  # type: ignore[return-value]


def ping_check(context: Context, check: Reachability) -> tuple[bool, str]:
    """An ICMP echo from inside the source's namespace (the machine's ping, bounded by the timeout)."""
    namespace = namespace_for(context.sandbox, check.source, context.cluster)
    address = target_address(context.expand(check.target), check.source, context.cluster, context.host_addresses)
    wait = max(1, round(check.timeout))
    started = time.monotonic()
    result = run_in_namespace(namespace, ["ping", "-n", "-c", "1", "-W", str(wait), address], timeout=wait + 5)
    output = result.text()
    connected = result.exit_code == 0
    detail = "connected" if connected else "unreachable" if "unreachable" in output.lower() else "no reply"
    return reachability_judge(check, Reached(address, connected, detail, time.monotonic() - started))


def command_check(context: Context, check: Command) -> tuple[bool, str]:
    result = run_try(context.sandbox, Try(check.host, check.run), check.timeout)
    expected = context.expand(check.output) if check.output is not None else None
    pattern = context.expand_pattern(check.matches) if check.matches is not None else None
    return command_judge(check, result.returncode, result.output, expected, pattern)


# -- the packet walk -------------------------------------------------------------------------------------


def path_observe(
    *, sandbox: str, source: str, target: str, protocol: str | None, port: int | None, timeout: float
) -> Any:
    """Send one real packet with the packet walk (``netcore.walk``) and return its ``Walk``.

    The only place the exercise engine calls the walk: path checks and predictions go through here.
    """
    from netcore.walk.run import walk

    return walk(sandbox=sandbox, source=source, destination=target, protocol=protocol, port=port, timeout=timeout).walk


def predict_settle(*, sandbox: str, exercise: Exercise) -> CheckResult:
    """Run the prediction's walk and judge it against what the right answer implies."""
    return predict_observe(sandbox=sandbox, exercise=exercise)[0]


def predict_observe(*, sandbox: str, exercise: Exercise) -> tuple[CheckResult, Any]:
    """``predict_settle``, and the ``Walk`` itself for the page to play (None if no packet could be sent)."""
    exercise_of(sandbox, exercise)
    if exercise.predict is None:
        raise PodpathError(f"exercise {exercise.id!r} has no prediction")
    spec = exercise.predict.walk
    started = time.monotonic()
    walk = None
    try:
        walk = path_observe(
            sandbox=sandbox,
            source=spec.source,
            target=Context(sandbox).expand(spec.target),
            protocol=spec.protocol,
            port=spec.port,
            timeout=spec.timeout,
        )
        passed, observed = path_judge(spec.expect, walk)
    except PodpathError as error:  # an unknown pod or Service, a placeholder with nothing behind it
        passed, observed = False, str(error)
    result = CheckResult(
        -1,
        "predict",
        exercise.predict.question,
        passed,
        observed,
        None if passed else exercise.predict.explain,
        time.monotonic() - started,
    )
    return result, walk
