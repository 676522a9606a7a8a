"""Classroom and Enrollment move from labs to classrooms: the models move, the tables stay.

State only: the tables labs_classroom and labs_enrollment, made by labs 0001, keep their names and rows
(the models say ``db_table``). The content types follow the models, so permissions granted on them
and admin log entries stay attached. On a fresh database labs 0001 makes the tables first.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import classrooms.models

MOVED = ("classroom", "enrollment")


def move_content_types(old: str, new: str):
    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        rows = content_type.objects.using(schema_editor.connection.alias)
        for model in MOVED:
            if not rows.filter(app_label=new, model=model).exists():
                rows.filter(app_label=old, model=model).update(app_label=new)
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("labs", "0002_exercise_progress"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Classroom',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('code', models.CharField(default=classrooms.models.new_join_code, max_length=12, unique=True)),
                        ('lab_id', models.CharField(max_length=50)),
                        ('presenting', models.BooleanField(default=False, help_text="students who follow see the instructor's step")),
                        ('present_step', models.PositiveIntegerField(default=1)),
                        ('created', models.DateTimeField(auto_now_add=True)),
                        ('instructor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='classrooms_taught', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'labs_classroom',
                        'ordering': ['-created'],
                        'permissions': [('present_classroom', "Can present a class's lab to its students")],
                    },
                ),
                migrations.CreateModel(
                    name='Enrollment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('joined', models.DateTimeField(auto_now_add=True)),
                        ('follows', models.BooleanField(default=True, help_text="the student's sandbox follows the instructor's step")),
                        ('classroom', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='enrollments', to='classrooms.classroom')),
                        ('student', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='enrollments', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'labs_enrollment',
                        'constraints': [models.UniqueConstraint(fields=('classroom', 'student'), name='one_enrollment_per_class')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types("labs", "classrooms"), move_content_types("classrooms", "labs")),
    ]
