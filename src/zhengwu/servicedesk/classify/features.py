"""Text → sparse features: character n-gram TF-IDF of the whole text plus of its head,
and counts of the category tree's words per first-level class (:class:`TreeTerms`).

:class:`CharTfidf` computes the same matrices as scikit-learn's ``TfidfVectorizer`` (a
test checks it) several times faster, which is what keeps classification above 1,000
requests per second on one core and training within seconds.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import chain, repeat
from operator import add
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize as l2_normalize

from zhengwu.servicedesk.classify.config import ModelConfig


@lru_cache(maxsize=1)
def _compat_table() -> dict[int, str]:
    """Map every BMP character whose NFKC form differs to that form (built once, ~30 ms)."""
    table = {}
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:  # surrogates are not characters
            continue
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char)
        if folded != char:
            table[code] = folded
    return table


def normalize_text(text: str) -> str:
    """Return ``text`` with NFKC compatibility mapping, lower-cased, whitespace removed.

    The labelled data has whitespace stripped; requests typed into a form keep theirs,
    and full-width letters, digits and punctuation (ＡＢＣ１２３，) become their ASCII forms.
    The mapping is applied character by character through a table, which is an order of
    magnitude faster than ``unicodedata.normalize`` on long texts.
    """
    return "".join(text.translate(_compat_table()).lower().split())


def _ngrams(text: str, n_max: int) -> Iterator[str]:
    """Return an iterator over the character 1- … n_max-grams of ``text`` in sklearn's order."""
    # A chain of C-level maps, not a generator: no Python frame resumes per n-gram.
    parts: list[Iterable[str]] = [text]
    for n in range(2, n_max + 1):
        if n == 2:
            parts.append(map(add, text, text[1:]))
        else:
            parts.append(map("".join, zip(*(text[k:] for k in range(n)), strict=False)))
    return chain.from_iterable(parts)


def _n_grams_of(length: int, n_max: int) -> int:
    return sum(max(length - n + 1, 0) for n in range(1, n_max + 1))


def _counts(vocabulary: dict[str, int], texts: Sequence[str], n_max: int) -> Any:
    """Return the n-gram count matrix of ``texts`` (unknown n-grams are dropped)."""
    sizes = np.fromiter((_n_grams_of(len(t), n_max) for t in texts), np.int64, len(texts))
    grams = chain.from_iterable(_ngrams(t, n_max) for t in texts)
    total = int(sizes.sum())
    columns = np.fromiter(map(vocabulary.get, grams, repeat(-1, total)), np.int64, total)
    rows = np.repeat(np.arange(len(texts)), sizes)
    known = columns >= 0
    counts = sp.csr_matrix(
        (np.ones(int(known.sum())), (rows[known], columns[known])),
        shape=(len(texts), len(vocabulary)),
    )  # duplicates (repeated n-grams) are summed into counts
    counts.sort_indices()
    return counts


class CharTfidf:
    """Character n-gram TF-IDF, equal to scikit-learn's ``TfidfVectorizer(analyzer="char",
    lowercase=False)`` with default smoothing and L2 norm, for texts without whitespace.

    It exists for speed: n-grams are built and looked up with ``map`` over C-level string
    operations instead of a Python loop per n-gram (a test checks the equality).
    """

    def __init__(self, n_max: int, *, sublinear_tf: bool) -> None:
        self.n_max = n_max
        self.sublinear_tf = sublinear_tf
        self.vocabulary_: dict[str, int] = {}
        self.idf_ = np.zeros(0)

    def fit_transform(self, texts: Sequence[str]) -> Any:
        """Learn the vocabulary (sorted, as sklearn does) and IDF; return the texts' TF-IDF."""
        terms = sorted(set(chain.from_iterable(_ngrams(t, self.n_max) for t in texts)))
        self.vocabulary_ = {term: i for i, term in enumerate(terms)}
        counts = _counts(self.vocabulary_, texts, self.n_max)
        df = np.bincount(counts.indices, minlength=len(terms))
        self.idf_ = np.log((1 + len(texts)) / (1 + df)) + 1.0  # smooth_idf
        return self._weigh(counts)

    def transform(self, texts: Sequence[str]) -> Any:
        """Return the TF-IDF matrix of ``texts`` under the learnt vocabulary."""
        return self._weigh(_counts(self.vocabulary_, texts, self.n_max))

    def _weigh(self, counts: Any) -> Any:
        if self.sublinear_tf:
            np.log(counts.data, out=counts.data)
            counts.data += 1.0
        counts.data *= self.idf_[counts.indices]
        return l2_normalize(counts, copy=False)


