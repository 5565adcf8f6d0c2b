""".7z archives as inputs (py7zr): every member read, damage kept to its place and
quarantined, encrypted members and archives refused in both languages; .rar refused with
what to do instead; a damage's quarantine record located and with its text, as ``zhengwu
import`` and ``zhengwu desk import-csv`` both record it."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import py7zr
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.ingest.test_cli_import import _summary
from tests.ingest.test_packed import _lines
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.ingest.packed import check_packed, input_count, plain_files

runner = CliRunner()


def _seven_zip(path: Path, members: dict[str, bytes], **options: object) -> Path:
    with py7zr.SevenZipFile(path, "w", **options) as archive:  # type: ignore[arg-type]
        for name, data in members.items():
            archive.writestr(data, name)
    return path


def _damaged(path: Path, at: float) -> Path:
    """Overwrite 64 bytes of ``path`` at ``at`` of its length (its index, at the end, kept)."""
    data = bytearray(path.read_bytes())
    where = int(len(data) * at)
    data[where : where + 64] = bytes(64)
    path.write_bytes(bytes(data))
    return path


def _quarantine(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as session:
        rows = session.execute(
            select(QuarantineEntry.source, QuarantineEntry.reason, QuarantineEntry.raw)
        ).all()
    return {source: (reason, raw) for source, reason, raw in rows}


def test_a_7z_archive_imports_every_member_like_the_plain_files(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    archive = _seven_zip(tmp_path / "crawl.7z", {
        "in/day1.jsonl": _lines(3) + b'{"id": broken\n',
        "day2.jsonl": _lines(2, start=10),
        ".DS_Store": b"\0\0\0\1Bud1",  # not an input
        "empty.jsonl": b"",  # read, and said to hold nothing
    })  # fmt: skip
    assert input_count(archive) == 3
    dry = runner.invoke(app, ["import", "weibo-api", str(archive), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    records = [json.loads(line) for line in dry.stdout.strip().splitlines()[:-1]]
    assert [r["source"] for r in records if r["kind"] == "quarantine"] == [
        f"{archive}!in/day1.jsonl:4"
    ]
    result = runner.invoke(app, ["import", "weibo-api", str(archive), "--json"])
    assert result.exit_code == 0, result.output
    summary = _summary(result.stdout)
    assert (summary["imported"], summary["quarantined"]) == (5, 1)
    assert list(_quarantine(committed_engine)) == [f"{archive}!in/day1.jsonl:4"]
    warnings = json.loads(result.stdout.strip().splitlines()[-1])["warnings"]
    assert [w for w in warnings if "empty.jsonl" in w] == [
        f"文件中没有记录（空文件？）：{archive}!empty.jsonl / no records in {archive}!empty.jsonl "
        "(empty file?)"
    ]
    plain = tmp_path / "day2.jsonl"
    plain.write_bytes(_lines(2, start=10))
    again = runner.invoke(app, ["import", "weibo-api", str(plain), "--json"])
    assert _summary(again.stdout)["duplicates"] == 2  # the very same records
    assert list((get_settings().data_dir / "tmp").iterdir()) == []


def _random_lines(n: int) -> bytes:
    """Lines that compress little, so that py7zr hands them over in several blocks."""
    rng = random.Random(7)
    return b"".join(b'{"n": %d, "t": "%s"}\n' % (i, rng.randbytes(40).hex().encode())
                    for i in range(n))  # fmt: skip


def test_damage_inside_a_7z_keeps_the_whole_lines_before_it(tmp_path: Path) -> None:
    """The member the damage falls in keeps every whole line before it (the cut line left
    out, and given as the text near the damage); the members after it say they could not
    be read; nothing is left in the work directory."""
    data = _random_lines(40_000)
    fast = [{"id": py7zr.FILTER_LZMA2, "preset": 1}]  # the default preset: 20 s here
    members = {"a.jsonl": data, "b.jsonl": b"1\n"}
    archive = _damaged(_seven_zip(tmp_path / "big.7z", members, filters=fast), 0.9)
    work = tmp_path / "work"
    got = [(p.shown, p.path.read_bytes(), p.damage, p.damage_line, p.near, p.damage_at)
           for p in plain_files(archive, work)]  # fmt: skip
    [(shown, kept, damage, line, near, at), (after, nothing, why, *_)] = got
    assert shown == f"{archive}!a.jsonl" and after == f"{archive}!b.jsonl"
    assert 0 < len(kept) < len(data) and data.startswith(kept) and kept.endswith(b"\n")
    assert damage is not None and line == kept.count(b"\n") + 1
    assert f"第 {line - 1} 行之后损坏或被截断" in damage and "damaged or cut short" in damage
    assert at == f"{shown}:{line}"
    assert near and data.splitlines()[line - 1].decode().startswith(near)
    assert nothing == b"" and why is not None and "damaged before this member" in why
    assert list(work.iterdir()) == []


def test_damaged_and_encrypted_7z_members_are_quarantined_with_their_reason(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    damaged = _damaged(_seven_zip(tmp_path / "damaged.7z", {
        "a.jsonl": _random_lines(2000), "b.jsonl": _lines(2),
    }), 0.3)  # fmt: skip
    locked = _seven_zip(tmp_path / "locked.7z", {"c.jsonl": _lines(1)}, password="pw")
    result = runner.invoke(app, ["import", "weibo-api", str(damaged), str(locked), "--json"])
    assert result.exit_code == 0, result.output
    found = _quarantine(committed_engine)
    assert found[f"{damaged}!a.jsonl:1"][0].startswith("压缩数据在第 0 行之后损坏或被截断")
    assert "damaged before this member" in found[f"{damaged}!b.jsonl"][0]
    assert found[f"{locked}!c.jsonl"][0] == (
        "压缩包成员已加密，无法读取 / the archive member is encrypted and cannot be read"
    )
    assert _summary(result.stdout)["quarantined"] == len(found) == 3
    warnings = json.loads(result.stdout.strip().splitlines()[-1])["warnings"]
    assert any(f"{locked}!c.jsonl" in w and "encrypted" in w for w in warnings)


@pytest.mark.parametrize("kind", ["cut", "encrypted-names", "not-7z", "rar"])
def test_an_unreadable_archive_stops_the_import_before_anything_is_written(
    tmp_path: Path, configured_database: str, kind: str
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(_lines(1))
    whole = _seven_zip(tmp_path / "whole.7z", {"a.jsonl": _lines(3)})
    if kind == "cut":  # 7z keeps its index at the end: a cut archive lists nothing
        path = tmp_path / "cut.7z"
        path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        said = (
            "7z 压缩包损坏或被截断，无法读取其目录",
            "damaged or cut short: its index cannot be read",
        )
    elif kind == "encrypted-names":
        path = _seven_zip(tmp_path / "names.7z", {"a.jsonl": _lines(1)}, password="pw",
                          header_encryption=True)  # fmt: skip
        said = ("7z 压缩包已加密（连文件名也加密）", "encrypted (its file names too)")
    elif kind == "not-7z":
        path = tmp_path / "fake.7z"
        path.write_bytes(_lines(1))
        said = ("不是有效的 7z 压缩包", "not a valid 7z archive")
    else:
        path = tmp_path / "crawl.rar"
        path.write_bytes(b"Rar!\x1a\x07\x01\x00" + bytes(32))
        said = ("不支持 RAR 压缩包（.rar），请转换为 .zip 或 .7z", "convert it to .zip or .7z")
    with pytest.raises(InvalidInputError):
        check_packed(path)
    refused = runner.invoke(app, ["import", "weibo-api", str(good), str(path), "--json"])
    assert refused.exit_code == 2
    assert all(part in refused.output for part in said), refused.output
    desk = runner.invoke(app, ["desk", "import-csv", str(path)])
    assert desk.exit_code == 2 and said[1] in desk.output
    later = runner.invoke(app, ["import", "weibo-api", str(good), "--json"])
    assert _summary(later.stdout)["imported"] == 1  # the refused run wrote nothing


def test_desk_import_of_a_7z_export_and_its_damage(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    """A 12345 export as ``.7z`` through ``desk import-csv``: whole, every row; damaged, a
    quarantine record at the line the damage fell in, as ``zhengwu import`` records it (the
    whole lines before a damage: test_damage_inside_a_7z_keeps_the_whole_lines_before_it and,
    for the desk, test_packed's Zstandard export)."""
    rows = ["工单编号,受理时间,诉求内容"] + [
        f"2025100200{i:04d},2025-10-02 08:{i:02d}:00,二七区第{i}号井盖松动，车辆经过响声很大"
        for i in range(3)
    ]
    export = ("\n".join(rows) + "\n").encode()
    small = _seven_zip(tmp_path / "工单.7z", {"工单.csv": export})
    whole = runner.invoke(app, ["desk", "import-csv", str(small), "--json"])
    assert whole.exit_code == 0, whole.output
    assert json.loads(whole.stdout.strip().splitlines()[-1])["created"] == 3
    rng = random.Random(3)
    noise = "".join(f"{row} {rng.randbytes(200).hex()}\n" for row in rows[1:] * 300)
    cut = _damaged(
        _seven_zip(tmp_path / "坏.7z", {"坏.csv": (rows[0] + "\n" + noise).encode()}), 0.5
    )
    got = runner.invoke(app, ["desk", "import-csv", str(cut), "--json"])
    assert got.exit_code == 0, got.output
    summary = json.loads(got.stdout.strip().splitlines()[-1])
    assert summary["quarantined"] == 1
    [(where, (reason, _))] = [
        (s, v) for s, v in _quarantine(committed_engine).items() if s.startswith(f"{cut}!")
    ]
    line = int(where.rsplit(":", 1)[1])
    assert where == f"{cut}!坏.csv:{line}" and f"第 {line - 1} 行之后损坏或被截断" in reason
    assert "damaged or cut short" in reason


def test_a_damage_at_a_line_end_keeps_the_last_whole_line_as_its_text(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    """When the damage falls between two lines, nothing is cut: the record names the first
    line not read and carries the last whole line read, so it can be found in the file."""
    first = _lines(3)
    path = tmp_path / "day.jsonl.gz"
    path.write_bytes(gzip.compress(first) + b"\x1f\x8b\x08\x00" + bytes(40))  # a broken 2nd stream
    result = runner.invoke(app, ["import", "weibo-api", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert _summary(result.stdout)["imported"] == 3
    reason, raw = _quarantine(committed_engine)[f"{path}:4"]
    assert reason.startswith("压缩数据在第 3 行之后损坏或被截断") and "被截断的第" not in reason
    assert raw == first.decode().splitlines()[2]
