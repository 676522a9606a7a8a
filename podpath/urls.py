"""URL routes: each app's own (classrooms, labs, exercises), sign-in, and Django's admin.

Order matters once: ``classes/join/`` (classrooms) and ``classes/new/`` (labs) come before the class
page ``classes/<code>/`` (exercises), which would otherwise take them as a code.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from podpath.login import LoginView

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("classrooms.urls")),
    path("", include("labs.urls")),
    path("", include("exercises.urls")),
    path("", include("kubeapi.urls")),
    path("admin/", admin.site.urls),
]
