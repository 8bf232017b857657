"""Each response's security headers and each request's language."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

__all__ = ["FEEDBACK_CSP", "SITE_CSP", "SecurityHeaders"]

# The site's own pages: its scripts and styles come only from /static/ (htmx is vendored there).
SITE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
            "frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")
# A feedback page or class summary (rendered from a student's result): no script at all, inline CSS/SVG only.
FEEDBACK_CSP = ("default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "frame-ancestors 'self'; form-action 'none'; base-uri 'none'; sandbox allow-same-origin")


class SecurityHeaders:
    """Activates the member's language and sets the CSP a view did not set itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        member = getattr(getattr(request, "user", None), "member", None) if request.user.is_authenticated else None
        lang = member.lang if member is not None else request.session.get("lang", "en")
        translation.activate(lang if lang in ("en", "ko") else "en")
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
            response.headers.setdefault("Content-Security-Policy", SITE_CSP)
            response.headers.setdefault("Content-Language", translation.get_language())
        finally:
            translation.deactivate()   # the thread serves the next request (or a worker) in its own language
        return response
