"""``zhengwu demo``'s summary table says its results in Chinese with the English beside.

It printed 'read 277 · imported 277 …', 'new_requests 210' and 'seconds 0.3', English only,
where every other CLI line reads 读取 read 277 · 新增 imported 277.
"""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from zhengwu.cli.common import console
from zhengwu.cli.main import app

CJK = re.compile(r"^[\u4e00-\u9fff]")


def test_the_demo_summary_is_bilingual(
    configured_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 400)  # one table row a line
    result = CliRunner().invoke(app, ["demo", "--days", "1", "--no-serve"])
    assert result.exit_code == 0, result.output
    rows = [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in result.output.splitlines()
        if line.startswith("│") and not line.startswith("│ " + " " * 10)
    ]
    results = {step: cell for step, cell in rows if step}
    assert "读取 read" in results["导入 zhengwu-orgs:./orgs.csv"]
    assert {"影响力指数 influence index", "应急求助 emergency help"} <= results.keys()
    for step, cell in results.items():
        for figure in cell.split(" · "):
            assert CJK.match(figure), f"{step}: {figure!r} has no Chinese"
