"""Time intervals joined where they meet, and quick checks of a slot against them: inside one
interval (`Windows.contain`) or clear of all of them (`Windows.clear`)."""

from __future__ import annotations

import bisect
from datetime import datetime
from typing import Iterable

Interval = tuple[datetime, datetime]


class Windows:
    def __init__(self, intervals: Iterable[Interval]):
        joined: list[list[datetime]] = []
        for start, end in sorted(intervals):
            if joined and start <= joined[-1][1]:
                joined[-1][1] = max(joined[-1][1], end)
            else:
                joined.append([start, end])
        self.starts = [s for s, _ in joined]
        self.ends = [e for _, e in joined]

    def contain(self, start: datetime, end: datetime) -> bool:
        i = bisect.bisect_right(self.starts, start) - 1  # the last window starting by start
        return i >= 0 and self.ends[i] >= end

    def clear(self, start: datetime, end: datetime) -> bool:
        i = bisect.bisect_right(self.ends, start)  # the first window ending after start
        return i == len(self.starts) or self.starts[i] >= end
