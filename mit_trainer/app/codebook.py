"""Column definitions of the research export, its JSON data dictionaries and ``CODEBOOK.md``.

One definition per column (name, type, description, units, levels) feeds the TSV and Parquet
writers, the per-table data dictionary (BIDS-style ``Description``/``Units``/``Levels``) and the
generated codebook, so the three never disagree. Columns marked ``identifying`` are written only
when the export is not de-identified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_OUTCOME = {
    "pass": "intelligible target production",
    "fail": "not acceptable",
    "no_response": "no voice detected",
}
_TONE = {"H": "high note (stressed syllable)", "L": "low note"}
_CUE = {
    "hum": "model hums the melody",
    "intone": "model intones the phrase",
    "unison": "patient and model intone together",
    "unison-fade": "unison, the model fades out",
    "sprechgesang": "speech-song: rhythm and stress kept, pitch not held",
    "spoken": "normal speech prosody",
    "none": "no model (probe question or independent response)",
}
_WORD_STATUS = {
    "said": "the word fits the voice in its span (goodness of pronunciation at or above the threshold)",
    "unclear": "voice is there but the word does not fit it (substitution, filler, mumble)",
    "missing": "no voice where the word would be, or no voice at all",
}
_DECISION = {
    "none": "no proposal",
    "proposed": "software proposed the next level; no therapist answer yet",
    "accepted": "therapist accepted the proposal",
    "declined": "therapist declined the proposal",
    "flagged": "flagged for therapist review",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "string" | "integer" | "number" | "boolean"
    description: str
    units: str | None = None
    levels: Mapping[str, str] | None = None
    identifying: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[Column, ...]

    def written_columns(self, *, deidentify: bool) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not (deidentify and c.identifying))


def _col(name: str, kind: str, description: str, units: str | None = None, **kw: Any) -> Column:
    return Column(name, kind, description, units, **kw)


_PID = _col(
    "participant_id",
    "string",
    "Participant label: sub-<research id> (random, stable per export key; the key stays in the clinic)",
)
_SID = _col("session_id", "string", "Session label ses-<NN>, numbered per participant in order of start")
_AID = _col("attempt_id", "string", "Attempt label <participant>_<session>_att-<NNN>, unique in the dataset")
_DAY = "Whole days since the participant's first session (UTC calendar days; negative before it)"

PARTICIPANTS = TableSpec(
    "participants",
    "One row per included participant (research consent given).",
    (
        _PID,
        _col("consent_research", "boolean", "Consent to research use of the data (always true in an export)"),
        _col("consent_share_audio", "boolean", "Consent to share raw voice recordings"),
        _col("audio_included", "boolean", "Recordings of this participant are in the audio/ folder"),
        _col("n_sessions", "integer", "Sessions in this export"),
        _col("low_note_hz", "number", "Current calibrated low note of the two-pitch melody", "Hz"),
        _col("interval_semitones", "number", "Current interval between the low and high note", "semitones"),
        _col("tempo_bpm", "number", "Current tempo (one syllable per beat)", "beats per minute"),
        _col(
            "tap_side", "string", "Hand used for tapping", levels={"left": "left hand", "right": "right hand"}
        ),
        _col("protocol_id", "string", "Current protocol definition"),
        _col(
            "level",
            "integer",
            "Current MIT level",
            levels={"1": "I Elementary", "2": "II Intermediate", "3": "III Advanced"},
        ),
        _col("full_name", "string", "Full name", identifying=True),
        _col("date_of_birth", "string", "Date of birth (ISO 8601)", identifying=True),
        _col("identity_notes", "string", "Free-text notes kept with the identity", identifying=True),
    ),
)

SESSIONS = TableSpec(
    "sessions",
    "One row per therapy session. Points are the sum over the session's attempts of the final points.",
    (
        _PID,
        _SID,
        _col("session_number", "integer", "Session number per participant (1 = first ever)"),
        _col("day", "integer", _DAY, "days"),
        _col("started_at", "string", "Start time (ISO 8601, UTC)", identifying=True),
        _col("ended_at", "string", "End time (ISO 8601, UTC)", identifying=True),
        _col("duration_s", "number", "Session duration (n/a when the session was never ended)", "s"),
        _col("therapist_id", "string", "Pseudonymous therapist label thr-<N>"),
        _col("protocol_id", "string", "Protocol definition used (e.g. HE1989)"),
        _col("protocol_version", "string", "Version of the protocol definition"),
        _col("phrase_set_name", "string", "Name of the phrase set"),
        _col("phrase_set_sha256", "string", "SHA-256 of the phrase set's canonical text"),
        _col("level", "integer", "MIT level practised", levels={"1": "I", "2": "II", "3": "III"}),
        _col("fatigue_before", "integer", "Self-rated fatigue before the session (COMPARE scale)", "0-10"),
        _col("fatigue_after", "integer", "Self-rated fatigue after the session", "0-10"),
        _col("n_attempts", "integer", "Attempts recorded"),
        _col("n_items", "integer", "Distinct items (phrases presented) in the session"),
        _col("points_earned", "integer", "Sum of final_points over the session's attempts", "points"),
        _col(
            "points_possible", "integer", "Maximum points of the items presented, from the protocol", "points"
        ),
        _col("score_fraction", "number", "points_earned / points_possible", "fraction 0-1"),
        _col("advancement_decision", "string", "Level advancement decision", levels=_DECISION),
        _col("notes", "string", "Therapist's free-text session notes", identifying=True),
    ),
)

ATTEMPTS = TableSpec(
    "attempts",
    "One row per attempt (one try of one step on one item); automatic and therapist scores kept apart.",
    (
        _PID,
        _SID,
        _AID,
        _col("attempt_number", "integer", "Order of the attempt within the session (1 = first)"),
        _col("item_index", "integer", "Order of the item (phrase presentation) within the session, from 0"),
        _col("phrase_id", "string", "Phrase identifier in the phrase set"),
        _col("trained", "boolean", "true for a trained phrase, false for an untrained generalisation probe"),
        _col("level", "integer", "MIT level", levels={"1": "I", "2": "II", "3": "III"}),
        _col("step_id", "string", "Protocol step identifier"),
        _col("step_index", "integer", "Step number within the level (1 = first)"),
        _col("try_number", "integer", "Try of this step on this item (1 = first)"),
        _col("backup", "boolean", "The try follows a backup to the preceding step"),
        _col("cue", "string", "Cue mode of the model", levels=_CUE),
        _col("fade_start_s", "number", "Time from model start at which the model starts to fade", "s"),
        _col("fade_end_s", "number", "Time from model start at which the model is silent", "s"),
        _col("tempo_bpm", "number", "Tempo of the model", "beats per minute"),
        _col("interval_semitones", "number", "Interval between low and high note", "semitones"),
        _col("low_note_hz", "number", "Low note of the model", "Hz"),
        _col("delay_s", "number", "Pause between the end of the model and the response cue", "s"),
        _col(
            "analysis_mode",
            "string",
            "Analysis mode",
            levels={"sung": "intoned", "sprechgesang": "speech-song", "spoken": "speech"},
        ),
        _col("day", "integer", _DAY, "days"),
        _col("time_in_session_s", "number", "Start of the attempt after the start of its session", "s"),
        _col("started_at", "string", "Start time (ISO 8601, UTC)", identifying=True),
        _col("response_latency_s", "number", "End of the model to voice onset", "s"),
        _col("duration_s", "number", "Duration of the recording", "s"),
        _col("syllables_targeted", "integer", "Syllables in the target phrase"),
        _col("syllables_detected", "integer", "Target syllables found in the response"),
        _col(
            "voicing_continuity",
            "number",
            "Voiced fraction of pitch frames from first syllable onset to last offset",
            "fraction 0-1",
        ),
        _col(
            "words_targeted",
            "integer",
            "Words in the target phrase (n/a when the word check did not run: no model for the language)",
        ),
        _col("words_said", "integer", "Words the automatic word check judged said (advisory)"),
        _col("score_contour", "number", "Automatic melodic contour score (advisory)", "0-1"),
        _col("score_rhythm", "number", "Automatic rhythm score (advisory)", "0-1"),
        _col("score_completeness", "number", "Automatic completeness score (advisory)", "0-1"),
        _col("score_voicing", "number", "Automatic voicing (legato) score (advisory)", "0-1"),
        _col("score_overall", "number", "Automatic overall score (advisory)", "0-1"),
        _col("auto_verdict", "string", "Automatic verdict (advisory)", levels=_OUTCOME),
        _col("auto_points", "integer", "Points the engine awarded from the automatic verdict", "points"),
        _col(
            "therapist_outcome",
            "string",
            "Therapist's latest judgement, when they scored the attempt",
            levels=_OUTCOME,
        ),
        _col("therapist_points", "integer", "Therapist's latest points", "points"),
        _col("therapist_id", "string", "Pseudonymous label of the therapist who scored (overrider)"),
        _col("therapist_reason", "string", "Therapist's free-text reason for the score", identifying=True),
        _col(
            "n_therapist_scores", "integer", "Therapist score rows for this attempt (every override is kept)"
        ),
        _col("final_outcome", "string", "therapist_outcome when present, else auto_verdict", levels=_OUTCOME),
        _col(
            "final_points",
            "integer",
            "therapist_points when the therapist scored, else auto_points",
            "points",
        ),
        _col("interrupted", "boolean", "The attempt was interrupted (pause, skip or stop)"),
        _col("audio_file", "string", "Recording path relative to the dataset root (n/a when not exported)"),
        _col("audio_sha256", "string", "SHA-256 of the recording as stored by the trainer"),
        _col(
            "audio_file_sha256",
            "string",
            "SHA-256 of audio_file in this export; differs from audio_sha256 only when de-identification "
            "removed metadata chunks (e.g. the PEAK chunk's time stamp) from the WAV",
        ),
        _col("tracker", "string", "Pitch tracker used by the analysis"),
        _col("analysis_version", "string", "Version of the analysis"),
        _col("protocol_id", "string", "Protocol definition of the session"),
        _col("protocol_version", "string", "Version of the protocol definition"),
    ),
)

SYLLABLES = TableSpec(
    "syllables",
    "One row per target syllable of each attempt; onset_s is n/a when the syllable was not produced.",
    (
        _PID,
        _SID,
        _AID,
        _col("syllable_index", "integer", "Position in the phrase, from 0"),
        _col("text", "string", "Target syllable (stimulus text from the phrase set)"),
        _col("target", "string", "Target note", levels=_TONE),
        _col("produced", "string", "Note produced, n/a when not produced or unvoiced", levels=_TONE),
        _col("detected", "boolean", "The syllable was found in the response"),
        _col("onset_s", "number", "Onset on the recording clock (0 = first sample)", "s"),
        _col("offset_s", "number", "Offset on the recording clock", "s"),
        _col("duration_s", "number", "offset_s - onset_s", "s"),
        _col("f0_median_hz", "number", "Median fundamental frequency over the syllable", "Hz"),
        _col(
            "pitch_error_cents",
            "number",
            "Median f0 against the target note, as the analysis computed it (in the patient's own key); "
            "when the analysis gives none, against low_note_hz (L) or interval_semitones above it (H)",
            "cents",
        ),
    ),
)

WORDS = TableSpec(
    "words",
    "One row per word of the target phrase of each attempt, from the automatic word check (PocketSphinx "
    "forced alignment, US English model; advisory). Attempts whose language has no word model have no rows.",
    (
        _PID,
        _SID,
        _AID,
        _col("word_index", "integer", "Position of the word in the phrase, from 0"),
        _col("text", "string", "Target word (lower case, punctuation removed)"),
        _col("status", "string", "Word check result", levels=_WORD_STATUS),
        _col("onset_s", "number", "Start of the aligned word on the recording clock (n/a: not placed)", "s"),
        _col("offset_s", "number", "End of the aligned word on the recording clock", "s"),
        _col(
            "confidence",
            "number",
            "Logistic of the goodness of pronunciation, 0.5 at the said threshold (a ranking, not a "
            "calibrated probability)",
            "0-1",
        ),
        _col(
            "gop",
            "number",
            "Goodness of pronunciation: mean log acoustic score per 10 ms frame against the best senone",
            "nats per frame",
        ),
        _col("first_syllable_index", "integer", "First target syllable of the word"),
        _col("last_syllable_index", "integer", "Last target syllable of the word"),
    ),
)

TAPS = TableSpec(
    "taps",
    "One row per hand tap recorded during an attempt.",
    (
        _PID,
        _SID,
        _AID,
        _col("tap_index", "integer", "Order of the tap within the attempt, from 0"),
        _col("t_s", "number", "Tap time on the recording clock (0 = first sample)", "s"),
        _col("nearest_syllable_index", "integer", "Index of the nearest target syllable"),
        _col("asynchrony_ms", "number", "Tap time minus that syllable's onset (negative = tap leads)", "ms"),
    ),
)

ASSESSMENTS = TableSpec(
    "assessments",
    "Standardised language assessments, separate from practice data.",
    (
        _PID,
        _col(
            "test",
            "string",
            "Assessment",
            levels={
                "WAB": "Western Aphasia Battery",
                "BDAE": "Boston Diagnostic Aphasia Examination",
                "AAT": "Aachen Aphasia Test",
                "CAL": "Communicative Activity Log",
                "ANELT": "Amsterdam-Nijmegen Everyday Language Test",
                "CIU": "Correct Information Units analysis",
            },
        ),
        _col("subtest", "string", "Subtest or score name"),
        _col("score", "number", "Score in the test's own units"),
        _col("time_point", "string", "Study time point (e.g. baseline, post, follow-up)"),
        _col("day", "integer", _DAY, "days"),
        _col("assessed_at", "string", "Assessment time (ISO 8601, UTC)", identifying=True),
        _col("blinded", "boolean", "Assessor blinded to condition"),
        _col("assessor_id", "string", "Pseudonymous assessor label thr-<N>"),
        _col("notes", "string", "Free-text notes", identifying=True),
    ),
)

RECORDED_MODELS = TableSpec(
    "recorded_models",
    "One row per therapist's recorded model of a phrase (the model a session can play instead of the "
    "synthesized one). Not patient data: exported whoever is selected; the WAV only with audio.",
    (
        _col("model_id", "string", "Recorded model label mod-<N>, unique in the dataset"),
        _col("therapist_id", "string", "Pseudonymous label of the therapist who sang it (thr-<N>)"),
        _col("phrase_set_name", "string", "Name of the phrase set"),
        _col("phrase_id", "string", "Phrase identifier in the phrase set"),
        _col("created_at", "string", "Time it was kept (ISO 8601, UTC)", identifying=True),
        _col("tempo_bpm", "number", "Tempo it was sung at (after a count-in)", "beats per minute"),
        _col("low_hz", "number", "Median f0 of the L syllables sung on the low note", "Hz"),
        _col("interval_semitones", "number", "Interval asked for between low and high note", "semitones"),
        _col(
            "mode",
            "string",
            "Analysis mode it was judged in",
            levels={"sung": "intoned", "sprechgesang": "speech-song", "spoken": "speech"},
        ),
        _col("duration_s", "number", "Duration of the kept recording", "s"),
        _col("sample_rate_hz", "integer", "Sample rate of the recording", "Hz"),
        _col("syllables_targeted", "integer", "Syllables in the phrase"),
        _col("syllables_detected", "integer", "Phrase syllables found in the recording"),
        _col("syllables_matching", "integer", "Syllables sung on their target note (H/L)"),
        _col("score_contour", "number", "Automatic melodic contour score", "0-1"),
        _col("score_rhythm", "number", "Automatic rhythm score", "0-1"),
        _col("score_overall", "number", "Automatic overall score", "0-1"),
        _col("verdict", "string", "Automatic verdict of the scoring pipeline", levels=_OUTCOME),
        _col("accepted", "boolean", "true when kept because the verdict was pass"),
        _col("insisted", "boolean", "true when the therapist kept it although the verdict was not pass"),
        _col(
            "insisted_reason",
            "string",
            "Therapist's free-text reason for keeping it anyway",
            identifying=True,
        ),
        _col("audio_file", "string", "Recording path relative to the dataset root (n/a when not exported)"),
        _col("audio_sha256", "string", "SHA-256 of the recording as stored by the trainer"),
        _col("audio_file_sha256", "string", "SHA-256 of audio_file in this export (metadata chunks removed)"),
        _col("analysis_version", "string", "Version of the analysis"),
    ),
)

TABLES: tuple[TableSpec, ...] = (
    PARTICIPANTS,
    SESSIONS,
    ATTEMPTS,
    SYLLABLES,
    WORDS,
    TAPS,
    ASSESSMENTS,
    RECORDED_MODELS,
)


def data_dictionary(spec: TableSpec, *, deidentify: bool) -> dict[str, Any]:
    """The JSON sidecar of a table: per column Description, Units and Levels (BIDS style)."""
    out: dict[str, Any] = {}
    for col in spec.written_columns(deidentify=deidentify):
        entry: dict[str, Any] = {"Description": col.description, "DataType": col.kind}
        if col.units:
            entry["Units"] = col.units
        if col.levels:
            entry["Levels"] = dict(col.levels)
        out[col.name] = entry
    return out


RULES = """\
## Inclusion and de-identification rules
- A patient is included only when their **research consent** flag is set; others are listed as
  excluded in the export summary and nothing of theirs is written.
