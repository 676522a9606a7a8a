"""The lab catalog: the shipped labs load, and malformed lab files are refused by file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.catalog import load_catalog, load_lab
from netcore.errors import NotFound, SpecError


def test_the_shipped_labs_load_in_talk_order():
    labs = load_catalog()
    assert list(labs)[:2] == ["evolution", "connecting-containers"]
    for lab in labs.values():
        assert lab.steps, lab.id
        for step in lab.steps:
            assert step.narrative.strip() and step.tries, f"{step.source} needs narrative and commands to try"


def test_every_step_promises_something_that_fails_somewhere_in_each_lab():
    for lab in load_catalog().values():
        assert any(t.expect == "failure" for step in lab.steps for t in step.tries), lab.id


def test_asking_for_a_step_out_of_range_is_a_clear_error():
    lab = load_catalog()["evolution"]
    with pytest.raises(NotFound, match=r"no step 99 \(steps 1 to"):
        lab.step(99)


def write_lab(root: Path, lab_yaml: str, steps: dict[str, str]) -> Path:
    directory = root / "demo"
    directory.mkdir()
    (directory / "lab.yaml").write_text(lab_yaml)
    for name, text in steps.items():
        (directory / name).write_text(text)
    return directory


STEP = """
title: One
narrative: Two machines.
topology:
  hosts:
    m1: {interfaces: {eth0: {address: 10.0.0.1/24}}}
    m2: {interfaces: {eth0: {address: 10.0.0.2/24}}}
  links: [[m1:eth0, m2:eth0]]
try:
  - {on: m1, run: ping -c 1 -W 1 10.0.0.2}
"""


def test_a_valid_lab_directory_loads(tmp_path):
    lab = load_lab(write_lab(tmp_path, "title: Demo\nsteps: [01-one.yaml]\n", {"01-one.yaml": STEP}))
    assert lab.steps[0].tries[0].argv() == ["ping", "-c", "1", "-W", "1", "10.0.0.2"]


@pytest.mark.parametrize(
    ("lab_yaml", "step", "where", "expected"),
    [
        (
            "title: Demo\nsteps: [01-one.yaml]\n",
            STEP.replace("10.0.0.2/24}", "10.0.0.2/33}"),
            "01-one.yaml: topology.hosts.m2.interfaces.eth0.address",
            "an IPv4 address with a prefix",
        ),
        (
            "title: Demo\nsteps: [01-one.yaml]\n",
            STEP.replace("on: m1", "on: m9"),
            "01-one.yaml: try[0].on",
            "a host of this step (m1, m2)",
        ),
        ("title: Demo\nsteps: [01-one.yaml]\n", STEP.replace("title: One\n", ""), "01-one.yaml: title", "required"),
        ("title: Demo\nsteps: [01-one.yaml]\n", STEP + "  - {on: m1, run: 'unclosed}\n", "01-one.yaml", "valid YAML"),
        ("title: Demo\nsteps: [02-missing.yaml]\n", STEP, "02-missing.yaml", "a file that exists"),
        ("title: Demo\nsteps: [../../etc/passwd]\n", STEP, "lab.yaml: steps[0]", "a step file name"),
        ("steps: [01-one.yaml]\n", STEP, "lab.yaml: title", "required"),
    ],
)
def test_a_malformed_lab_names_the_file_the_field_and_what_was_expected(tmp_path, lab_yaml, step, where, expected):
    directory = write_lab(tmp_path, lab_yaml, {"01-one.yaml": step})
    with pytest.raises(SpecError) as caught:
        load_lab(directory)
    assert where in str(caught.value)
    assert expected in str(caught.value)
