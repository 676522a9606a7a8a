"""Django admin for sandbox ownership and exercise progress."""

from django.contrib import admin

from labs.models import Attempt, HintShown, PredictAnswer, Sandbox, Submission


@admin.register(Sandbox)
class SandboxAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "classroom", "lab_id", "exercise_id", "created")
    search_fields = ("name", "owner__username")


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("student", "classroom", "exercise_id", "passed", "created")
    list_filter = ("classroom", "passed")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("student", "classroom", "exercise_id", "accepted", "created")
    list_filter = ("classroom", "accepted")


@admin.register(HintShown)
class HintShownAdmin(admin.ModelAdmin):
    list_display = ("student", "classroom", "exercise_id", "number", "created")


@admin.register(PredictAnswer)
class PredictAnswerAdmin(admin.ModelAdmin):
    list_display = ("student", "classroom", "exercise_id", "choice", "correct", "created")
    list_filter = ("classroom", "correct")
