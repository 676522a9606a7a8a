"""Routes of classes: join with a code (present mode and following step sandboxes: labs.urls)."""

from django.urls import path

from classrooms import views

app_name = "classrooms"

urlpatterns = [
    path("classes/join/", views.join, name="join"),
    path("accounts/signup/", views.signup, name="signup"),
]
