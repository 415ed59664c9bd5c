"""The national report templates, as data.

Everything a page's labels are matched against lives here: section titles, the rows and
columns of the three statistical tables in both templates (国办公开办函〔2019〕60号 and
〔2021〕30号), and the label variants seen on real pages. The code that reads pages
(:mod:`parsers.tables`, :mod:`parsers.sections`) is generic and only consults these tables.

Label variants are written in simplified script, without spaces or numbering; the matcher
(:mod:`parsers.labels`) normalises page labels the same way before comparing. A variant
matches a label that contains it, unless the variant is listed under ``exact``.
"""

from __future__ import annotations

#: The six sections: (number, key, title variants). The first variant is the standard title.
SECTIONS = [
    (1, "overview", ["总体情况", "概述", "基本情况", "工作概况"]),
    (2, "active_disclosure", ["主动公开政府信息情况", "主动公开政府信息", "主动公开情况"]),
    (3, "applications", ["收到和处理政府信息公开申请情况", "收到和处理政府信息公开申请",
                         "依申请公开政府信息情况"]),
    (4, "review_litigation", ["政府信息公开行政复议行政诉讼情况", "行政复议行政诉讼情况",
                              "政府信息公开行政复议和行政诉讼情况", "行政复议和行政诉讼情况",
                              "因政府信息公开申请行政复议行政诉讼情况"]),
    (5, "problems", ["存在的主要问题及改进情况", "存在的主要问题和改进情况", "存在问题及改进措施",
                     "存在的主要问题及改进措施", "主要问题及改进情况", "存在的问题及改进措施",
                     "存在的主要问题及下一步工作", "存在的问题和改进措施", "存在的不足及改进措施"]),
    (6, "other", ["其他需要报告的事项", "其他需要报告事项", "其他事项", "其他需要说明的事项",
                  "需要说明的其他事项", "其他需要报告的情况"]),
]

#: Lines that are page furniture, never report text. ``stop`` lines end the report body:
#: what follows them is the portal's footer.
FURNITURE_DROP = ["责任编辑", "扫一扫在手机打开当前页", "扫一扫在手机上查看", "打印本页", "关闭窗口",
                  "【打印】", "【关闭】", "分享到", "字号", "是否显示作废图标", "收藏本页", "视力保护色"]
FURNITURE_STOP = ["相关新闻", "相关链接", "附件下载", "相关附件", "上一篇", "下一篇", "版权所有",
                  "主办单位", "网站标识码", "ICP备", "公网安备", "网站地图", "联系我们", "区县网站"]

# --- Table 2: 主动公开政府信息情况 -------------------------------------------------------

#: Column headers that tell the two active-disclosure templates apart.
TEMPLATE_COLUMN_MARKERS = {
    "2021": ["本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"],
    "2019": ["本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "上年项目数量",
             "本年增减", "采购项目数量", "采购总金额"],
}

#: (row key, columns, label variants) per template. A column is (key, kind) where kind is
#: "count" (int) or "money" (float, 万元).
ACTIVE_DISCLOSURE = {
    "2021": [
        ("regulations", [("issued", "count"), ("repealed", "count"), ("in_force", "count")], ["规章"]),
        ("normative_documents", [("issued", "count"), ("repealed", "count"), ("in_force", "count")],
         ["规范性文件"]),
        ("administrative_license", [("decisions", "count")], ["行政许可"]),
        ("administrative_penalty", [("decisions", "count")], ["行政处罚"]),
        ("administrative_coercion", [("decisions", "count")], ["行政强制"]),
        ("administrative_fees", [("amount_10k_yuan", "money")], ["行政事业性收费", "事业性收费"]),
    ],
    "2019": [
        ("regulations", [("new_made", "count"), ("new_published", "count"),
                         ("total_published", "count")], ["规章"]),
        ("normative_documents", [("new_made", "count"), ("new_published", "count"),
                                 ("total_published", "count")], ["规范性文件"]),
        ("administrative_license", [("last_year_items", "count"), ("change", "count"),
                                    ("decisions", "count")], ["行政许可"]),
        ("other_management_services", [("last_year_items", "count"), ("change", "count"),
                                       ("decisions", "count")], ["其他对外管理服务事项", "对外管理服务"]),
        ("administrative_penalty", [("last_year_items", "count"), ("change", "count"),
                                    ("decisions", "count")], ["行政处罚"]),
        ("administrative_coercion", [("last_year_items", "count"), ("change", "count"),
                                     ("decisions", "count")], ["行政强制"]),
        ("administrative_fees", [("last_year_items", "count"), ("change", "count")],
         ["行政事业性收费", "事业性收费"]),
        ("centralized_procurement", [("projects", "count"), ("amount_10k_yuan", "money")],
         ["政府集中采购", "集中采购"]),
    ],
}

