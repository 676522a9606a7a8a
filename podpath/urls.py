"""URL routes: the dashboard pages and Django's admin."""

from django.contrib import admin
from django.urls import path

from labs import views

urlpatterns = [
    path("", views.home, name="home"),
    path("labs/<slug:lab_id>/", views.lab_detail, name="lab-detail"),
    path("admin/", admin.site.urls),
]
