"""Submission, Attempt, HintShown and PredictAnswer move from labs to exercises; the tables stay.

The progress models change app in the state only: their tables (labs_submission, labs_attempt,
labs_hintshown, labs_predictanswer), rows and index keep their names. The one foreign key that pointed
up, a sandbox's last applied submission, becomes a row here that points down to the sandbox
(AppliedDocument); its values are copied before labs 0004 drops the old column. The content types
follow the models, so permissions and admin log entries stay attached.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("submission", "attempt", "hintshown", "predictanswer")


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


def copy_applied(apps, schema_editor):
    """Each sandbox's last applied submission (the old labs_sandbox.submission_id) as a row here."""
    db = schema_editor.connection.alias
    sandbox = apps.get_model("labs", "Sandbox")
    applied = apps.get_model("exercises", "AppliedDocument")
    applied.objects.using(db).bulk_create(
        applied(sandbox_id=pk, submission_id=submission) for pk, submission in
        sandbox.objects.using(db).filter(submission__isnull=False).values_list("pk", "submission_id"))


def copy_applied_back(apps, schema_editor):
    db = schema_editor.connection.alias
    sandbox = apps.get_model("labs", "Sandbox")
    for pk, submission in apps.get_model("exercises", "AppliedDocument").objects.using(db) \
            .values_list("sandbox_id", "submission_id"):
        sandbox.objects.using(db).filter(pk=pk).update(submission_id=submission)


def progress_fields():
    return [
        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
        ('exercise_id', models.CharField(max_length=50)),
        ('created', models.DateTimeField(auto_now_add=True)),
    ]


def progress_keys():
    return [
        ('classroom', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='classrooms.classroom')),
        ('student', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
    ]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("labs", "0003_classrooms_moved"),
        ("classrooms", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Submission',
                    fields=[
                        *progress_fields(),
                        ('text', models.TextField()),
                        ('accepted', models.BooleanField()),
                        ('errors', models.JSONField(blank=True, default=list, help_text='[{source, field, expected, message}]')),
                        *progress_keys(),
                    ],
                    options={'db_table': 'labs_submission', 'ordering': ['created', 'id'], 'abstract': False},
                ),
                migrations.CreateModel(
                    name='Attempt',
                    fields=[
                        *progress_fields(),
                        ('results', models.JSONField(help_text='[{index, type, title, passed, observed, hint, seconds}]')),
                        ('passed', models.BooleanField()),
                        *progress_keys(),
                        ('submission', models.ForeignKey(blank=True, help_text='the document last applied (none: the starting state)', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='exercises.submission')),
                    ],
                    options={
                        'db_table': 'labs_attempt', 'ordering': ['created', 'id'], 'abstract': False,
                        'indexes': [models.Index(fields=['classroom', 'exercise_id', 'student'], name='labs_attemp_classro_376b5b_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='HintShown',
                    fields=[*progress_fields(), ('number', models.PositiveSmallIntegerField()), *progress_keys()],
                    options={
                        'db_table': 'labs_hintshown', 'ordering': ['created', 'id'], 'abstract': False,
                        'constraints': [models.UniqueConstraint(fields=('student', 'classroom', 'exercise_id', 'number'), name='one_row_per_hint_shown')],
                    },
                ),
                migrations.CreateModel(
                    name='PredictAnswer',
                    fields=[
                        *progress_fields(),
                        ('choice', models.CharField(max_length=300)),
                        ('correct', models.BooleanField()),
                        *progress_keys(),
                    ],
                    options={
                        'db_table': 'labs_predictanswer', 'ordering': ['created', 'id'], 'abstract': False,
                        'constraints': [models.UniqueConstraint(fields=('student', 'classroom', 'exercise_id'), name='one_answer_per_prediction')],
                    },
                ),
            ],
        ),
        migrations.CreateModel(
            name='AppliedDocument',
            fields=[
                ('sandbox', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='applied_document', serialize=False, to='labs.sandbox')),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='exercises.submission')),
            ],
        ),
        migrations.RunPython(copy_applied, copy_applied_back),
        migrations.RunPython(move_content_types("labs", "exercises"), move_content_types("exercises", "labs")),
    ]
