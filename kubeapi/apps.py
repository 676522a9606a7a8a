from django.apps import AppConfig


class KubeapiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kubeapi"
    verbose_name = "Kubernetes API"
