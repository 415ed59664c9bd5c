"""Cell values and label matching, on the forms real pages show."""

from __future__ import annotations

import pytest

from parsers import templates as T
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
