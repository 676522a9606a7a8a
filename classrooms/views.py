"""Classes: join one with its code (a class's page, present mode, following and the class's reset are
the upper apps': they show exercises and step sandboxes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from classrooms import services
from classrooms.ratelimit import JOIN_PER_ADDRESS, JOIN_PER_USER, client_address
from classrooms.signup import SignupForm
from netcore.errors import PodpathError


@login_required
@require_POST
def join(request: HttpRequest) -> HttpResponse:
    who = str(request.user.pk)
    if JOIN_PER_USER.blocked(who):  # the code is not even tried: guessing stays slow
        messages.error(request, "too many wrong join codes: wait a few minutes and check the code with your teacher")
        return redirect("labs:home")
    try:
        enrollment = services.classroom_join(student=request.user, code=request.POST.get("code", ""))
    except PodpathError as error:
        JOIN_PER_USER.fail(who)
        messages.error(request, str(error), extra_tags="join")  # shown by the form that made it
        return redirect("labs:home")
    return redirect("exercises:classroom", code=enrollment.classroom.code)


def signup(request: HttpRequest) -> HttpResponse:
    """A student makes their own account with the class's join code, and lands on the class's page."""
    form = SignupForm(request.POST or None)
    address = client_address(request)
    if request.method == "POST":
        if JOIN_PER_ADDRESS.blocked(address):  # guessing codes by signing up stays as slow as joining
            return render(request, "registration/signup.html", {"form": form, "too_many": True}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            user = services.student_signup(username=data["username"], password=data["password"], classroom=data["code"])
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("exercises:classroom", code=data["code"].code)
        if "code" in form.errors:
            JOIN_PER_ADDRESS.fail(address)
    return render(request, "registration/signup.html", {"form": form})