- Recordings (WAV, JSON sidecar, TextGrid, f0 CSV) are written only when the export asks for audio
  **and** the patient's **share-audio consent** flag is set.
- De-identified exports (the default) use research ids only (`sub-<research id>`, `thr-<N>`), give
  **days since the participant's first session** instead of dates and times, and leave out names,
  dates of birth and every free-text field (session notes, therapist reasons, assessment notes).
  Identifying columns appear only in an export made with de-identification switched off.
- A research id is random, made the first time a patient is exported under an export key and the
  same in every later export under that key; the key from the clinic's patient code to the research
  id stays in the clinic's database. No patient code appears anywhere in a de-identified export.
- Exported WAV files keep only their format and sample chunks (metadata chunks can hold the time of
  recording); the samples are unchanged.
- Phrase and syllable texts are stimulus material from the phrase sets; review personal phrase sets
  (names, family) before sharing.
- `points_earned` of a session is the sum of `final_points` of its attempts; `final_points` is the
  therapist's latest score when there is one, else the automatic one. Automatic scores are advisory.
"""


def render_codebook(
    *, row_counts: Mapping[str, int], deidentify: bool, formats: tuple[str, ...], with_audio: bool
) -> str:
    """The Markdown codebook of one export."""
    lines = [
        "# MIT Trainer research export: codebook",
        "",
        "Generated by `mit-trainer export`. Tables are tidy (one row per unit named below), "
        "tab-separated with a header row, `n/a` for missing values, and have a Parquet twin and "
        "a JSON data dictionary with the same column names.",
        "",
        f"- De-identified: {'yes' if deidentify else 'NO (contains identifying columns)'}",
        f"- Formats: {', '.join(formats)}",
        f"- Audio: {'included where consent allows' if with_audio else 'not exported'}",
        "",
        RULES,
        "## Files",
        "- `dataset_description.json`: what, by which tool, with which rules.",
        "- `<table>.tsv`, `<table>.parquet`, `<table>.json` for each table below.",
    ]
    if with_audio:
        lines += [
            "- `audio/sub-<label>/ses-<NN>/<attempt_id>.wav`: the recording; `.json`: sidecar with the "
            "attempt's parameters and scores; `.TextGrid`: Praat tiers `target_syllables` (target "
            "text at the expected spans when the analysis gives `target_onset_s`/`target_offset_s`, else at "
            "the detected spans), `detected_syllables` (detected spans), `produced_tones` (H/L produced), "
            "`taps` (point tier, labelled with the nearest syllable index), `HL_targets`, `words` (aligned "
            "words) and `word_status` (said/unclear at the same spans; missing words have no span); "
            "`_f0.csv`: `time_s`, `frequency_hz` (n/a when unvoiced, or when the played model explains the "
            "frame: docs/echo.md), `confidence` on a 10 ms hop.",
            "- `audio/models/mod-<N>.wav`: a therapist's recorded model; `.json`: its analysis "
            "(DESIGN.md §3 shape) and parameters.",
        ]
    for spec in TABLES:
        lines += ["", f"## {spec.name}.tsv ({row_counts.get(spec.name, 0)} rows)", "", spec.description, ""]
        lines += ["| column | type | units | description | levels |", "|---|---|---|---|---|"]
        for col in spec.written_columns(deidentify=deidentify):
            levels = "; ".join(f"`{k}` {v}" for k, v in (col.levels or {}).items())
            lines.append(f"| `{col.name}` | {col.kind} | {col.units or ''} | {col.description} | {levels} |")
    return "\n".join(lines) + "\n"
