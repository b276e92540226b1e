"""Who may pass the therapist lock: PIN hashing, the throttle on wrong PINs, and adding therapists.

PINs are hashed with argon2id (``argon2-cffi``); the store keeps the hash and an audit row per
attempt (who was chosen, when, for what, whether it was right; never the PIN). The throttle is
computed from that audit, so closing and restarting the trainer does not reset it:

- the first :data:`FREE_FAILURES` wrong PINs in a row for a therapist cost nothing;
- each further one makes the next try wait, doubling from :data:`FIRST_DELAY_S` up to
  :data:`MAX_DELAY_S`;
- at :data:`LOCKOUT_FAILURES` in a row that therapist is locked out for :data:`LOCKOUT_S`; each wrong
  PIN after it locks out again. A right PIN of *another* therapist lifts every lockout at once (any
  success ends the run of failures), and so does the time limit.

Adding a therapist needs the PIN of an existing one (the "approver", checked and throttled the same
way); only a database with no therapist holding a PIN accepts a first therapist without one.
Ten wrong PINs then one per half hour: guessing a 4-digit PIN takes months, not two hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mit_trainer.storage import AccessAttempt, Store, Therapist

MIN_PIN_DIGITS = 4
#: Wrong PINs in a row (per therapist) without any wait.
FREE_FAILURES = 3
#: Wait after the first wrong PIN beyond the free ones; doubles with each further one.
FIRST_DELAY_S = 5.0
MAX_DELAY_S = 300.0
#: Wrong PINs in a row that lock a therapist out, and for how long.
LOCKOUT_FAILURES = 10
LOCKOUT_S = 30 * 60.0
#: Audit rows read to find the current run of failures (a run never needs more).
_LOG_WINDOW = 500


class AccessDenied(Exception):
    """A PIN was refused or the request is not allowed; ``wait_s`` > 0 while throttled."""

    def __init__(self, message: str, wait_s: float = 0.0) -> None:
        super().__init__(message)
        self.wait_s = wait_s


def hash_pin(pin: str) -> str:
    return PasswordHasher().hash(pin)


def verify_pin(pin_hash: str | None, pin: str) -> bool:
    if not pin_hash:
        return False
    try:
        return PasswordHasher().verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def pin_problem(pin: str, repeat: str) -> str | None:
    """Why a new PIN is unusable, or None."""
    if not pin.isdigit() or len(pin) < MIN_PIN_DIGITS:
        return f"A PIN is at least {MIN_PIN_DIGITS} digits."
    if pin != repeat:
        return "The two PINs differ."
    return None


@dataclass(frozen=True)
class Throttle:
    """The state of one therapist's PIN entry at a moment."""

    failures: int  # wrong PINs in a row since the last right PIN of anyone
    wait_s: float  # seconds before the next try is checked (0: now)
    locked_out: bool  # the wait is a lockout (another therapist's PIN lifts it)


def throttle_for(log: Sequence[AccessAttempt], therapist_id: int, now: datetime) -> Throttle:
    """The throttle of ``therapist_id`` from the audit rows ``log`` (oldest first)."""
    failures = 0
    last_failure: datetime | None = None
    for row in reversed(log):
        if row.action == "refused":
            continue
        if row.success:
            break
        if row.therapist_id == therapist_id:
            failures += 1
            last_failure = row.created_at if last_failure is None else max(last_failure, row.created_at)
    if last_failure is None or failures < FREE_FAILURES:
        return Throttle(failures, 0.0, False)
    locked = failures >= LOCKOUT_FAILURES
    delay = LOCKOUT_S if locked else min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (failures - FREE_FAILURES))
    wait = (last_failure + timedelta(seconds=delay) - now).total_seconds()
    return Throttle(failures, max(0.0, wait), locked and wait > 0)


def current_throttle(store: Store, therapist_id: int, *, now: datetime | None = None) -> Throttle:
    now = now or _now()
    return throttle_for(store.access_log(limit=_LOG_WINDOW), therapist_id, now)


def check_pin(
    store: Store, therapist_id: int, pin: str, *, action: str = "unlock", now: datetime | None = None
) -> Therapist:
    """The therapist when ``pin`` is theirs; else :class:`AccessDenied` (with the wait if throttled).

    Every call leaves one audit row: ``refused`` when throttled (the PIN is not even checked),
    else ``action`` with the result."""
    now = now or _now()
    therapist = store.get_therapist(therapist_id)
    throttle = current_throttle(store, therapist_id, now=now)
    if throttle.wait_s > 0:
        store.log_access(therapist_id, "refused", False, at=now)
        raise AccessDenied(_wait_message(therapist, throttle, now), throttle.wait_s)
    ok = verify_pin(therapist.pin_hash, pin)
    store.log_access(therapist_id, action, ok, at=now)
    if ok:
        return therapist
    after = current_throttle(store, therapist_id, now=now)
    if after.wait_s > 0:
        raise AccessDenied("That PIN is not right. " + _wait_message(therapist, after, now), after.wait_s)
    raise AccessDenied("That PIN is not right. Try again.")


def needs_approval(store: Store) -> bool:
    """True when a new therapist needs an existing therapist's PIN (someone has a PIN)."""
    return any(t.pin_hash for t in store.list_therapists())


def add_therapist(
    store: Store,
    name: str,
    pin: str,
    *,
    approver_id: int | None,
    approver_pin: str,
    now: datetime | None = None,
) -> Therapist:
    """Add a therapist with ``pin``, approved by an existing therapist's PIN (first run: no approver)."""
    problem = pin_problem(pin, pin)
    if problem:
        raise AccessDenied(problem)
    if not name.strip():
        raise AccessDenied("Enter the new therapist's name.")
    if needs_approval(store):
        if approver_id is None:
            raise AccessDenied("Choose a therapist above and enter their PIN to approve the new therapist.")
        check_pin(store, approver_id, approver_pin, action="approve", now=now)
        return store.add_therapist(name, pin_hash=hash_pin(pin))
    therapist = store.add_therapist(name, pin_hash=hash_pin(pin))
    store.log_access(therapist.id, "setup", True, at=now)
    return therapist


def _wait_message(therapist: Therapist, throttle: Throttle, now: datetime) -> str:
    until = (now + timedelta(seconds=throttle.wait_s)).astimezone().strftime("%H:%M")
    if throttle.locked_out:
        return (
            f"{throttle.failures} wrong PINs for {therapist.display_name}: locked out until {until}, "
            "or until another therapist unlocks with their own PIN."
        )
    return f"{throttle.failures} wrong PINs in a row: wait {throttle.wait_s:.0f} s before the next try."


def _now() -> datetime:
    return datetime.now(UTC)
