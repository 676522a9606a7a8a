from django.apps import AppConfig


class HostsConfig(AppConfig):
    name = "hosts"
    verbose_name = "Kernel hosts and placements"
    default_auto_field = "django.db.models.BigAutoField"
