"""URL routes: the dashboard's pages, sign-in, and Django's admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from labs.views import admin_views, classes, pages, player

urlpatterns = [
    path("", pages.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("classrooms.urls")),
    path("labs/<slug:lab_id>/", pages.lab_detail, name="lab-detail"),
    path("labs/<slug:lab_id>/open/", player.open_lab, name="open-lab"),
    path("sandbox/<str:name>/", player.player, name="player"),
    path("sandbox/<str:name>/step/<int:number>/", player.step, name="step"),
    path("sandbox/<str:name>/reset/", player.reset, name="reset"),
    path("sandbox/<str:name>/kernel/<str:tab>/", player.kernel_tab, name="kernel-tab"),
    path("sandbox/<str:name>/apply/", player.apply_yaml, name="apply-yaml"),
    path("sandbox/<str:name>/console/", player.console, name="console"),
    path("sandbox/<str:name>/walk/", player.packet_walk, name="walk"),
    path("sandbox/<str:name>/walk/<str:walk_id>.pcap", player.walk_pcap, name="walk-pcap"),
    path("classes/new/", classes.create, name="classroom-create"),
    path("classes/<str:code>/reset/", classes.reset_all, name="reset-class"),
    path("manage/sandboxes/", admin_views.sandboxes, name="admin-sandboxes"),
    path("manage/sandboxes/orphans/", admin_views.remove_orphans, name="admin-orphans"),
    path("manage/sandboxes/<str:name>/<str:action>/", admin_views.act, name="admin-act"),
    path("", include("exercises.urls")),
    path("admin/", admin.site.urls),
]
