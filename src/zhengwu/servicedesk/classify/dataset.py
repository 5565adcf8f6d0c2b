"""Labelled requests from CSV: columns ``label`` and ``text`` (others are ignored)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from zhengwu.errors import InvalidInputError

REQUIRED_COLUMNS = ("label", "text")


@dataclass(frozen=True, slots=True)
class LabelledRequests:
    """Texts and their labels, in file order."""

    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def read_labelled_csv(path: Path) -> LabelledRequests:
    """Read a UTF-8 CSV with ``label`` and ``text`` columns; any unusable row is an error."""
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInputError(f"无法读取文件 {path}", f"cannot read {path}: {exc}") from exc
    texts: list[str] = []
    labels: list[str] = []
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            if not header:
                raise InvalidInputError(f"CSV 文件 {path} 是空的", f"the CSV file {path} is empty")
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise InvalidInputError(
                    f"CSV 文件 {path} 缺少列：{', '.join(missing)}（需要 label 和 text）",
                    f"the CSV file {path} lacks column(s): {', '.join(missing)} "
                    "(label and text are required)",
                )
            for row in reader:
                label, text = (row.get("label") or "").strip(), (row.get("text") or "").strip()
                if not label or not text:
                    raise InvalidInputError(
                        f"CSV 文件 {path} 第 {reader.line_num} 行缺少 label 或 text",
                        f"the CSV file {path} has no label or text on line {reader.line_num}",
                    )
                labels.append(label)
                texts.append(text)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInputError(
                f"CSV 文件 {path} 无法解析（需要 UTF-8 编码）",
                f"cannot parse the CSV file {path} (UTF-8 expected): {exc}",
            ) from exc
    if not texts:
        raise InvalidInputError(
            f"CSV 文件 {path} 没有数据行", f"the CSV file {path} has no data rows"
        )
    return LabelledRequests(texts, labels)
