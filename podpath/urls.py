"""URL routes: the dashboard's pages, sign-in, and Django's admin."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from labs.views import admin_views, classes, exercises, pages, player, progress

urlpatterns = [
    path("", pages.home, name="home"),
    # Browsers ask for /favicon.ico on pages that name no icon (the Django admin's, a pcap download).
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "podpath/favicon.svg", permanent=True)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("labs/<slug:lab_id>/", pages.lab_detail, name="lab-detail"),
    path("labs/<slug:lab_id>/open/", player.open_lab, name="open-lab"),
    path("sandbox/<str:name>/", player.player, name="player"),
    path("sandbox/<str:name>/step/<int:number>/", player.step, name="step"),
    path("sandbox/<str:name>/move/<str:direction>/", player.move, name="move"),
    path("sandbox/<str:name>/rebuild/", player.rebuild, name="rebuild"),
    path("sandbox/<str:name>/reset/", player.reset, name="reset"),
    path("sandbox/<str:name>/kernel/<str:tab>/", player.kernel_tab, name="kernel-tab"),
    path("sandbox/<str:name>/apply/", player.apply_yaml, name="apply-yaml"),
    path("sandbox/<str:name>/console/", player.console, name="console"),
    path("sandbox/<str:name>/walk/", player.packet_walk, name="walk"),
    path("sandbox/<str:name>/walk/<str:walk_id>.pcap", player.walk_pcap, name="walk-pcap"),
    path("classes/new/", classes.create, name="classroom-create"),
    path("classes/join/", classes.join, name="join"),
    path("classes/<str:code>/", classes.classroom, name="classroom"),
    path("classes/<str:code>/present/", classes.present, name="present"),
    path("classes/<str:code>/follow/", classes.follow, name="follow"),
    path("classes/<str:code>/reset/", classes.reset_all, name="reset-class"),
    path("classes/<str:code>/progress/", progress.class_progress, name="class-progress"),
    path("classes/<str:code>/attempts.csv", progress.attempts_csv, name="class-attempts-csv"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/", exercises.page, name="exercise"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/apply/", exercises.apply, name="exercise-apply"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/check/", exercises.check, name="exercise-check"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/reset/", exercises.reset, name="exercise-reset"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/hint/", exercises.hint, name="exercise-hint"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/predict/", exercises.predict, name="exercise-predict"),
    path("classes/<str:code>/exercises/<slug:exercise_id>/predict/walk/", exercises.predict_walk,
         name="exercise-predict-walk"),
    path("manage/sandboxes/", admin_views.sandboxes, name="admin-sandboxes"),
    path("manage/sandboxes/orphans/", admin_views.remove_orphans, name="admin-orphans"),
    path("manage/sandboxes/<str:name>/<str:action>/", admin_views.act, name="admin-act"),
    path("admin/", admin.site.urls),
]
