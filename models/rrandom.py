"""R's default random number generator, bit for bit: ``set.seed``, ``runif``, ``sample``.

Written here (numpy's MT19937 is seeded differently). The PyPI package ``rrng`` (0.1.0, June
2026) was held to the same frozen R outputs before deciding: it agrees on all 68 fold
assignments of both sample kinds and on the runif streams, but not on R's "Rounding" sampler
for sample(2e7, 12) (R's hashed rejection sampler for large n), nor on the draws after it in
the same stream; a young single-release package that fails one of our R cases is not a
dependency.
It follows R's ``src/main/RNG.c`` and ``src/main/random.c`` for the default kinds,
``RNGkind("Mersenne-Twister", "Inversion", sample.kind)``:

* ``set.seed(seed)``: the seed is scrambled by 50 rounds of the congruential generator
  ``seed <- 69069 * seed + 1`` (mod 2^32), then each of the 625 state words takes the next
  value of the same sequence; the first word (MT's position) is then reset to 624.
* ``unif_rand()``: the Mersenne-Twister (MT19937) output divided by 2^32, moved off 0 by
  R's ``fixup`` so that it lies in (0, 1).
* ``R_unif_index(n)``: a uniform integer in 0..n-1, by rejection (R >= 3.6.0,
  ``sample.kind = "Rejection"``: draw ``ceil(log2(n))`` random bits 16 at a time and retry
  while the value is >= n) or by rounding (R < 3.6.0, ``sample.kind = "Rounding"``:
  ``floor(n * unif_rand())``).
* ``sample()``: R's partial Fisher-Yates shuffle without replacement, independent draws
  with replacement, and R's hashed rejection sampler for n > 1e7 with size <= n / 2.

Each :class:`RRNG` holds its own state (nothing global). :func:`r_foldid` gives the fold
assignment that ``cv.glmnet`` draws: ``set.seed(seed, sample.kind = ...);
sample(rep(seq(nfolds), length.out = n))``.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np

__all__ = [
    "RRNG",
    "RoundingSamplerWarning",
    "SAMPLE_KINDS",
    "r_foldid",
    "runif",
    "sample",
    "set_seed",
]

SAMPLE_KINDS: tuple[str, ...] = ("Rounding", "Rejection")
"""R's ``sample.kind`` values: "Rejection" is R's default since 3.6.0."""

_N = 624
_M = 397
_MATRIX_A = np.uint32(0x9908B0DF)
_UPPER = np.uint32(0x80000000)
_LOWER = np.uint32(0x7FFFFFFF)
_TO_UNIT = 2.3283064365386963e-10  # 2^-32, as RNG.c writes it
_I2_32M1 = 2.328306437080797e-10  # 1 / (2^32 - 1), used by fixup()
_INT_MAX = 2147483647
_HASH_MIN_N = 1e7  # sample.int switches to the hashed sampler above this n

#: R's warning when the old sampler is selected (same text as R).
ROUNDING_WARNING = "non-uniform 'Rounding' sampler used"


class RoundingSamplerWarning(UserWarning):
    """R's warning for ``sample.kind = "Rounding"`` (its own class, so it can be filtered)."""


def _check_kind(sample_kind: str) -> str:
    if sample_kind not in SAMPLE_KINDS:
        raise ValueError(f"sample_kind must be one of {SAMPLE_KINDS}, got {sample_kind!r}")
    return sample_kind


def _as_r_integer(seed: Any) -> int:
    """R's ``asInteger`` for set.seed: a whole number in R's integer range, else an error."""
    if isinstance(seed, (bool, np.bool_)):
        return int(seed)
    if isinstance(seed, (int, np.integer)):
        value = int(seed)
    elif isinstance(seed, (float, np.floating)) and math.isfinite(seed):
        value = int(seed)  # R truncates towards zero
    else:
        raise ValueError("supplied seed is not a valid integer")
    if not -_INT_MAX <= value <= _INT_MAX:  # -2^31 is R's NA_integer_
        raise ValueError("supplied seed is not a valid integer")
    return value


