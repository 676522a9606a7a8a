"""Exercises: a goal on a starting state, hints, a reference solution and checks that run for real.

Exercises are data, one file each beside this package's code: ``labs/exercises/<id>.yaml`` (the format
is in docs/exercises.md). This package reads and validates them (pure); ``labs.checks`` builds their
starting state in a sandbox, applies what a student submits, and runs their checks on the kernel.

    model        the dataclasses: Exercise, the check kinds, Predict, CheckResult, SubmitResult
    loader       files -> Exercise, refusing a malformed one with file, field and expectation
    submission   a student's YAML -> a Topology, or manifests (plus an optional PodNetwork document)
    judge        observations (probe outcomes, command output, objects, a packet walk) -> verdicts
"""

from labs.exercises.loader import EXERCISES_DIR, exercise_catalog, get_exercise, load_exercise, load_exercises
from labs.exercises.model import (
    TOPICS,
    Check,
    CheckResult,
    Command,
    Exercise,
    ObjectState,
    PathCheck,
    PathExpect,
    Predict,
    Reachability,
    SubmitError,
    SubmitResult,
)

__all__ = [
    "EXERCISES_DIR", "TOPICS", "Check", "CheckResult", "Command", "Exercise", "ObjectState", "PathCheck",
    "PathExpect", "Predict", "Reachability", "SubmitError", "SubmitResult", "exercise_catalog", "get_exercise",
    "load_exercise", "load_exercises",
]
