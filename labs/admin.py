"""Django admin for sandbox ownership."""

from django.contrib import admin

from labs.models import Sandbox


@admin.register(Sandbox)
class SandboxAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "classroom", "lab_id", "exercise_id", "created")
    search_fields = ("name", "owner__username")
