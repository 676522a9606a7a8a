"""Reads for exercises in a class: which exercises a class gets, a student's exercise page, and the
class's progress (students by exercises, how the class answered each prediction, every attempt).

A class gets the exercises on the parts of the talk its lab covers (``LAB_TOPICS``: an exercise's
``topic`` against the lab); a lab that is not listed, like the life of a packet, which follows the
whole talk, gets every exercise. Reading a sandbox's record or stored cluster is a file read; nothing
here changes the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q
from django.utils.safestring import SafeString, mark_safe

from classrooms.models import Classroom, Enrollment
from exercises import Exercise, exercise_catalog
from exercises.models import AppliedDocument, Attempt, HintShown, PredictAnswer, Submission
from exercises.submission import topology_from_text
from hosts.selectors import placement_step
from labs.diagram import Diagram, layout
from labs.models import Sandbox
from labs.selectors import cluster_topology, render_markdown, sandbox_targets
from labs.svg import render_topology
from netcore.errors import NotFound, PodpathError
from netcore.topology.model import Topology

# The parts of the talk (exercise topics, exercises.TOPICS) each lab teaches.
LAB_TOPICS: dict[str, tuple[str, ...]] = {
    "evolution": ("evolution",),
    "connecting-containers": ("connecting-containers",),
    "kubernetes": ("pods", "services", "getting-outside", "getting-inside-l4", "getting-inside-l7", "limiting-access"),
}


# -- which exercises a class gets --------------------------------------------------------------------


def exercise_list(*, classroom: Classroom) -> list[Exercise]:
    """The class's exercises, in the catalog's order: those on its lab's topics (every one for other labs)."""
    topics = LAB_TOPICS.get(classroom.lab_id)
    return [e for e in exercise_catalog().values() if topics is None or e.topic in topics]


def exercise_get(*, classroom: Classroom, exercise_id: str) -> Exercise:
    for exercise in exercise_list(classroom=classroom):
        if exercise.id == exercise_id:
            return exercise
    raise NotFound(f"class {classroom.code} has no exercise {exercise_id!r}")


# -- one student's exercise --------------------------------------------------------------------------


def exercise_sandbox_get(*, user, classroom: Classroom, exercise_id: str) -> Sandbox | None:
    return (
        Sandbox.objects.filter(owner=user, classroom=classroom, exercise_id=exercise_id)
        .select_related("classroom")
        .first()
    )


def applied_submission(*, sandbox: Sandbox) -> Submission | None:
    """The document the sandbox runs now (None: the exercise's starting state)."""
    applied = AppliedDocument.objects.filter(sandbox=sandbox).select_related("submission").first()
    return None if applied is None else applied.submission


def exercise_document(*, sandbox: Sandbox, exercise: Exercise) -> str:
    """What the editor holds: the document last applied, else the starting topology (topology
    exercises) or nothing (cluster exercises add manifests to what is there)."""
    applied = applied_submission(sandbox=sandbox)
    if applied is not None:
        return applied.text
    return exercise.start_text if exercise.kind == "topology" else ""


def exercise_topology(*, sandbox: Sandbox, exercise: Exercise, ready: bool) -> Topology | None:
    """What the sandbox looks like now: the applied topology (or the starting one), or its cluster compiled."""
    if exercise.kind == "topology":
        applied = applied_submission(sandbox=sandbox)
        if applied is not None:
            try:
                return topology_from_text(applied.text, "submission")
            except PodpathError:
                pass
        return exercise.topology
    if not ready:
        return None
    return cluster_topology(name=sandbox.name)


@dataclass
class ExerciseStage:
    """The live part of an exercise page: the picture, and where console commands can run."""

    sandbox: Sandbox
    exercise: Exercise
    building: bool
    diagram: Diagram | None
    targets: list[str]

    @property
    def svg(self) -> SafeString:
        return mark_safe(render_topology(self.diagram))


