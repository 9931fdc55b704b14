"""Sign-in against the real service (SQLite and PostgreSQL), from several loopback addresses so
each is its own client: one answer for unknown names, wrong passwords, locked and disabled
accounts; a per-client throttle that leaves other clients alone; `intake users` offboarding that
ends sessions at once."""
from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass

import httpx
import pytest

from intake.cli import main as cli_main
from intake.review.passwords import DUMMY_HASH, verify_password
from service_support import postgres_url, redis_server, service_fixture  # noqa: F401

pytestmark = pytest.mark.slow

PASSWORD = "synthetic-reviewer-pw"
NEW_PASSWORD = "another synthetic pw"
WRONG = "not the password"
CLIENT_ATTEMPTS = 4
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

service = service_fixture("sign-in", workers=0, INTAKE_SIGN_IN_MAX_FAILURES="3",
                          INTAKE_SIGN_IN_CLIENT_ATTEMPTS=str(CLIENT_ATTEMPTS), INTAKE_SIGN_IN_CLIENT_WINDOW="120")


def _client(service, address: str) -> httpx.Client:
    """A browser at `address` (any 127/8 address is a distinct client to the service)."""
    return httpx.Client(base_url=service.base_url, timeout=60,
                        transport=httpx.HTTPTransport(local_address=address))


def _sign_in(client: httpx.Client, name: str, password: str) -> tuple[httpx.Response, float]:
    """A fresh sign-in form, then the POST; returns the answer and how long the POST took."""
    client.cookies.clear()
    token = CSRF.search(client.get("/login").text).group(1)
    started = time.perf_counter()
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                           "next": "/review"})
    return response, time.perf_counter() - started


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def users(service, monkeypatch, capsys):
    """`intake users ...` on the service's database, in this process (the CLI takes seconds to
    import its other commands; the users command itself is what runs here)."""
    for name in ("DATABASE_URL", "INTAKE_DATA_DIR"):
        monkeypatch.setenv(name, service.env[name])

    def run(*args: str, password: str | None = None) -> Ran:
        monkeypatch.setattr("sys.stdin", io.StringIO("" if password is None else password + "\n"))
        capsys.readouterr()
        code = cli_main(["users", *args])
        out, err = capsys.readouterr()
        return Ran(code, out, err)
    return run


def _add(users, name: str, *extra: str) -> None:
    added = users("add", name, "--password-stdin", *extra, password=PASSWORD)
    assert added.returncode == 0, added.stderr


def _page_without(response: httpx.Response, name: str) -> str:
    """The answer page with what legitimately differs (the fresh form token, the echoed name) blanked."""
    return CSRF.sub('name="csrf_token" value="-"', response.text).replace(f'value="{name}"', 'value="-"')


def _scrypt_seconds() -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        verify_password(PASSWORD, DUMMY_HASH)
        runs.append(time.perf_counter() - started)
    return min(runs)


def test_unknown_wrong_locked_and_disabled_get_the_same_answer(service, users):
    for name in ("lena", "omar", "dora"):
        _add(users, name)
    with _client(service, "127.0.1.1") as guesser:  # someone locks lena out
        for _ in range(3):
            assert _sign_in(guesser, "lena", WRONG)[0].status_code == 401
    assert users("disable", "dora").returncode == 0

    cases = {"unknown name": ("nobody-here", PASSWORD), "wrong password": ("omar", WRONG),
             "locked, right password": ("lena", PASSWORD), "disabled, right password": ("dora", PASSWORD)}
    answers = {}
    for number, (case, (name, password)) in enumerate(cases.items()):
        with _client(service, f"127.0.1.{10 + number}") as client:
            response, seconds = _sign_in(client, name, password)
            answers[case] = (response.status_code, _page_without(response, name),
                             sorted(c.split("=", 1)[0] for c in response.headers.get_list("set-cookie")), seconds)
    first = answers["unknown name"]
    assert first[0] == 401 and "Unknown user name or wrong password." in first[1]
    assert first[2] == ["intake_login_csrf"]  # no session
    for case, answer in answers.items():
        assert answer[:3] == first[:3], case
    # The same class of time: each answer waited for a full scrypt check, none skipped it.
    floor = 0.5 * _scrypt_seconds()
    assert all(answer[3] >= floor for answer in answers.values()), {c: a[3] for c, a in answers.items()}


