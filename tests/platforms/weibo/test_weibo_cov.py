"""weibo-cov-csv on the real Weibo-COV samples in ../shared/data/weibo-cov (read in place)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from zhengwu.ingest.registry import ImportItem, get_importer
from zhengwu.platforms.records import AccountRecord, PostRecord, QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ
from zhengwu.platforms.weibo.crawlers import WeiboCovCsvImporter

COV = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "weibo-cov"
V1 = COV / "weibo_cov_v1_readme_sample.csv"
V2 = COV / "weibo_cov_v2_readme_sample.csv"
USERS = COV / "weibo_cov_v2_user_pool_readme_sample.csv"


def _read(path: Path) -> list[ImportItem]:
    return list(WeiboCovCsvImporter().read(path))


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def _posts(path: Path) -> list[PostRecord]:
    posts = [i.primary for i in _read(path)]
    assert all(isinstance(p, PostRecord) for p in posts)
    return [p for p in posts if isinstance(p, PostRecord)]


@pytest.mark.parametrize("path", [V1, V2, USERS])
def test_every_row_is_parsed(path: Path) -> None:
    items = _read(path)
    assert len(items) == _rows(path) > 0
    assert not any(isinstance(i.primary, QuarantineRecord) for i in items)
    assert all(i.related == [] for i in items)


def test_v1_repost_row() -> None:
    first = _posts(V1)[0]
    assert (first.post_id, first.bid, first.account_uid) == (
        "IBddo6Ee8",
        "IBddo6Ee8",
        "96e7c5482014ffbb",
    )
    assert first.created_at == datetime(2020, 4, 1, 0, 0, tzinfo=CHINA_TZ)
    assert first.observed_at == datetime.fromtimestamp(1587524917, CHINA_TZ)
    assert first.is_repost
    assert first.root_post_id == "IBb2q8ghj"
    assert first.topics == ["印度返乡人员被用水枪消杀", "聚焦新冠肺炎疫情"]
    assert first.mentions == ["新京报我们视频"]
    assert (first.likes, first.reposts, first.comments) == (0, 0, 0)
    assert first.text.endswith("转发理由:转发微博")


def test_v1_counts_and_mentions() -> None:
    posts = {p.post_id: p for p in _posts(V1)}
    assert (posts["IBddFiWg6"].likes, posts["IBddFiWg6"].reposts) == (8, 1)
    assert posts["IBddFiWg6"].comments == 4
    assert posts["IBddu1G7S"].likes == 1
    assert posts["IBddu1G7S"].mentions == ["乔木DC", "踏遍天山"]
    assert posts["IBddw8jIx"].topics == ["你好，明天"]
    assert all(p.is_repost for p in posts.values())


def test_v2_originals_have_no_root() -> None:
    posts = {p.post_id: p for p in _posts(V2)}
    assert len(posts) == 6
    originals = {pid for pid, p in posts.items() if not p.is_repost}
    assert originals == {"Jwm2gs8h0", "Jwm2zp42u"}
    assert posts["Jwm2gs8h0"].root_post_id is None
    assert posts["Jwm2ld0aZ"].root_post_id == "JwlnBBw1c"
    assert posts["Jwm2ld0aZ"].topics == ["雷神山医护工作者吃上蒙古羊"]
    assert posts["Jwm2eDupl"].mentions == ["湖南卫视"]
    assert posts["Jwm2cyhQQ"].created_at == datetime(2020, 12, 1, tzinfo=CHINA_TZ)


def test_user_pool_gives_accounts() -> None:
    accounts = [i.primary for i in _read(USERS)]
    assert all(isinstance(a, AccountRecord) for a in accounts)
    first, second = accounts[0], accounts[1]
    assert isinstance(first, AccountRecord)
    assert isinstance(second, AccountRecord)
    assert (first.uid, first.name, first.followers) == ("6e8c581b932a9d4e", "", 199182410)
    assert (first.location, first.adcode) == ("北京", "110000")
    assert (second.location, second.adcode) == ("北京 海淀区", "110108")
    assert first.observed_at == datetime.fromtimestamp(1576187979, CHINA_TZ)
    assert not first.is_government


def test_registered_name() -> None:
    assert isinstance(get_importer("weibo-cov-csv"), WeiboCovCsvImporter)


def test_bad_cov_rows_are_quarantined(tmp_path: Path) -> None:
    header = V2.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "cov.csv"
    path.write_text(
        header
        + "\nJx1,u1,1607931932,2020-12-01 00:00,-1,0,0,正文,,\n"
        + "Jx2,u2,1607931932,2020-13-01 00:00,0,0,0,正文,,\n"
        + ",u3,1607931932,2020-12-01 00:00,0,0,0,正文,,\n"
        + "Jx4,u4,1607931932,2020-12-01 00:00,0,0,0,正文,,\n",
        encoding="utf-8",
    )
    items = _read(path)
    reasons = [i.primary.reason for i in items[:3] if isinstance(i.primary, QuarantineRecord)]
    assert len(reasons) == 3
    assert "like_num" in reasons[0]
    assert "created_at" in reasons[1]
    assert "_id" in reasons[2]
    assert isinstance(items[3].primary, PostRecord)


@pytest.mark.parametrize("path", [V1, V2, USERS])
def test_the_samples_saved_as_gbk_are_refused_once(tmp_path: Path, path: Path) -> None:
    # Opened in Excel and saved as "CSV" on Chinese Windows (an emoji GBK lacks becomes
    # "?"): the header is ASCII, every row with Chinese text GBK. Refused whole with the
    # fix, not quarantined row by row.
    from zhengwu.errors import InvalidInputError

    gbk = tmp_path / path.name
    gbk.write_bytes(path.read_text("utf-8").encode("gbk", errors="replace"))
    with pytest.raises(InvalidInputError, match="looks like GBK") as caught:
        _read(gbk)
    assert "iconv -f GBK -t UTF-8" in caught.value.message_zh
    assert "iconv -f GBK -t UTF-8" in caught.value.message_en
    # The file is named where the sentence says what was not imported, not glued to the
    # end of the command ("… > 新文件：x.csv" read as part of it).
    assert f"整个文件未导入：{gbk}；" in caught.value.message_zh
    assert caught.value.message_zh.endswith("iconv -f GBK -t UTF-8 原文件 > 新文件")
    assert f"nothing of it was imported: {gbk};" in caught.value.message_en
    assert caught.value.message_en.endswith("iconv -f GBK -t UTF-8 old.csv > new.csv")
