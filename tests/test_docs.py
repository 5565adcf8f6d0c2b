"""The project documents itself: every setting and every command group is documented."""

from __future__ import annotations

from pathlib import Path

from zhengwu.cli.main import app
from zhengwu.config import Settings

REPO = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"ZHENGWU_{name.upper()}" not in doc]
    assert missing == []


def test_every_command_group_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = [g.name for g in app.registered_groups] + [c.name for c in app.registered_commands]
    missing = [n for n in names if n and f"zhengwu {n}" not in readme]
    assert missing == []


def test_the_worked_example_of_index_systems_loads_as_documented() -> None:
    import re
    import tomllib

    from zhengwu.index.system import parse_system

    doc = (REPO / "docs" / "index-systems.md").read_text(encoding="utf-8")
    found = re.search(r"Saved as `reach-engagement.toml`:\n\n```toml\n(.*?)```", doc, re.S)
    assert found is not None
    system = parse_system(tomllib.loads(found[1]))
    assert system.name == "reach-engagement" and system.peer_group == ("platform", "level")
    assert [(d.key, d.weight) for d in system.dimensions] == [("reach", 0.6), ("engagement", 0.4)]
    assert system.notes == ()  # the weights sum to 1 as written: nothing was rescaled
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/index-systems.md" in readme
