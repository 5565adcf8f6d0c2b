"""A TOML file a person gives may spell a NUL character ``\\u0000`` inside a string, which
no database can keep alike (PostgreSQL refuses it): the working-day calendar, an
indicator system, classification rules, a category tree and award lists are refused with a
bilingual message naming the file and the key, before anything of them is used."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.errors import InvalidInputError
from zhengwu.index.system import BUILTIN_DIR, SystemConfigError, load_system_file
from zhengwu.reports.awards import parse_awards
from zhengwu.servicedesk.classify.rules import parse_rules
from zhengwu.servicedesk.classify.tree import load_tree

runner = CliRunner()
NUL = "\\u0000"  # how TOML spells it in a string


def _said(error: InvalidInputError, where: str, key: str) -> None:
    assert f"{where} 中的「{key}」含有空字符（NUL，\\u0000），数据库无法保存" in error.message_zh
    assert f"{key!r} in {where} contains a NUL character (\\u0000)" in error.message_en


def test_a_calendar_with_a_nul_is_refused_and_not_installed(tmp_path: Path) -> None:
    calendar = tmp_path / "2027.toml"
    calendar.write_text(f'holidays = [2027-01-01]\n[workdays]\n2027-02-20 = "春节{NUL}调休"\n',
                        encoding="utf-8")  # fmt: skip
    checked = runner.invoke(app, ["desk", "calendar", "check", str(calendar)])
    imported = runner.invoke(app, ["desk", "calendar", "import", str(calendar)])
    for result in (checked, imported):
        assert result.exit_code == 2, result.output
        flat = " ".join(result.output.split())
        assert "「workdays.2027-02-20」含有空字符" in flat
        assert "'workdays.2027-02-20' in" in flat and "contains a NUL character" in flat
    assert not any(tmp_path.glob("zhengwu-data/desk-calendar*.toml"))
    calendar.write_text(calendar.read_text("utf-8").replace(NUL, ""), encoding="utf-8")
    assert runner.invoke(app, ["desk", "calendar", "check", str(calendar)]).exit_code == 0


def test_an_indicator_system_file_with_a_nul_is_refused(tmp_path: Path) -> None:
    shipped = (BUILTIN_DIR / "zhengwu-4d.toml").read_text(encoding="utf-8")
    path = tmp_path / "mine.toml"
    path.write_text(shipped.replace('title_zh = "', f'title_zh = "本市{NUL}', 1), "utf-8")
    with pytest.raises(SystemConfigError) as refused:
        load_system_file(path)
    _said(refused.value, str(path), "title_zh")


@pytest.mark.parametrize("kind", ["rules", "tree", "awards"])
def test_rules_trees_and_awards_with_a_nul_are_refused(tmp_path: Path, kind: str) -> None:
    if kind == "rules":
        text = f'[[rule]]\ncategory = "城乡建设"\npatterns = ["井盖{NUL}"]\n'
        with pytest.raises(InvalidInputError) as refused:
            parse_rules(text, source="rules.toml")
        _said(refused.value, "rules.toml", "rule.0.patterns.0")
    elif kind == "tree":
        path = tmp_path / "tree.toml"
        path.write_text(f'[[category]]\ncode = "01"\nname = "城乡{NUL}建设"\n', "utf-8")
        with pytest.raises(InvalidInputError) as refused:
            load_tree(path)
        _said(refused.value, str(path), "category.0.name")
    else:
        text = f'[[award]]\ntitle = "十佳{NUL}政务微博"\nplatform = "weibo"\ntop = 10\n'
        with pytest.raises(InvalidInputError) as refused:
            parse_awards(text, source="awards.toml")
        _said(refused.value, "awards.toml", "award.0.title")
