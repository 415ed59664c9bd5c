"""Cell values and label matching, on the forms real pages show."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import templates as T
from parsers.document import collapse
from parsers.labels import match_any, normalize
from parsers.tables import _match_key, split_row
from parsers.values import parse_value


@pytest.mark.parametrize("text,kind,value", [
    ("0", "count", 0), ("12", "count", 12), ("?0", "count", 0), ("0?", "count", 0),
    ("0 ", "count", 0), ("１２３", "count", 123), ("1,234", "count", 1234), ("613847", "count", 613847),
    ("减 3", "count", -3), ("减3", "count", -3), ("增 3", "count", 3), ("增加5", "count", 5),
    ("-2", "count", -2), ("32445 万元", "money", 32445.0), ("251000元", "money", 25.1),
    ("147230元", "money", 14.723), ("209.93", "money", 209.93), ("0", "money", 0.0),
    ("3861.443738", "money", 3861.443738), ("1.2亿元", "money", 12000.0), ("7件", "count", 7),
    ("\u3000\xa00\xa0", "count", 0),
])
def test_values(text, kind, value):
    ok, got = parse_value(text, kind)
    assert ok and got == value and type(got) is type(value)


@pytest.mark.parametrize("text", ["", " ", "/", "／", "—", "——", "-", "－", "无", "\xa0"])
def test_blank_forms_are_null(text):
    assert parse_value(text) == (True, None)


@pytest.mark.parametrize("text", ["规章", "0 0 0", "一、", "1.", "三、本年度办理结果", "第二十条第(一)项",
                                  "abc", "12/3"])
def test_labels_are_not_values(text):
    assert parse_value(text)[0] is False


@pytest.mark.parametrize("label,key", [
    ("商业 企业", None),
    ("三、本 年度 办 理 结 果", None),
    ("(一) 予以公开", "granted"),
    ("（一）予以公开", "granted"),
    ("(二)部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_granted"),
    ("2. 其他法律行政法规禁止公开", "denied_prohibited_by_law"),
    ("3.危及“三安全一稳定”", "denied_security_stability"),
    ("1、本机关不掌握相关政府信息", "unable_not_held"),
    ("5.要求行政机关确认或重新出具已获取信息", "not_processed_confirmation"),
    ("1.申请人无正当理由逾期不补正、行政机关 不再 处理其政府信息公开申请", "other_no_correction"),
    ("3.其他", "other_other"),
    ("（六）其他处理", "other_handling"),
    ("(七)总计", "total_processed"),
    ("四、结转下年度继续办理", "carried_forward"),
    ("一、本年新收政府信息公开申请数量", "new_received"),
    ("本年新收政府信息公开申请数量", "new_received"),
])
def test_application_row_labels(label, key):
    row = split_row([label, "1", "0", "0", "0", "0", "0", "1"])
    assert _match_key(row, T.APPLICATION_ROWS, -1) == key


def test_group_label_does_not_name_a_row():
    # Scrambled vertical group labels (seed 004) are not rows; the sub-row label wins.
    row = split_row(["", "(三) 不 予 开 公", "1. 属于国家秘密", "0", "0", "0", "0", "0", "0", "0"])
    assert _match_key(row, T.APPLICATION_ROWS, -1) == "denied_state_secret"


def test_normalize_strips_numbering_and_footnotes():
    assert normalize("二、主动公开政府信息情况（有关情况附表）") == "主动公开政府信息情况"
    assert normalize("（三）不予公开") == "不予公开"
    assert match_any(normalize("行政 规范性 文件"), ["规范性文件"])


# --- Speed-ups proved against the plain definitions they replace ---------------------------

_HAN_CHARS = "中國領導人政府信息公開报告年度統計处理總計规章一乙丁丈亐亿仃们乐書畫鬱龜" + "\u4e00\u4fff\u5000\u9fff\u3400\u4dbf\ua000"
_TEXT = st.text(alphabet=st.sampled_from(list(_HAN_CHARS + "abc (lǐng)（）0123 \n、。")), max_size=300)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_script_detection_matches_its_definition(text):
    """to_simplified counts Han characters on bytes and skips equal chunks; the answer is the
    plain count's: hant when t2s changes more than HANT_THRESHOLD of the Han characters."""
    import re

    from parsers import script

    plain = script.strip_pinyin(text)
    converted = script._converter().convert(plain)
    han = len(re.findall(r"[\u4e00-\u9fff]", plain))
    if not han:
        expected = "hans"
    elif len(converted) == len(plain):
        changed = sum(1 for a, b in zip(plain, converted, strict=True) if a != b)
        expected = "hant" if changed / han > script.HANT_THRESHOLD else "hans"
    else:
        changed = abs(len(re.findall(r"[\u4e00-\u9fff]", converted)) - han) + sum(
            1 for a, b in zip(plain, converted, strict=False) if a != b)
        expected = "hant" if changed / han > script.HANT_THRESHOLD else "hans"
    assert script.to_simplified(text) == (converted, expected)


_PINYIN_TEXT = st.text(alphabet=st.sampled_from(list("領导中a(（)）lǐngdǎo3 x")), max_size=60)


@settings(max_examples=500, deadline=None)
@given(text=_PINYIN_TEXT)
def test_pinyin_prefilter_never_skips_an_annotation(text):
    """strip_pinyin skips its regex when neither bracket's literal-first search finds an
    annotation; the result is always the regex's own."""
    from parsers import script

    assert script.strip_pinyin(text) == script._PINYIN.sub("", text)


_HEADING = st.text(alphabet=st.sampled_from(list("一二三、（）1.总体情况主动公开政府信息收到和处理申请行政复议诉讼存在的主要问题及改进其他需要报告事项措施 ")),
                   max_size=30)


@settings(max_examples=300, deadline=None)
@given(text=_HEADING)
def test_section_title_lookup_matches_its_definition(text):
    """The prefix lookup finds what scanning every variant in SECTIONS order finds."""
    from parsers import sections
    from parsers.labels import normalize

    expected = None
    if len(text) <= sections._MAX_HEADING and not sections._SUB_NUMBER.match(text):
        norm = normalize(text)
        expected = next(((number, key) for number, key, variants in T.SECTIONS for v in variants
                         if norm == v or (norm.startswith(v) and len(norm) - len(v) <= 4)), None)
    assert sections._title_key(text) == expected


_WHITE = st.sampled_from(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u3000\u200b\ufeff")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_WHITE, st.characters(), st.sampled_from("0规章（一）")), max_size=40))
def test_collapse_folds_white_space_like_its_definition(chars):
    """collapse() reads every cell and line of a page, so it splits in C instead of using a
    regex; it must fold exactly what the regex class [\\s\\u3000\\xa0\\u200b\\ufeff] names."""
    text = "".join(chars)
    assert collapse(text) == re.sub(r"[\s\u3000\xa0\u200b\ufeff]+", " ", text).strip()
