"""Django admin for exercise progress: submissions, attempts, hints shown, answers to predictions."""

from django.contrib import admin

from exercises.models import Attempt, HintShown, PredictAnswer, Submission


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
