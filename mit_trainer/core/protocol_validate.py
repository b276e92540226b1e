"""Validation of ``mit-protocol/1`` files: every problem reported at once, each with file, line and field.

The YAML is read with a loader that remembers the line of every mapping and key, then checked field by field
(unknown keys, types, ranges, enum values, cross-references between steps such as ``backup_to``, and the
consistency of ``scored``, ``points``, ``analysis_mode`` and ``fade``). Extra keys are allowed under ``x-``.
"""

from __future__ import annotations

import re
from typing import Any

from mit_trainer.core.protocol import (
    FORMAT,
    AdvancementRule,
    AnalysisMode,
    Cue,
    Fade,
    LevelDef,
    Protocol,
    ProtocolIssue,
    SessionRules,
    StepDef,
    StepPoints,
    StimulusDefaults,
    Taps,
)
from mit_trainer.core.protocol_yaml import Checker, LineDict, enum_names, load_with_lines

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_STEP_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_VERSION_RE = re.compile(r"^\d+(\.\d+)*$")

_TOP_KEYS = {"format", "id", "version", "name", "source", "description", "stimulus", "session"}
_TOP_KEYS |= {"advancement", "levels"}
_STIM_KEYS = {"interval_semitones", "tempo_bpm", "n_pitches", "melody", "lengthen_stressed"}
_SESSION_KEYS = {"items_per_session", "repeat_block_hours", "drop_after_failures", "probe_items"}
_SESSION_KEYS |= {"probe_block", "confirm_auto_scores"}
_ADV_KEYS = {"criterion_percent", "consecutive_sessions", "stay_window"}
_LEVEL_KEYS = {"level", "name", "syllables", "steps", "probe_steps"}
_STEP_KEYS = {"id", "name", "cue", "taps", "scored", "points", "backup_to", "delay_s", "tries", "fade"}
_STEP_KEYS |= {"analysis_mode", "probe", "prompt", "backup_only"}
_FADING_CUES = {Cue.UNISON, Cue.UNISON_FADE, Cue.SPRECHGESANG}


def validate_text(text: str, path: str) -> tuple[Protocol | None, list[ProtocolIssue]]:
    """Validate the text of a protocol file; returns the protocol only when there is no issue."""
    chk = Checker(path)
    data = load_with_lines(text, chk)
    if data is None:
        return None, chk.issues
    proto = _check_document(chk, data)
    issues = sorted(chk.issues, key=lambda i: i.line or 0)  # stable: same-line issues keep their order
    return (proto if not issues else None), issues


def _check_document(chk: Checker, d: LineDict) -> Protocol | None:
    chk.unknown_keys(d, _TOP_KEYS, "")
    fmt = d.get("format")
    if fmt != FORMAT:
        chk.add(
            chk.line_of(d, "format") if "format" in d else 1, "format", f"must be {FORMAT!r}, got {fmt!r}"
        )
    pid = chk.text(d, "id", "")
    if pid is not None and not _ID_RE.match(pid):
        chk.add(chk.line_of(d, "id"), "id", f"{pid!r}: use letters, digits, '-', '_' or '.'")
    version = d.get("version")
    if version is None:
        chk.add(d.line, "version", "missing (e.g. 1 or 1.2)")
    elif isinstance(version, bool) or not _VERSION_RE.match(str(version)):
        chk.add(chk.line_of(d, "version"), "version", f"{version!r}: expected a number such as 1 or 1.2")
    name = chk.text(d, "name", "")
    source = chk.text(d, "source", "")
    description = chk.text(d, "description", "")
    stim = _check_stimulus(chk, d)
    session = _check_session(chk, d)
    adv = _check_advancement(chk, d)
    levels = _check_levels(chk, d, stim)
    if chk.issues or None in (pid, name, source, description, levels, stim, session, adv):
        return None
    assert pid and name and source and description and levels and stim and session and adv
    return Protocol(pid, str(version), name, source, description, levels, session, adv, stim)


def _check_stimulus(chk: Checker, d: LineDict) -> StimulusDefaults | None:
    m = chk.mapping(d.get("stimulus"), chk.line_of(d, "stimulus"), "stimulus")
    if m is None:
        if "stimulus" not in d:
            chk.add(d.line, "stimulus", "missing (interval_semitones, tempo_bpm, ...)")
        return None
    p = "stimulus."
    chk.unknown_keys(m, _STIM_KEYS, p)
    interval = chk.number(m, "interval_semitones", p, 3.0, 0, 12, False)
    tempo = chk.number(m, "tempo_bpm", p, 60.0, 20, 240, False)
    n_pitches = chk.number(m, "n_pitches", p, 2, 1, 4, True)
    melody = chk.boolean(m, "melody", p, True)
    lengthen = chk.boolean(m, "lengthen_stressed", p, False)
    if melody is False and n_pitches != 1:
        chk.add(chk.line_of(m, "n_pitches"), p + "n_pitches", "must be 1 when melody is false (monotone)")
    if melody is True and n_pitches == 1:
        chk.add(chk.line_of(m, "n_pitches"), p + "n_pitches", "a melody needs at least 2 pitches")
    if melody is True and interval == 0:
        chk.add(chk.line_of(m, "interval_semitones"), p + "interval_semitones", "0 only without melody")
    if None in (interval, tempo, n_pitches, melody, lengthen):
        return None
    return StimulusDefaults(
        float(interval or 0), float(tempo or 0), int(n_pitches or 0), bool(melody), bool(lengthen)
    )


