"""Persistence for exercises: what students applied and checked, the hints they asked for, their answers.

Every row points down: to its class (classrooms) and, for the document a sandbox runs, to its sandbox
(labs). The four progress tables keep the names they had when these models lived in ``labs``
(migration 0001 moved the models, not the data).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from classrooms.models import Classroom
from labs.models import Sandbox


class Progress(models.Model):
    """What every progress row shares: whose, in which class, on which exercise, and when."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="+")
    exercise_id = models.CharField(max_length=50)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created", "id"]


class Submission(Progress):
    """A document a student applied to an exercise sandbox: accepted, or refused with its errors."""

    text = models.TextField()
    accepted = models.BooleanField()
    errors = models.JSONField(default=list, blank=True, help_text="[{source, field, expected, message}]")

    class Meta(Progress.Meta):
        db_table = "labs_submission"


class Attempt(Progress):
    """One check of an exercise: the document checked, every criterion's result, passed or not."""

    submission = models.ForeignKey(
        Submission,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the document last applied (none: the starting state)",
    )
    results = models.JSONField(help_text="[{index, type, title, passed, observed, hint, seconds}]")
    passed = models.BooleanField()

    class Meta(Progress.Meta):
        db_table = "labs_attempt"
        indexes = [models.Index(fields=["classroom", "exercise_id", "student"], name="labs_attemp_classro_376b5b_idx")]

    @property
    def failed_titles(self) -> list[str]:
        return [r["title"] for r in self.results if not r["passed"]]

    @property
    def passing(self) -> int:
        return sum(1 for r in self.results if r["passed"])


class HintShown(Progress):
    """A student asked for the exercise's hint ``number`` (0-based, gentle first)."""

    number = models.PositiveSmallIntegerField()

    class Meta(Progress.Meta):
        db_table = "labs_hintshown"
        constraints = [
            models.UniqueConstraint(
                fields=["student", "classroom", "exercise_id", "number"], name="one_row_per_hint_shown"
            )
        ]


class PredictAnswer(Progress):
    """A student's answer to an exercise's predict question, given before the packet settles it."""

    choice = models.CharField(max_length=300)
    correct = models.BooleanField()

    class Meta(Progress.Meta):
        db_table = "labs_predictanswer"
        constraints = [
            models.UniqueConstraint(fields=["student", "classroom", "exercise_id"], name="one_answer_per_prediction")
        ]


class AppliedDocument(models.Model):
    """The document an exercise sandbox runs now: its last accepted submission (no row: the starting state)."""

    sandbox = models.OneToOneField(Sandbox, primary_key=True, on_delete=models.CASCADE, related_name="applied_document")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.sandbox} runs submission {self.submission_id}"
