"""One request per real problem: fingerprints and near-copy detection per citizen.

A post that reposts a known source joins that source's request (repost-chain
de-duplication). A citizen who posts the same complaint again — on another day, with a
few words changed, under another hashtag — joins their open request when the two texts
share most of their character 3-grams (Jaccard ≥ :data:`COPY_SIMILARITY`; a few
added words — "还没人管吗？" — cost a short text more than 0.2). Comparing per
citizen keeps the candidate set to a handful of texts, so exact shingle sets beat MinHash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection

import numpy as np

from zhengwu.privacy import Kind, detect, is_published, phone_digits

COPY_SIMILARITY = 0.7
COPY_WINDOW_DAYS = 30

_NOISE = re.compile(
    r"https?://\S+|#[^#\n]{1,40}#|@[\w\u4e00-\u9fff\-]{1,30}|\[[^\]]{1,8}\]|[\s\W_]+",
    re.UNICODE,
)


# The characters of Chinese texts that NFKC changes, with what it makes of them (their
# compatibility decomposition: plain characters that combine with nothing). Replacing one
# by its decomposition leaves the text's NFKD, and so its NFKC, as it was; a text that
# then has no other such character passes NFKC's quick check and is not rebuilt (ten
# times cheaper on a hotline message, whose full-width commas alone would make NFKC
# rebuild it).
_DECOMPOSED = tuple((ch, unicodedata.normalize("NFKD", ch)) for ch in "，！？：（）；\u3000\xa0…")


def normalise(text: str) -> str:
    """Return the text without links, #topics#, @mentions, emoji codes, spaces and punctuation."""
    for ch, plain in _DECOMPOSED:
        if ch in text:
            text = text.replace(ch, plain)
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


def fingerprint(text: str) -> str:
    """Return a hash of the normalised text (equal for copies that differ only in noise)."""
    return digest(normalise(text))


def digest(normalised: str) -> str:
    """Return the fingerprint of a text already normalised (:func:`normalise`)."""
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()


def shingles(text: str, k: int = 3) -> set[str]:
    """Return the character k-grams of the normalised text."""
    return grams(normalise(text), k)


def grams(normalised: str, k: int = 3) -> set[str]:
    """Return the character k-grams of a text already normalised (:func:`normalise`)."""
    if len(normalised) <= k:
        return {normalised} if normalised else set()
    return {normalised[i : i + k] for i in range(len(normalised) - k + 1)}


Grams = set[int] | set[str]  # a text's 3-grams: as numbers (gram_codes) or as strings


def gram_codes(normalised: str) -> Grams:
    """Return the 3-grams of a text already normalised as numbers: compared with each other
    (:func:`jaccard`), they give what :func:`grams` gives, and are made faster.

    Each 3-gram is its three code points in 21 bits each (distinct 3-grams, distinct
    numbers); a text of one or two characters is its own only gram, as in :func:`grams`.
    """
    if len(normalised) < 3:
        return grams(normalised)
    points = np.frombuffer(normalised.encode("utf-32-le", "surrogatepass"), np.uint32)
    wide = points.astype(np.uint64)
    codes = (wide[:-2] << _SHIFT2) | (wide[1:-1] << _SHIFT1) | wide[2:]
    return set(codes.tolist())


_SHIFT1, _SHIFT2 = np.uint64(21), np.uint64(42)  # a code point has at most 21 bits


def similarity(a: str, b: str) -> float:
    """Return the Jaccard similarity of two texts' 3-gram sets."""
    return jaccard(shingles(a), shingles(b))


def jaccard(sa: Grams, sb: Grams) -> float:
    """Return the Jaccard similarity of two 3-gram sets (0 when either is empty)."""
    if not sa or not sb:
        return 0.0
    common = len(sa & sb)
    return common / (len(sa) + len(sb) - common)  # the union's size, without making it


def citizen_key(
    *, source: str, citizen_uid: str | None, phone: str | None, email: str | None
) -> str | None:
    """Return who the citizen is across submissions: platform account, else phone, else email.

    The key fits the 128-character column: a longer one (an e-mail address of 123 or more
    characters, a long platform uid) keeps its first characters and ends in a digest of the
    whole, so different citizens still get different keys.
    """
    if citizen_uid:
        return _bounded(f"{source}:{citizen_uid}")
    if phone and (digits := phone_digits_key(phone)) is not None:
        return f"phone:{digits}"
    if email:
        return _bounded(f"email:{email.strip().lower()}")
    return None


def phone_digits_key(phone: str) -> str | None:
    """Return the digits a phone is filed and looked up under (its last 11), or None."""
    digits = re.sub(r"\D", "", phone)
    return digits[-11:] if len(digits) >= 7 else None


_PHONE: tuple[Kind, ...] = ("phone",)


def phone_in_text(text: str, *, keep: Collection[str] = ()) -> str | None:
    """Return the first phone written in ``text`` (its last 11 digits), published numbers
    (``keep``) aside, or None.

    A social post's author often writes their number in the post ("电话13811112222"): intake
    keeps it as the request's phone, so that a lookup by phone finds the post's request.
    """
    for span in detect(text, kinds=_PHONE):
        if not is_published(span.value, keep):
            found = phone_digits_key(phone_digits(span.value))
            if found is not None:
                return found
    return None


CITIZEN_KEY_MAX = 128  # service_requests.citizen_key and its sources' column


def _bounded(key: str) -> str:
    """Return ``key``, or its head and a SHA-1 digest of it when it is too long to store."""
    if len(key) <= CITIZEN_KEY_MAX:
        return key
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
    return f"{key[: CITIZEN_KEY_MAX - len(digest) - 1]}#{digest}"
