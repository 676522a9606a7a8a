"""What the web side and the agent say to each other: channel names, job names and message shapes.

The one vocabulary both sides share. The web side (services, consumers, ``agent.client``) sends jobs
and watch requests on the channel of the host holding the sandbox, ``agent_channel(host)``; the agent
(``agent.worker``, running ``agent.jobs``) answers on the sandbox's group and, for a call, on the caller's
reply channel. Plain data only: this module imports neither netcore nor Django, so either side may
import it without pulling in the other.

    in  (podpath-agent.<host>)  JobMessage | WatchMessage
    out (sandbox group)         ProgressMessage, then DoneMessage | FailedMessage;  StateMessage while watched
    out (one watcher)           MissingMessage: nothing builds the sandbox and the kernel has none
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

AGENT_CHANNEL_PREFIX = "podpath-agent"
LOCAL_HOST = "local"  # the embedded run's one host (settings.PODPATH_HOST_ID by default)
WATCH_LEASE_S = 60.0  # a watch lapses unless renewed within this: a dead web process leaves no observer


def agent_channel(host: str) -> str:
    """The channel the agent of kernel host ``host`` reads: every job and watch for its sandboxes."""
    return f"{AGENT_CHANNEL_PREFIX}.{host}"


def sandbox_group(sandbox: str) -> str:
    """The group every page watching a sandbox joins; the agent is its only sender."""
    return f"sandbox.{sandbox}"


# -- job names: what the agent can be asked to do (agent.jobs.JOBS runs them) ---------------------------

LAB_START, LAB_STEP, LAB_RESET, CLUSTER_START = "lab_start", "lab_step", "lab_reset", "cluster_start"
DELETE, APPLY, CNI, GC, LEFTOVERS = "delete", "apply", "cni", "gc", "leftovers"
KERNEL_VIEW, CONSOLE, WALK, WALK_PCAP = "kernel_view", "console", "walk", "walk_pcap"
EXERCISE_START, EXERCISE_SUBMIT, EXERCISE_CHECK = "exercise_start", "exercise_submit", "exercise_check"
EXERCISE_RESET, EXERCISE_PREDICT = "exercise_reset", "exercise_predict"
KUBE_READ, KUBE_WRITE, KUBE_EXEC = "kube_read", "kube_write", "kube_exec"  # kubeapi: one API request each

JOB_NAMES = frozenset(
    {
        LAB_START,
        LAB_STEP,
        LAB_RESET,
        CLUSTER_START,
        DELETE,
        APPLY,
        CNI,
        GC,
        LEFTOVERS,
        KERNEL_VIEW,
        CONSOLE,
        WALK,
        WALK_PCAP,
        EXERCISE_START,
        EXERCISE_SUBMIT,
        EXERCISE_CHECK,
        EXERCISE_RESET,
        EXERCISE_PREDICT,
        KUBE_READ,
        KUBE_WRITE,
        KUBE_EXEC,
    }
)
# Jobs whose outcome goes to the caller only: they change nothing a page watching the sandbox shows.
PRIVATE_JOBS = frozenset({KUBE_READ, KUBE_EXEC, WALK_PCAP, LEFTOVERS})
# Jobs that build a sandbox from nothing: the web tier places the sandbox on a host first.
CREATING_JOBS = frozenset({LAB_START, CLUSTER_START, EXERCISE_START})
# A creating job's argument naming the host it moves from: once built here, that host deletes its copy.
MOVED_FROM = "moved_from"
# Jobs after which the agent reports the sandbox's state to the database (what the pages read).
CHANGING_JOBS = frozenset(
    {
        LAB_START,
        CLUSTER_START,
        LAB_STEP,
        LAB_RESET,
        APPLY,
        CNI,
        EXERCISE_START,
        EXERCISE_SUBMIT,
        EXERCISE_RESET,
        KUBE_WRITE,
    }
)

# The kernel tabs of the player: tab name -> the command the agent runs in every host of the sandbox.
KERNEL_TABS = {
    "links": ["ip", "-d", "-br", "link", "show"],
    "addresses": ["ip", "-br", "-4", "addr", "show"],
    "routes": ["ip", "route", "show", "table", "main"],
    "nftables": ["nft", "list", "ruleset"],
    "conntrack": ["conntrack", "-L"],
}


# -- message types and shapes -----------------------------------------------------------------------------

JOB_TYPE, WATCH_TYPE, UNWATCH_TYPE = "agent.job", "agent.watch", "agent.unwatch"
PROGRESS_TYPE, DONE_TYPE, FAILED_TYPE, STATE_TYPE = "job.progress", "job.done", "job.failed", "state.view"
MISSING_TYPE = "sandbox.missing"


class JobMessage(TypedDict):
    type: Literal["agent.job"]
    job: str
    sandbox: str
    args: dict[str, Any]
    job_id: str
    reply_channel: NotRequired[str]  # a call waits for the outcome here


class WatchMessage(TypedDict):
    type: Literal["agent.watch", "agent.unwatch"]
    sandbox: str
    watcher: str  # the channel name of the page
    lease: NotRequired[float]  # seconds the watch holds unless sent again (a watch renews it)


class ProgressMessage(TypedDict):
    type: Literal["job.progress"]
    job_id: str
    job: str
    done: int
    total: int
    what: str


class SpecDetail(TypedDict):
    source: str
    field: str
    expected: str


class DoneMessage(TypedDict):
    type: Literal["job.done"]
    job_id: str
    job: str
    sandbox: str
    result: dict[str, Any]


class FailedMessage(TypedDict):
    type: Literal["job.failed"]
    job_id: str
    job: str
    sandbox: str
    error: str
    spec: NotRequired[SpecDetail]  # a refused document: the page shows the error at the field


class StateMessage(TypedDict):
    type: Literal["state.view"]
    view: dict[str, Any]  # labs.live.LiveView.to_message()


class MissingMessage(TypedDict):
    """To a page that watches a sandbox no job builds and the kernel has no record of (deleted with the
    CLI, say): without it the page would wait forever for a build."""

    type: Literal["sandbox.missing"]
    sandbox: str


class KubeRequest(TypedDict, total=False):
    """The args of kube_read and kube_write: one API request (netcore.kube.rest.server.Request)."""

    verb: str  # get, list, create, update, patch, delete
    group: str
    version: str
    resource: str
    namespace: str
    name: str
    subresource: str
    body: Any
    patch_type: str
    label_selector: str
    field_selector: str
    table: bool
    include_object: str
    dry_run: bool


class KubeAnswer(TypedDict):
    """The result of kube_read and kube_write: the HTTP status, the body, the Warning headers."""

    code: int
    body: Any
    warnings: list[str]


class KubeExecArgs(TypedDict):
    namespace: str
    pod: str
    container: str
    command: list[str]  # run in the learner jail; result {"exit": int, "output": str}


def job_message(
    job: str, sandbox: str, args: dict[str, Any], job_id: str, reply_channel: str | None = None
) -> JobMessage:
    """A job for the agent; an unknown job name is refused here, before it crosses the channel layer."""
    if job not in JOB_NAMES:
        raise ValueError(f"unknown job {job!r} (jobs: {', '.join(sorted(JOB_NAMES))})")
    message: JobMessage = {"type": JOB_TYPE, "job": job, "sandbox": sandbox, "args": args, "job_id": job_id}
    if reply_channel:
        message["reply_channel"] = reply_channel
    return message


def watch_message(sandbox: str, watcher: str, *, watching: bool = True, lease: float = WATCH_LEASE_S) -> WatchMessage:
    message: WatchMessage = {"type": WATCH_TYPE if watching else UNWATCH_TYPE, "sandbox": sandbox, "watcher": watcher}
    if watching:
        message["lease"] = lease
    return message


def progress_message(job_id: str, job: str, done: int, total: int, what: str) -> ProgressMessage:
    return {"type": PROGRESS_TYPE, "job_id": job_id, "job": job, "done": done, "total": total, "what": what}


def done_message(job_id: str, job: str, sandbox: str, result: dict[str, Any]) -> DoneMessage:
    return {"type": DONE_TYPE, "job_id": job_id, "job": job, "sandbox": sandbox, "result": result}


def failed_message(job_id: str, job: str, sandbox: str, error: str, spec: SpecDetail | None = None) -> FailedMessage:
    message: FailedMessage = {"type": FAILED_TYPE, "job_id": job_id, "job": job, "sandbox": sandbox, "error": error}
    if spec is not None:
        message["spec"] = spec
    return message


def state_message(view: dict[str, Any]) -> StateMessage:
    return {"type": STATE_TYPE, "view": view}


def missing_message(sandbox: str) -> MissingMessage:
    return {"type": MISSING_TYPE, "sandbox": sandbox}
