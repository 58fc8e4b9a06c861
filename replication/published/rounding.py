"""Printed numbers as intervals: what a rounded value, or a bound like '<.001', allows.

Written here (no library does rounding-interval arithmetic). A number printed with
``d`` decimals stands for any value within half a unit of its last digit, ends
included (so that both round-half-up and round-half-even are allowed). A bound
('<.001', '>.05') stands for the open interval it names. A function of several printed
inputs can then take a range of values: :func:`value_range` evaluates it on a grid over
the box of input intervals, corners included, which is exact for functions monotone in
each input and a fine approximation otherwise.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: Relative slack when comparing floating-point ends of intervals (computation noise only).
FLOAT_SLACK = 1e-12

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

_NUMERIC = re.compile(r"^[+-]?(\d+(,\d{3})*)?(\.\d+)?$")


def parse_words(text: str) -> int | None:
    """'forty-five' -> 45, 'three' -> 3; None when ``text`` is not a number in words."""
    parts = text.strip().lower().replace(" ", "-").split("-")
    if not parts or any(p not in NUMBER_WORDS for p in parts):
        return None
    vals = [NUMBER_WORDS[p] for p in parts]
    if len(vals) == 1:
        return vals[0]
    if len(vals) == 2 and vals[0] % 10 == 0 and vals[0] >= 20 and 0 < vals[1] < 10:
        return vals[0] + vals[1]
    return None


@dataclass(frozen=True)
class Printed:
    """One printed number: its text, value, decimals and bound.

    ``bound`` is '' (an ordinary rounded number), '<' or '>' (an inequality: ``value``
    is NaN and ``threshold`` holds the printed limit) or '~' (printed as approximate,
    'about 80%'; treated as an ordinary rounded number).
    """

    text: str
    value: float
    decimals: int
    bound: str = ""
    threshold: float = math.nan

    @property
    def half_unit(self) -> float:
        return 0.5 * 10.0 ** (-self.decimals)

    def interval(self, lower: float = -math.inf, upper: float = math.inf) -> tuple[float, float]:
        """The values this printed number allows, clipped to the domain [lower, upper]."""
        if self.bound == "<":
            lo, hi = lower, self.threshold
        elif self.bound == ">":
            lo, hi = self.threshold, upper
        else:
            lo, hi = self.value - self.half_unit, self.value + self.half_unit
        return max(lo, lower), min(hi, upper)

    def allows(self, lo: float, hi: float | None = None, *, lower: float = -math.inf,
               upper: float = math.inf) -> bool:
        """Whether some value in [lo, hi] (a point when ``hi`` is None) prints as this."""
        hi = lo if hi is None else hi
        a, b = self.interval(lower, upper)
        return overlaps((lo, hi), (a, b), open_hi=self.bound == "<", open_lo=self.bound == ">")


def parse_printed(text: str) -> Printed:
    """Parse a number as printed: '-.245', '0.022', '<.001', '>.05', '1,234', 'three'.

    Raises ValueError for anything else (the caller names the record).
    """
    s = str(text).strip()
    if not s:
        raise ValueError("empty value_str")
    bound = ""
    if s[0] in "<>":
        bound, s = s[0], s[1:].strip()
    words = parse_words(s)
    if words is not None:
        if bound:
            raise ValueError(f"bound on a number in words: {text!r}")
        return Printed(str(text), float(words), 0)
    if not _NUMERIC.match(s) or not any(ch.isdigit() for ch in s):
        raise ValueError(f"not a printed number: {text!r}")
    decimals = len(s.split(".", 1)[1]) if "." in s else 0
    num = float(s.replace(",", ""))
    if bound:
        return Printed(str(text), math.nan, decimals, bound, num)
    return Printed(str(text), num, decimals)


def printed(text: str, approximate: bool = False) -> Printed:
    """:func:`parse_printed`, with ``approximate`` marking an 'about ...' number ('~')."""
    p = parse_printed(text)
    if approximate:
        if p.bound:
            raise ValueError(f"an inequality cannot also be approximate: {text!r}")
        return Printed(p.text, p.value, p.decimals, "~")
    return p


def overlaps(a: tuple[float, float], b: tuple[float, float], *, open_lo: bool = False,
             open_hi: bool = False) -> bool:
    """Whether closed interval ``a`` meets interval ``b`` (ends of ``b`` optionally open)."""
    scale = max(1.0, *(abs(x) for x in (*a, *b) if math.isfinite(x)))
    eps = FLOAT_SLACK * scale
    lo_ok = a[1] > b[0] + eps if open_lo else a[1] >= b[0] - eps
    hi_ok = a[0] < b[1] - eps if open_hi else a[0] <= b[1] + eps
    return lo_ok and hi_ok


def rounds_to(x: float, value: float, decimals: int) -> bool:
    """Whether ``x`` rounds to ``value`` at ``decimals`` places (ties either way)."""
    return abs(x - value) <= 0.5 * 10.0 ** (-decimals) * (1 + 1e-9) + FLOAT_SLACK


def value_range(f: Callable[..., np.ndarray], intervals: Sequence[tuple[float, float]],
                points: int | None = None) -> tuple[float, float]:
    """(min, max) of ``f`` over the box of ``intervals``, on a grid including the corners.

    ``f`` takes one numpy array per input (broadcast) and returns an array. The grid has
    ``points`` values per input (default: as many as keep the grid near 20,000 points,
    at least 2, at most 41). Non-finite results are ignored; (nan, nan) if none is finite.
    """
    k = len(intervals)
    if points is None:
        points = int(min(41, max(2, math.floor(20000 ** (1.0 / max(k, 1))))))
    axes = [np.unique(np.linspace(lo, hi, points)) for lo, hi in intervals]
    grids = np.meshgrid(*axes, indexing="ij")
    with np.errstate(all="ignore"):
        out = np.asarray(f(*grids), dtype=float)
    out = out[np.isfinite(out)]
    if out.size == 0:
        return math.nan, math.nan
    return float(out.min()), float(out.max())


def corners(intervals: Sequence[tuple[float, float]]):
    """Every corner of the box (for callers that need the argmin/argmax inputs)."""
    return itertools.product(*intervals)


def fmt(x: float, digits: int = 4) -> str:
    """A float for a note: ``digits`` significant digits, no exponent for moderate values."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    if x == 0:
        return "0"
    if abs(x) < 1e-4 or abs(x) >= 1e6:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}" if abs(x) < 1 else f"{x:.{max(digits, len(str(int(abs(x)))))}g}"


def fmt_range(lo: float, hi: float, digits: int = 4) -> str:
    if lo == hi or fmt(lo, digits) == fmt(hi, digits):
        return fmt(lo, digits)
    return f"[{fmt(lo, digits)}, {fmt(hi, digits)}]"