class TreeTerms:
    """How often each class's category-tree words occur in a text: one column per class.

    ``terms`` maps a normalised word to its first-level class (see
    :meth:`~zhengwu.servicedesk.classify.tree.CategoryTree.class_terms`); a text's value in a
    class's column is ``log(1 + occurrences of that class's words)``.
    """

    def __init__(self, terms: dict[str, str], classes: Sequence[str]) -> None:
        index = {c: i for i, c in enumerate(classes)}
        self.classes = list(classes)
        self.words = [w for w in terms if terms[w] in index]
        # words × classes, 1 where the word belongs to the class
        self.owner = np.zeros((len(self.words), len(self.classes)))
        self.owner[np.arange(len(self.words)), [index[terms[w]] for w in self.words]] = 1.0

    def transform(self, normalized: Sequence[str]) -> Any:
        """Return the (texts × classes) matrix of log(1 + word counts)."""
        counts = np.array(
            [[text.count(w) for w in self.words] for text in normalized], dtype=float
        ).reshape(len(normalized), len(self.words))
        return sp.csr_matrix(np.log1p(counts @ self.owner))


class TextFeatures:
    """Fit and apply the feature blocks that :class:`ModelConfig` describes."""

    def __init__(self, config: ModelConfig, tree_terms: TreeTerms | None = None) -> None:
        self.body = CharTfidf(config.char_ngram_max, sublinear_tf=config.sublinear_tf)
        # The head block always uses sublinear tf: in a short span a repeat adds little.
        self.head = (
            CharTfidf(config.head_ngram_max, sublinear_tf=True)
            if config.head_chars and config.head_weight
            else None
        )
        self.head_chars = config.head_chars
        self.head_weight = config.head_weight
        use_terms = tree_terms is not None and tree_terms.words and config.tree_term_weight
        self.tree_terms = tree_terms if use_terms else None
        self.tree_term_weight = config.tree_term_weight

    def fit_transform(self, normalized: Sequence[str]) -> Any:
        """Learn vocabularies and IDF from normalised texts and return their features."""
        blocks = [self.body.fit_transform(normalized)]
        if self.head is not None:
            heads = [t[: self.head_chars] for t in normalized]
            blocks.append(self.head_weight * self.head.fit_transform(heads))
        if self.tree_terms is not None:
            blocks.append(self.tree_term_weight * self.tree_terms.transform(normalized))
        return sp.hstack(blocks, format="csr")

    def transform(self, normalized: Sequence[str]) -> Any:
        """Return the features of normalised texts under the learnt vocabularies."""
        blocks = [self.body.transform(normalized)]
        if self.head is not None:
            heads = [t[: self.head_chars] for t in normalized]
            blocks.append(self.head_weight * self.head.transform(heads))
        if self.tree_terms is not None:
            blocks.append(self.tree_term_weight * self.tree_terms.transform(normalized))
        return sp.hstack(blocks, format="csr")

    @property
    def n_features(self) -> int:
        """Return the number of feature columns."""
        n = len(self.body.vocabulary_)
        n += len(self.head.vocabulary_) if self.head is not None else 0
        return n + (len(self.tree_terms.classes) if self.tree_terms is not None else 0)
