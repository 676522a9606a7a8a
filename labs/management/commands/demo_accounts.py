"""`podpath demo_accounts`: create the demo instructor, student and admin, and print them."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from classrooms.models import Classroom
from labs.management.base import PodpathCommand

DEMO_CLASS_CODE = "DEMO42"

# Demo accounts for a first run on one machine; a classroom deployment makes its own.
DEMO_ACCOUNTS = (
    ("instructor", "instructor-demo", "instructor"),
    ("student", "student-demo", "student"),
    ("admin", "admin-demo", "admin"),
)


class Command(PodpathCommand):
    help = "Create or reset the demo accounts; print their names and passwords."
    requires_migrations_checks = True

    def handle(self, *args, **options):
        for username, password, role in DEMO_ACCOUNTS:
            group, _ = Group.objects.get_or_create(name=role)
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = role == "admin"
            user.is_superuser = role == "admin"
            user.save()
            user.groups.add(group)
        instructor = User.objects.get(username="instructor")
        classroom, _ = Classroom.objects.get_or_create(
            code=DEMO_CLASS_CODE, defaults={"name": "Demo class", "instructor": instructor, "lab_id": "evolution"}
        )
        self.stdout.write("Demo accounts (change them before real use):")
        for username, password, role in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:10} user {username:10} password {password}")
        self.stdout.write(f"  demo class {classroom.name!r}: students join with the code {classroom.code}")
