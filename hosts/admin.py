from django.contrib import admin

from hosts.models import Host, Placement

admin.site.register(Host)
admin.site.register(Placement)
