"""Mask a text of unknown content for staff who need to recognise it, not read it in full.

A quarantined record's raw text (a CSV row, a JSON line, a sheet's cells) may hold a caller's
name, phone, ID number, address or Weibo handle. :func:`masked` masks it as the service desk
masks a citizen's words for a masked reader (:func:`zhengwu.servicedesk.masking.mask`):
:func:`~zhengwu.privacy.mask.mask_text`, then the doors of homes, then every handle.
:func:`masked_excerpt` masks only the start of a long one, to show in a list: masking a whole
10,000-character record costs about 30 ms, a page of 50 of them 1.5 s.
"""

from __future__ import annotations

from zhengwu.privacy.address import mask_house_numbers
from zhengwu.privacy.handles import mask_handles
from zhengwu.privacy.mask import mask_text

# A piece of personal data is at most this long (a phone, an ID or card number written with
# separators, an e-mail): one cut at the end of the window masked may be no longer.
_PIECE_MAX = 40


def masked(text: str) -> str:
    """Return ``text`` with its personal data masked: phones, ID and bank card numbers,
    plates, e-mails and names found by context (``mask_text``), the doors of homes, and
    every Weibo handle (``@某某`` → ``@＊＊＊``)."""
    return mask_handles(mask_house_numbers(mask_text(text), homes_only=True))


def masked_excerpt(text: str, limit: int) -> str:
    """Return the start of ``text``, ``limit`` characters of it masked by :func:`masked`,
    ending with … when there is more.

    Only a window of twice ``limit`` is masked, so that a long text costs no more than a
    short one. The window's end may cut a piece of personal data, whose half the detectors
    would not know: it lies within the last ``_PIECE_MAX`` characters of the masked window,
    which the excerpt does not reach — unless masking shortened the window that much (dozens
    of long handles), when the whole text is masked instead."""
    if len(text) <= limit:
        return masked(text)
    shown = masked(text[: 2 * limit])
    if len(shown) < limit + _PIECE_MAX:
        shown = masked(text)
    return shown if len(shown) <= limit else shown[:limit].rstrip() + "…"
