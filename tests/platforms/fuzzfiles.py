"""Files of malformed rows for the importers' property tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import strategies as st

from zhengwu.ingest.files import decodes


def csv_rows(
    cell: st.SearchStrategy[str], width: int
) -> st.SearchStrategy[list[tuple[list[str], bool]]]:
    """Return up to six rows of up to ``width + 1`` cells, each flagged GBK or not."""
    row = st.lists(cell, min_size=1, max_size=width + 1)
    return st.lists(st.tuples(row, st.booleans()), min_size=1, max_size=6)


def write_csv(
    path: Path, header: list[str], rows: list[tuple[list[str], bool]], mark: str
) -> int | None:
    """Write ``header`` and ``rows`` as CSV; return how many rows the importer must report.

    A row flagged True is written in GBK with ``mark`` (a Chinese character) added to its
    first cell, so that it is a GBK line in a UTF-8 file. Rows of blank cells are left out:
    a CSV reader skips them, so they are not records. None when the file is not UTF-8 as a
    whole (GBK rows, and no line of non-ASCII text that is UTF-8, as a GBK line whose
    bytes happen to be UTF-8 is, e.g. a quoted cell's last line ``",刷``): the importer
    refuses it.
    """
    rows = [(cells, gbk) for cells, gbk in rows if any(c.strip() for c in cells)]
    body = b""
    for cells, gbk in rows:
        buffer = io.StringIO()
        csv.writer(buffer).writerow([cells[0] + mark, *cells[1:]] if gbk else cells)
        line = buffer.getvalue().encode("gbk", "replace") if gbk else buffer.getvalue().encode()
        body += line
    path.write_bytes(",".join(header).encode("utf-8") + b"\r\n" + body)
    if any(gbk for _, gbk in rows) and not any(
        not line.isascii() and decodes(line, "utf-8") for line in body.splitlines()
    ):
        return None
    return len(rows)
