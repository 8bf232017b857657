"""The site's routes."""

from __future__ import annotations

from pathlib import Path

from django.urls import path, re_path
from django.views.static import serve

from grader.site.portal import views

__all__ = ["urlpatterns"]

STATIC = Path(__file__).resolve().parent / "static" / "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("invite/<str:token>/", views.invite_view, name="invite"),
    path("language/", views.language_view, name="language"),
    path("a/<str:assignment>/", views.assignment_view, name="assignment"),
    path("a/<str:assignment>/submit/", views.submit_view, name="submit"),
    path("s/<int:submission_id>/", views.submission_view, name="submission"),
    path("s/<int:submission_id>/status/", views.status_view, name="status"),
    path("s/<int:submission_id>/feedback/", views.feedback_view, name="feedback"),
    path("s/<int:submission_id>/files.zip", views.files_view, name="files"),
    path("s/<int:submission_id>/regrade/", views.regrade_view, name="regrade"),
    path("staff/a/<str:assignment>/", views.dashboard_view, name="dashboard"),
    path("staff/a/<str:assignment>/live/", views.dashboard_live_view, name="dashboard_live"),
    path("staff/a/<str:assignment>/summary/", views.summary_view, name="summary"),
    path("staff/a/<str:assignment>/regrade/", views.regrade_all_view, name="regrade_all"),
    path("staff/a/<str:assignment>/gradebook/<str:kind>.csv", views.gradebook_view, name="gradebook"),
    path("staff/a/<str:assignment>/u/<str:username>/", views.student_history_view, name="student_history"),
    path("staff/invite/<str:username>/", views.new_invite_view, name="new_invite"),
    # The vendored htmx, the stylesheet and the drop-zone script; nothing else is served from disk.
    re_path(r"^static/portal/(?P<path>[\w.-]+)$", serve, {"document_root": STATIC}),
]
