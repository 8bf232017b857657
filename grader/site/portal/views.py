"""The site's pages. A student reaches only their own submissions: anything else is 404, never 403."""

from __future__ import annotations

import dataclasses
import io
import math
import time
import zipfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import TooManyFilesSent, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grader.site.accounts import LoginRefusal, login_attempt, login_succeeded
from grader.site.portal.middleware import FEEDBACK_CSP
from grader.site.portal.models import Invite, Member, Submission, token_digest
from grader.site.rules import after_due, counted, lateness
from grader.site.runtime import current

__all__ = ["site_context"]

View = Callable[..., HttpResponse]


# ------------------------------------------------------------------ helpers


def member_of(user: Any) -> Member | None:
    if not user.is_authenticated:
        return None
    try:
        return user.member  # type: ignore[no-any-return]
    except Member.DoesNotExist:
        return None


def is_staff(user: Any) -> bool:
    member = member_of(user)
    return member is not None and member.is_staff_member


def staff_only(view: View) -> View:
    """Staff pages: a student (or a stranger) is told nothing exists here."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _spec_or_404(assignment: str) -> Any:
    spec = current().course.specs.get(assignment)
    if spec is None:
        raise Http404
    return spec


def _visible(request: HttpRequest, submission_id: int) -> Submission:
    """The submission if this user may see it; 404 otherwise (another student's id reveals nothing)."""
    query = Submission.objects.select_related("user")
    if not is_staff(request.user):
        query = query.filter(user=request.user)
    found: Submission = get_object_or_404(query, id=submission_id)
    return found


def site_context(request: HttpRequest) -> dict[str, Any]:
    try:
        course = current().course
    except RuntimeError:
        return {}
    return {"course": course, "member": member_of(request.user), "staff": is_staff(request.user)}


def _lang(request: HttpRequest) -> str:
    member = member_of(request.user)
    return member.lang if member is not None else "en"


def _attempt_rows(subs: QuerySet[Submission] | list[Submission], rule: str) -> tuple[list[Submission], int | None]:
    rows = list(subs)
    chosen = counted(rows, rule)  # type: ignore[arg-type]
    return rows, chosen.number if chosen is not None else None


def _position(sub: Submission) -> int | None:
    return current().queue.position(sub.id) if sub.status == Submission.QUEUED else None


# ------------------------------------------------------------------ accounts


def _login_refused(request: HttpRequest, refusal: LoginRefusal) -> HttpResponse:
    """Too many failed sign-ins: the same words whether or not the account exists, and no password checked."""
    minutes = math.ceil(refusal.seconds / 60)
    if refusal.scope == "account":
        error = ngettext("Too many failed sign-ins for this account; try again in %(minutes)s minute.",
                         "Too many failed sign-ins for this account; try again in %(minutes)s minutes.", minutes)
    else:
        error = ngettext("Too many failed sign-ins from this address; try again in %(minutes)s minute.",
                         "Too many failed sign-ins from this address; try again in %(minutes)s minutes.", minutes)
    response = render(request, "portal/login.html", {"error": error % {"minutes": minutes},
                                                     "next": request.POST.get("next", "")}, status=429)
    response["Retry-After"] = str(refusal.seconds)
    return response


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        username, address = request.POST.get("username", ""), request.META.get("REMOTE_ADDR", "")
        now = time.time()
        refusal = login_attempt(username, address, now=now)
        if refusal is not None:
            return _login_refused(request, refusal)
        user = authenticate(request, username=username, password=request.POST.get("password", ""))
        if user is not None:
            login_succeeded(username, address, attempt_at=now)
            login(request, user)
            target = request.POST.get("next") or ""
            return HttpResponseRedirect(target if target.startswith("/") and not target.startswith("//") else "/")
        error = _("That username and password do not match an account.")
    return render(request, "portal/login.html", {"error": error, "next": request.GET.get("next", "")},
                  status=401 if error else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("login"))


@require_http_methods(["GET", "POST"])
def invite_view(request: HttpRequest, token: str) -> HttpResponse:
    invite = Invite.objects.select_related("user").filter(digest=token_digest(token), used_at__isnull=True).first()
    if invite is None:
        return render(request, "portal/message.html", {
            "title": _("Invite link"),
            "message": _("This invite link was already used or does not exist; ask your TA for a new one.")},
            status=404)
    errors: list[str] = []
    if request.method == "POST":
        password = request.POST.get("password", "")
        if password != request.POST.get("password2", ""):
            errors.append(_("The two passwords differ."))
        else:
            try:
                validate_password(password, invite.user)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if not errors:
            with transaction.atomic():
                used = Invite.objects.filter(id=invite.id, used_at__isnull=True).update(used_at=timezone.now())
                if used:
                    invite.user.set_password(password)
                    invite.user.save()
            if used:
                login(request, invite.user, backend="django.contrib.auth.backends.ModelBackend")
                return HttpResponseRedirect("/")
            errors.append(_("This invite link was already used."))
    return render(request, "portal/invite.html", {"invited": invite.user, "errors": errors},
                  status=400 if errors else 200)


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    lang = request.POST.get("lang", "en")
    if lang not in current().course.languages:
        lang = current().course.languages[0]
    member = member_of(request.user)
    if member is not None:
        member.lang = lang
        member.save(update_fields=["lang"])
    request.session["lang"] = lang
    target = request.POST.get("next") or "/"
    return HttpResponseRedirect(target if target.startswith("/") and not target.startswith("//") else "/")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "portal/message.html", {
        "title": _("Form expired"),
        "message": _("This form was sent without a valid security token (it is older than your login, or it came "
                     "from another site). Nothing was submitted: go back, reload the page and try again.")},
        status=403)


