"""Selectors: LabelSelector and Service selector semantics, kubectl's -l syntax, and printing selectors back."""

from __future__ import annotations

import pytest

from netcore.errors import SpecError
from netcore.kube.selectors import format_label_selector, format_labels, matches, matches_service, parse_label_selector

WEB = {"app": "web", "tier": "frontend", "env": "a"}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        (None, WEB, False),
        ({}, WEB, True),
        ({}, {}, True),
        ({"matchLabels": {"app": "web"}}, WEB, True),
        ({"matchLabels": {"app": "web", "tier": "db"}}, WEB, False),
        ({"matchExpressions": [{"key": "env", "operator": "In", "values": ["a", "b"]}]}, WEB, True),
        ({"matchExpressions": [{"key": "env", "operator": "In", "values": ["b"]}]}, WEB, False),
        ({"matchExpressions": [{"key": "missing", "operator": "In", "values": ["a"]}]}, WEB, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}, WEB, True),
        ({"matchExpressions": [{"key": "missing", "operator": "NotIn", "values": ["db"]}]}, WEB, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, WEB, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, WEB, False),
        ({"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]}, WEB, True),
        (
            {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["a"]}]},
            WEB,
            False,
        ),
    ],
)
def test_label_selectors_match_as_kubernetes_does(selector, labels, expected):
    assert matches(selector, labels) is expected


def test_a_service_selector_that_is_missing_or_empty_selects_nothing():
    assert matches_service({"app": "web"}, WEB)
    assert not matches_service({"app": "web", "tier": "db"}, WEB)
    assert not matches_service({}, WEB)
    assert not matches_service(None, WEB)
    assert not matches_service({"app": "web"}, None)


def test_kubectls_selector_syntax_parses_into_a_label_selector():
    assert parse_label_selector("app=web,tier!=db,env in (b, a),!legacy,track,version==v2") == {
        "matchLabels": {"app": "web", "version": "v2"},
        "matchExpressions": [
            {"key": "tier", "operator": "NotIn", "values": ["db"]},
            {"key": "env", "operator": "In", "values": ["a", "b"]},
            {"key": "legacy", "operator": "DoesNotExist"},
            {"key": "track", "operator": "Exists"},
        ],
    }
    assert parse_label_selector("") == {}
    assert parse_label_selector("  ") == {}
    assert parse_label_selector("app=") == {"matchLabels": {"app": ""}}
    assert parse_label_selector("example.com/role notin (db)") == {
        "matchExpressions": [{"key": "example.com/role", "operator": "NotIn", "values": ["db"]}]
    }


def test_a_key_given_twice_with_equals_keeps_both_requirements():
    selector = parse_label_selector("app=web,app=api")
    assert selector == {
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}],
    }
    assert not matches(selector, {"app": "web"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app=web,", "a requirement after ',', got the end"),
        ("app in (a", "')' to close the list of values, got the end"),
        ("app in ()", "at least one value between the parentheses, got none"),
        ("app in a", "'(' and a list of values after in/notin"),
        ("replicas>2", "label selectors have no >"),
        ("app=web tier=db", "',' between requirements, got 'tier'"),
        ("-app=web", "a key of at most 63 letters"),
        ("app=web!", "',' between requirements, got '!'"),
        ("app!=!", "a label value, got '!'"),
        ("=web", "a label key, got '='"),
    ],
)
def test_malformed_selectors_say_what_was_expected(text, expected):
    with pytest.raises(SpecError) as caught:
        parse_label_selector(text)
    assert caught.value.source == f"label selector {text!r}"
    assert expected in caught.value.expected


def test_selectors_print_like_kubectl():
    assert format_labels({"tier": "db", "app": "web"}) == "app=web,tier=db"
    assert format_labels({}) == "<none>"
    assert format_label_selector({}) == "<none>"
    assert (
        format_label_selector(
            {
                "matchLabels": {"role": "db"},
                "matchExpressions": [
                    {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                    {"key": "tier", "operator": "NotIn", "values": ["cache"]},
                    {"key": "legacy", "operator": "DoesNotExist"},
                    {"key": "app", "operator": "Exists"},
                ],
            }
        )
        == "app,env in (dev,prod),!legacy,role=db,tier notin (cache)"
    )


def test_parsed_selectors_match_what_they_say():
    selector = parse_label_selector("app=web,tier!=db,env in (a,b),!legacy")
    assert matches(selector, WEB)
    assert not matches(selector, {**WEB, "legacy": "yes"})
    assert not matches(selector, {**WEB, "tier": "db"})
    assert format_label_selector(selector) == "app=web,env in (a,b),!legacy,tier notin (db)"
