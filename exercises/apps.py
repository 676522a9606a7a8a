from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    verbose_name = "Exercises and progress"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from exercises.services import applied_document_forget
        from labs.signals import sandbox_restarted

        # labs resets and rebuilds sandboxes without knowing exercises: the applied document goes with it
        sandbox_restarted.connect(applied_document_forget, dispatch_uid="exercises-applied-document")