# ------------------------------------------------------------------ student pages


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    course = current().course
    rows = []
    for entry, (aid, spec) in zip(course.assignments, course.specs.items(), strict=True):
        subs = Submission.objects.filter(user=request.user, assignment=aid)
        attempts, counted_number = _attempt_rows(subs, course.score_rule(aid))
        best = next((a for a in attempts if a.number == counted_number), None)
        rows.append({"id": aid, "spec": spec, "entry": entry, "attempts": len(attempts), "counted": best})
    return render(request, "portal/home.html", {"rows": rows})


def _assignment_page(request: HttpRequest, assignment: str, *, refused: str = "", status: int = 200) -> HttpResponse:
    course = current().course
    spec = _spec_or_404(assignment)
    entry = course.entry(assignment)
    subs = Submission.objects.filter(user=request.user, assignment=assignment).order_by("-number")
    attempts, counted_number = _attempt_rows(subs, course.score_rule(assignment))
    now = timezone.now()
    from grader.site.submit import INTAKE_LIMITS, required_files

    return render(request, "portal/assignment.html", {
        "required": required_files(spec),
        "aid": assignment, "spec": spec, "entry": entry, "attempts": attempts, "counted_number": counted_number,
        "rule": course.score_rule(assignment), "refused": refused, "lateness": lateness(entry, now),
        "max_mib": INTAKE_LIMITS.max_total_bytes // 2**20, "max_files": INTAKE_LIMITS.max_entries,
        "positions": {s.id: _position(s) for s in attempts if s.status == Submission.QUEUED},
    }, status=status)


@require_GET
@login_required
def assignment_view(request: HttpRequest, assignment: str) -> HttpResponse:
    return _assignment_page(request, assignment)