def exercise_stage_get(*, sandbox: Sandbox, exercise: Exercise) -> ExerciseStage:
    ready = placement_step(name=sandbox.name) is not None  # its host has reported it built
    try:
        topology = exercise_topology(sandbox=sandbox, exercise=exercise, ready=ready)
        diagram = layout(topology) if topology is not None else None
    except PodpathError:
        topology, diagram = None, None
    return ExerciseStage(sandbox, exercise, not ready, diagram, exercise_targets(sandbox, exercise, topology, ready))


def exercise_targets(sandbox: Sandbox, exercise: Exercise, topology: Topology | None, ready: bool) -> list[str]:
    if exercise.kind == "topology":
        return sandbox_targets(sandbox=sandbox, topology=topology or exercise.topology, nodes=0)
    if ready:
        try:
            return sandbox_targets(sandbox=sandbox, topology=None, nodes=exercise.cluster.nodes)
        except PodpathError:  # the cluster is still being stored
            pass
    pods = [
        f"{o['metadata'].get('namespace', 'default')}/{o['metadata']['name']}"
        for o in exercise.cluster.objects
        if o["kind"] == "Pod"
    ]
    return pods + [f"node{i}" for i in range(exercise.cluster.nodes)] + ["internet", "external", "router"]


def attempt_last(*, student, classroom: Classroom, exercise_id: str) -> Attempt | None:
    return Attempt.objects.filter(student=student, classroom=classroom, exercise_id=exercise_id).last()


def attempt_count(*, student, classroom: Classroom, exercise_id: str) -> int:
    return Attempt.objects.filter(student=student, classroom=classroom, exercise_id=exercise_id).count()


def attempt_passed(*, student, classroom: Classroom, exercise_id: str) -> bool:
    return Attempt.objects.filter(student=student, classroom=classroom, exercise_id=exercise_id, passed=True).exists()


@dataclass(frozen=True)
class CriterionRow:
    index: int
    title: str
    passed: bool
    observed: str
    hint: SafeString | None


def criterion_rows(*, attempt: Attempt) -> list[CriterionRow]:
    """An attempt's criteria for the page, hints in Markdown rendered (they are ours, from the exercise file)."""
    return [
        CriterionRow(
            r["index"],
            r["title"],
            r["passed"],
            r["observed"],
            render_markdown(r["hint"]) if r.get("hint") and not r["passed"] else None,
        )
        for r in attempt.results
    ]


def hints_shown(*, student, classroom: Classroom, exercise: Exercise) -> list[SafeString]:
    """The exercise's hints the student asked for, gentle first, as HTML."""
    numbers = (
        HintShown.objects.filter(student=student, classroom=classroom, exercise_id=exercise.id)
        .order_by("number")
        .values_list("number", flat=True)
    )
    return [render_markdown(exercise.hints[n]) for n in numbers if n < len(exercise.hints)]


def prediction_get(*, student, classroom: Classroom, exercise_id: str) -> PredictAnswer | None:
    return PredictAnswer.objects.filter(student=student, classroom=classroom, exercise_id=exercise_id).first()


# -- the class's progress ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One student on one exercise: passed (ever), how many attempts, when the last one was."""

    student_id: int
    exercise_id: str
    attempts: int = 0
    passed: bool = False
    last: datetime | None = None

    @property
    def dom_id(self) -> str:
        return f"progress-{self.student_id}-{self.exercise_id}"


def cells(*, classroom: Classroom, students=None) -> dict[tuple[int, str], Cell]:
    """Every (student, exercise) with attempts in the class, in one query."""
    rows = Attempt.objects.filter(classroom=classroom)
    if students is not None:
        rows = rows.filter(student__in=students)
    rows = rows.values("student_id", "exercise_id").annotate(
        attempts=Count("id"), wins=Count("id", filter=Q(passed=True)), last=Max("created")
    )
    return {
        (r["student_id"], r["exercise_id"]): Cell(
            r["student_id"], r["exercise_id"], r["attempts"], r["wins"] > 0, r["last"]
        )
        for r in rows
    }


