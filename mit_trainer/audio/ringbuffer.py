"""Lock-free single-producer ring buffers that the audio callback writes into.

The callback is the only writer: it copies a block into a preallocated array and then publishes the new
total sample count (one attribute store, atomic under the GIL). Readers keep their own cursor and copy
out; a reader that falls more than the capacity behind is told how many samples it lost. No locks, no
allocation of sample storage after construction.
"""

from __future__ import annotations

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

    def time_at(
        self,
        sample_index: float,
        *,
        sample_rate_hz: float,
        window_blocks: int = 1000,
        tolerance_s: float = 0.004,
    ) -> ClockFit | None:
        """Stream time of ``sample_index`` from a line fitted to the newest consistent block stamps.

        Per-block stamps are noisy and, on some host APIs (PulseAudio's ALSA plugin), wrong by hundreds of
        milliseconds for the first second or so of a stream while buffers fill. So: take the newest
        ``window_blocks`` clean blocks (no xrun flag, non-zero time), find the level of the newest quarter
        (median of ``time - index/rate``), keep the newest unbroken run of blocks within ``tolerance_s``,
        and fit ``time = a + b*index`` (b absorbs clock skew between the sound card and the system clock).
        Returns the fitted time, the median absolute residual and the span of the blocks used.
        """
        n = min(self.count, self.capacity, window_blocks)
        if n == 0:
            return None
        order = np.arange(self.count - n, self.count) % self.capacity
        idx, t, ok = self._index[order], self._time[order], self._ok[order]
        use = ok & (t > 0)
        idx, t = idx[use].astype(np.float64), t[use]
        if idx.size == 0:
            return None
        off = t - idx / sample_rate_hz
        level = float(np.median(off[-max(8, off.size // 4) :]))
        bad = np.abs(off - level) > tolerance_s
        # newest unbroken run of good blocks (a few isolated outliers inside the run are dropped, not fatal)
        first = 0
        bad_idx = np.flatnonzero(bad)
        run_breaks = [i for i in bad_idx if i + 3 < off.size and bad[i : i + 3].all()]
        if run_breaks:
            first = int(run_breaks[-1]) + 3
        keep = ~bad
        keep[:first] = False
        if not keep.any():
            keep = ~bad
        x, y = idx[keep], off[keep]
        if x.size >= 3 and np.ptp(x) > 0:
            slope, intercept = np.polyfit(x - x.mean(), y, 1)
            resid = y - (intercept + slope * (x - x.mean()))
            value = intercept + slope * (sample_index - x.mean())
        else:
            value = float(np.median(y))
            resid = y - value
        spread = float(np.median(np.abs(resid)))
        span = float(np.ptp(x)) / sample_rate_hz if x.size else 0.0
        return ClockFit(float(value + sample_index / sample_rate_hz), spread, span)
