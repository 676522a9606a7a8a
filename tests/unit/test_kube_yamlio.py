"""YAML and JSON in and out as kubectl (sigs.k8s.io/yaml over go-yaml v2) reads and writes them."""

from __future__ import annotations

import pytest

from netcore.errors import SpecError
from netcore.kube.yamlio import dump_yaml, parse_stream


def test_scalars_resolve_as_go_yaml_v2_resolves_them():
    (doc,) = parse_stream(
        "a: y\nb: Off\nc: 1e3\nd: 0755\ne: 2024-01-01\nf: 1:20\ng: =\nh: ~\ni: 0x1F\nj: '80'\nk: 1_000\nl: .5\n",
        "m.yaml",
    )
    assert doc == {
        "a": True,
        "b": False,
        "c": 1000.0,
        "d": 493,
        "e": "2024-01-01",
        "f": "1:20",
        "g": "=",
        "h": None,
        "i": 31,
        "j": "80",
        "k": 1000,
        "l": 0.5,
    }


def test_keys_that_are_not_strings_become_their_text_and_merges_work():
    (doc,) = parse_stream("80: http\ntrue: yes\nbase: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert doc == {"80": "http", "true": True, "base": {"x": 1, "y": 2}, "d": {"x": 1, "y": 3}}


def test_duplicate_keys_are_refused_in_yaml_and_json():
    with pytest.raises(SpecError, match=r"m.yaml: line 3, column 3: not valid YAML \(mapping key 'b' already"):
        parse_stream("a:\n  b: 1\n  b: 2\n", "m.yaml")
    with pytest.raises(SpecError, match="not valid JSON"):
        parse_stream('{"a": 1, "a": 2}', "m.json")


def test_a_byte_order_mark_and_several_json_documents_are_accepted():
    assert parse_stream('\ufeff{"a": 1} {"b": 2}\n', "m.json") == [{"a": 1}, {"b": 2}]


def test_yaml_is_written_with_sorted_keys_and_quotes_only_where_needed():
    text = dump_yaml(
        {
            "metadata": {
                "name": "web",
                "resourceVersion": "",
                "creationTimestamp": "2024-05-01T10:00:00Z",
                "labels": {"enabled": "true", "n": "y", "port": "80", "at": "1:20", "glob": "*.x"},
            },
            "kind": "Pod",
            "spec": {"args": ["netexec", "--http-port=8083"], "script": "a\nb\n"},
        }
    )
    assert text == (
        "kind: Pod\n"
        "metadata:\n"
        '  creationTimestamp: "2024-05-01T10:00:00Z"\n'
        "  labels:\n"
        '    at: "1:20"\n'
        '    enabled: "true"\n'
        "    glob: '*.x'\n"
        '    "n": "y"\n'
        '    port: "80"\n'
        "  name: web\n"
        '  resourceVersion: ""\n'
        "spec:\n"
        "  args:\n"
        "  - netexec\n"
        "  - --http-port=8083\n"
        "  script: |\n"
        "    a\n"
        "    b\n"
    )


def test_what_is_written_reads_back_the_same():
    obj = {"a": ["y", "", "80", "1.5", "null", "~", "2024-01-01", "x: y", "- z", "#c", "multi\nline"], "b": 1}
    assert parse_stream(dump_yaml(obj), "m.yaml") == [obj]
