"""Structural validation against the Kubernetes OpenAPI schemas that kubernetes-validate bundles.

This is the API server's strict decoding: unknown fields, wrong types and missing required fields,
reported with their paths. The schemas (strict variant, Kubernetes ``SCHEMA_VERSION``) are read and
compiled once per process; a validation then costs well under a millisecond per object. What the
schema cannot say (names, ranges, cross-field rules) is left to ``podchecks`` and ``netchecks``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.protocols import Validator
from referencing import Registry, Resource

from netcore.kube.fields import Problem, describe, quote
from netcore.kube.gateway.constants import GROUP as GATEWAY_GROUP
from netcore.kube.gateway.schema import gateway_schema
from netcore.kube.kinds import Kind

SCHEMA_VERSION = "1.34.0"
SCHEMA_DIR = ("kubernetes-json-schema", f"v{SCHEMA_VERSION}-local-strict")
TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
}


def strict_integer(checker: Any, instance: Any) -> bool:
    """Tell whether a value is a JSON integer (not a boolean, not a float)."""
    # YAML's 80.0 is a float: the API server refuses it for an int32 field, and so do we.
    return isinstance(instance, int) and not isinstance(instance, bool)


TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", strict_integer)
KubernetesValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=TYPES)


def read_schema(name: str) -> dict[str, Any]:
    """Read one bundled schema file."""
    path = resources.files("kubernetes_validate").joinpath(*SCHEMA_DIR, name)
    return json.loads(path.read_text())


@cache
def definitions() -> Registry:
    """Return a registry holding the shared definitions every kind's schema refers to."""
    contents = read_schema("_definitions.json")
    return Registry().with_resource(contents["$id"], Resource.from_contents(contents))


@cache
def validator_for(kind: Kind) -> Validator:
    """Return the compiled validator of a kind's current apiVersion, like ``deployment-apps-v1.json``."""
    if kind.group == GATEWAY_GROUP:  # CRDs: their schemas are Podpath's transcription, not kubernetes-validate's
        return KubernetesValidator(gateway_schema(kind.kind, kind.api_version), registry=definitions())
    group = kind.group.split(".")[0]
    name = f"{kind.kind.lower()}-{group}-{kind.version}.json" if group else f"{kind.kind.lower()}-{kind.version}.json"
    return KubernetesValidator(read_schema(name), registry=definitions())


def check_schema(obj: dict[str, Any], kind: Kind) -> list[Problem]:
    """Return every structural problem of an object of the given kind (at its current apiVersion)."""
    problems: list[Problem] = []
    for error in validator_for(kind).iter_errors(obj):
        problems += translate(error)
    return problems


def translate(error: jsonschema.ValidationError) -> list[Problem]:
    """Turn one jsonschema error into problems worded for a manifest author."""
    path = tuple(error.absolute_path)
    instance: Any = error.instance  # the part of the document that failed: any JSON value
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    value: Any = error.validator_value  # a piece of the JSON schema: its shape depends on the validator
    if error.validator == "additionalProperties" and value is False:
        known = sorted(schema.get("properties", {}))
        return [Problem((*path, key), unknown_field(key, known)) for key in instance if key not in known]
    if error.validator == "required":
        return [Problem((*path, key), "a value (this field is required)") for key in value if key not in instance]
    if error.validator == "type":
        hint = ""
        if "string" in as_list(value) and isinstance(instance, (bool, int, float)):
            hint = " (YAML reads y, n, yes, no, on, off, true, false and numbers as such: quote the value)"
        return [Problem(path, f"{type_words(value)}, got {describe(instance)}{hint}")]
    if error.validator == "oneOf":
        types = [t for sub in value for t in as_list(sub.get("type", []))]
        return [Problem(path, f"{type_words(types)}, got {describe(instance)}")]
    if error.validator == "enum":
        return [Problem(path, f"one of {', '.join(map(quote, value))}, got {quote(instance)}")]
    return [Problem(path, error.message)]


def unknown_field(key: str, known: list[str]) -> str:
    """Word an unknown field, suggesting the known one it was probably meant to be."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
    if close:
        return f'unknown field; did you mean "{close[0]}"?'
    if len(known) <= 10:
        return f"unknown field; known fields here: {', '.join(known)}"
    return "unknown field"


def type_words(types: str | list[str]) -> str:
    """Say which JSON types were expected: ``an integer or a string``."""
    wanted = set(as_list(types)) - {"null"}
    unique = [words for name, words in TYPE_WORDS.items() if name in wanted]
    return " or ".join(unique) if unique else "nothing"


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
