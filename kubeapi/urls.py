from django.urls import path, re_path

from kubeapi import downloads, views

app_name = "kubeapi"
urlpatterns = [
    path("sandbox/<str:name>/kubeconfig/", downloads.kubeconfig, name="kubeconfig"),
    re_path(r"^k8s/(?P<sandbox>[a-z0-9-]+)/(?P<rest>.*)$", views.api, name="api"),
]
