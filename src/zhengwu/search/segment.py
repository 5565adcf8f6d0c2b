"""The one analyzer of search (分词): documents and queries go through the same function.

Decisions, so that a query finds what a reader expects and nothing else:

- **Normalise first**: NFKC folds full-width letters, digits and punctuation to half-width
  (``ＡＢＣ１２３`` → ``abc123``), then ``casefold`` (``iPhone`` → ``iphone``).
- **Chinese runs** are cut by jieba in *search mode* (``cut_for_search``): the accurate-mode
  words plus their dictionary sub-words, so ``南京市长江大桥`` gives 南京, 京市, 南京市, 长江,
  大桥, 长江大桥 — a query for 长江 or 大桥 finds it, a query for 市长 does not (the
  segmentation is right where a substring match would be wrong). No single-character
  unigrams are added: they would multiply the postings several times over at national
  scale; a one-character query matches documents where jieba keeps that character as a
  word of its own (桥 in 过桥), which is the usual behaviour of a word index.
- **Latin letters and digits** are kept as whole tokens (``g20``, ``2024``, ``iphone15``).
- **Masked personal data** never becomes a token: a run containing ``*`` (``138****5678``,
  ``张**``) is dropped whole, so neither part of a masked phone or ID number can be searched.
- **Dropped**: punctuation, whitespace and a short list of function words (的, 了, 是 …).

jieba loads its dictionary once per process, with its start-up chatter on stderr silenced.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections import Counter

import jieba

MAX_TERM_LENGTH = 32

STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "是",
        "在",
        "有",
        "就",
        "都",
        "而",
        "及",
        "与",
        "着",
        "或",
        "一个",
        "没有",
        "我们",
        "你们",
        "他们",
        "她们",
        "它们",
        "这",
        "那",
        "这个",
        "那个",
        "之",
        "也",
        "又",
        "被",
        "把",
        "让",
        "从",
        "向",
        "对",
        "于",
        "以",
        "为",
        "所",
        "等",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "哦",
        "嗯",
        "么",
        "将",
        "但",
        "并",
        "其",
        "该",
        "此",
        "a",
        "an",
        "the",
        "of",
        "to",
        "and",
        "or",
        "in",
        "on",
        "at",
        "for",
        "is",
        "are",
        "be",
        "by",
        "with",
    ]
)

# A run of CJK ideographs, or of latin letters / digits / mask stars (kept together so that a
# masked number is seen, and dropped, as one piece).
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z*＊]+(?:[.\-][0-9a-z*]+)*")

_lock = threading.Lock()
_loaded = False


def load() -> None:
    """Load jieba's dictionary once per process, its start-up lines on stderr silenced.

    Every user of jieba in zhengwu calls this first (the library's search too), so no
    command prints "Building prefix dict …" to its stderr.
    """
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            jieba.setLogLevel(logging.WARNING)  # "Building prefix dict ..." goes to stderr
            jieba.initialize()
            _loaded = True


def normalize(text: str) -> str:
    """Return ``text`` folded to half-width (NFKC) and lower case."""
    return unicodedata.normalize("NFKC", text).casefold()


def _keep(term: str) -> bool:
    return term not in STOPWORDS and len(term) <= MAX_TERM_LENGTH and not term.isspace()


# Short Chinese runs repeat a great deal (account names, 认证 reasons such as 南京市公安局官方
# 微博, organisation names, the set phrases of requests): cutting and filtering each distinct
# one once halves the cost of indexing the accounts of a national import.
CACHED_RUN_LENGTH = 48


@functools.lru_cache(maxsize=200_000)
def _cut_short(run: str) -> tuple[str, ...]:
    return tuple(filter(_keep, jieba.cut_for_search(run, HMM=True)))


def analyze(text: str) -> list[str]:
    """Return the search terms of ``text`` in order (documents and queries alike).

    One loop that extends a list (no generator chain), and the terms of a short Chinese run
    come cut *and filtered* from :func:`_cut_short`'s cache: indexing spends most of its
    CPU here, so this is written for speed; the terms are those of cutting every run and
    filtering every term (``tests/search/test_segment.py`` checks it on real texts).
    """
    load()
    terms: list[str] = []
    for run in _RUN.findall(normalize(text)):
        if run[0] < "\u3400":  # latin / digits / stars
            # A run with a star is a masked phone, ID or name: never searchable.
            if "*" not in run and "＊" not in run and _keep(run):
                terms.append(run)
        elif len(run) <= CACHED_RUN_LENGTH:
            terms.extend(_cut_short(run))
        else:
            terms.extend(filter(_keep, jieba.cut_for_search(run, HMM=True)))
    return terms


def term_frequencies(text: str) -> Counter[str]:
    """Return how often each search term occurs in ``text``."""
    return Counter(analyze(text))


def query_terms(query: str) -> list[str]:
    """Return the distinct terms of a query, in the order they appear."""
    return list(dict.fromkeys(analyze(query)))
