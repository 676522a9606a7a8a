"""Load YAML that a learner or a lab author wrote without letting aliases or depth run away.

YAML aliases share one node: ``b: [*a, *a, ...]`` nine times over nine levels reads in a millisecond
as a few dozen nodes, then costs 9**9 visits to anything that walks the result (validation, a copy,
JSON for the channel layer). go-yaml, under kubectl and the API server, refuses such documents
("excessive aliasing"); so does this module, by counting the nodes each document expands to before
constructing it. Nesting deeper than ``MAX_DEPTH`` is refused too, instead of exhausting Python's stack.
Pure: PyYAML only.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_EXPANDED_NODES = 200_000  # far above any real manifest or lab step (a few thousand nodes)
ALIAS_RATIO = 10  # expansions this many times the document's own nodes are aliasing, not content
MAX_DEPTH = 200


class ExcessiveAliasing(yaml.YAMLError):
    """A document whose aliases expand beyond what any real document needs."""


def expanded_size(root: yaml.Node) -> tuple[int, int, int]:
    """Return (nodes once expanded, distinct nodes, depth) of a node graph, without recursion."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        children = (
            [child for pair in node.value for child in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
            if isinstance(node, yaml.SequenceNode)
            else []
        )
        if children_done:
            size[key] = 1 + sum(size[id(child)] for child in children)
            depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
            if size[key] > MAX_EXPANDED_NODES * ALIAS_RATIO:
                return size[key], len(size), depth[key]  # enough to refuse: stop counting
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in size)
    return size[id(root)], len(size), depth[id(root)]


def check_node(node: yaml.Node) -> None:
    expanded, distinct, deepest = expanded_size(node)
    if expanded > MAX_EXPANDED_NODES and expanded > ALIAS_RATIO * distinct:
        raise ExcessiveAliasing(f"excessive aliasing: {distinct} nodes expand to more than {MAX_EXPANDED_NODES:,}")
    if deepest > MAX_DEPTH:
        raise ExcessiveAliasing(f"nested {deepest} levels deep, at most {MAX_DEPTH}")


def nesting_depth(value: Any) -> int:
    """How deep lists and mappings nest in a loaded document (JSON has no aliases, but can nest), without
    recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return deepest


def load_all(text: str, loader_class: type) -> list[Any]:
    """``yaml.load_all``, refusing a document that expands too far or nests too deep (yaml.YAMLError)."""
    loader = loader_class(text)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            check_node(node)
            documents.append(loader.construct_document(node))
        return documents
    except RecursionError:  # PyYAML's pure-Python composer recurses once per level
        raise ExcessiveAliasing(f"nested too deep (at most {MAX_DEPTH} levels)") from None
    finally:
        loader.dispose()


def load(text: str, loader_class: type) -> Any:
    """``yaml.load`` of a single document, with the same limits as ``load_all``."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_node(node)
        return loader.construct_document(node)
    except RecursionError:
        raise ExcessiveAliasing(f"nested too deep (at most {MAX_DEPTH} levels)") from None
    finally:
        loader.dispose()
