"""Routes of labs: the home page, the catalog, the lab player and its actions, a class's lab sandboxes
(present mode, following, reset), the admin's sandbox table and its leftovers (GET lists, POST removes)."""

from django.conf import settings
from django.urls import path
from django.views.generic import RedirectView

from labs.views import admin_views, classes, pages, player

app_name = "labs"

urlpatterns = [
    path("", pages.home, name="home"),
    # Browsers ask for /favicon.ico on pages that name no icon (the Django admin's, a pcap download).
    path(
        "favicon.ico",
        RedirectView.as_view(url=settings.STATIC_URL + "podpath/favicon.svg", permanent=True),
        name="favicon",
    ),
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
    path("classes/<str:code>/present/", classes.present, name="present"),
    path("classes/<str:code>/follow/", classes.follow, name="follow"),
    path("classes/<str:code>/reset/", classes.reset_all, name="reset-class"),
    path("manage/sandboxes/", admin_views.sandboxes, name="admin-sandboxes"),
    path("manage/sandboxes/orphans/", admin_views.remove_orphans, name="admin-orphans"),
    path("manage/hosts/<str:host_id>/drain/", admin_views.drain, name="admin-drain"),
    path("manage/sandboxes/<str:name>/<str:action>/", admin_views.act, name="admin-act"),
]
