"""Persistence for labs: who owns which sandbox, in which class, following which lab.

The kernel state of a sandbox lives in the kernel (and its record under /run/podpath); these rows only
say who may see and change it. A sandbox points down to its class (the classrooms app); what an
exercise sandbox runs is the exercises app's, pointing to the sandbox, never the other way.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Sandbox(models.Model):
    """Who owns a netcore sandbox (named ``name`` in the kernel), and for which class and lab."""

    name = models.CharField(max_length=16, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandboxes")
    classroom = models.ForeignKey(
        "classrooms.Classroom", null=True, blank=True, on_delete=models.SET_NULL, related_name="sandboxes"
    )
    lab_id = models.CharField(max_length=50, blank=True)
    exercise_id = models.CharField(max_length=50, blank=True, help_text="the exercise it was built for ('' for a lab)")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("manage_any_sandbox", "Can reset or delete any sandbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "classroom", "exercise_id"],
                condition=~models.Q(exercise_id=""),
                name="one_sandbox_per_exercise",
            )
        ]

    def __str__(self) -> str:
        return self.name