#: Money columns and the header words that name them. A unit written in that header
#: (``采购总金额（元）``, ``（单位：亿元）``) applies to every cell of the column that has none.
MONEY_COLUMN_HEADERS = {"amount_10k_yuan": ["采购总金额", "采购金额", "收费金额"]}

# --- Table 3: 收到和处理政府信息公开申请情况 -------------------------------------------------

APPLICATION_COLUMNS = ["natural_person", "commercial_enterprise", "research_institution",
                       "social_welfare_org", "legal_service_org", "other_org", "total"]

#: Row key -> label variants, in template order. ``exact`` variants must equal the label.
APPLICATION_ROWS = [
    ("new_received", ["本年新收", "新收政府信息公开申请"]),
    ("carried_over", ["上年结转"]),
    ("granted", ["予以公开"]),
    ("partially_granted", ["部分公开"]),
    ("denied_state_secret", ["国家秘密"]),
    ("denied_prohibited_by_law", ["法律行政法规禁止公开", "行政法规禁止公开", "禁止公开"]),
    ("denied_security_stability", ["三安全一稳定", "危及"]),
    ("denied_third_party", ["第三方合法权益", "保护第三方"]),
    ("denied_internal_affairs", ["内部事务"]),
    ("denied_process_info", ["过程性信息"]),
    ("denied_enforcement_files", ["行政执法案卷", "执法案卷"]),
    ("denied_administrative_query", ["行政查询"]),
    ("unable_not_held", ["不掌握"]),
    ("unable_needs_creation", ["另行制作", "没有现成信息"]),
    ("unable_unclear", ["仍不明确", "补正后"]),
    ("not_processed_petition", ["信访举报投诉", "信访"]),
    ("not_processed_duplicate", ["重复申请"]),
    ("not_processed_publication", ["公开出版物"]),
    ("not_processed_excessive", ["大量反复"]),
    ("not_processed_confirmation", ["确认或重新出具", "重新出具"]),
    ("other_no_correction", ["逾期不补正", "不补正"]),
    ("other_unpaid_fee", ["收费通知", "缴纳费用"]),
    ("other_other", [("exact", "其他")]),
    ("other_handling", [("exact", "其他处理")]),
    ("total_processed", [("exact", "总计"), ("exact", "合计")]),
    ("carried_forward", ["结转下年度", "下年度继续办理"]),
]

#: Result rows: what ``total_processed`` must add up to (applications.results_sum).
APPLICATION_RESULT_ROWS = [key for key, _ in APPLICATION_ROWS[2:-2]]

#: Rows of each template's table 3 (the 2019 template has one 其他处理 row, 2021 three).
APPLICATION_TEMPLATE_ROWS = {
    "2021": [k for k, _ in APPLICATION_ROWS if k != "other_handling"],
    "2019": [k for k, _ in APPLICATION_ROWS if k not in ("other_no_correction", "other_unpaid_fee",
                                                          "other_other")],
}

# --- Table 4: 政府信息公开行政复议、行政诉讼情况 ---------------------------------------------

REVIEW_COLUMNS = ["upheld", "corrected", "other", "pending", "total"]
#: Groups in page order (left to right in the standard single data row).
REVIEW_GROUPS = [
    ("review", ["行政复议", ("exact", "复议")]),
    ("litigation_direct", ["未经复议直接起诉", "直接起诉"]),
    ("litigation_after_review", ["复议后起诉"]),
]

# --- Metadata ------------------------------------------------------------------------------

#: Endings of organ names, to recognise an organ in running text.
ORGAN_SUFFIXES = ["人民政府办公室", "人民政府办公厅", "人民政府", "管理委员会", "委员会", "办公室", "办公厅",
                  "管委会", "政府", "局", "厅", "委", "办", "院", "署", "中心", "所", "站", "队", "处",
                  "馆", "部", "会", "实验区", "新区", "开发区", "街道", "镇", "乡", "区", "县", "市", "州",
                  "旗", "盟"]

