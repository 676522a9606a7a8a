from django.apps import AppConfig


class ClassroomsConfig(AppConfig):
    name = "classrooms"
    verbose_name = "Classes and roles"
    default_auto_field = "django.db.models.BigAutoField"
