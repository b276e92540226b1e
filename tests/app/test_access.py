"""The therapist lock's rules: throttle on wrong PINs, lockout, audit, approval of new therapists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mit_trainer.app import access
from mit_trainer.app.access import AccessDenied, add_therapist, check_pin, current_throttle, hash_pin
from mit_trainer.storage import Store, open_store

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(tmp_path / "a.sqlite3")
    yield s
    s.close()


def _two(store: Store) -> tuple[int, int]:
    a = add_therapist(store, "Ada", "2580", approver_id=None, approver_pin="", now=T0)
    b = add_therapist(store, "Bo", "1357", approver_id=a.id, approver_pin="2580", now=T0)
    return a.id, b.id


def test_first_therapist_is_set_up_without_approval_and_later_ones_need_a_pin(store: Store) -> None:
    a = add_therapist(store, "Ada", "2580", approver_id=None, approver_pin="", now=T0)
    with pytest.raises(AccessDenied, match="Choose a therapist"):
        add_therapist(store, "Eve", "0000", approver_id=None, approver_pin="", now=T0)
    with pytest.raises(AccessDenied, match="not right"):
        add_therapist(store, "Eve", "0000", approver_id=a.id, approver_pin="1111", now=T0)
    assert [t.display_name for t in store.list_therapists()] == ["Ada"]
    b = add_therapist(store, "Bo", "1357", approver_id=a.id, approver_pin="2580", now=T0)
    assert [t.display_name for t in store.list_therapists()] == ["Ada", "Bo"]
    log = [(r.therapist_id, r.action, r.success) for r in store.access_log()]
    assert log == [(a.id, "setup", True), (a.id, "approve", False), (a.id, "approve", True)]
    assert check_pin(store, b.id, "1357", now=T0).display_name == "Bo"


@pytest.mark.slow
def test_wrong_pins_wait_longer_each_time_then_lock_out(store: Store) -> None:
    a, _b = _two(store)
    waits = []
    now = T0
    for _ in range(access.LOCKOUT_FAILURES):
        with pytest.raises(AccessDenied) as err:
            check_pin(store, a, "0000", now=now)
        waits.append(err.value.wait_s)
        now += timedelta(seconds=err.value.wait_s)  # wait exactly as long as told
    # 3 free failures, then 5, 10, 20 ... s, capped at 300 s; the 10th locks out for 30 min.
    assert waits == [0.0, 0.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, access.LOCKOUT_S]
    assert "locked out" in str(err.value)
    # While locked out even the right PIN is refused without being checked.
    with pytest.raises(AccessDenied, match="locked out"):
        check_pin(store, a, "2580", now=now - timedelta(seconds=1))
    assert store.access_log()[-1].action == "refused"
    # A try during a short wait is refused too and does not count as a failure.
    assert current_throttle(store, a, now=now - timedelta(seconds=1)).failures == 10


def test_lockout_ends_after_the_time_limit_and_the_next_wrong_pin_locks_again(store: Store) -> None:
    a, _b = _two(store)
    for i in range(access.LOCKOUT_FAILURES):
        store.log_access(a, "unlock", False, at=T0 + timedelta(seconds=i))
    last = T0 + timedelta(seconds=access.LOCKOUT_FAILURES - 1)
    assert current_throttle(store, a, now=last + timedelta(minutes=29)).locked_out
    after = last + timedelta(seconds=access.LOCKOUT_S + 1)
    assert current_throttle(store, a, now=after).wait_s == 0
    with pytest.raises(AccessDenied, match="locked out") as err:
        check_pin(store, a, "9999", now=after)
    assert err.value.wait_s == pytest.approx(access.LOCKOUT_S)
    assert check_pin(store, a, "2580", now=after + timedelta(seconds=access.LOCKOUT_S + 1)).id == a


def test_another_therapists_pin_lifts_a_lockout(store: Store) -> None:
    a, b = _two(store)
    for i in range(access.LOCKOUT_FAILURES):
        store.log_access(a, "unlock", False, at=T0 + timedelta(seconds=i))
    now = T0 + timedelta(minutes=1)
    assert current_throttle(store, a, now=now).locked_out
    assert not current_throttle(store, b, now=now).locked_out  # per therapist
    assert check_pin(store, b, "1357", now=now).id == b
    assert current_throttle(store, a, now=now) == access.Throttle(0, 0.0, False)
    assert check_pin(store, a, "2580", now=now).id == a


@pytest.mark.slow
def test_the_throttle_and_the_audit_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    with open_store(path) as s:
        a, _b = _two(s)
        for _ in range(4):
            with pytest.raises(AccessDenied):
                check_pin(s, a, "0000", now=T0)
    with open_store(path) as s:
        throttle = current_throttle(s, a, now=T0)
        assert throttle.failures == 3 and throttle.wait_s == 5.0  # the 4th try came too soon
        rows = s.access_log()
        assert [(r.action, r.success) for r in rows][-4:] == [("unlock", False)] * 3 + [("refused", False)]
        assert all(r.created_at.tzinfo is not None for r in rows)


def test_the_audit_never_holds_a_pin(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    with open_store(path) as s:
        a = add_therapist(s, "Ada", "864209", approver_id=None, approver_pin="", now=T0)
        with pytest.raises(AccessDenied):
            check_pin(s, a.id, "975318", now=T0)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("p.sqlite3*"))
    assert b"975318" not in raw and b"864209" not in raw


def test_hashes_are_argon2id_and_pins_are_checked() -> None:
    h = hash_pin("4711")
    assert h.startswith("$argon2id$")
    assert access.verify_pin(h, "4711") and not access.verify_pin(h, "4712")
    with pytest.raises(AccessDenied, match="at least 4 digits"):
        add_therapist(None, "X", "12", approver_id=None, approver_pin="")  # type: ignore[arg-type]


def test_the_wait_counts_from_the_newest_failure_whatever_the_row_order() -> None:
    from mit_trainer.storage import AccessAttempt

    rows = [
        AccessAttempt(1, 7, "unlock", False, T0 + timedelta(seconds=100)),  # written first, newest
        *(AccessAttempt(2 + i, 7, "unlock", False, T0 + timedelta(seconds=i)) for i in range(3)),
    ]
    throttle = access.throttle_for(rows, 7, T0 + timedelta(seconds=100))
    assert throttle == access.Throttle(4, 10.0, False)
    assert access.throttle_for(rows, 8, T0).failures == 0  # another therapist's failures are not counted