def _twist(mt: np.ndarray) -> None:
    """One MT19937 regeneration of the 624 state words, in place (vectorised in blocks)."""

    def mix(k: slice, k1: slice, km: np.ndarray) -> np.ndarray:
        y = (mt[k] & _UPPER) | (mt[k1] & _LOWER)
        return km ^ (y >> np.uint32(1)) ^ (np.uint32(0) - (y & np.uint32(1))) & _MATRIX_A

    # kk < N - M reads mt[kk + M], not yet regenerated
    mt[0:227] = mix(slice(0, 227), slice(1, 228), mt[397:624].copy())
    # later words read mt[kk + M - N], regenerated in the block before
    mt[227:454] = mix(slice(227, 454), slice(228, 455), mt[0:227].copy())
    mt[454:623] = mix(slice(454, 623), slice(455, 624), mt[227:396].copy())
    y = (mt[623] & _UPPER) | (mt[0] & _LOWER)
    mt[623] = mt[396] ^ (y >> np.uint32(1)) ^ (_MATRIX_A if (y & np.uint32(1)) else np.uint32(0))


def _temper(y: np.ndarray) -> np.ndarray:
    y = y ^ (y >> np.uint32(11))
    y = y ^ ((y << np.uint32(7)) & np.uint32(0x9D2C5680))
    y = y ^ ((y << np.uint32(15)) & np.uint32(0xEFC60000))
    return y ^ (y >> np.uint32(18))


def _lcg_tables() -> tuple[np.ndarray, np.ndarray]:
    """A_k, C_k with s_k = A_k * s_0 + C_k (mod 2^32) for k = 1..675 steps of 69069 s + 1."""
    a = np.empty(675, dtype=np.uint64)
    c = np.empty(675, dtype=np.uint64)
    ak, ck = 1, 0
    for k in range(675):
        ak, ck = (69069 * ak) & 0xFFFFFFFF, (69069 * ck + 1) & 0xFFFFFFFF
        a[k], c[k] = ak, ck
    return a, c


_LCG_A, _LCG_C = _lcg_tables()