@require_POST
@login_required
def submit_view(request: HttpRequest, assignment: str) -> HttpResponse:
    from grader.site.submit import INTAKE_LIMITS, Refused, Upload, accept, size_text, storage_refused

    runtime = current()
    _spec_or_404(assignment)
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > INTAKE_LIMITS.max_total_bytes + 2**20:
        return _assignment_page(request, assignment, status=413, refused=_(
            "The upload is %(size)s; the limit is %(cap)s.") % {
            "size": size_text(declared), "cap": size_text(INTAKE_LIMITS.max_total_bytes)})
    try:
        files = request.FILES.getlist("files")
    except TooManyFilesSent:
        return _assignment_page(request, assignment, status=400,
                                refused=_("That is too many files at once; upload an archive of them instead."))
    except OSError as exc:          # a big upload's temporary file could not be written: remove what it holds
        for handler in request.upload_handlers:
            spooled = getattr(handler, "file", None)
            if spooled is not None:
                spooled.close()     # a TemporaryUploadedFile is deleted when closed
        refusal = storage_refused(exc)
        return _assignment_page(request, assignment, status=refusal.status, refused=refusal.reason)
    uploads = [Upload(name=f.name or "", stream=f, size=f.size or 0) for f in files]
    try:
        sub = accept(runtime.course, runtime.site_dir, request.user, assignment, uploads, queue=runtime.queue)
    except Refused as exc:
        return _assignment_page(request, assignment, refused=exc.reason, status=exc.status)
    return HttpResponseRedirect(reverse("submission", args=[sub.id]))


def _status_context(sub: Submission) -> dict[str, Any]:
    return {"sub": sub, "position": _position(sub), "running_number": min(sub.progress_done + 1,
                                                                          max(sub.progress_total, 1))}


@require_GET
@login_required
def submission_view(request: HttpRequest, submission_id: int) -> HttpResponse:
    sub = _visible(request, submission_id)
    course = current().course
    spec = _spec_or_404(sub.assignment)
    return render(request, "portal/submission.html", {
        **_status_context(sub), "spec": spec, "owner": sub.user, "mine": sub.user_id == request.user.id,
        "rule": course.score_rule(sub.assignment)})


