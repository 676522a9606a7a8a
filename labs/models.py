"""Persistence for the dashboard: who owns which sandbox, and exercise progress.

The kernel state of a sandbox lives in the kernel (and its record under /run/podpath); these rows only
say who may see and change it. Classes, enrollments and roles are the classrooms app's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Sandbox(models.Model):
    """Who owns a netcore sandbox (named ``name`` in the kernel), and for which class and lab."""

    name = models.CharField(max_length=16, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandboxes")
    classroom = models.ForeignKey("classrooms.Classroom", null=True, blank=True, on_delete=models.SET_NULL, related_name="sandboxes")
    lab_id = models.CharField(max_length=50, blank=True)
    exercise_id = models.CharField(max_length=50, blank=True, help_text="the exercise it was built for ('' for a lab)")
    submission = models.ForeignKey("Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   help_text="an exercise sandbox's last applied document (none: its starting state)")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("manage_any_sandbox", "Can reset or delete any sandbox")]
        constraints = [models.UniqueConstraint(fields=["owner", "classroom", "exercise_id"],
                                               condition=~models.Q(exercise_id=""), name="one_sandbox_per_exercise")]

    def __str__(self) -> str:
        return self.name


class Progress(models.Model):
    """What every progress row shares: whose, in which class, on which exercise, and when."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    classroom = models.ForeignKey("classrooms.Classroom", on_delete=models.CASCADE, related_name="+")
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


class Attempt(Progress):
    """One check of an exercise: the document checked, every criterion's result, passed or not."""

    submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   help_text="the document last applied (none: the starting state)")
    results = models.JSONField(help_text="[{index, type, title, passed, observed, hint, seconds}]")
    passed = models.BooleanField()

    class Meta(Progress.Meta):
        indexes = [models.Index(fields=["classroom", "exercise_id", "student"])]

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
        constraints = [models.UniqueConstraint(fields=["student", "classroom", "exercise_id", "number"],
                                               name="one_row_per_hint_shown")]


class PredictAnswer(Progress):
    """A student's answer to an exercise's predict question, given before the packet settles it."""

    choice = models.CharField(max_length=300)
    correct = models.BooleanField()

    class Meta(Progress.Meta):
        constraints = [models.UniqueConstraint(fields=["student", "classroom", "exercise_id"],
                                               name="one_answer_per_prediction")]
