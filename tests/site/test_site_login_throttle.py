"""Failed sign-ins are throttled: after 5 for one username, or 30 from one client address, within 15 minutes, the
login form refuses (429, in English and Korean) until the window ends, and says the same for unknown names.
Time passes by ageing the stored failure times, not by sleeping."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from site_helpers import PASSWORD, make_student

_addresses = count(1)
ALERT = re.compile(r'role="alert">([^<]*)</p>')


@pytest.fixture(autouse=True)
def fresh_counters(site: Any) -> Iterator[None]:
    """No counter leaks into (or out of) a test: the other site tests sign in from 127.0.0.1 too."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _address() -> str:
    return f"198.51.100.{next(_addresses)}"     # TEST-NET-2: one fresh client address per call


def _post(username: str, password: str, address: str, client: Any = None) -> Any:
    from django.test import Client

    return (client or Client()).post("/login/", {"username": username, "password": password, "next": "/"},
                                     REMOTE_ADDR=address)


def _alert(response: Any) -> str:
    found = ALERT.search(response.content.decode())
    assert found, response.content.decode()[:1000]
    return found[1]


def _fail(username: str, address: str, times: int = 5) -> None:
    for _ in range(times):
        wrong = _post(username, "not the password", address)
        assert wrong.status_code == 401 and "do not match" in _alert(wrong)


def _age(seconds: float, *, username: str = "", address: str = "") -> None:
    """Move the stored failures of this username and/or address `seconds` into the past."""
    from django.core.cache import cache

    from grader.site.accounts import LOGIN_WINDOW, login_failure_key

    keys = [login_failure_key("account", username)] if username else []
    keys += [login_failure_key("address", address)] if address else []
    for key in keys:
        stored = cache.get(key)
        assert stored, f"no failures stored under {key}"
        cache.set(key, [t - seconds for t in stored], timeout=LOGIN_WINDOW)


def _logged_in(client: Any) -> bool:
    return "_auth_user_id" in client.session


def test_the_sixth_attempt_is_refused_even_with_the_right_password(site: Any, student: Any) -> None:
    from django.test import Client

    address = _address()
    _fail(student.username, address)
    client = Client()
    sixth = _post(student.username, PASSWORD, address, client)
    assert sixth.status_code == 429 and not _logged_in(client)
    assert _alert(sixth) == "Too many failed sign-ins for this account; try again in 15 minutes."
    assert 890 <= int(sixth["Retry-After"]) <= 900
    assert client.get("/")["Location"] == "/login/?next=/"
    # The account's limit holds from any address, and a refused attempt is not counted (the wait stays 15).
    elsewhere = _post(student.username, PASSWORD, _address())
    assert elsewhere.status_code == 429 and "15 minutes" in _alert(elsewhere)


def test_four_failures_then_the_right_password_works_and_starts_the_count_again(site: Any, student: Any) -> None:
    _fail(student.username, _address(), times=4)
    assert _post(student.username, PASSWORD, _address()).status_code == 302
    _fail(student.username, _address(), times=4)     # 4 more: the earlier 4 were forgotten at the sign-in
    assert _post(student.username, PASSWORD, _address()).status_code == 302


def test_another_user_is_unaffected(site: Any, student: Any) -> None:
    from django.test import Client

    other = make_student()
    _fail(student.username, _address())
    assert _post(student.username, PASSWORD, _address()).status_code == 429
    client = Client()
    right = _post(other.username, PASSWORD, _address(), client)
    assert right.status_code == 302 and right["Location"] == "/" and _logged_in(client)


def test_thirty_failures_from_one_address_refuse_that_address_for_every_name(site: Any, student: Any) -> None:
    from grader.site.accounts import LOGIN_FAILURES_PER_ADDRESS

    assert LOGIN_FAILURES_PER_ADDRESS == 30     # a lab behind one NAT address: a few typos lock out no one
    address = _address()
    for number in range(5):
        _fail(f"guess{number}", address, times=1)           # a different made-up name each time
    assert _post(student.username, PASSWORD, address).status_code == 302   # five typos in the lab: still in
    for number in range(5, 30):
        _fail(f"guess{number}", address, times=1)
    refused = _post(student.username, PASSWORD, address)
    assert refused.status_code == 429
    assert _alert(refused) == "Too many failed sign-ins from this address; try again in 15 minutes."
    assert _post(student.username, PASSWORD, _address()).status_code == 302   # the student, from elsewhere


def test_an_unknown_name_is_refused_exactly_like_a_real_one(site: Any, student: Any) -> None:
    from grader.site.accounts import LOGIN_WINDOW

    real_address, unknown_address = _address(), _address()
    started = time.monotonic()
    _fail(student.username, real_address)
    _fail("nobody-by-this-name", unknown_address)
    real = _post(student.username, "a sixth guess", real_address)
    unknown = _post("nobody-by-this-name", "a sixth guess", unknown_address)
    assert real.status_code == unknown.status_code == 429
    assert _alert(real) == _alert(unknown)
    # each waits the window from its own fifth failure, which the (slow, hashed) attempts spread apart
    elapsed = time.monotonic() - started
    for refused in (real, unknown):
        assert LOGIN_WINDOW - elapsed - 1 <= int(refused["Retry-After"]) <= LOGIN_WINDOW
    scrub = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')     # a fresh token per page
    assert scrub.sub(b"", real.content) == scrub.sub(b"", unknown.content)


def test_after_the_window_it_works_again(site: Any, student: Any) -> None:
    from grader.site.accounts import LOGIN_WINDOW

    address = _address()
    _fail(student.username, address)
    _age(10 * 60, username=student.username, address=address)
    later = _post(student.username, PASSWORD, address)
    assert later.status_code == 429
    assert _alert(later) == "Too many failed sign-ins for this account; try again in 5 minutes."
    _age(4 * 60 + 30, username=student.username, address=address)
    assert _alert(_post(student.username, PASSWORD, address)).endswith("try again in 1 minute.")
    _age(LOGIN_WINDOW - 14 * 60 - 30, username=student.username, address=address)   # 15 minutes in all
    back = _post(student.username, PASSWORD, address)
    assert back.status_code == 302 and back["Location"] == "/"


def test_the_refusal_is_in_korean_for_a_korean_visitor(site: Any, student: Any) -> None:
    from django.test import Client

    address = _address()
    _fail(student.username, address)
    client = Client()
    assert client.post("/language/", {"lang": "ko", "next": "/login/"}).status_code == 302
    refused = _post(student.username, PASSWORD, address, client)
    assert refused.status_code == 429 and refused["Content-Language"] == "ko"
    assert _alert(refused) == "이 계정의 로그인 실패가 너무 많습니다. 15분 뒤에 다시 시도하세요."


def test_the_wait_is_counted_from_the_oldest_of_the_last_five_failures() -> None:
    from grader.site.accounts import LOGIN_WINDOW, retry_after

    assert retry_after([], 1000.0) == 0.0
    assert retry_after([100.0, 200.0, 300.0, 400.0], 500.0) == 0.0
    assert retry_after([100.0, 200.0, 300.0, 400.0, 500.0], 500.0) == 100.0 + LOGIN_WINDOW - 500.0
    # A failure older than the window no longer counts.
    assert retry_after([500.0 - LOGIN_WINDOW, 200.0, 300.0, 400.0, 450.0], 500.0) == 0.0
