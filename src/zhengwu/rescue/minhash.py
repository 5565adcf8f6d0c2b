"""Banded MinHash over character shingles, deterministic across processes and runs.

Near-identical help posts (a copy re-posted with "求扩散！" in front, the phone written with
dashes, the hashtag dropped) share most of their character 3-grams. A MinHash signature
estimates that overlap (Jaccard similarity) from :data:`NUM_PERM` numbers, and cutting
the signature into :data:`BANDS` bands gives bucket keys: two posts that share any band are
candidates, so finding near-duplicates costs one dictionary lookup per band instead of a
comparison with every other post.

The hashes are our own (multiply-shift over code points, numpy-vectorised) rather than
Python's ``hash`` (salted per process) or datasketch's (SHA-1 per shingle, slow): the band
keys are stored in the database and must mean the same thing in every worker and every
later run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS  # 4 rows per band: candidates from a Jaccard of about 0.5
SHINGLE = 3

_params = np.random.default_rng(20210720)  # fixed: signatures are stored and compared later
_A = _params.integers(1, 2**63, NUM_PERM, dtype=np.uint64) | np.uint64(1)
_B = _params.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
_C1, _C2, _C3 = (np.uint64(x) for x in _params.integers(1, 2**63, 3, dtype=np.uint64) | 1)

# What copies change without changing the request: hashtags, @names, repost chains,
# links, template labels 【姓名】, punctuation and spacing (phone digits must run together).
_NOISE = re.compile(r"#[^#\n]{1,40}#|//@[^:：\s]{1,30}[:：]|@[^\s@:：,，]{1,30}|https?://\S+")
_LABEL = re.compile(r"【[^】]{1,8}】")
_KEEP = re.compile(r"[^0-9a-z\u3400-\u9fff]+")


def normalise(text: str) -> str:
    """Return the part of a post that identifies the request (no tags, labels or punctuation)."""
    text = _LABEL.sub("", _NOISE.sub("", text.lower()))
    return _KEEP.sub("", text)


def signatures(texts: Sequence[str]) -> np.ndarray:
    """Return one signature row (uint32 × NUM_PERM) per text; under 3 characters: all 0xFFFFFFFF."""
    out = np.full((len(texts), NUM_PERM), 0xFFFFFFFF, dtype=np.uint32)
    norms = [normalise(t) for t in texts]
    # Blocks of about 20,000 characters keep the (NUM_PERM × characters) matrix small.
    start = 0
    while start < len(norms):
        stop, total = start, 0
        while stop < len(norms) and total < 20_000:
            total += len(norms[stop]) + 2
            stop += 1
        _block(norms[start:stop], out[start:stop])
        start = stop
    return out


def _block(norms: list[str], out: np.ndarray) -> None:
    # All texts of the block in one array, two NULs after each, so every 3-gram of every
    # text is hashed in one vectorised pass; grams that run into the NULs are discarded.
    lengths = np.array([len(t) + 2 for t in norms])
    codes = np.frombuffer("".join(t + "\0\0" for t in norms).encode("utf-32-le"), np.uint32)
    codes = codes.astype(np.uint64)
    with np.errstate(over="ignore"):
        grams = codes[:-2] * _C1 + codes[1:-1] * _C2 + codes[2:] * _C3
        hashed = grams[None, :] * _A[:, None] + _B[:, None]  # wraps mod 2**64
    top = (hashed >> np.uint64(32)).astype(np.uint32)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    valid = np.ones(codes.size, dtype=bool)
    valid[
        np.concatenate(
            (starts + lengths - 4, starts + lengths - 3, starts + lengths - 2, starts + lengths - 1)
        )
    ] = False
    top[:, ~valid[:-2]] = 0xFFFFFFFF
    top = np.concatenate((top, np.full((NUM_PERM, 2), 0xFFFFFFFF, np.uint32)), axis=1)
    out[:] = np.minimum.reduceat(top, starts, axis=1).T


def band_keys(signature: np.ndarray) -> list[str]:
    """Return the LSH bucket keys of one signature (``t<band>:<hex>``); none for an empty text."""
    if int(signature[0]) == 0xFFFFFFFF and bool((signature == 0xFFFFFFFF).all()):
        return []
    rows = signature.reshape(BANDS, ROWS)
    return [f"t{band}:{rows[band].tobytes().hex()}" for band in range(BANDS)]


def similarity(a: bytes | np.ndarray, b: bytes | np.ndarray) -> float:
    """Return the estimated Jaccard similarity of two signatures (the share of equal minima)."""
    left = np.frombuffer(a, dtype=np.uint32) if isinstance(a, bytes) else a
    right = np.frombuffer(b, dtype=np.uint32) if isinstance(b, bytes) else b
    return float(np.count_nonzero(left == right)) / NUM_PERM
