"""The methodology appendix's Markdown, as HTML and as blocks a PDF can lay out.

The methodology text (:mod:`zhengwu.index.methodology`) uses headings, paragraphs, nested
bullet lists, tables, inline code and bold. markdown-it (already installed with Rich)
parses it once; raw HTML in the text is escaped, never passed through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token

_MD = MarkdownIt("js-default")  # CommonMark + tables; html=False: raw HTML is escaped


def to_html(text: str) -> str:
    """Return ``text`` (Markdown) as HTML."""
    html: str = _MD.render(text)
    return html


@dataclass(slots=True)
class Block:
    """One block of the text: heading (with level), paragraph, bullet (with depth) or table."""

    kind: str
    text: str = ""
    level: int = 0
    rows: list[list[str]] = field(default_factory=list)  # table: header row first


def _inline(token: Token) -> str:
    """Return an inline token as reportlab paragraph markup (escaped text, code in Courier)."""
    parts = []
    for child in token.children or []:
        if child.type == "text":
            parts.append(escape(child.content, quote=False))
        elif child.type == "code_inline":
            parts.append(f'<font face="Courier">{escape(child.content, quote=False)}</font>')
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def to_blocks(text: str) -> list[Block]:
    """Return ``text`` (Markdown) as a flat list of blocks."""
    blocks: list[Block] = []
    depth = 0
    heading = 0
    in_table = False
    in_item = False
    row: list[str] = []
    for token in _MD.parse(text):
        if token.type == "bullet_list_open":
            depth += 1
        elif token.type == "bullet_list_close":
            depth -= 1
        elif token.type == "list_item_open":
            in_item = True
        elif token.type == "list_item_close":
            in_item = False
        elif token.type == "heading_open":
            heading = int(token.tag[1])
        elif token.type == "table_open":
            in_table = True
            blocks.append(Block("table"))
        elif token.type == "table_close":
            in_table = False
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            blocks[-1].rows.append(row)
        elif token.type == "inline":
            markup = _inline(token)
            if in_table:
                row.append(markup)
            elif heading:
                blocks.append(Block("heading", markup, level=heading))
                heading = 0
            elif in_item:
                blocks.append(Block("bullet", markup, level=depth))
                in_item = False  # a second paragraph of the same item is a paragraph
            else:
                blocks.append(Block("paragraph", markup))
    return blocks
