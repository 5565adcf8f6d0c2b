"""Upload edge cases: empty, too large, wrong type, disguised type, duplicate content."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError
from zhengwu.library import service, storage
from zhengwu.library.models import ContentItem
from zhengwu.library.service import Upload

from .world import PDF, PNG, World


def _files() -> list[Path]:
    root = storage.root()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(
    ("name", "data", "zh", "en"),
    [
        ("空.png", b"", "为空", "empty"),
        ("病毒.exe", b"MZ\x90\x00", "不支持的文件类型", "not allowed"),
        ("无扩展名", b"hello", "不支持的文件类型", "not allowed"),
        ("伪装.png", b"%PDF-1.4 not an image", "不符", "does not match"),
        ("伪装.pdf", PNG, "不符", "does not match"),
        ("二进制.txt", b"abc\x00def", "不符", "does not match"),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing(
    name: str, data: bytes, zh: str, en: str
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        storage.store(io.BytesIO(data), name)
    assert zh in exc.value.message_zh and en in exc.value.message_en
    assert exc.value.status_code == 422
    assert _files() == []  # no temporary or half-written file remains


def test_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGWU_LIBRARY_MAX_UPLOAD_BYTES", "100")
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError) as exc:
        storage.store(io.BytesIO(PNG + b"\x00" * 100), "大图.png")
    assert "超过大小上限 100" in exc.value.message_zh
    assert _files() == []
    assert storage.store(io.BytesIO(PNG[:60]), "小图.png").size == 60


def test_identical_content_is_stored_once() -> None:
    first = storage.store(io.BytesIO(PDF), "通知.pdf")
    second = storage.store(io.BytesIO(PDF), "../../etc/同一份通知.pdf")
    assert first.sha256 == second.sha256
    assert second.filename == "同一份通知.pdf"  # no path from the client is kept
    assert _files() == [storage.blob_path(first.sha256)]
    assert storage.blob_path(first.sha256).read_bytes() == PDF
    utf8_cut = "通知".encode()[:4]
    assert storage.store(io.BytesIO(b"ok " + utf8_cut), "t.txt").content_type.startswith("text/")


def test_a_bad_file_refuses_the_whole_item(session: Session, world: World) -> None:
    with pytest.raises(InvalidInputError):
        service.create(session, world["op_police"], title="两个文件", files=[
            Upload("好.pdf", io.BytesIO(PDF)), Upload("坏.png", io.BytesIO(b"GIF89a"))])  # fmt: skip
    assert session.scalar(select(ContentItem.id)) is None


def test_shared_blob_for_two_items(session: Session, world: World) -> None:
    a = service.create(session, world["op_police"], title="甲",
                       files=[Upload("a.pdf", io.BytesIO(PDF))])  # fmt: skip
    b = service.create(session, world["op_housing"], title="乙",
                       files=[Upload("b.pdf", io.BytesIO(PDF))])  # fmt: skip
    assert a.files[0].sha256 == b.files[0].sha256
    assert len(_files()) == 1


def test_prune_frees_contents_no_item_uses_after_the_grace(session: Session, world: World) -> None:
    a = service.create(session, world["op_police"], title="甲",
                       files=[Upload("a.pdf", io.BytesIO(PDF)), Upload("a.png", io.BytesIO(PNG))])  # fmt: skip
    b = service.create(session, world["op_housing"], title="乙",
                       files=[Upload("b.pdf", io.BytesIO(PDF))])  # fmt: skip
    png_sha = next(f.sha256 for f in a.files if f.filename == "a.png")
    pdf_sha = b.files[0].sha256
    service.remove(session, world["op_police"], a)
    assert len(_files()) == 2  # deleting rows never deletes bytes a rollback could need
    assert service.prune_files(session) == []  # just written: inside the grace period
    assert service.prune_files(session, grace_seconds=0) == [png_sha]
    assert [p.name for p in _files()] == [pdf_sha]  # still used by 乙
    service.remove(session, world["op_housing"], b)
    assert service.prune_files(session, grace_seconds=0) == [pdf_sha]
    assert _files() == []
