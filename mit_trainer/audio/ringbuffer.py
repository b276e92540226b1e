"""Lock-free single-producer ring buffers that the audio callback writes into.

The callback is the only writer: it copies a block into a preallocated array and then publishes the new
total sample count (one attribute store, atomic under the GIL). Readers keep their own cursor and copy
out; a reader that falls more than the capacity behind is told how many samples it lost. No locks, no
allocation of sample storage after construction.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import numpy.typing as npt


class SampleRing:
    """Mono float32 ring buffer indexed by the absolute sample count since the stream opened."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = int(capacity)
        self._buf = np.zeros(self.capacity, dtype=np.float32)
        self.written = 0  # total samples ever written; published after the copy

    def write(self, block: npt.NDArray[np.float32]) -> None:
        """Copy ``block`` in (called from the audio callback only)."""
        n = block.shape[0]
        cap = self.capacity
        if n > cap:
            block = block[n - cap :]
            self.written += n - cap
            n = cap
        start = self.written % cap
        first = min(n, cap - start)
        self._buf[start : start + first] = block[:first]
        if first < n:
            self._buf[: n - first] = block[first:n]
        self.written += n

    def read(self, start: int, stop: int) -> tuple[npt.NDArray[np.float32], int]:
        """Copy out samples ``[start, stop)`` (absolute indices); returns (samples, n_lost).

        Samples already overwritten are skipped and counted in ``n_lost``; ``stop`` is clamped to what has
        been written.
        """
        stop = min(stop, self.written)
        lost = 0
        oldest = self.written - self.capacity
        if start < oldest:
            lost = oldest - start
            start = oldest
        if stop <= start:
            return np.zeros(0, dtype=np.float32), lost
        cap = self.capacity
        a, b = start % cap, stop - start
        if a + b <= cap:
            out = self._buf[a : a + b].copy()
        else:
            out = np.concatenate([self._buf[a:], self._buf[: b - (cap - a)]])
        # The writer may have lapped us while we copied: report those samples as lost too.
        overrun = (self.written - self.capacity) - start
        if overrun > 0:
            out = out[overrun:]
            lost += overrun
        return out, lost

    def latest(self, n: int) -> npt.NDArray[np.float32]:
        """The most recent ``n`` samples (fewer if fewer were written), for level meters."""
        end = self.written
        return self.read(max(0, end - min(n, self.capacity - 1)), end)[0]


class ClockFit(NamedTuple):
    time_s: float
    spread_s: float
    span_s: float  # stream time covered by the consistent blocks the fit used


