from django.urls import re_path

from kubeapi import views

urlpatterns = [
    re_path(r"^k8s/(?P<sandbox>[a-z0-9-]+)/(?P<rest>.*)$", views.api, name="kube-api"),
]