class RRNG:
    """One R random-number stream (Mersenne-Twister, Inversion, ``sample_kind``).

    ``RRNG(seed)`` is R's ``set.seed(seed, kind = "Mersenne-Twister", sample.kind = ...)``.
    Methods mirror R: :meth:`unif_rand`, :meth:`runif`, :meth:`unif_index`, :meth:`sample`,
    :meth:`sample_int`. ``random_seed`` gives R's ``.Random.seed[-1]`` (the 625 state words
    as signed 32-bit integers) for checking against R.
    """

    def __init__(self, seed: Any = None, sample_kind: str = "Rejection"):
        self._mt = np.zeros(_N, dtype=np.uint32)
        self._mti = _N + 1
        self._block: list[float] = []
        self.sample_kind = _check_kind(sample_kind)
        if seed is not None:
            self.set_seed(seed, sample_kind)

    # ------------------------------------------------------------------ seeding
    def set_seed(self, seed: Any, sample_kind: str | None = None) -> RRNG:
        """R's ``set.seed(seed, sample.kind = sample_kind)``; returns self.

        Warns as R does when the "Rounding" sampler is selected.
        """
        if sample_kind is not None:
            self.sample_kind = _check_kind(sample_kind)
            if sample_kind == "Rounding":
                warnings.warn(ROUNDING_WARNING, RoundingSamplerWarning, stacklevel=2)
        s = np.uint64(_as_r_integer(seed) & 0xFFFFFFFF)
        # 50 scrambling steps, then 625 more, one per state word: s_k = A_k s_0 + C_k (mod 2^32)
        words = ((_LCG_A * s + _LCG_C) & np.uint64(0xFFFFFFFF)).astype(np.uint32)[50:]
        # words[0] is MT's position; R's FixupSeeds sets it to 624 (regenerate on next draw)
        self._mt = words[1:].copy()
        self._mti = _N
        self._block = []
        return self

    @property
    def random_seed(self) -> np.ndarray:
        """The 625 words of R's ``.Random.seed`` after the kind code, as int32."""
        head = np.array([self._mti], dtype=np.int64)
        return np.concatenate([head, self._mt.view(np.int32).astype(np.int64)])

    # ------------------------------------------------------------------ uniforms
    def _refill(self) -> None:
        if self._mti == _N + 1:  # never seeded: MT_sgenrand(4357), as R would
            self._sgenrand(4357)
        _twist(self._mt)
        u = _temper(self._mt).astype(np.float64) * _TO_UNIT
        # fixup(): MT never gives 1, but 0 is possible
        u[u <= 0.0] = 0.5 * _I2_32M1
        self._block = u.tolist()
        self._mti = 0

    def _sgenrand(self, seed: int) -> None:
        s = seed & 0xFFFFFFFF
        mt = np.empty(_N, dtype=np.uint32)
        for i in range(_N):
            hi = s & 0xFFFF0000
            s = (69069 * s + 1) & 0xFFFFFFFF
            mt[i] = hi | ((s & 0xFFFF0000) >> 16)
            s = (69069 * s + 1) & 0xFFFFFFFF
        self._mt = mt
        self._mti = _N

    def unif_rand(self) -> float:
        """One draw of R's ``unif_rand()`` in (0, 1)."""
        if self._mti >= _N or not self._block:
            self._refill()
        u = self._block[self._mti]
        self._mti += 1
        return u

    def _uniforms(self, n: int) -> np.ndarray:
        out = np.empty(n, dtype=np.float64)
        i = 0
        while i < n:
            if self._mti >= _N or not self._block:
                self._refill()
            take = min(n - i, _N - self._mti)
            out[i : i + take] = self._block[self._mti : self._mti + take]
            self._mti += take
            i += take
        return out

    def runif(self, n: int, min: float = 0.0, max: float = 1.0) -> np.ndarray:  # noqa: A002
        """R's ``runif(n, min, max)``: ``min + (max - min) * unif_rand()`` per draw."""
        n = operator.index(n)
        if n < 0:
            raise ValueError("invalid arguments: n must be non-negative")
        if not (math.isfinite(min) and math.isfinite(max)) or max < min:
            return np.full(n, np.nan)
        if min == max:
            return np.full(n, float(min))
        u = self._uniforms(n)
        return min + (max - min) * u

    # ------------------------------------------------------------------ integers
    def _rbits(self, bits: int) -> int:
        """R's ``rbits``: ``bits`` random bits, drawn 16 at a time from unif_rand()."""
        v = 0
        draw = self.unif_rand
        for _ in range(0, bits + 1, 16):
            v = 65536 * v + int(draw() * 65536)  # int() is floor for the positive product
        return v & ((1 << bits) - 1)

    def unif_index(self, dn: float) -> int:
        """R's ``R_unif_index(dn)``: a uniform integer in 0 .. dn-1 under the sample kind."""
        if self.sample_kind == "Rounding":
            if dn > _INT_MAX:  # ru(): 25 more bits from a second draw
                big = 33554432.0
                u = (math.floor(big * self.unif_rand()) + self.unif_rand()) / big
            else:
                u = self.unif_rand()
            return int(math.floor(dn * u))
        if dn <= 0:
            return 0
        bits = int(math.ceil(math.log2(dn)))
        while True:
            dv = self._rbits(bits)
            if dn > dv:
                return dv

    def sample_int(self, n: int, size: int | None = None, replace: bool = False) -> np.ndarray:
        """R's ``sample.int(n, size, replace)``: 1-based integers (int64)."""
        n = operator.index(n)
        size = n if size is None else operator.index(size)
        if n < 0 or size < 0:
            raise ValueError("invalid first argument" if n < 0 else "invalid 'size' argument")
        if not replace and size > n:
            raise ValueError(
                "cannot take a sample larger than the population when 'replace = FALSE'"
            )
        out = np.empty(size, dtype=np.int64)
        if replace or size < 2:
            for i in range(size):
                out[i] = self.unif_index(float(n)) + 1
            return out
        if n > _HASH_MIN_N and size <= n / 2:  # R's sample2(): rejection of repeats
            seen: set[int] = set()
            i = 0
            while i < size:
                v = self.unif_index(float(n)) + 1
                if v not in seen:
                    seen.add(v)
                    out[i] = v
                    i += 1
            return out
        out[:] = self._shuffle(n, size)
        return out

    def _shuffle(self, n: int, size: int) -> list[int]:
        """R's do_sample without replacement: a partial Fisher-Yates shuffle of 1..n.

        The same draws as ``unif_index`` in a loop, inlined for speed (n <= 2^31 here).
        """
        pool = list(range(n))
        picks = []
        rounding = self.sample_kind == "Rounding"
        if self._mti >= _N or not self._block:
            self._refill()
        blk, pos = self._block, self._mti  # the stream, held in locals for speed
        m = n
        for _ in range(size):
            if rounding:
                if pos >= _N:
                    self._refill()
                    blk, pos = self._block, 0
                j = int(m * blk[pos])  # floor(dn * unif_rand()), dn <= INT_MAX
                pos += 1
            else:
                bits = (m - 1).bit_length()  # ceil(log2(m)) for whole m >= 1
                mask = (1 << bits) - 1
                while True:
                    v = 0
                    for _ in range(0, bits + 1, 16):
                        if pos >= _N:
                            self._refill()
                            blk, pos = self._block, 0
                        v = 65536 * v + int(blk[pos] * 65536)
                        pos += 1
                    v &= mask
                    if v < m:
                        break
                j = v
            picks.append(pool[j] + 1)
            m -= 1
            pool[j] = pool[m]
        self._mti = pos
        return picks

    def sample(self, x: Any, size: int | None = None, replace: bool = False) -> np.ndarray:
        """R's ``sample(x, size, replace)``.

        As in R, a single number ``x >= 1`` means ``1:x``; anything else is the population.
        """
        arr = np.asarray(x)
        if arr.ndim == 0 or (arr.ndim == 1 and arr.size == 1 and arr.dtype.kind in "iuf"):
            v = arr.reshape(-1)[0]
            if arr.dtype.kind in "iuf" and math.isfinite(float(v)) and v >= 1:
                return self.sample_int(int(math.floor(float(v))), size, replace)
        arr = arr.reshape(-1)
        idx = self.sample_int(arr.size, arr.size if size is None else size, replace)
        return arr[idx - 1]


