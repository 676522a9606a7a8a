"""Django admin for users' classes, enrollments and sandbox ownership."""

from django.contrib import admin

from labs.models import Classroom, Enrollment, Sandbox


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "instructor", "lab_id", "presenting", "present_step", "created")
    search_fields = ("name", "code", "instructor__username")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("student", "classroom", "follows", "joined")
    list_filter = ("classroom",)


@admin.register(Sandbox)
class SandboxAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "classroom", "lab_id", "created")
    search_fields = ("name", "owner__username")
