"""Persistence for the dashboard (accounts use django.contrib.auth; classes arrive with the dashboard)."""