def _check_session(chk: Checker, d: LineDict) -> SessionRules | None:
    m = chk.mapping(d.get("session"), chk.line_of(d, "session"), "session")
    if m is None:
        return SessionRules() if "session" not in d else None
    p = "session."
    chk.unknown_keys(m, _SESSION_KEYS, p)
    items = chk.number(m, "items_per_session", p, 12, 1, 100, True)
    block = chk.number(m, "repeat_block_hours", p, 24.0, 0, 24 * 30, False)
    drop = chk.number(m, "drop_after_failures", p, 4, 1, 100, True)
    probes = chk.number(m, "probe_items", p, 0, 0, 50, True)
    where = m.get("probe_block", "start")
    if where not in ("start", "end"):
        chk.add(chk.line_of(m, "probe_block"), p + "probe_block", f"{where!r} is not one of start, end")
    confirm = chk.boolean(m, "confirm_auto_scores", p, True)
    return SessionRules(
        int(items or 12), float(block or 0), int(drop or 4), int(probes or 0), str(where), bool(confirm)
    )


def _check_advancement(chk: Checker, d: LineDict) -> AdvancementRule | None:
    m = chk.mapping(d.get("advancement"), chk.line_of(d, "advancement"), "advancement")
    if m is None:
        return AdvancementRule() if "advancement" not in d else None
    p = "advancement."
    chk.unknown_keys(m, _ADV_KEYS, p)
    crit = chk.number(m, "criterion_percent", p, 90.0, 1, 100, False)
    n = chk.number(m, "consecutive_sessions", p, 5, 1, 100, True)
    window = chk.number(m, "stay_window", p, 3, 1, 50, True)
    return AdvancementRule(float(crit or 90), int(n or 5), int(window or 3))


def _check_levels(chk: Checker, d: LineDict, stim: StimulusDefaults | None) -> tuple[LevelDef, ...] | None:
    raw = d.get("levels")
    if not isinstance(raw, list) or not raw:
        chk.add(chk.line_of(d, "levels") if "levels" in d else d.line, "levels", "expected a non-empty list")
        return None
    levels = []
    for i, item in enumerate(raw):
        lv = _check_level(chk, item, i, d, stim)
        if lv is not None:
            levels.append(lv)
    numbers = [lv.level for lv in levels]
    if len(levels) == len(raw) and numbers != list(range(1, len(numbers) + 1)):
        chk.add(
            chk.line_of(d, "levels"), "levels", f"levels must be numbered 1, 2, ... in order, got {numbers}"
        )
    return tuple(levels) if len(levels) == len(raw) else None


def _check_level(
    chk: Checker, raw: Any, i: int, d: LineDict, stim: StimulusDefaults | None
) -> LevelDef | None:
    p = f"levels[{i}]."
    m = chk.mapping(raw, chk.line_of(d, "levels"), f"levels[{i}]")
    if m is None:
        return None
    chk.unknown_keys(m, _LEVEL_KEYS, p)
    number = chk.number(m, "level", p, None, 1, 9, True)
    name = chk.text(m, "name", p)
    syl = m.get("syllables")
    lo = hi = 0
    if (
        isinstance(syl, list)
        and len(syl) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in syl)
        and 1 <= syl[0] <= syl[1] <= 30
    ):
        lo, hi = syl
    else:
        chk.add(
            chk.line_of(m, "syllables"),
            p + "syllables",
            f"expected [min, max] with 1 <= min <= max, got {syl!r}",
        )
    raw_steps = m.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        chk.add(chk.line_of(m, "steps"), p + "steps", "expected a non-empty list of steps")
        return None
    steps: list[StepDef] = []
    seen: dict[str, int] = {}
    for j, rs in enumerate(raw_steps):
        st = _check_step(chk, rs, f"{p}steps[{j}].", chk.line_of(m, "steps"), seen, stim)
        if isinstance(rs, LineDict) and isinstance(rs.get("id"), str):
            seen.setdefault(rs["id"], j)
        if st is not None:
            steps.append(st)
    _check_level_steps(chk, m, p, steps, len(raw_steps))
    probe_ids = _check_probe_steps(chk, m, p, steps, set(seen))
    if number is None or name is None or not lo or len(steps) != len(raw_steps) or probe_ids is None:
        return None
    return LevelDef(int(number), name, lo, hi, tuple(steps), probe_ids, line=m.line)


