"""Django admin for classes and enrollments."""

from django.contrib import admin

from classrooms.models import Classroom, Enrollment


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "instructor", "lab_id", "presenting", "present_step", "created")
    search_fields = ("name", "code", "instructor__username")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("student", "classroom", "follows", "joined")
    list_filter = ("classroom",)
