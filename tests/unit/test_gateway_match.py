"""Route matching and precedence against the Gateway API spec's own examples and tables."""

from __future__ import annotations

import pytest

from netcore.kube.gateway.match import (
    Candidate,
    Condition,
    Match,
    Request,
    covers,
    hostname_matches,
    intersect_hostnames,
    mismatch,
    select,
    select_hostname,
)


@pytest.mark.parametrize(
    "pattern, host, expected",
    [
        ("*.example.com", "foo.example.com", True),
        ("*.example.com", "foo.bar.example.com", True),  # a wildcard covers any number of labels
        ("*.example.com", "example.com", False),
        ("foo.example.com", "FOO.example.com", True),
        ("foo.example.com", "bar.example.com", False),
        ("*", "anything", True),
    ],
)
def test_hostnames_match_as_the_spec_says(pattern, host, expected):
    assert hostname_matches(pattern, host) is expected


@pytest.mark.parametrize(
    "listener, route, expected",
    [
        # The spec's HTTPRoute.hostnames examples.
        ("foo.example.com", ["foo.example.com"], ["foo.example.com"]),
        ("*.example.com", ["foo.example.com", "bar.example.com"], ["foo.example.com", "bar.example.com"]),
        ("foo.example.com", ["*.example.com"], ["foo.example.com"]),
        ("*.example.com", ["*.foo.example.com"], ["*.foo.example.com"]),
        ("*.example.com", ["example.com"], []),
        ("foo.example.com", ["bar.example.com"], []),
        (None, ["foo.example.com"], ["foo.example.com"]),
        ("foo.example.com", [], ["foo.example.com"]),
        (None, [], ["*"]),
    ],
)
def test_listener_and_route_hostnames_intersect(listener, route, expected):
    assert intersect_hostnames(listener, route) == expected


def test_the_most_specific_hostname_wins():
    names = ["*", "*.example.com", "*.foo.example.com", "bar.foo.example.com"]
    assert select_hostname(names, "bar.foo.example.com") == "bar.foo.example.com"
    assert select_hostname(names, "baz.foo.example.com") == "*.foo.example.com"
    assert select_hostname(names, "x.example.com") == "*.example.com"
    assert select_hostname(names, "other.org") == "*"
    assert covers("*.example.com", "*.foo.example.com") and not covers("*.foo.example.com", "*.example.com")


@pytest.mark.parametrize(
    "path_type, value, path, expected",
    [
        ("PathPrefix", "/abc", "/abc", True),
        ("PathPrefix", "/abc", "/abc/", True),
        ("PathPrefix", "/abc", "/abc/def", True),
        ("PathPrefix", "/abc", "/abcd", False),
        ("PathPrefix", "/abc/", "/abc", True),  # a trailing slash is ignored
        ("PathPrefix", "/", "/anything", True),
        ("Exact", "/abc", "/abc", True),
        ("Exact", "/abc", "/abc/", False),
        ("RegularExpression", "/v[0-9]+/.*", "/v2/items", True),
        ("RegularExpression", "/v[0-9]+", "/v2/items", False),  # anchored at both ends
    ],
)
def test_paths_match_by_type(path_type, value, path, expected):
    assert (mismatch(Match(path_type, value), Request("h", path)) is None) is expected


def test_headers_are_case_insensitive_by_name_and_exact_by_value():
    match = Match(headers=(Condition("Version", "two"),), query=(Condition("animal", "whale"),), method="POST")
    assert mismatch(match, Request("h", "/", "POST", (("version", "two"),), (("animal", "whale"),))) is None
    assert "header" in mismatch(match, Request("h", "/", "POST", (("version", "Two"),), (("animal", "whale"),)))
    assert "query" in mismatch(match, Request("h", "/", "POST", (("version", "two"),), (("Animal", "whale"),)))
    assert "method" in mismatch(match, Request("h", "/", "GET", (("version", "two"),), (("animal", "whale"),)))


def candidate(route: str, rule: int, match: Match, created: str = "2026-01-01T00:00:00Z", index: int = 0) -> Candidate:
    return Candidate(match, route, rule, index, created, target=f"{route}#{rule}")


def winner(candidates: list[Candidate], request: Request) -> str:
    found = select(candidates, request)
    return found.target if found else "404"


def test_precedence_follows_the_specs_order_of_criteria():
    # Each criterion of HTTPRouteRule's precedence, from the spec, each beating the next one's advantage.
    exact = candidate("ns/exact", 0, Match("Exact", "/a/b"), created="2026-02-01T00:00:00Z")
    longest = candidate("ns/long", 0, Match("PathPrefix", "/a/b"))
    shorter_with_method = candidate("ns/method", 0, Match("PathPrefix", "/a", method="GET"))
    shorter_with_headers = candidate(
        "ns/headers", 0, Match("PathPrefix", "/a", headers=(Condition("x", "1"), Condition("y", "1")))
    )
    shorter_one_header_and_query = candidate(
        "ns/query", 0, Match("PathPrefix", "/a", headers=(Condition("x", "1"),), query=(Condition("q", "1"),))
    )
    all_ = [shorter_one_header_and_query, shorter_with_headers, shorter_with_method, longest, exact]
    headers = (("x", "1"), ("y", "1"))
    assert winner(all_, Request("h", "/a/b", "GET", headers, (("q", "1"),))) == "ns/exact#0"
    assert winner(all_, Request("h", "/a/b/c", "GET", headers, (("q", "1"),))) == "ns/long#0"
    assert winner(all_, Request("h", "/a/c", "GET", headers, (("q", "1"),))) == "ns/method#0"
    assert winner(all_, Request("h", "/a/c", "POST", headers, (("q", "1"),))) == "ns/headers#0"
    assert winner(all_, Request("h", "/a/c", "POST", (("x", "1"),), (("q", "1"),))) == "ns/query#0"
    assert winner(all_, Request("h", "/a/c", "POST", (("x", "1"),), ())) == "404"


def test_ties_go_to_the_oldest_route_then_by_name_then_to_the_first_rule():
    same = Match("PathPrefix", "/")
    older = candidate("b/route", 0, same, created="2026-01-01T00:00:00Z")
    newer = candidate("a/route", 0, same, created="2026-01-02T00:00:00Z")
    assert winner([newer, older], Request("h", "/")) == "b/route#0"
    first_by_name = candidate("a/route", 0, same, created="2026-01-01T00:00:00Z")
    assert winner([older, first_by_name], Request("h", "/")) == "a/route#0"
    second_rule = candidate("a/route", 1, same, created="2026-01-01T00:00:00Z")
    assert winner([second_rule, first_by_name], Request("h", "/")) == "a/route#0"


def test_a_regular_expression_ranks_between_exact_paths_and_prefixes():
    regex = candidate("ns/regex", 0, Match("RegularExpression", "/a/.*"))
    prefix = candidate("ns/prefix", 0, Match("PathPrefix", "/a/b"))
    exact = candidate("ns/exact", 0, Match("Exact", "/a/b"))
    assert winner([prefix, regex, exact], Request("h", "/a/b")) == "ns/exact#0"
    assert winner([prefix, regex, exact], Request("h", "/a/b/c")) == "ns/regex#0"
