"""Classroom and Enrollment now live in the classrooms app (see classrooms 0001): point the foreign keys
there and forget the models here. State only: the tables and their constraints do not change."""

import django.db.models.deletion
from django.db import migrations, models


def to_classroom(**options):
    return models.ForeignKey(to="classrooms.classroom", **options)


class Migration(migrations.Migration):

    dependencies = [
        ("labs", "0002_exercise_progress"),
        ("classrooms", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="sandbox", name="classroom",
                    field=to_classroom(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                       related_name="sandboxes"),
                ),
                *[migrations.AlterField(model_name=model, name="classroom",
                                        field=to_classroom(on_delete=django.db.models.deletion.CASCADE, related_name="+"))
                  for model in ("submission", "attempt", "hintshown", "predictanswer")],
                migrations.DeleteModel(name="Enrollment"),
                migrations.DeleteModel(name="Classroom"),
            ],
        ),
    ]
