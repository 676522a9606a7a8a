"""Every exercise on the real kernel: its starting state fails a check, its reference solution passes all.

One sandbox per exercise: build the starting state, settle the prediction when it is about the start,
run every check (at least one must fail, each failure with a hint), submit the reference solution as a
student would, settle a prediction about the solved state, and run every check again (all must pass).
Then the submission path itself: errors come back as data and change nothing, reset undoes the
student's work, and a sandbox is only used for the exercise it was started for.
"""

from __future__ import annotations

import pytest

from exercises import load_exercises
from exercises.checks import exercise_check, exercise_reset, exercise_start, exercise_submit, predict_settle
from netcore import names
from netcore.errors import PodpathError
from netcore.kernel import netns
from netcore.kube import api
from netcore.sandbox import lifecycle

EXERCISES = load_exercises()


def assert_nothing_left(sandbox: str) -> None:
    assert netns.list_names(names.sandbox_prefix(sandbox)) == []
    assert not names.sandbox_dir(sandbox).exists()


def failures(results) -> str:
    return "\n".join(f"  [{r.index}] {r.type} {r.title!r}: {r.observed}" for r in results if not r.passed)


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_the_start_fails_a_check_and_the_reference_solution_passes_every_one(exercise_id, sandbox_name):
    exercise = EXERCISES[exercise_id]
    predict = exercise.predict
    exercise_start(sandbox=sandbox_name, exercise=exercise)
    try:
        if predict is not None and predict.state == "start":
            settled = predict_settle(sandbox=sandbox_name, exercise=exercise)
            assert settled.passed, f"the prediction's walk on the starting state: {settled.observed}"
        before = exercise_check(sandbox=sandbox_name, exercise=exercise)
        assert [r.index for r in before] == list(range(len(exercise.checks)))
        assert any(not r.passed for r in before), "the starting state already passes every check"
        assert all(r.hint for r in before if not r.passed)

        submitted = exercise_submit(sandbox=sandbox_name, exercise=exercise, text=exercise.solution)
        assert submitted.accepted, [e.message for e in submitted.errors]
        if predict is not None and predict.state == "solved":
            settled = predict_settle(sandbox=sandbox_name, exercise=exercise)
            assert settled.passed, f"the prediction's walk on the solved state: {settled.observed}"
        after = exercise_check(sandbox=sandbox_name, exercise=exercise)
        assert all(r.passed for r in after), f"the reference solution fails:\n{failures(after)}"
        assert all(r.hint is None for r in after)
    finally:
        lifecycle.delete_sandbox(sandbox_name)
    assert_nothing_left(sandbox_name)


def test_a_topology_submission_is_refused_as_data_and_reset_undoes_an_accepted_one(sandbox_name):
    exercise = EXERCISES["veth-by-hand"]
    exercise_start(sandbox=sandbox_name, exercise=exercise)
    try:
        started = lifecycle.read_sandbox_state(sandbox_name)
        bad = exercise.solution.replace("172.17.0.2/16", "172.17.0.2/33")
        refused = exercise_submit(sandbox=sandbox_name, exercise=exercise, text=bad)
        assert not refused.accepted and refused.operations == 0
        [error] = refused.errors
        assert (error.source, error.field) == ("submission", "hosts.c1.interfaces.eth0.address")
        assert error.expected == "an IPv4 address with a prefix, like 10.0.0.1/24, got '172.17.0.2/33'"
        assert lifecycle.read_sandbox_state(sandbox_name).differences(started) == []

        accepted = exercise_submit(sandbox=sandbox_name, exercise=exercise, text=exercise.solution)
        assert accepted.accepted and accepted.operations > 0
        assert "c1: add address 172.17.0.2/16 on eth0" in accepted.changes
        again = exercise_submit(sandbox=sandbox_name, exercise=exercise, text=exercise.solution)
        assert again.accepted and again.operations == 0

        exercise_reset(sandbox=sandbox_name, exercise=exercise)
        assert lifecycle.read_sandbox_state(sandbox_name).differences(started) == []
        assert not exercise_check(sandbox=sandbox_name, exercise=exercise)[0].passed

        with pytest.raises(
            PodpathError, match=f"sandbox '{sandbox_name}' was started for exercise 'veth-by-hand', not 'masquerade'"
        ):
            exercise_check(sandbox=sandbox_name, exercise=EXERCISES["masquerade"])
    finally:
        lifecycle.delete_sandbox(sandbox_name)
    assert_nothing_left(sandbox_name)


def test_a_cluster_submission_is_refused_as_data_and_reset_undoes_an_accepted_one(sandbox_name):
    exercise = EXERCISES["clusterip-service"]
    exercise_start(sandbox=sandbox_name, exercise=exercise)
    try:
        revision = api.load_cluster(sandbox_name).revision
        bad = exercise.solution.replace("port: 8080", "port: '8080'").replace("app: hello-world", "app: [x]")
        refused = exercise_submit(sandbox=sandbox_name, exercise=exercise, text=bad)
        assert not refused.accepted
        assert [(e.source, e.field) for e in refused.errors] == [
            ("submission: document 1 (Service default/hello-world-service)", "spec.ports[0].port"),
            ("submission: document 1 (Service default/hello-world-service)", "spec.selector.app"),
        ]
        moved = (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: client}\nspec: {nodeName: node1, containers: "
            "[{name: client, image: curlimages/curl, command: [sleep, infinity]}]}\n"
        )
        [error] = exercise_submit(sandbox=sandbox_name, exercise=exercise, text=moved).errors
        assert (error.source, error.field) == ("Pod default/client", "spec.nodeName")
        assert api.load_cluster(sandbox_name).revision == revision  # nothing changed

        accepted = exercise_submit(sandbox=sandbox_name, exercise=exercise, text=exercise.solution)
        assert accepted.accepted and accepted.changes == ("service/hello-world-service created",)
        assert exercise_check(sandbox=sandbox_name, exercise=exercise)[0].passed

        exercise_reset(sandbox=sandbox_name, exercise=exercise)
        assert api.load_cluster(sandbox_name).get("Service", "default", "hello-world-service") is None
        assert not exercise_check(sandbox=sandbox_name, exercise=exercise)[0].passed
    finally:
        lifecycle.delete_sandbox(sandbox_name)
    assert_nothing_left(sandbox_name)
