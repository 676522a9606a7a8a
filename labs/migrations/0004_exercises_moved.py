"""The progress models now live in the exercises app (see exercises 0001, which copied each sandbox's
last applied submission into exercises.AppliedDocument): drop the column that pointed up from a sandbox
to a submission, and forget the models here (state only: their tables stay, owned by exercises)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("labs", "0003_classrooms_moved"),
        ("exercises", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(model_name="sandbox", name="submission"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Attempt"),
                migrations.DeleteModel(name="HintShown"),
                migrations.DeleteModel(name="PredictAnswer"),
                migrations.DeleteModel(name="Submission"),
            ],
        ),
    ]
