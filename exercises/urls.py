"""Routes of exercises: a class's page and progress, and one exercise's page and actions."""

from django.urls import path

from exercises.views import classroom, exercise, progress

app_name = "exercises"

urlpatterns = [
    path("classes/<str:code>/", classroom.classroom, name="classroom"),
    path("classes/<str:code>/progress/", progress.class_progress, name="class-progress"),
    path("classes/<str:code>/attempts.csv", progress.attempts_csv, name="class-attempts-csv"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/", exercise.page, name="exercise"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/apply/", exercise.apply, name="exercise-apply"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/check/", exercise.check, name="exercise-check"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/reset/", exercise.reset, name="exercise-reset"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/hint/", exercise.hint, name="exercise-hint"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/predict/", exercise.predict, name="exercise-predict"),
    path(
        "classes/<str:code>/exercises/<slug:exercise_id>/predict/walk/",
        exercise.predict_walk,
        name="exercise-predict-walk",
    ),
]
