"""``kubectl get -w``: a watch, answered as a stream of JSON events by polling the agent.

The agent is asked for the list every half second (a ``kube_read`` job each, answered to the caller
only); what changed between two lists becomes ADDED, MODIFIED and DELETED events, one JSON object a
line, as the API server streams them. A watch from ``resourceVersion`` N starts from the current list:
objects newer than N are reported (as MODIFIED), the rest are the baseline. With ``as=Table`` each
event carries a one-row Table, which kubectl prints as a line. Bookmarks go out every 30 s when asked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from agent.client import call
from agent.protocol import KUBE_READ
from netcore.errors import PodpathError
from netcore.kube.rest import discovery
from netcore.kube.rest.status import status_object
from netcore.kube.rest.table import table_object

POLL_S = 0.5
BOOKMARK_S = 30.0
DEFAULT_TIMEOUT_S = 1800.0

Key = tuple[str, str]


def key(obj: dict[str, Any]) -> Key:
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


def version_number(obj: dict[str, Any]) -> int:
    try:
        return int(obj["metadata"].get("resourceVersion", "0"))
    except ValueError:
        return 0


def changes(before: dict[Key, dict[str, Any]], after: dict[Key, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Events that take ``before`` to ``after`` (pure)."""
    events = [("DELETED", obj) for k, obj in before.items() if k not in after]
    for k, obj in after.items():
        if k not in before:
            events.append(("ADDED", obj))
        elif before[k] != obj:
            events.append(("MODIFIED", obj))
    return events


def first_events(current: dict[Key, dict[str, Any]], since: str) -> list[tuple[str, dict[str, Any]]]:
    """What a new watch reports at once: everything (no resourceVersion, or 0), or what is newer than ``since``."""
    if since in ("", "0"):
        return [("ADDED", obj) for obj in current.values()]
    threshold = int(since) if since.isdigit() else 0
    return [("MODIFIED", obj) for obj in current.values() if version_number(obj) > threshold]


def encode(event: str, obj: dict[str, Any], args: dict[str, Any], table: bool) -> bytes:
    if table:
        kind = discovery.kind_for(args["group"], args["version"], args["resource"])
        assert kind is not None
        obj = table_object(
            kind,
            [obj],
            now=datetime.now(UTC),
            resource_version=obj["metadata"].get("resourceVersion", ""),
            include_object=args.get("include_object", "Metadata"),
        )
    return json.dumps({"type": event, "object": obj}, separators=(",", ":")).encode() + b"\n"


def bookmark(args: dict[str, Any], version: str, *, initial_events_end: bool = False) -> bytes:
    """A BOOKMARK event; the one that ends a watch-list's initial events says so in an annotation."""
    kind = discovery.kind_for(args["group"], args["version"], args["resource"])
    assert kind is not None
    meta: dict[str, Any] = {"resourceVersion": version}
    if initial_events_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return (
        json.dumps(
            {"type": "BOOKMARK", "object": {"kind": kind.kind, "apiVersion": kind.api_version, "metadata": meta}}
        ).encode()
        + b"\n"
    )


async def watch_stream(
    sandbox: str,
    args: dict[str, Any],
    *,
    since: str,
    table: bool,
    bookmarks: bool,
    timeout: float,
    initial_events: bool = False,
) -> AsyncIterator[bytes]:
    """Yield watch events until ``timeout`` (or the client goes away and the server cancels us).

    ``initial_events`` is a watch-list (``sendInitialEvents=true``, what ``rollout status`` and informers
    send): every object as ADDED, then the bookmark that marks the end of them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    previous: dict[Key, dict[str, Any]] | None = None
    last_version, bookmark_at = since, loop.time() + BOOKMARK_S
    while loop.time() < deadline:
        try:
            answer = await call(KUBE_READ, sandbox, {"request": args}, timeout=30)
        except PodpathError as error:
            yield json.dumps({"type": "ERROR", "object": status_object("InternalError", str(error))}).encode() + b"\n"
            return
        if answer["code"] != 200:
            yield json.dumps({"type": "ERROR", "object": answer["body"]}).encode() + b"\n"
            return
        current = {key(o): o for o in answer["body"]["items"]}
        last_version = answer["body"]["metadata"].get("resourceVersion", last_version)
        if previous is None:
            for event, obj in first_events(current, "" if initial_events else since):
                yield encode(event, obj, args, table)
            if initial_events:
                yield bookmark(args, last_version, initial_events_end=True)
        else:
            for event, obj in changes(previous, current):
                yield encode(event, obj, args, table)
        previous = current
        if bookmarks and loop.time() >= bookmark_at:
            yield bookmark(args, last_version)
            bookmark_at = loop.time() + BOOKMARK_S
        await asyncio.sleep(POLL_S)
