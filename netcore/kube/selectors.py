"""Label selectors: matching labels, parsing kubectl's ``-l`` syntax, and printing selectors back.

Two selector shapes exist in Kubernetes: the LabelSelector of Deployments and NetworkPolicies
(matchLabels and matchExpressions; the empty one selects everything) and a Service's plain map (where
an empty or missing map selects nothing). Controllers match with ``matches``/``matches_service``; the
command line turns ``-l 'app=web,tier!=db'`` into a LabelSelector with ``parse_label_selector``.
"""

from __future__ import annotations

import re
from typing import Any

from netcore.errors import SpecError
from netcore.kube.rules import label_value_error, qualified_name_error


def matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """Tell whether a LabelSelector selects these labels (None selects nothing, {} everything)."""
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In":
            ok = key in labels and labels[key] in values
        elif operator == "NotIn":
            ok = key not in labels or labels[key] not in values
        elif operator == "Exists":
            ok = key in labels
        elif operator == "DoesNotExist":
            ok = key not in labels
        else:
            raise ValueError(f"unknown label selector operator {operator!r}")
        if not ok:
            return False
    return True


def matches_service(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    """Tell whether a Service's selector map selects these labels (None or {} selects nothing)."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(key) == value for key, value in selector.items())


TOKEN = re.compile(r"\s*(==|!=|=|!|,|\(|\)|<|>|[^\s=!,()<>]+)")
PUNCTUATION = frozenset({"==", "!=", "=", "!", ",", "(", ")", "<", ">"})


def parse_label_selector(text: str) -> dict[str, Any]:
    """Parse kubectl's label selector syntax (``app=web,tier!=db,env in (a,b),!legacy``) into a LabelSelector."""
    tokens, position = [], 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            break  # only trailing whitespace is left
        tokens.append(match.group(1))
        position = match.end()
    parser = SelectorParser(text, tokens)
    return parser.parse()


class SelectorParser:
    """A recursive-descent parser over the tokens of one selector."""

    def __init__(self, text: str, tokens: list[str]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.match_labels: dict[str, str] = {}
        self.expressions: list[dict[str, Any]] = []

    def fail(self, expected: str) -> SpecError:
        return SpecError(f"label selector {self.text!r}", "", expected)

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str | None:
        token = self.peek()
        self.index += 1
        return token

    def parse(self) -> dict[str, Any]:
        while self.peek() is not None:
            self.requirement()
            token = self.take()
            if token not in (None, ","):
                raise self.fail(f"',' between requirements, got {token!r}")
            if token == "," and self.peek() is None:
                raise self.fail("a requirement after ',', got the end")
        selector: dict[str, Any] = {}
        if self.match_labels:
            selector["matchLabels"] = self.match_labels
        if self.expressions:
            selector["matchExpressions"] = self.expressions
        return selector

    def requirement(self) -> None:
        if self.peek() == "!":
            self.take()
            self.expressions.append({"key": self.key(), "operator": "DoesNotExist"})
            return
        key = self.key()
        operator = self.peek()
        if operator in (None, ","):
            self.expressions.append({"key": key, "operator": "Exists"})
        elif operator in ("=", "=="):
            self.take()
            value = self.value()
            if key in self.match_labels:
                self.expressions.append({"key": key, "operator": "In", "values": [value]})
            else:
                self.match_labels[key] = value
        elif operator == "!=":
            self.take()
            self.expressions.append({"key": key, "operator": "NotIn", "values": [self.value()]})
        elif operator in ("in", "notin"):
            self.take()
            self.expressions.append(
                {"key": key, "operator": "In" if operator == "in" else "NotIn", "values": self.values()}
            )
        elif operator in ("<", ">"):
            raise self.fail(
                f"one of =, ==, !=, in, notin after {key!r} (label selectors have no {operator}), got {operator!r}"
            )
        else:
            raise self.fail(f"one of =, ==, !=, in, notin, ',' or the end after {key!r}, got {operator!r}")

    def key(self) -> str:
        token = self.take()
        if token is None or token in PUNCTUATION:
            raise self.fail(f"a label key, got {token!r}" if token else "a label key, got the end")
        if error := qualified_name_error(token):
            raise self.fail(f"{error}")
        return token

    def value(self) -> str:
        token = self.peek()
        if token is None or token in (",", ")"):
            return ""  # app= selects the empty value, as in kubectl
        self.take()
        if token in PUNCTUATION:
            raise self.fail(f"a label value, got {token!r}")
        if error := label_value_error(token):
            raise self.fail(error)
        return token

    def values(self) -> list[str]:
        if self.take() != "(":
            raise self.fail("'(' and a list of values after in/notin")
        values: list[str] = []
        while True:
            values.append(self.value())
            token = self.take()
            if token == ")":
                break
            if token != ",":
                raise self.fail(
                    f"',' or ')' in a list of values, got {token!r}"
                    if token
                    else "')' to close the list of values, got the end"
                )
        if values == [""]:
            raise self.fail("at least one value between the parentheses, got none")
        return sorted(set(values))


def format_labels(labels: dict[str, str] | None) -> str:
    """Print a label map like kubectl: ``app=web,tier=db`` sorted by key, ``<none>`` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def format_label_selector(selector: dict[str, Any] | None) -> str:
    """Print a LabelSelector like kubectl: requirements sorted by key, ``<none>`` when it has none."""
    requirements: list[tuple[str, str]] = []
    for key, value in ((selector or {}).get("matchLabels") or {}).items():
        requirements.append((key, f"{key}={value}"))
    for expression in (selector or {}).get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = ",".join(sorted(expression.get("values") or []))
        text = {
            "In": f"{key} in ({values})",
            "NotIn": f"{key} notin ({values})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(operator, f"{key} {operator} ({values})")
        requirements.append((key, text))
    if not requirements:
        return "<none>"
    return ",".join(text for _, text in sorted(requirements, key=lambda item: item[0]))