def _check_level_steps(chk: Checker, m: LineDict, p: str, steps: list[StepDef], n_raw: int) -> None:
    if len(steps) != n_raw:
        return
    if not any(s.scored and not s.backup_only for s in steps):
        chk.add(chk.line_of(m, "steps"), p + "steps", "a level needs at least one scored step")
    targets = {s.backup_to for s in steps if s.backup_to}
    for s in steps:
        if s.backup_only and s.id not in targets:
            chk.add(s.line, f"{p}steps.{s.id}.backup_only", "no step backs up to this backup-only step")


def _check_probe_steps(
    chk: Checker, m: LineDict, p: str, steps: list[StepDef], raw_ids: set[str]
) -> tuple[str, ...] | None:
    raw = m.get("probe_steps")
    if raw is None:
        return tuple(s.id for s in steps if s.scored and not s.backup_only and s.cue not in _FADING_CUES)
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        chk.add(chk.line_of(m, "probe_steps"), p + "probe_steps", "expected a list of step ids")
        return None
    by_id = {s.id: s for s in steps}
    ok = True
    for sid in raw:
        s = by_id.get(sid)
        if s is None and sid in raw_ids:  # the step itself is invalid and already reported
            ok = False
        elif s is None:
            chk.add(chk.line_of(m, "probe_steps"), p + "probe_steps", f"unknown step {sid!r}")
            ok = False
        elif not s.scored or s.backup_only:
            chk.add(
                chk.line_of(m, "probe_steps"),
                p + "probe_steps",
                f"step {sid!r} must be scored, not backup-only",
            )
            ok = False
    order = [s.id for s in steps if s.id in raw]
    if ok and len(set(raw)) == len(raw) and order != list(raw):
        chk.add(chk.line_of(m, "probe_steps"), p + "probe_steps", "list the steps in level order, once each")
        ok = False
    return tuple(raw) if ok else None


def _check_step(
    chk: Checker,
    raw: Any,
    p: str,
    line: int,
    seen: dict[str, int],
    stim: StimulusDefaults | None,
) -> StepDef | None:
    m = chk.mapping(raw, line, p.rstrip("."))
    if m is None:
        return None
    chk.unknown_keys(m, _STEP_KEYS, p)
    sid = chk.text(m, "id", p)
    if sid is not None:
        if not _STEP_ID_RE.match(sid):
            chk.add(chk.line_of(m, "id"), p + "id", f"{sid!r}: use lowercase letters, digits and '-'")
        if sid in seen:
            chk.add(chk.line_of(m, "id"), p + "id", f"duplicate step id {sid!r}")
    name = chk.text(m, "name", p)
    cue = chk.choice(m, "cue", p, Cue)
    taps_raw = m.get("taps")
    if isinstance(taps_raw, bool):  # YAML 1.1 reads bare on/off as booleans
        taps_raw = "on" if taps_raw else "off"
    taps = chk.choice(_with_value(m, "taps", taps_raw), "taps", p, Taps)
    scored = chk.boolean(m, "scored", p, None)
    backup_only = chk.boolean(m, "backup_only", p, False)
    probe = chk.boolean(m, "probe", p, False)
    prompt = chk.text(m, "prompt", p)
    delay = chk.number(m, "delay_s", p, 0.0, 0, 60, False)
    tries = chk.number(m, "tries", p, 1, 1, 20, True)
    points = _check_points(chk, m, p, scored, bool(backup_only))
    fade = _check_fade(chk, m, p, cue)
    mode = chk.choice(m, "analysis_mode", p, AnalysisMode, required=False)
    if scored is True and m.get("analysis_mode") is None:
        chk.add(m.line, p + "analysis_mode", f"a scored step needs one of {enum_names(AnalysisMode)}")
    if scored is False and m.get("analysis_mode") is not None:
        chk.add(chk.line_of(m, "analysis_mode"), p + "analysis_mode", "must be null for an unscored step")
    if scored is False and cue is Cue.NONE:
        chk.add(chk.line_of(m, "cue"), p + "cue", "an unscored step with cue 'none' presents nothing")
    if cue is Cue.HUM and stim is not None and not stim.melody:
        chk.add(chk.line_of(m, "cue"), p + "cue", "'hum' needs a melody (stimulus.melody is false)")
    if probe and scored is False:
        chk.add(chk.line_of(m, "probe"), p + "probe", "a probe question needs a scored response")
    backup = _check_backup(chk, m, p, sid, scored, points, seen)
    if backup_only and backup:
        chk.add(chk.line_of(m, "backup_to"), p + "backup_to", "a backup-only step cannot back up further")
    values = (sid, name, cue, taps, scored, prompt, delay, tries)
    if any(v is None for v in values) or (scored and not backup_only and points is None) or backup is False:
        return None
    assert sid and name and prompt is not None
    return StepDef(
        id=sid,
        name=name,
        cue=cue,
        taps=taps,
        scored=bool(scored),
        points=points,
        backup_to=backup if isinstance(backup, str) and backup else None,
        delay_s=float(delay or 0),
        tries=int(tries or 1),
        fade=fade,
        analysis_mode=mode,
        probe=bool(probe),
        prompt=prompt,
        backup_only=bool(backup_only),
        line=m.line,
    )


