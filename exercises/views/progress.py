"""The instructor's view of a class's exercises: students by exercises (passed, attempts, last attempt) and
how the class answered each predict question, both live over ``ws/classroom/<code>/``; and every attempt
as CSV."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from classrooms.models import Classroom
from classrooms.roles import can_teach
from exercises import selectors

CSV_HEADER = ("student", "exercise", "time", "passed", "failed criteria")


def taught(request: HttpRequest, code: str) -> Classroom:
    """A class the user teaches (or any, for an admin); 404 otherwise, never telling whose it is."""
    room = get_object_or_404(Classroom, code=code)
    if not can_teach(request.user, room):
        raise Http404("no such class")
    return room


@login_required
def class_progress(request: HttpRequest, code: str) -> HttpResponse:
    room = taught(request, code)
    return render(
        request,
        "labs/class_progress.html",
        {
            "room": room,
            "grid": selectors.class_progress(classroom=room),
            "tallies": selectors.prediction_tallies(classroom=room),
        },
    )


@login_required
def attempts_csv(request: HttpRequest, code: str) -> HttpResponse:
    """One row per attempt: student, exercise, time (UTC, ISO 8601), passed, the failed criteria."""
    room = taught(request, code)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{room.code}-attempts.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    writer.writerows(selectors.attempt_rows(classroom=room))
    return response
