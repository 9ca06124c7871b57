"""Figures a test measured, printed at the end of the run (the fault suite's conftest prints
them in its terminal summary) so docs/fault-tolerance.md can quote what a machine did."""

from __future__ import annotations

FIGURES: list[tuple[str, str]] = []


def record_figure(name: str, value: str) -> None:
    FIGURES.append((name, value))


def duplicates(ids: list[int]) -> list[int]:
    seen: set[int] = set()
    dup = []
    for i in ids:
        if i in seen:
            dup.append(i)
        seen.add(i)
    return dup


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]