def progress_cell(*, classroom: Classroom, student_id: int, exercise_id: str) -> Cell:
    found = cells(classroom=classroom, students=[student_id])
    return found.get((student_id, exercise_id), Cell(student_id, exercise_id))


@dataclass(frozen=True)
class ProgressRow:
    student: object
    cells: list[Cell]


@dataclass(frozen=True)
class ProgressGrid:
    exercises: list[Exercise]
    rows: list[ProgressRow]


def class_students(*, classroom: Classroom) -> list:
    return [
        e.student
        for e in Enrollment.objects.filter(classroom=classroom).select_related("student").order_by("student__username")
    ]


def class_progress(*, classroom: Classroom) -> ProgressGrid:
    """Students by exercises: passed, attempts, last attempt."""
    exercises = exercise_list(classroom=classroom)
    found = cells(classroom=classroom)
    rows = [
        ProgressRow(s, [found.get((s.pk, e.id), Cell(s.pk, e.id)) for e in exercises])
        for s in class_students(classroom=classroom)
    ]
    return ProgressGrid(exercises, rows)


@dataclass(frozen=True)
class ClassExercise:
    exercise: Exercise
    mine: Cell


def class_exercises(*, classroom: Classroom, user) -> list[ClassExercise]:
    """The class's exercises with how the user is doing on each (for the class page)."""
    found = cells(classroom=classroom, students=[user.pk])
    return [
        ClassExercise(e, found.get((user.pk, e.id), Cell(user.pk, e.id))) for e in exercise_list(classroom=classroom)
    ]


def class_topics(*, classroom: Classroom) -> tuple[str, ...] | None:
    """The topics the class's lab covers; None: every exercise."""
    return LAB_TOPICS.get(classroom.lab_id)


@dataclass(frozen=True)
class Tally:
    """How the class answered one predict question: students per choice, before the packet settles it."""

    exercise: Exercise
    counts: tuple[tuple[str, int], ...]
    students: int

    @property
    def answered(self) -> int:
        return sum(count for _, count in self.counts)

    @property
    def rows(self) -> list[tuple[str, int, int]]:
        """(choice, students, percentage of those who answered)."""
        return [
            (choice, count, round(100 * count / self.answered) if self.answered else 0) for choice, count in self.counts
        ]

    @property
    def question(self) -> SafeString:
        return render_markdown(self.exercise.predict.question)

    @property
    def dom_id(self) -> str:
        return f"tally-{self.exercise.id}"


def prediction_tally(*, classroom: Classroom, exercise: Exercise) -> Tally:
    """Counts the class's students only (an instructor trying the exercise is not one)."""
    students = Enrollment.objects.filter(classroom=classroom).values("student_id")
    chosen = dict(
        PredictAnswer.objects.filter(classroom=classroom, exercise_id=exercise.id, student__in=students)
        .values_list("choice")
        .annotate(n=Count("id"))
    )
    counts = tuple((choice, chosen.get(choice, 0)) for choice in exercise.predict.choices)
    return Tally(exercise, counts, students.count())


def prediction_tallies(*, classroom: Classroom) -> list[Tally]:
    return [
        prediction_tally(classroom=classroom, exercise=e)
        for e in exercise_list(classroom=classroom)
        if e.predict is not None
    ]


def attempt_rows(*, classroom: Classroom) -> list[tuple[str, str, str, str, str]]:
    """Every attempt in the class, oldest first: student, exercise, time (UTC), passed, failed criteria."""
    return [
        (
            a.student.username,
            a.exercise_id,
            a.created.isoformat(timespec="seconds"),
            "yes" if a.passed else "no",
            "; ".join(a.failed_titles),
        )
        for a in Attempt.objects.filter(classroom=classroom).select_related("student")
    ]