def test_sign_in_is_throttled_per_client_and_successes_do_not_count(service, users):
    _add(users, "pia")
    with _client(service, "127.0.2.1") as noisy, _client(service, "127.0.2.2") as quiet:
        for number in range(CLIENT_ATTEMPTS):  # different names: no account lockout involved
            assert _sign_in(noisy, f"guess-{number}", WRONG)[0].status_code == 401
        throttled, _ = _sign_in(noisy, "pia", PASSWORD)
        assert throttled.status_code == 429 and 1 <= int(throttled.headers["Retry-After"]) <= 121
        assert "Too many sign-in attempts" in throttled.text and "intake_session" not in throttled.cookies
        unknown, _ = _sign_in(noisy, "nobody-at-all", PASSWORD)
        assert (unknown.status_code, _page_without(unknown, "nobody-at-all")) == \
            (429, _page_without(throttled, "pia"))
        assert _sign_in(quiet, "pia", PASSWORD)[0].status_code == 303  # another client is not held up
    with _client(service, "127.0.2.3") as office:
        for _ in range(CLIENT_ATTEMPTS + 2):
            assert _sign_in(office, "pia", PASSWORD)[0].status_code == 303


def _list_row(users, name: str) -> list[str]:
    listed = users("list")
    assert listed.returncode == 0, listed.stderr
    assert "scrypt" not in listed.stdout and PASSWORD not in listed.stdout and NEW_PASSWORD not in listed.stdout
    assert listed.stdout.splitlines()[0].split("\t") == ["name", "role", "state", "sessions", "created"]
    return next(line.split("\t") for line in listed.stdout.splitlines() if line.startswith(name + "\t"))


def test_users_disable_enable_reset_password_and_list_end_sessions(service, users):
    _add(users, "quinn", "--role", "admin")
    with _client(service, "127.0.3.1") as browser, _client(service, "127.0.3.2") as laptop:
        assert _sign_in(browser, "quinn", PASSWORD)[0].status_code == 303
        assert _sign_in(laptop, "quinn", PASSWORD)[0].status_code == 303
        assert browser.get("/review").status_code == 200 and laptop.get("/admin/users").status_code == 200
        assert _list_row(users, "quinn")[:4] == ["quinn", "admin", "active", "2"]

        disabled = users("disable", "quinn")
        assert disabled.returncode == 0 and "ended 2 session(s)" in disabled.stdout
        for device in (browser, laptop):  # signed out everywhere, at once
            assert device.get("/review").headers["location"].startswith("/login")
        assert _sign_in(browser, "quinn", PASSWORD)[0].status_code == 401
        assert _list_row(users, "quinn")[2:4] == ["disabled", "0"]

        assert users("enable", "quinn").returncode == 0
        assert _sign_in(browser, "quinn", PASSWORD)[0].status_code == 303
        reset = users("reset-password", "quinn", "--password-stdin", password=NEW_PASSWORD)
        assert reset.returncode == 0 and "ended 1 session(s)" in reset.stdout
        assert browser.get("/review").headers["location"].startswith("/login")
        assert _sign_in(browser, "quinn", PASSWORD)[0].status_code == 401
        assert _sign_in(browser, "quinn", NEW_PASSWORD)[0].status_code == 303
        assert _list_row(users, "quinn")[2:4] == ["active", "1"]

    unknown = users("disable", "nobody-here")
    assert unknown.returncode == 1 and "no user 'nobody-here'" in unknown.stderr
    short = users("reset-password", "quinn", "--password-stdin", password="short")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
