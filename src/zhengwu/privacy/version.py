"""The version of the masking rules (:data:`MASKING_RULES_VERSION`).

Stored texts are masked once — a request's ``text_masked`` at intake, library items and
requests in the search index when they are indexed — so they keep the masks of the rules
in force then. The worker job ``published-numbers`` (:mod:`zhengwu.servicedesk.remask`)
compares this number with the one the stored texts were last masked with
(``masking_state.rules_version``) and, when they differ, masks every stored text again.
"""

from __future__ import annotations

# Bump this whenever a change to zhengwu.privacy (or zhengwu.servicedesk.masking) alters
# what masking outputs for some text — a new kind found, a detector taking more or less,
# a different mask. The worker then re-masks every stored masked text (a pass over all
# requests and library items) and the search index follows. A change that leaves every
# output the same (speed, refactoring) needs no bump. Record it in docs/privacy.md.
#
# 1: the rules before versions were recorded (a stored version 0 means "unknown").
# 2: names right before a contact cue are masked without a title word (王芳的电话, 张伟：138…).
# 3: there also names that are rarer dictionary words where they open the phrase (李娜的电话,
#    联系人杜鹃 139…, 方圆：…), names before 家 (王芳家的电话) and after 致电 (请致电王芳138…).
# 4: and after 查一下, 问一下, 打听一下 (请帮我查一下李娜的电话).
# 5: the service desk masks Weibo handles (//@昵称:, @某人; not a government account's) and
#    the door of a home (3栋2单元501, 5号楼602室; not 人民路88号 or 13栋) in its texts.
# 6: a government account's handle is recognised however it is written (@cctv新闻 for
#    CCTV新闻, ＠ＳＺ交警, @平安北京-) and a full-width ＠ opens a citizen's handle; a street
#    number after a home cue is a home's door (我家在解放路23号); shops, offices and ranges of
#    blocks are no homes (超市101室, 5栋105商铺, 政务服务中心3楼201室, 1-4栋), a compound
#    named after an institution is (家属院3栋2单元501). Staff's words shown masked mask
#    citizens' handles too (masked when shown: nothing stored changes for that).
# 7: a flat after a shop's or a bank's name is a home when words of a home follow it
#    (华联超市5栋302住户) or it has a stairwell (工商银行3栋2单元501, 教育局3栋2单元501): 6
#    left them readable; a shop's own unit (商铺-117室业主) stays a shop.
# 8: a name set off by commas after a word of relation (本村村民，谭文建，住…; 市民 is one
#    now: 我是A市民，彭国建，…) and after 叫做 (我的名字叫做余成虎): 7 showed them on the
#    public board.
# 9: a flat counted as a household (43栋101户) and a street number after 我住 are a home's
#    door; a shop named after a home cue keeps its room or number (我家住在小区对面华联超市
#    101室楼上, 我家在人民路88号华联超市隔壁); a government handle run into the words after
#    it (@广州发布请处理, @A市交警官方微博在2017…) and one whose name mixes cases written in
#    another case (@izhengzhou for iZhengzhou) stay readable, on the rescue side too; the
#    outbox's replies not yet delivered are masked again by the pass, and 号栋 is a block
#    (一号栋405 masked whole). On the 20,620 real texts of citizen-messages the desk's
#    masker changes 4 texts (all doors), the rescue masker 37 (blocks written 号栋).
# 10: a name after 我是 that closes its clause though it holds what ends a name elsewhere
#    (我是张阳名，…, 我是周向红，…); 16–19 digits after a card cue (银行卡号, 卡号, 账号 …) are
#    a card though they fail Luhn, and a Luhn-valid number after a reference cue (订单号,
#    工单号, 快递单号 …) is none; a citizen's handle run into a word that opens a request
#    (@张三丰请帮忙) is masked up to that word, which stays readable; the numbers' pass also
#    masks a withdrawn number in the outbox's waiting replies.
MASKING_RULES_VERSION = 10
