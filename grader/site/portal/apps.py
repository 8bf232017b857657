"""The portal app's configuration."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["PortalConfig"]


class PortalConfig(AppConfig):
    name = "grader.site.portal"
    label = "portal"
    default_auto_field = "django.db.models.BigAutoField"
