"""Exercises: a goal on a starting state, hints, a reference solution and checks that run for real.

The Django app of exercises (models, services, selectors, views, consumers: a student's exercise page,
a class's page and progress grid), and the exercise files it reads. Exercises are data, one file each:
``exercises/content/<id>.yaml`` (the format is in docs/exercises.md). These modules read and validate
them (pure); ``exercises.checks``, run by the agent, builds their starting state in a sandbox, applies
what a student submits, and runs their checks on the kernel.

    definition   the dataclasses: Exercise, the check kinds, Predict, CheckResult, SubmitResult
    loader       files -> Exercise, refusing a malformed one with file, field and expectation
    submission   a student's YAML -> a Topology, or manifests (plus an optional PodNetwork document)
    judge        observations (probe outcomes, command output, objects, a packet walk) -> verdicts
"""

from exercises.definition import (
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
from exercises.loader import EXERCISES_DIR, exercise_catalog, get_exercise, load_exercise, load_exercises

__all__ = [
    "EXERCISES_DIR",
    "TOPICS",
    "Check",
    "CheckResult",
    "Command",
    "Exercise",
    "ObjectState",
    "PathCheck",
    "PathExpect",
    "Predict",
    "Reachability",
    "SubmitError",
    "SubmitResult",
    "exercise_catalog",
    "get_exercise",
    "load_exercise",
    "load_exercises",
]
