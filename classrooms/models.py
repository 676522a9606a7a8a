"""Classes and who is in them: the bottom of the dashboard's apps (labs and exercises point down to these).

Accounts and roles are django.contrib.auth's users and groups (``classrooms.roles``). The tables keep
the names they had when these models lived in ``labs`` (migration 0001 moved the models, not the data).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a classroom
# 32**8 (about 10**12) codes: with ten wrong tries per user in ten minutes (classrooms.views.join),
# guessing one of a thousand classes takes an account about 10**9 windows.
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class Classroom(models.Model):
    """A class an instructor teaches from one lab; students join with its code."""

    name = models.CharField(max_length=100)
    code = models.CharField(max_length=12, unique=True, default=new_join_code)
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classrooms_taught")
    lab_id = models.CharField(max_length=50)
    presenting = models.BooleanField(default=False, help_text="students who follow see the instructor's step")
    present_step = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "labs_classroom"
        ordering = ["-created"]
        permissions = [("present_classroom", "Can present a class's lab to its students")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Enrollment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    joined = models.DateTimeField(auto_now_add=True)
    follows = models.BooleanField(default=True, help_text="the student's sandbox follows the instructor's step")

    class Meta:
        db_table = "labs_enrollment"
        constraints = [models.UniqueConstraint(fields=["classroom", "student"], name="one_enrollment_per_class")]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"
