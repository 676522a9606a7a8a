"""YAML and JSON read and written the way kubectl does (sigs.k8s.io/yaml over go-yaml v2).

Reading: a stream starting with ``{`` is JSON (one or more objects); anything else is YAML 1.1 with
go-yaml v2's scalars: ``y``/``n``/``on``/``off`` are booleans, ``1e3`` is a float, but timestamps and
``1:20`` stay strings. Duplicate keys are refused; keys that are not strings become their text.
Writing: keys sorted, block style, strings quoted only when they would read back as another type.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from netcore.errors import SpecError
from netcore.yamlsafe import MAX_DEPTH, load_all, nesting_depth

# The API server refuses a request body over 3 MiB ("Request entity too large: limit is 3145728").
MAX_STREAM_BYTES = 3 * 1024 * 1024

BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# go-yaml v2's implicit scalars (resolve.go), in the order it tries them.
RESOLVERS = [
    (
        "tag:yaml.org,2002:bool",
        r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
        r"|on|On|ON|off|Off|OFF)$",
        "yYnNtTfFoO",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$",
        "-+0123456789",
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
]
BOOLEANS = {"y": True, "yes": True, "true": True, "on": True, "n": False, "no": False, "false": False, "off": False}


def install_resolvers(cls: type[yaml.resolver.BaseResolver]) -> None:
    """Replace a loader's or dumper's implicit scalar types with go-yaml v2's."""
    cls.yaml_implicit_resolvers = {}
    for tag, pattern, first in RESOLVERS:
        cls.add_implicit_resolver(tag, re.compile(pattern), list(first))


class KubectlLoader(BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader with go-yaml v2's scalars, refusing duplicate keys."""

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> bool:
        return BOOLEANS[self.construct_scalar(node).lower()]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"mapping key {key_node.value!r} already defined", key_node.start_mark
                    )
                seen.add(key_node.value)
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                if not isinstance(key_node, yaml.ScalarNode):
                    raise yaml.constructor.ConstructorError(
                        None, None, "a mapping key must be a string", key_node.start_mark
                    )
                key = key_node.value  # sigs.k8s.io/yaml turns 80: or true: into the string key
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


install_resolvers(KubectlLoader)
KubectlLoader.add_constructor("tag:yaml.org,2002:bool", KubectlLoader.construct_yaml_bool)
KubectlLoader.add_constructor("tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node, deep=True))


def parse_stream(text: str, source: str) -> list[Any]:
    """Parse every document of a YAML or JSON stream; empty YAML documents come back as None."""
    text = text.lstrip("\ufeff")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_STREAM_BYTES:
        raise SpecError(
            source, "", f"at most 3 MiB of manifests, as the API server accepts, got {size / 2**20:.1f} MiB"
        )
    if text.lstrip().startswith("{"):
        return parse_json_stream(text, source)
    try:
        return load_all(text, KubectlLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source}: line {mark.line + 1}, column {mark.column + 1}" if mark else source
        raise SpecError(where, "", f"not valid YAML ({error.problem or error.context})") from None
    except yaml.YAMLError as error:
        raise SpecError(source, "", f"not valid YAML ({error})") from None


def parse_json_stream(text: str, source: str) -> list[Any]:
    """Parse one or more concatenated JSON values, refusing duplicate keys."""
    decoder = json.JSONDecoder(object_pairs_hook=unique_pairs)
    documents: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return documents
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise SpecError(
                f"{source}: line {error.lineno}, column {error.colno}", "", f"not valid JSON ({error.msg})"
            ) from None
        except ValueError as error:
            raise SpecError(source, "", f"not valid JSON ({error})") from None
        except RecursionError:
            raise SpecError(source, "", "not valid JSON (nested too deep)") from None
        if nesting_depth(document) > MAX_DEPTH:  # validation walks documents recursively
            raise SpecError(
                f"{source}: document {len(documents) + 1}",
                "",
                f"at most {MAX_DEPTH} levels of nesting, got {nesting_depth(document)}",
            )
        documents.append(document)


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, refusing a key given twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} already defined")
        out[key] = value
    return out


class KubectlDumper(BaseDumper):  # type: ignore[misc, valid-type]
    """A safe dumper writing strings as go-yaml v2 does."""


install_resolvers(KubectlDumper)
# go-yaml v2 also quotes strings that older YAML readers would take for timestamps or base-60 numbers.
KubectlDumper.add_implicit_resolver(
    "tag:yaml.org,2002:timestamp",
    re.compile(
        r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
        r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$"
    ),
    list("0123456789"),
)
KubectlDumper.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$"), list("-+0123456789")
)


def represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Write a string plain, quoted when it would read back as another type, or as a block."""
    if "\n" in data:
        style = "|"
    elif dumper.resolve(yaml.ScalarNode, data, (True, False)) != "tag:yaml.org,2002:str":
        style = '"'  # "80", "true", "": quoted so they read back as strings
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


KubectlDumper.add_representer(str, represent_str)


def dump_yaml(obj: Any) -> str:
    """Write an object as kubectl's ``-o yaml`` does."""
    return yaml.dump(obj, Dumper=KubectlDumper, sort_keys=True, default_flow_style=False, allow_unicode=True)
