"""What labs tells the apps above it, which it may not import (exercises keeps state per sandbox)."""

from __future__ import annotations

from django.dispatch import Signal

# A sandbox goes back to its starting state (an admin's reset, a rebuild): whatever an app above keeps
# about what the sandbox runs is stale. Sent with ``sandbox`` (a labs.models.Sandbox).
sandbox_restarted = Signal()