@require_GET
def status_view(request: HttpRequest, submission_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        # htmx follows HX-Redirect; a plain client sees where to go.
        response = HttpResponse(_("You are logged out."), status=401)
        response["HX-Redirect"] = reverse("login")
        return response
    sub = _visible(request, submission_id)
    response = render(request, "portal/_status.html", _status_context(sub))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def feedback_view(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The report page, as `grader run --html` renders it, under a CSP that runs no script."""
    from grader.report.html import render_html

    sub = _visible(request, submission_id)
    result = sub.result()
    if result is None:
        raise Http404
    staff = is_staff(request.user)
    lang = request.GET.get("lang") or _lang(request)
    if lang not in ("en", "ko"):
        lang = "en"
    entry = current().course.entry(sub.assignment)
    html = render_html(result, lang=lang, audience="staff" if staff else "student",
                       after_due_date=after_due(entry, timezone.now()))
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = FEEDBACK_CSP
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def files_view(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The submitted files as one zip (staff, or the student who sent them)."""
    from grader.site.worker import submission_folder

    sub = _visible(request, submission_id)
    folder = submission_folder(current().site_dir, sub.id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sub.files:
            path = folder / name
            if path.is_file() and not path.is_symlink():
                archive.write(path, arcname=f"{sub.user.get_username()}-{sub.assignment}-{sub.number}/{name}")
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, content_type="application/zip",
                        filename=f"{sub.user.get_username()}-{sub.assignment}-{sub.number}.zip")


# ------------------------------------------------------------------ staff pages


def _regrade(query: QuerySet[Submission]) -> int:
    done = query.filter(status__in=[Submission.DONE, Submission.ERROR]).update(
        status=Submission.QUEUED, claim="", progress_done=0, progress_test="", error="")
    current().queue.wake()
    return int(done)


@require_POST
@staff_only
def regrade_view(request: HttpRequest, submission_id: int) -> HttpResponse:
    sub = _visible(request, submission_id)
    _regrade(Submission.objects.filter(id=sub.id))
    return HttpResponseRedirect(reverse("submission", args=[sub.id]))


@require_POST
@staff_only
def regrade_all_view(request: HttpRequest, assignment: str) -> HttpResponse:
    _spec_or_404(assignment)
    _regrade(Submission.objects.filter(assignment=assignment))
    return HttpResponseRedirect(reverse("dashboard", args=[assignment]))


def _students() -> list[Member]:
    return list(Member.objects.select_related("user").filter(role=Member.STUDENT).order_by("user__username"))


def _class_rows(assignment: str) -> list[dict[str, Any]]:
    """One row per student (and per submitter who is not one): attempts, the counted one, the latest."""
    rule = current().course.score_rule(assignment)
    by_user: dict[int, list[Submission]] = {}
    for sub in Submission.objects.filter(assignment=assignment).select_related("user").order_by("number"):
        by_user.setdefault(sub.user_id, []).append(sub)
    members = {m.user_id: m for m in Member.objects.select_related("user")}
    user_ids = [m.user_id for m in _students()] + [u for u in by_user if u not in members
                                                   or members[u].role == Member.STUDENT]
    rows = []
    for user_id in dict.fromkeys(user_ids):
        subs = by_user.get(user_id, [])
        chosen = counted(subs, rule)
        member = members.get(user_id)
        user = member.user if member else subs[0].user
        rows.append({"user": user, "member": member, "attempts": subs, "counted": chosen,
                     "latest": subs[-1] if subs else None})
    return rows


def _version(assignment: str) -> str:
    query = Submission.objects.filter(assignment=assignment)
    latest = query.order_by("-finished_at").values_list("finished_at", flat=True).first()
    states = "".join(f"{s}{n}" for s, n in sorted(
        (s, query.filter(status=s).count()) for s in (Submission.QUEUED, Submission.RUNNING)))
    return f"{query.count()}-{latest.timestamp() if latest else 0}-{states}"


@require_GET
@staff_only
def dashboard_view(request: HttpRequest, assignment: str) -> HttpResponse:
    spec = _spec_or_404(assignment)
    from grader.report.lms import EXPORTS

    return render(request, "portal/dashboard.html", {
        "aid": assignment, "spec": spec, "rows": _class_rows(assignment), "version": _version(assignment),
        "exports": EXPORTS, "queued": Submission.objects.filter(status=Submission.QUEUED).count(),
        "running": Submission.objects.filter(status=Submission.RUNNING).count()})


@require_GET
@staff_only
def dashboard_live_view(request: HttpRequest, assignment: str) -> HttpResponse:
    """The dashboard's live part; 204 (htmx keeps what it has) when nothing changed since `v`."""
    _spec_or_404(assignment)
    version = _version(assignment)
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    return render(request, "portal/_dashboard_live.html", {
        "aid": assignment, "rows": _class_rows(assignment), "version": version,
        "queued": Submission.objects.filter(status=Submission.QUEUED).count(),
        "running": Submission.objects.filter(status=Submission.RUNNING).count()})


def _stored(assignment: str) -> tuple[list[Any], list[dict[str, Any]], list[tuple[str, str]]]:
    """The counted attempt of each student as batch's StoredResult (late penalty applied), the entries
    the LMS gradebook reads, and (username, name) of the students who sent nothing at all (a student whose
    attempts are all still waiting or failed is in neither list: there is nothing to count yet)."""
    from grader.batch.store import StoredResult

    stored: list[Any] = []
    entries: list[dict[str, Any]] = []
    absent: list[tuple[str, str]] = []
    for row in _class_rows(assignment):
        username = row["user"].get_username()
        name = (row["member"].display_name if row["member"] else "") or username
        chosen = row["counted"]
        entries.append({"student": username, "display_name": name, "keys": {"username": username},
                        "notes": [_("late by %(d)d days: -%(p)g%%") % {"d": chosen.days_late,
                                                                      "p": chosen.penalty_percent}]
                        if chosen is not None and chosen.late else []})
        if not row["attempts"]:
            absent.append((username, name))
        if chosen is None or (result := chosen.result()) is None:
            continue
        result = dataclasses.replace(result, score=chosen.final_score if chosen.final_score is not None
                                     else result.score)
        stored.append(StoredResult(student=username, submission_hash=chosen.content_hash,
                                   assignment_hash=result.assignment_hash, grader_version=result.grader_version,
                                   outcome="internal_error" if result.error else "graded", result=result))
    return stored, entries, absent


@require_GET
@staff_only
def summary_view(request: HttpRequest, assignment: str) -> HttpResponse:
    """The class summary `grader batch` writes as index.html, from the counted attempts, no script."""
    from grader.batch.summary import render_index, summarize

    _spec_or_404(assignment)
    stored, entries, absent = _stored(assignment)
    summary = summarize(stored, absent=absent, names={e["student"]: e["display_name"] for e in entries},
                        href=lambda student: reverse("student_history", args=[assignment, student]))
    response = HttpResponse(render_index(summary, lang=_lang(request)), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = FEEDBACK_CSP
    response["Cache-Control"] = "private, no-store"
    return response


def _roster_json(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The course roster (its file, else the student accounts), as batch's manifest carries it."""
    from grader.intake.roster import Roster, RosterEntry, load_roster

    path = current().course.roster_path
    if path is not None and path.is_file():
        return load_roster(path).to_json()
    rows = [RosterEntry(id=m.roster_id or m.user.get_username(), name=m.display_name or m.user.get_username(),
                        row={"Username": m.user.get_username(), "Student": m.display_name or m.user.get_username(),
                             "ID": m.roster_id})
            for m in _students()]
    return Roster(path=Path("accounts"), headers=["Student", "ID", "Username"], entries=rows, id_column="Username",
                  name_columns=["Student"]).to_json()


@require_GET
@staff_only
def gradebook_view(request: HttpRequest, assignment: str, kind: str) -> HttpResponse:
    """The gradebook an LMS imports (grader/report/lms.py), from the counted, late-penalised scores."""
    from grader.batch.gradebook import lms_rows, test_columns
    from grader.report.lms import EXPORTS, export_csv

    spec = _spec_or_404(assignment)
    if kind not in EXPORTS:
        raise Http404
    stored, entries, _absent = _stored(assignment)
    roster = _roster_json(entries)
    rows, _warnings = lms_rows(stored, {"entries": entries, "roster": roster})
    text = export_csv(kind, rows, title=spec.title, points=spec.max_score,
                      tests=test_columns([s.result for s in stored]), roster_headers=roster.get("headers", []))
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gradebook-{assignment}-{kind}.csv"'
    return response


@require_POST
@staff_only
def new_invite_view(request: HttpRequest, username: str) -> HttpResponse:
    """A fresh one-time link for a student who lost theirs (their password stops working once it is used)."""
    from django.contrib.auth import get_user_model

    from grader.site.accounts import make_invite

    user = get_object_or_404(get_user_model(), username=username)
    link = request.build_absolute_uri(make_invite(user))
    return render(request, "portal/message.html", {
        "title": _("Invite link"),
        "message": _("Give this link to %(name)s; it works once, and earlier links stop working: %(link)s")
        % {"name": username, "link": link}})


@require_GET
@staff_only
def student_history_view(request: HttpRequest, assignment: str, username: str) -> HttpResponse:
    spec = _spec_or_404(assignment)
    from django.contrib.auth import get_user_model

    user = get_object_or_404(get_user_model(), username=username)
    subs = Submission.objects.filter(user=user, assignment=assignment).order_by("-number")
    attempts, counted_number = _attempt_rows(subs, current().course.score_rule(assignment))
    return render(request, "portal/history.html", {"aid": assignment, "spec": spec, "owner": user,
                                                   "attempts": attempts, "counted_number": counted_number})