def _with_value(m: LineDict, key: str, value: Any) -> LineDict:
    """A copy of ``m`` with one value replaced (keeps the line information)."""
    out = LineDict(m)
    out.line, out.key_lines = m.line, m.key_lines
    out[key] = value
    return out


def _check_points(
    chk: Checker, m: LineDict, p: str, scored: bool | None, backup_only: bool
) -> StepPoints | None:
    raw = m.get("points")
    fld = p + "points"
    if backup_only:
        if raw is not None:
            chk.add(chk.line_of(m, "points"), fld, "a backup-only step earns no points (use null)")
        return None
    if raw is None:
        if scored:
            chk.add(m.line, fld, "a scored step needs points: {first: N, after_backup: M or null}")
        return None
    if scored is False:
        chk.add(chk.line_of(m, "points"), fld, "an unscored step cannot give points (use null)")
        return None
    pm = chk.mapping(raw, chk.line_of(m, "points"), fld)
    if pm is None:
        return None
    chk.unknown_keys(pm, {"first", "after_backup"}, fld + ".")
    first = chk.number(pm, "first", fld + ".", None, 1, 100, True)
    after = pm.get("after_backup")
    if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 0):
        chk.add(
            chk.line_of(pm, "after_backup"), fld + ".after_backup", f"expected an integer >= 0, got {after!r}"
        )
        return None
    if first is not None and after is not None and after >= first:
        chk.add(
            chk.line_of(pm, "after_backup"),
            fld + ".after_backup",
            f"{after} must be less than first ({first})",
        )
        return None
    return StepPoints(int(first), after) if first is not None else None


def _check_fade(chk: Checker, m: LineDict, p: str, cue: Cue | None) -> Fade | None:
    raw = m.get("fade")
    fld = p + "fade"
    if raw is None:
        if cue is Cue.UNISON_FADE:
            chk.add(m.line, fld, "cue 'unison-fade' needs fade: {start: 0..1, end: 0..1}")
        return None
    fm = chk.mapping(raw, chk.line_of(m, "fade"), fld)
    if fm is None:
        return None
    chk.unknown_keys(fm, {"start", "end"}, fld + ".")
    start = chk.number(fm, "start", fld + ".", None, 0, 1, False)
    end = chk.number(fm, "end", fld + ".", None, 0, 1, False)
    if start is None or end is None:
        return None
    if start >= end:
        chk.add(chk.line_of(fm, "end"), fld, f"start ({start}) must be before end ({end})")
        return None
    if cue is not None and cue not in _FADING_CUES:
        chk.add(chk.line_of(m, "fade"), fld, f"cue {cue.value!r} has no concurrent model to fade (use null)")
        return None
    return Fade(float(start), float(end))


def _check_backup(
    chk: Checker,
    m: LineDict,
    p: str,
    sid: str | None,
    scored: bool | None,
    points: StepPoints | None,
    seen: dict[str, int],
) -> str | bool:
    """Returns the backup target id, "" for none, or False when invalid."""
    target = m.get("backup_to")
    fld = p + "backup_to"
    line = chk.line_of(m, "backup_to")
    has_after = points is not None and points.after_backup is not None
    if target is None:
        if has_after:
            chk.add(
                chk.line_of(m, "points"), p + "points.after_backup", "set only when backup_to names a step"
            )
            return False
        return ""
    if not isinstance(target, str):
        chk.add(line, fld, f"expected a step id or null, got {target!r}")
        return False
    if target == sid:
        chk.add(line, fld, "a step cannot back up to itself")
        return False
    if target not in seen:
        chk.add(line, fld, f"{target!r} is not an earlier step of this level (unknown or later)")
        return False
    if scored is False:
        chk.add(line, fld, "only a scored step can back up")
        return False
    if points is not None and not has_after:
        chk.add(chk.line_of(m, "points"), p + "points.after_backup", "needed when backup_to is set")
        return False
    return target
