"""HTTPRoute matching as the Gateway API spec defines it (pure): hostnames, matches, and precedence.

- Hostnames: ``*.example.com`` matches any name ending in ``.example.com`` (one label or more), never
  ``example.com`` itself. A listener's hostname and a route's hostnames intersect into the names the
  route serves on that listener (``intersect_hostnames``); no intersection means the route does not
  attach there (NoMatchingListenerHostname).
- A match is a path (Exact; PathPrefix by whole path elements, a trailing ``/`` ignored, so ``/abc``
  matches ``/abc``, ``/abc/`` and ``/abc/def`` but not ``/abcd``; RegularExpression, anchored at both
  ends), an optional method, and any number of headers (names case-insensitive) and query parameters
  (names case-sensitive), Exact or RegularExpression. Every condition of a match must hold; any match of
  a rule selects the rule.
- Precedence across all rules of the routes serving one hostname (``precedence``): an Exact path,
  then the longest PathPrefix, then a method, then the most header matches, then the most query
  parameter matches; on a tie the oldest route, then the route first by ``namespace/name``, then the
  first rule and match in the route. RegularExpression paths' precedence is left to implementations:
  here they rank after Exact paths and before prefixes, longer expressions first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ANY_HOST = "*"  # a listener or route without hostnames: every host


@dataclass(frozen=True)
class Condition:
    """One header or query parameter condition."""

    name: str
    value: str
    type: str = "Exact"  # or RegularExpression

    def holds(self, found: str | None) -> bool:
        if found is None:
            return False
        if self.type == "RegularExpression":
            return re.fullmatch(self.value, found) is not None
        return found == self.value


@dataclass(frozen=True)
class Match:
    """One HTTPRouteMatch."""

    path_type: str = "PathPrefix"
    path: str = "/"
    method: str | None = None
    headers: tuple[Condition, ...] = ()
    query: tuple[Condition, ...] = ()

    def describe(self) -> str:
        parts = [f"{self.path_type} {self.path}"]
        if self.method:
            parts.append(f"method {self.method}")
        parts += [f"header {c.name}{'~' if c.type == 'RegularExpression' else '='}{c.value}" for c in self.headers]
        parts += [f"query {c.name}{'~' if c.type == 'RegularExpression' else '='}{c.value}" for c in self.query]
        return ", ".join(parts)


@dataclass(frozen=True)
class Request:
    """What a match looks at in a request."""

    host: str
    path: str = "/"
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ",".join(values) if values else None

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.query if key == name), None)


@dataclass(frozen=True)
class Candidate:
    """One match of one rule of one route, with what orders it among the others."""

    match: Match
    route: str  # namespace/name
    rule: int
    index: int  # the match's position in its rule
    created: str = ""  # the route's creationTimestamp
    target: str = field(default="", compare=False)  # what serves it (a rule's name in the configuration)


# -- hostnames ----------------------------------------------------------------------------------------


def hostname_matches(pattern: str, host: str) -> bool:
    """Whether a hostname (``*.example.com`` or exact, ``*`` for any) matches a request's host."""
    host = host.lower().rstrip(".")
    if pattern == ANY_HOST:
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def covers(wide: str, narrow: str) -> bool:
    """Whether every host ``narrow`` matches is matched by ``wide`` too."""
    if wide == ANY_HOST or wide == narrow:
        return True
    if narrow == ANY_HOST:
        return False
    if wide.startswith("*."):
        suffix = wide[1:]
        return narrow.endswith(suffix) and len(narrow) > len(suffix) and narrow != wide
    return False


def intersect_hostnames(listener: str | None, route: list[str]) -> list[str]:
    """Return the hostnames a route serves on a listener (``*`` for any); empty when they do not meet."""
    wide = listener or ANY_HOST
    if not route:
        return [wide]
    out: list[str] = []
    for name in route:
        if covers(wide, name):
            found = name
        elif covers(name, wide):
            found = wide
        else:
            continue
        if found not in out:
            out.append(found)
    return out


def specificity(hostname: str) -> tuple[int, int]:
    """Order hostnames most specific first: exact names, then longer wildcards, then any host."""
    if hostname == ANY_HOST:
        return (2, 0)
    if hostname.startswith("*."):
        return (1, -len(hostname))
    return (0, -len(hostname))


def select_hostname(hostnames: list[str], host: str) -> str | None:
    """Return the most specific of the hostnames that matches a request's host, or None."""
    matching = [name for name in hostnames if hostname_matches(name, host)]
    return min(matching, key=specificity) if matching else None


# -- matches ------------------------------------------------------------------------------------------


def path_matches(match: Match, path: str) -> bool:
    if match.path_type == "Exact":
        return path == match.path
    if match.path_type == "RegularExpression":
        return re.fullmatch(match.path, path) is not None
    prefix = match.path.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def mismatch(match: Match, request: Request) -> str | None:
    """Return why a match does not select a request (the first condition that fails), or None."""
    if not path_matches(match, request.path):
        return f"path {request.path} is not {match.path_type} {match.path}"
    if match.method and match.method != request.method:
        return f"method {request.method} is not {match.method}"
    for condition in match.headers:
        if not condition.holds(request.header(condition.name)):
            return f"header {condition.name} is {request.header(condition.name) or 'absent'}, not {condition.value}"
    for condition in match.query:
        if not condition.holds(request.param(condition.name)):
            return f"query {condition.name} is {request.param(condition.name) or 'absent'}, not {condition.value}"
    return None


def precedence(candidate: Candidate) -> tuple[object, ...]:
    """The sort key putting the candidate that wins a tie first."""
    match = candidate.match
    rank = {"Exact": 0, "RegularExpression": 1}.get(match.path_type, 2)
    length = len(match.path.rstrip("/")) if rank == 2 else len(match.path)
    return (
        rank,
        -length,
        match.method is None,
        -len(match.headers),
        -len(match.query),
        candidate.created,
        candidate.route,
        candidate.rule,
        candidate.index,
    )


def ordered(candidates: list[Candidate]) -> list[Candidate]:
    """Return the candidates in the order a request tries them: the first that matches wins."""
    return sorted(candidates, key=precedence)


def select(candidates: list[Candidate], request: Request) -> Candidate | None:
    """Return the candidate that serves a request, by the spec's precedence, or None (a 404)."""
    return next((c for c in ordered(candidates) if mismatch(c.match, request) is None), None)


def parse_match(spec: dict[str, object]) -> Match:
    """Turn a (defaulted) HTTPRouteMatch into a Match."""
    path = spec.get("path") if isinstance(spec.get("path"), dict) else {}
    assert isinstance(path, dict)

    def conditions(key: str) -> tuple[Condition, ...]:
        items = spec.get(key) or []
        assert isinstance(items, list)
        return tuple(Condition(item["name"], item["value"], item.get("type", "Exact")) for item in items)

    method = spec.get("method")
    return Match(
        path_type=str(path.get("type", "PathPrefix")),
        path=str(path.get("value", "/")),
        method=str(method) if method else None,
        headers=conditions("headers"),
        query=conditions("queryParams"),
    )
