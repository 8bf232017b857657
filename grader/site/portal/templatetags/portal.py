"""`points`: a score as the feedback page writes it (4, 3.2, 2.67), never 3.20."""

from __future__ import annotations

from django import template

__all__ = ["points"]

register = template.Library()


@register.filter
def points(value: float | None) -> str:
    if value is None:
        return "—"
    value = round(float(value), 2)
    return f"{value:g}"