class BlockClockLog:
    """Per-callback timestamps: (input sample index, ADC time) and (output sample index, DAC time).

    Preallocated ring of ``capacity`` callbacks. The stream clock is PortAudio's (``inputBufferAdcTime``,
    ``outputBufferDacTime``); :meth:`clock_offset_s` turns the noisy per-block stamps into one line
    ``time = offset + index / rate``.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self._index = np.zeros(self.capacity, dtype=np.int64)
        self._time = np.zeros(self.capacity, dtype=np.float64)
        self._ok = np.zeros(self.capacity, dtype=np.bool_)
        self.count = 0

    def add(self, sample_index: int, time_s: float, ok: bool) -> None:
        k = self.count % self.capacity
        self._index[k] = sample_index
        self._time[k] = time_s
        self._ok[k] = ok
        self.count += 1

    def segments(
        self,
        *,
        sample_rate_hz: float,
        window_blocks: int = 4000,
        step_tolerance_s: float = 0.003,
        min_span_s: float = 0.3,
    ) -> list[ClockSegment]:
        """Stretches of blocks whose stamps lie on one line ``time = a + index/rate (+ skew)``.

        Per-block stamps jitter by a millisecond or two, and on some host APIs (PulseAudio's ALSA plugin)
        they are wrong by hundreds of ms for the first second of a stream, and step when the sound server
        drops or inserts samples without reporting an xrun. So the offsets ``time - index/rate`` of the
        newest ``window_blocks`` clean blocks are median-filtered, split where the filtered offset steps
        by more than ``step_tolerance_s``, and each stretch covering at least ``min_span_s`` gets a line
        fitted (the slope absorbs clock skew between the sound card and the system clock).
        """
        n = min(self.count, self.capacity, window_blocks)
        if n == 0:
            return []
        order = np.arange(self.count - n, self.count) % self.capacity
        idx, t, ok = self._index[order], self._time[order], self._ok[order]
        use = ok & (t > 0)
        idx, t = idx[use].astype(np.float64), t[use]
        if idx.size == 0:
            return []
        off = t - idx / sample_rate_hz
        half = 3
        padded = np.pad(off, half, mode="edge")
        smooth = np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)
        breaks = np.flatnonzero(np.abs(np.diff(smooth)) > step_tolerance_s) + 1
        bounds = [0, *breaks.tolist(), idx.size]
        out = []
        for a, b in itertools.pairwise(bounds):
            x, y = idx[a:b], off[a:b]
            if x.size < 3 or (x[-1] - x[0]) / sample_rate_hz < min_span_s:
                continue
            good = np.abs(y - np.median(y)) < step_tolerance_s
            x, y = x[good], y[good]
            if x.size < 3:
                continue
            xm = float(x.mean())
            slope, intercept = np.polyfit(x - xm, y, 1)
            spread = float(np.median(np.abs(y - (intercept + slope * (x - xm)))))
            out.append(ClockSegment(int(x[0]), int(x[-1]), xm, float(intercept), float(slope), spread))
        return out

    def time_at(self, sample_index: float, *, sample_rate_hz: float) -> ClockFit | None:
        """Stream time of ``sample_index``: from the stable segment holding it, else the next one after it
        (samples are continuous up to there), else the newest before it. ``None`` without a stable segment."""
        segs = self.segments(sample_rate_hz=sample_rate_hz)
        if not segs:
            return None
        seg = _segment_for(segs, sample_index)
        return ClockFit(seg.time_of(sample_index, sample_rate_hz), seg.spread_s, seg.span_s(sample_rate_hz))

    def index_at(self, time_s: float, *, sample_rate_hz: float) -> float | None:
        """Inverse of :meth:`time_at`: the (fractional) sample index at stream time ``time_s``."""
        segs = self.segments(sample_rate_hz=sample_rate_hz)
        if not segs:
            return None
        guess = [s.index_of(time_s, sample_rate_hz) for s in segs]
        for s, g in zip(segs, guess, strict=True):
            if s.first_index <= g <= s.last_index:
                return g
        return _segment_for(segs, guess[-1]).index_of(time_s, sample_rate_hz)

    def jumps_between(self, first_index: int, last_index: int, *, sample_rate_hz: float) -> int:
        """How many clock steps (dropped or inserted samples) lie between two sample indices."""
        segs = self.segments(sample_rate_hz=sample_rate_hz)
        return sum(
            1
            for a, b in itertools.pairwise(segs)
            if first_index < b.first_index and a.last_index < last_index
        )


class ClockSegment(NamedTuple):
    first_index: int
    last_index: int
    center_index: float
    intercept_s: float  # offset (time - index/rate) at center_index
    slope: float  # change of that offset per sample (clock skew)
    spread_s: float

    def time_of(self, index: float, rate: float) -> float:
        return self.intercept_s + self.slope * (index - self.center_index) + index / rate

    def index_of(self, time_s: float, rate: float) -> float:
        # time = c + s*(i - m) + i/r  ->  i = (time - c + s*m) / (s + 1/r)
        return (time_s - self.intercept_s + self.slope * self.center_index) / (self.slope + 1.0 / rate)

    def span_s(self, rate: float) -> float:
        return (self.last_index - self.first_index) / rate


def _segment_for(segs: list[ClockSegment], index: float) -> ClockSegment:
    for s in segs:
        if index <= s.last_index:
            return s
    return segs[-1]
