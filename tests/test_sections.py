"""Sections: titles, variants, numbering, furniture."""

from __future__ import annotations

from conftest import HTML_TWINS, SEEDS

from parsers import parse_page

KEYS = ["overview", "active_disclosure", "applications", "review_litigation", "problems", "other"]


def test_six_sections_in_order_with_prose():
    for path in SEEDS + HTML_TWINS:
        record = parse_page(path.read_bytes())
        assert [s["key"] for s in record["sections"]] == KEYS
        assert [s["number"] for s in record["sections"]] == [1, 2, 3, 4, 5, 6]
        overview = record["sections"][0]["text"]
        assert len(overview) > 200
        for s in record["sections"]:
            # Table cells are not prose; furniture is not report text.
            for junk in ("责任编辑", "扫一扫", "相关新闻", "附件下载", "相关链接", "版权所有", "是否显示作废图标",
                         "本年新收政府信息公开申请数量"):
                assert junk not in s["text"], (path.name, s["key"], junk)


def test_subheadings_stay_inside_the_text():
    record = parse_page(SEEDS[0].read_bytes())
    assert "(一)政府信息公开情况" in record["sections"][0]["text"]


def test_variant_titles_and_missing_numbering():
    page = """<html><body>
    <p>本报告统计期限为2023年1月1日至12月31日。</p>
    <p>总体情况</p><p>2023年，某县民政局坚持以人民为中心。</p>
    <p>（一）主动公开情况</p><p>主动公开信息12条。</p>
    <p>二、主动公开政府信息情况</p><table><tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr></table>
    <p>五、存在问题及改进措施</p><p>宣传不够。</p>
    <p>六、其他事项</p><p>无。</p>
    <p>扫一扫在手机打开当前页</p><p>相关链接</p><p>某某市人民政府</p>
    </body></html>"""
    record = parse_page(page)
    assert [s["key"] for s in record["sections"]] == ["overview", "active_disclosure", "problems", "other"]
    assert record["sections"][0]["text"] == "2023年，某县民政局坚持以人民为中心。\n（一）主动公开情况\n主动公开信息12条。"
    assert record["sections"][-1]["text"] == "无。"
    assert record["organ"] == "某县民政局" and record["year"] == 2023


def test_nonstandard_title_found_by_number():
    seed = next(p for p in SEEDS if p.stem.startswith("000"))
    record = parse_page(seed.read_bytes())
    assert record["sections"][-1]["title"] == "六、下一步工作举措"
    assert record["sections"][-1]["key"] == "other"