#: Common abbreviations of organ names on report titles, expanded to the full name.
ORGAN_ABBREVIATIONS = {
    "科委": "科学技术委员会",
    "发改委": "发展和改革委员会",
    "卫健委": "卫生健康委员会",
    "经信委": "经济和信息化委员会",
    "教委": "教育委员会",
    "住建委": "住房和城乡建设委员会",
    "国资委": "国有资产监督管理委员会",
    "民宗委": "民族宗教事务委员会",
    "商委": "商务委员会",
    "农委": "农业农村委员会",
    "人社局": "人力资源和社会保障局",
    "住建局": "住房和城乡建设局",
    "发改局": "发展和改革局",
    "市监局": "市场监督管理局",
    "卫健局": "卫生健康局",
    "政府办": "人民政府办公室",
}

#: Province-level divisions by the first two digits of the 6-digit 行政区划代码.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

# --- Standard labels (the codebook) --------------------------------------------------------

#: The tables' standard titles and, per table, each row's and column's standard label as the
#: national templates print them (the codebook shipped with every export is built from these).
TABLE_TITLES = {
    "active_disclosure": "二、主动公开政府信息情况",
    "applications": "三、收到和处理政府信息公开申请情况",
    "review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
}
ROW_TITLES = {
    "active_disclosure": {
        "regulations": "规章", "normative_documents": "行政规范性文件",
        "administrative_license": "行政许可", "other_management_services": "其他对外管理服务事项",
        "administrative_penalty": "行政处罚", "administrative_coercion": "行政强制",
        "administrative_fees": "行政事业性收费", "centralized_procurement": "政府集中采购",
    },
    "applications": {
        "new_received": "一、本年新收政府信息公开申请数量",
        "carried_over": "二、上年结转政府信息公开申请数量",
        "granted": "三、本年度办理结果 (一)予以公开",
        "partially_granted": "(二)部分公开（区分处理的，只计这一情形，不计其他情形）",
        "denied_state_secret": "(三)不予公开 1.属于国家秘密",
        "denied_prohibited_by_law": "(三)不予公开 2.其他法律行政法规禁止公开",
        "denied_security_stability": "(三)不予公开 3.危及“三安全一稳定”",
        "denied_third_party": "(三)不予公开 4.保护第三方合法权益",
        "denied_internal_affairs": "(三)不予公开 5.属于三类内部事务信息",
        "denied_process_info": "(三)不予公开 6.属于四类过程性信息",
        "denied_enforcement_files": "(三)不予公开 7.属于行政执法案卷",
        "denied_administrative_query": "(三)不予公开 8.属于行政查询事项",
        "unable_not_held": "(四)无法提供 1.本机关不掌握相关政府信息",
        "unable_needs_creation": "(四)无法提供 2.没有现成信息需要另行制作",
        "unable_unclear": "(四)无法提供 3.补正后申请内容仍不明确",
        "not_processed_petition": "(五)不予处理 1.信访举报投诉类申请",
        "not_processed_duplicate": "(五)不予处理 2.重复申请",
        "not_processed_publication": "(五)不予处理 3.要求提供公开出版物",
        "not_processed_excessive": "(五)不予处理 4.无正当理由大量反复申请",
        "not_processed_confirmation": "(五)不予处理 5.要求行政机关确认或重新出具已获取信息",
        "other_no_correction": "(六)其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "other_unpaid_fee": "(六)其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "other_other": "(六)其他处理 3.其他",
        "other_handling": "(六)其他处理",
        "total_processed": "(七)总计",
        "carried_forward": "四、结转下年度继续办理",
    },
    "review_litigation": {
        "review": "行政复议", "litigation_direct": "行政诉讼 未经复议直接起诉",
        "litigation_after_review": "行政诉讼 复议后起诉",
    },
}
COLUMN_TITLES = {
    "active_disclosure": {
        "issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
        "decisions": "本年处理决定数量", "amount_10k_yuan": "本年收费金额（单位：万元）",
        "new_made": "本年新制作数量", "new_published": "本年新公开数量",
        "total_published": "对外公开总数量", "last_year_items": "上一年项目数量",
        "change": "本年增/减", "projects": "采购项目数量",
    },
    "applications": {
        "natural_person": "申请人情况 自然人", "commercial_enterprise": "法人或其他组织 商业企业",
        "research_institution": "法人或其他组织 科研机构",
        "social_welfare_org": "法人或其他组织 社会公益组织",
        "legal_service_org": "法人或其他组织 法律服务机构", "other_org": "法人或其他组织 其他",
        "total": "总计",
    },
    "review_litigation": {
        "upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结",
        "total": "总计",
    },
}
#: Cells whose column label differs from their column's usual one.
CELL_TITLES = {"active_disclosure.centralized_procurement.amount_10k_yuan": "采购总金额（万元）"}
