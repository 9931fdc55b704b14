"""SQLite transactions of one process take turns (intake/db/session.py): concurrent writers all
commit, and a turn is given back however its session ends, in whichever thread."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from intake.db.session import make_engine, make_sessionmaker, session_scope

THREADS = 16
WRITES_PER_THREAD = 20
# Far below SQLite's busy timeout (60 s): a turn never given back would show as a wait this long.
PROMPTLY_SECONDS = 10


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE rows (thread INTEGER, n INTEGER)"))
    return engine


def test_concurrent_writers_in_one_process_all_commit(tmp_path):
    sessions = make_sessionmaker(_engine(tmp_path))

    def write(thread: int) -> None:
        for n in range(WRITES_PER_THREAD):
            with session_scope(sessions) as s:
                s.execute(text("SELECT count(*) FROM rows")).scalar()  # read, then write: one transaction
                s.execute(text("INSERT INTO rows VALUES (:t, :n)"), {"t": thread, "n": n})

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(write, range(THREADS)))
    with session_scope(sessions) as s:
        assert s.execute(text("SELECT count(*) FROM rows")).scalar() == THREADS * WRITES_PER_THREAD


def test_a_session_ended_in_another_thread_gives_its_turn_back(tmp_path):
    sessions = make_sessionmaker(_engine(tmp_path))
    session = sessions()
    session.execute(text("INSERT INTO rows VALUES (0, 0)"))  # begins: this session holds the turn

    ender = threading.Thread(target=session.close)  # rolls back, as FastAPI may in another thread
    ender.start()
    ender.join(PROMPTLY_SECONDS)

    assert _another_thread_writes_promptly(sessions, 1)
    with session_scope(sessions) as s:
        assert s.execute(text("SELECT thread FROM rows")).scalars().all() == [1]


def test_a_failed_transaction_gives_its_turn_back(tmp_path):
    sessions = make_sessionmaker(_engine(tmp_path))
    try:
        with session_scope(sessions) as s:
            s.execute(text("INSERT INTO no_such_table VALUES (1)"))
    except Exception:
        pass
    assert _another_thread_writes_promptly(sessions, 2)


def _another_thread_writes_promptly(sessions, tag: int) -> bool:
    """A writer in a new thread commits within PROMPTLY_SECONDS (a turn held would stall it)."""
    done = threading.Event()

    def write() -> None:
        with session_scope(sessions) as s:
            s.execute(text("INSERT INTO rows VALUES (:t, :t)"), {"t": tag})
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done.wait(PROMPTLY_SECONDS)