# ---------------------------------------------------------------------- functions


def set_seed(seed: Any, sample_kind: str = "Rejection") -> RRNG:
    """A new :class:`RRNG` in the state R is in after ``set.seed(seed, sample.kind=...)``."""
    return RRNG(seed, sample_kind)


def runif(
    n: int, min: float = 0.0, max: float = 1.0, *, seed: Any, sample_kind: str = "Rejection"
) -> np.ndarray:  # noqa: A002
    """``set.seed(seed); runif(n, min, max)`` in one call."""
    return RRNG(seed, _check_kind(sample_kind)).runif(n, min, max)


def sample(
    x: Any,
    size: int | None = None,
    replace: bool = False,
    *,
    seed: Any,
    sample_kind: str = "Rejection",
) -> np.ndarray:
    """``set.seed(seed, sample.kind = sample_kind); sample(x, size, replace)`` in one call."""
    return RRNG(seed, _check_kind(sample_kind)).sample(x, size, replace)


def r_foldid(
    n: int,
    nfolds: int = 10,
    seed: Any = None,
    sample_kind: str = "Rejection",
    rng: RRNG | None = None,
) -> np.ndarray:
    """The folds ``cv.glmnet`` draws: ``sample(rep(seq(nfolds), length.out = n))`` (1-based).

    With ``seed`` this is R after ``set.seed(seed, sample.kind = sample_kind)``; with ``rng``
    the draw continues that stream (as a second ``cv.glmnet`` call in the same R session).
    One of the two is required: R without ``set.seed`` is not reproducible.
    """
    n = operator.index(n)
    nfolds = operator.index(nfolds)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if nfolds < 1:
        raise ValueError(f"nfolds must be at least 1, got {nfolds}")
    if (seed is None) == (rng is None):
        raise ValueError(
            "r_foldid needs exactly one of seed (R's set.seed) or rng (an RRNG stream)"
        )
    if rng is None:
        rng = RRNG(seed, _check_kind(sample_kind))
    pool = np.resize(np.arange(1, nfolds + 1, dtype=np.int64), n)
    return rng.sample(pool)
