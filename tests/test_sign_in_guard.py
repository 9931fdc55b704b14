"""The parts of sign-in below the HTTP route: the per-client throttle, the bounded hashing pool,
and the account outcomes (disabled, stale hash after a reset) on a real SQLite database."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from intake.db.migrate import upgrade_to_head
from intake.db.session import make_engine, make_sessionmaker, session_scope
from intake.review import sign_in_throttle
from intake.review.account_admin import disable_user, enable_user, list_accounts, reset_password
from intake.review.accounts import (AccountDisabled, SignInLimits, SignInLocked, create_user, record_sign_in,
                                    sign_in_candidate, start_session)
from intake.review.password_pool import HashingBusy, PasswordVerifier
from intake.review.passwords import hash_password
from intake.review.sign_in_throttle import ClientThrottle, client_key

LIMITS = SignInLimits(max_failures=3, lockout=timedelta(minutes=15))
PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_counts_attempts_per_client_in_a_sliding_window():
    clock = Clock()
    throttle = ClientThrottle(attempts=3, window_seconds=60, clock=clock)
    assert [throttle.try_acquire("198.51.100.7") for _ in range(4)] == [True, True, True, False]
    assert throttle.try_acquire("198.51.100.8")  # another client
    assert throttle.retry_after_seconds("198.51.100.7") == 61
    clock.now += 30
    throttle.forgive("198.51.100.7")  # a success gives its attempt back
    assert throttle.try_acquire("198.51.100.7") and not throttle.try_acquire("198.51.100.7")
    clock.now += 30.5  # the first two attempts left the window
    assert throttle.try_acquire("198.51.100.7") and throttle.try_acquire("198.51.100.7")
    assert not throttle.try_acquire("198.51.100.7")


def test_throttle_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(sign_in_throttle, "MAX_CLIENTS", 50)
    clock = Clock()
    throttle = ClientThrottle(attempts=1, window_seconds=60, clock=clock)
    for number in range(200):
        throttle.try_acquire(f"client-{number}")
    assert len(throttle._recent) <= 50
    assert not throttle.try_acquire("client-199")  # the most recent clients are still counted


@pytest.mark.parametrize("host, key", [
    ("198.51.100.7", "198.51.100.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # the same /64: the same client
    ("::ffff:198.51.100.7", "198.51.100.7"),
    (None, "unknown"),
])
def test_client_key(host, key):
    assert client_key(host) == key


def test_the_hashing_pool_refuses_beyond_its_capacity_instead_of_queueing():
    stored = hash_password(PASSWORD)
    verifier = PasswordVerifier(threads=1, queue=1)

    async def burst() -> list[object]:
        return await asyncio.gather(*(verifier.verify(PASSWORD, stored) for _ in range(4)),
                                    return_exceptions=True)
    try:
        results = asyncio.run(burst())
        assert results[:2] == [True, True]
        assert all(isinstance(r, HashingBusy) for r in results[2:])
        assert asyncio.run(verifier.verify("wrong password!", stored)) is False  # capacity came back
    finally:
        verifier.close()


@pytest.fixture
def sessions(tmp_path):
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as db:
        create_user(db, "rita", PASSWORD)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_a_password_reset_during_the_check_is_not_a_success(sessions):
    with session_scope(sessions) as db:
        candidate = sign_in_candidate(db, "rita")
    with session_scope(sessions) as db:
        reset_password(db, "rita", "a brand new password")
    with session_scope(sessions) as db:  # the old password was right when it was checked
        assert record_sign_in(db, candidate, True, LIMITS) is None


def test_disabled_accounts_are_refused_and_lose_their_sessions(sessions):
    with session_scope(sessions) as db:
        candidate = sign_in_candidate(db, "rita")
        start_session(db, record_sign_in(db, candidate, True, LIMITS), timedelta(hours=1))
    with session_scope(sessions) as db:
        assert [(a.state, a.sessions) for a in list_accounts(db)] == [("active", 1)]
        assert disable_user(db, "rita") == 1
    with session_scope(sessions) as db, pytest.raises(AccountDisabled):
        record_sign_in(db, candidate, True, LIMITS)
    with session_scope(sessions) as db:
        assert [(a.state, a.sessions) for a in list_accounts(db)] == [("disabled", 0)]


def test_enable_lifts_a_lock_left_by_someone_elses_guesses(sessions):
    for _ in range(LIMITS.max_failures):
        with session_scope(sessions) as db:
            assert record_sign_in(db, sign_in_candidate(db, "rita"), False, LIMITS) is None
    with session_scope(sessions) as db, pytest.raises(SignInLocked):
        record_sign_in(db, sign_in_candidate(db, "rita"), True, LIMITS)
    with session_scope(sessions) as db:
        assert list_accounts(db)[0].state == "locked"
        enable_user(db, "rita")
    with session_scope(sessions) as db:
        assert record_sign_in(db, sign_in_candidate(db, "rita"), True, LIMITS).name == "rita"
