"""Routes of classes: join with a code, present mode, follow the instructor's step."""

from django.urls import path

from classrooms import views

app_name = "classrooms"

urlpatterns = [
    path("classes/join/", views.join, name="join"),
    path("classes/<str:code>/present/", views.present, name="present"),
    path("classes/<str:code>/follow/", views.follow, name="follow"),
]
