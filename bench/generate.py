"""Realistic synthetic data for the benchmarks and the load test (deterministic, seeded).

`python -m bench.generate [SIZE ...]` writes under bench/data/ (gitignored), for each size
(default 10000 and 100000):

- firms_N.csv (UTF-8 with BOM) and firms_N.xlsx — the firm-list export format of the national
  credit system / commercial databases: Chinese headers, credit codes valid per GB 32100 (region
  330212 Yinzhou; some 330204 former 江东区 and 330200 city level), registered capital in the
  real export spellings (`51.8000(万元人民币)`, `188万人民币`, `13(万美元)`, `N/A`, ...), dates in
  several spellings, GB/T 4754-2017 小类 industries, Yinzhou's streets and towns;
- members_N_<pool>.csv — 2 memberships per firm over the seeded pools (200,000 at 100,000 firms),
  some exited and re-entered;
- facts_N_<year>.csv — annual facts for above-scale, high-tech, plan-sector and a sample of firms;
- tenancies_N.csv, talents_N.csv — incubated firms and talents, in their import formats.

`seed_related(firms)` bulk-inserts everything but the firms (which go through the importer) into
the current app's database — a benchmark fixture, not a way to enter data.
"""
from __future__ import annotations

import csv
import io
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SIZES = (10_000, 100_000)
SEED = 20170414  # the plan's date

FIRM_HEADERS = ("统一社会信用代码", "企业名称", "成立日期", "注册资本", "企业类型", "经营范围", "注册地址",
                "法定代表人", "所属行业", "所属街道/镇", "园区", "产业类别", "规上", "高新技术企业", "上市",
                "股票代码")

SYLLABLES = ("华", "鑫", "瑞", "博", "宏", "恒", "盛", "达", "丰", "海", "天", "金", "银", "安", "信", "诚",
             "德", "泰", "嘉", "隆", "兴", "旺", "科", "创", "远", "航", "明", "亮", "东", "方", "甬", "鄞",
             "甬", "江", "港", "联", "合", "新", "源", "智", "通", "汇", "宇", "凯", "君", "浩", "晨", "阳",
             "永", "康", "福", "禄", "中", "大", "正", "元", "力", "美", "优", "精", "工", "捷", "奥", "立",
             "卓", "越", "展", "宸", "睿", "峰", "特", "普", "瀚", "雅", "思", "舜", "禾", "蓝", "青", "云")
INDUSTRY_WORDS = ("电子科技", "机械制造", "新材料", "汽车零部件", "智能装备", "电器", "服饰", "模具", "轴承",
                  "五金工具", "塑料制品", "精密机械", "信息技术", "软件开发", "光电科技", "医疗器械", "生物科技",
                  "贸易", "进出口", "文化传媒", "建筑工程", "物流", "检测技术", "工业设计", "环保科技",
                  "新能源", "纺织", "家居用品", "电气", "液压", "紧固件", "照明电器", "网络科技", "食品",
                  "包装材料", "化工", "金属制品", "仪器仪表", "文具", "电机")
SUFFIXES = ("有限公司",) * 8 + ("股份有限公司",) * 2
LONG_PREFIXES = ("鄞州", "东部新城", "南部商务区", "国际", "甬港")
FIRM_TYPES = ("有限责任公司(自然人投资或控股)", "有限责任公司(自然人独资)", "股份有限公司(非上市、自然人投资或控股)",
              "有限责任公司(外商投资企业法人独资)", "有限责任公司(台港澳与境内合资)", "股份有限公司(上市)",
              "有限责任公司(非自然人投资或控股的法人独资)")
SCOPES = ("一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广",
          "电子元器件制造；电子产品销售；软件开发",
          "通用设备制造（不含特种设备制造）；机械零件、零部件加工",
          "汽车零部件及配件制造；模具制造；五金产品批发",
          "服装制造；服饰制造；针纺织品销售；货物进出口；技术进出口",
          "新材料技术研发；塑料制品制造；合成材料销售",
          "家用电器制造；照明器具制造；电气设备销售")
ROADS = ("天童南路", "四明中路", "鄞州大道", "宁南南路", "首南中路", "钱湖北路", "金辉路", "东钱湖路",
         "嵩江中路", "福明路", "中兴路", "江东北路", "学士路", "贸城西路", "泰康中路", "日丽中路")
SURNAMES = "王李张陈刘杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严赖覃洪武莫孔"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文辉海波宁林斌浩宇婷雪琳鹏飞晨阳"
PARKS = ("鄞州工业园区", "鄞州经济开发区", "鄞州投资创业中心", "中车产业基地", "南部商务区", "e创意特色小镇")
PLAN_SECTORS = ("新型材料", "智能终端产品", "关键基础件", "高端电子", "信息软件", "高端汽配", "智能电器",
                "时尚服装", "高端装备")
POOLS = ("single_champion", "high_growth", "three_famous", "national_champion")
FACT_YEARS = (2022, 2023, 2024)


# The national enterprise credit system's / commercial databases' full export (企查查、天眼查 style): every column
# they give, the district's own columns after them, and the business scope (经营范围) at its real length — the
# standard wording of 《经营范围登记规范表述目录》, 8–40 items, licensed items first.
REAL_HEADERS = ("企业名称", "登记状态", "法定代表人", "注册资本", "实缴资本", "成立日期", "核准日期", "营业期限",
                "所属省份", "所属城市", "所属区县", "电话", "更多电话", "邮箱", "更多邮箱", "统一社会信用代码",
                "纳税人识别号", "注册号", "组织机构代码", "参保人数", "企业类型", "所属行业", "曾用名", "英文名",
                "网址", "企业地址", "最新年报地址", "经营范围", "所属街道/镇", "园区", "产业类别", "规上",
                "高新技术企业", "上市", "股票代码")
SCOPE_GENERAL = (
    "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广", "软件开发", "信息系统集成服务", "电子元器件制造",
    "电子元器件批发", "电子产品销售", "通用设备制造（不含特种设备制造）", "专用设备制造（不含许可类专业设备制造）",
    "机械零件、零部件加工", "机械零件、零部件销售", "汽车零部件及配件制造", "汽车零配件批发", "模具制造", "模具销售",
    "五金产品制造", "五金产品批发", "五金产品零售", "塑料制品制造", "塑料制品销售", "橡胶制品制造", "橡胶制品销售",
    "金属材料制造", "金属材料销售", "有色金属合金制造", "有色金属合金销售", "新材料技术研发", "合成材料销售",
    "家用电器制造", "家用电器销售", "照明器具制造", "照明器具销售", "电气设备销售", "电线、电缆经营",
    "服装制造", "服饰制造", "针纺织品销售", "纺织专用设备制造", "轴承制造", "轴承销售", "紧固件制造", "紧固件销售",
    "液压动力机械及元件制造", "气压动力机械及元件制造", "仪器仪表制造", "仪器仪表销售", "工业自动控制系统装置制造",
    "工业机器人制造", "工业机器人销售", "智能机器人的研发", "人工智能应用软件开发", "物联网技术服务",
    "第一类医疗器械销售", "第二类医疗器械销售", "日用百货销售", "办公用品销售", "文具用品批发", "包装材料及制品销售",
    "化工产品销售（不含许可类化工产品）", "环境保护专用设备制造", "工业设计服务", "专业设计服务", "会议及展览服务",
    "企业管理咨询", "信息咨询服务（不含许可类信息咨询服务）", "市场营销策划", "广告设计、代理", "国内贸易代理",
    "货物进出口", "技术进出口", "进出口代理", "普通货物仓储服务（不含危险化学品等需许可审批的项目）",
    "非居住房地产租赁", "住房租赁", "机械设备租赁", "新能源原动设备制造", "光伏设备及元器件制造",
    "电池制造", "电池销售", "光电子器件制造", "光电子器件销售", "计算机软硬件及辅助设备零售")
SCOPE_LICENSED = ("货物进出口", "技术进出口", "道路货物运输（不含危险货物）", "建设工程施工", "第二类医疗器械生产",
                  "食品生产", "食品销售", "危险化学品经营", "特种设备制造", "检验检测服务", "电线、电缆制造")
EXPORT_STATES = ("存续", "存续", "存续", "存续", "在业", "开业")


def _long_scope(rng: random.Random) -> str:
    general = "；".join(rng.sample(SCOPE_GENERAL, rng.randint(8, 40)))
    text = f"一般项目：{general}（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）。"
    if rng.random() < 0.35:
        licensed = "；".join(rng.sample(SCOPE_LICENSED, rng.randint(1, 4)))
        text = (f"许可项目：{licensed}（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以审批结果为准）。"
                + text)
    return text


def real_cells(f: dict, rng: random.Random) -> list[str]:
    """One firm as a row of REAL_HEADERS (the extra national-system columns filled as exports fill them)."""
    code = f["统一社会信用代码"]
    phone = f"0574-{rng.randint(55000000, 89999999)}"
    email = f"{rng.randint(10000, 99999999)}@{rng.choice(('qq.com', '163.com', '126.com'))}" if rng.random() < 0.7 else "-"
    address = f["注册地址"]
    values = {
        "登记状态": rng.choice(EXPORT_STATES), "实缴资本": "-" if rng.random() < 0.6 else f["注册资本"],
        "核准日期": f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "营业期限": f"{f['_registered'].isoformat()} 至 无固定期限", "所属省份": "浙江省", "所属城市": "宁波市",
        "所属区县": "鄞州区", "电话": phone,
        "更多电话": "；".join(f"1{rng.randint(3000000000, 9999999999)}" for _ in range(rng.randint(0, 3))) or "-",
        "邮箱": email, "更多邮箱": "-", "纳税人识别号": code, "注册号": f"330212{rng.randint(0, 10**9 - 1):09d}",
        "组织机构代码": f"{code[8:16]}-{code[16]}", "参保人数": str(rng.choice((0, 0, 1, 3, 5, 12, 25, 60, 180, 450))),
        "曾用名": "", "英文名": "-" if rng.random() < 0.8 else "Ningbo Co., Ltd.",
        "网址": "-" if rng.random() < 0.85 else f"www.nb{rng.randint(1000, 99999)}.com", "企业地址": address,
        "最新年报地址": address, "经营范围": _long_scope(rng),
    }
    return [values[h] if h in values else f[h] for h in REAL_HEADERS]


def _capital(rng: random.Random) -> str:
    """Registered capital in the spellings seen in real exports."""
    amount = rng.choice((10, 50, 100, 188, 200, 300, 500, 508, 1000, 2000, 5000, 6000, 12000))
    roll = rng.random()
    if roll < 0.30:
        return f"{amount + rng.choice((0, 0.5, 0.8)):.4f}(万元人民币)"
    if roll < 0.55:
        return f"{amount}万元人民币"
    if roll < 0.70:
        return f"{amount}万人民币"
    if roll < 0.82:
        return f"{amount}(万)"
    if roll < 0.87:
        return f"{max(1, amount // 40)}(万美元)"
    if roll < 0.90:
        return f"{amount:,}(万香港元)"
    if roll < 0.92:
        return f"{amount * 15}(万日元)"
    if roll < 0.96:
        return "N/A"
    return "-"


def _date_text(rng: random.Random, day: date) -> str:
    roll = rng.random()
    if roll < 0.75:
        return day.isoformat()
    if roll < 0.88:
        return f"{day.year}/{day.month}/{day.day}"
    return f"{day.year}年{day.month}月{day.day}日"


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def firms(n: int, seed: int = SEED) -> list[dict]:
    """n firms as dicts: the export's Chinese headers (cell text) plus `_`-prefixed typed fields."""
    from registry import reference, uscc
    rng = random.Random(seed)
    industries = reference.industries(level=4)
    manufacturing = [r for r in industries if r["section"] == "C"]
    towns = [name for _code, name in reference.towns()]
    codes, names, out = set(), set(), []
    while len(out) < n:
        region = rng.choices(("330212", "330204", "330200"), weights=(85, 12, 3))[0]
        code = uscc.generate("9", "1", region, rng=rng, org_prefix="MA2" if rng.random() < 0.6 else "")
        if code in codes or not uscc.is_valid(code):
            # is_valid: registry.uscc flags valid codes shaped like "913302049594720E24" as
            # Excel scientific notation; such firms are left out so the import is not refused.
            continue
        brand = rng.choice(SYLLABLES) + rng.choice(SYLLABLES)
        word = rng.choice(INDUSTRY_WORDS)
        if rng.random() < 0.15:
            name = f"宁波{rng.choice(LONG_PREFIXES)}{brand}{rng.choice(SYLLABLES)}{word}{rng.choice(INDUSTRY_WORDS)}" \
                   f"{rng.choice(SUFFIXES)}"
        else:
            name = f"宁波{brand}{word}{rng.choice(SUFFIXES)}"
        if name in names:
            name = name.replace("宁波", "宁波" + rng.choice(SYLLABLES), 1)
            if name in names:
                continue
        codes.add(code)
        names.add(name)
        ind = rng.choice(manufacturing) if rng.random() < 0.45 else rng.choice(industries)
        industry_cell = f"{ind['code']} {ind['name']}" if rng.random() < 0.7 else ind["name"]
        town = rng.choice(towns)
        town_cell = town if rng.random() < 0.8 else "鄞州区" + town
        above = ind["section"] == "C" and rng.random() < 0.05
        high_tech = rng.random() < (0.25 if above else 0.03)
        listed = above and rng.random() < 0.04
        sector = rng.choice(PLAN_SECTORS) if (above or rng.random() < 0.05) else ""
        registered = _day(rng, date(1995, 1, 1), date(2025, 6, 30))
        out.append({
            "统一社会信用代码": code, "企业名称": name, "成立日期": _date_text(rng, registered),
            "注册资本": _capital(rng), "企业类型": rng.choice(FIRM_TYPES), "经营范围": rng.choice(SCOPES),
            "注册地址": f"浙江省宁波市鄞州区{town}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
            "法定代表人": _person_name(rng), "所属行业": industry_cell, "所属街道/镇": town_cell,
            "园区": rng.choice(PARKS) if rng.random() < 0.3 else "", "产业类别": sector,
            "规上": "是" if above else "否", "高新技术企业": "是" if high_tech else "否",
            "上市": "是" if listed else "否",
            "股票代码": f"{rng.choice(('600', '601', '603', '002', '300', '688'))}{rng.randint(0, 999):03d}"
                    if listed else "",
            "_industry": ind["code"], "_above": above, "_high_tech": high_tech, "_sector": sector,
            "_registered": registered,
        })
    return out


def memberships(firm_rows: list[dict], seed: int = SEED) -> list[dict]:
    """Two memberships per firm: two pools, or one pool left and re-entered."""
    rng = random.Random(seed + 1)
    out = []
    for f in firm_rows:
        code, name = f["统一社会信用代码"], f["企业名称"]
        first = max(f["_registered"], date(2015, 1, 1))
        if rng.random() < 0.7:
            for pool in rng.sample(POOLS, 2):
                entered = _day(rng, first, date(2025, 12, 31)) if first < date(2025, 12, 31) else first
                exited = _day(rng, entered, entered + timedelta(days=1500)) if rng.random() < 0.25 else None
                out.append({"pool": pool, "uscc": code, "firm_name": name, "entered_on": entered,
                            "exited_on": exited, "reason": "年度认定"})
        else:
            pool = rng.choice(POOLS)
            entered = _day(rng, first, first + timedelta(days=900))
            exited = entered + timedelta(days=rng.randint(30, 700))
            again = exited + timedelta(days=rng.randint(1, 400))
            out.append({"pool": pool, "uscc": code, "firm_name": name, "entered_on": entered,
                        "exited_on": exited, "reason": "年度认定"})
            out.append({"pool": pool, "uscc": code, "firm_name": name, "entered_on": again,
                        "exited_on": None, "reason": "重新入库"})
    return out


def facts(firm_rows: list[dict], seed: int = SEED) -> list[dict]:
    rng = random.Random(seed + 2)
    out = []
    for f in firm_rows:
        if not (f["_above"] or f["_high_tech"] or f["_sector"] or rng.random() < 0.03):
            continue
        revenue = Decimal(rng.randint(2_000, 500_000))
        for year in FACT_YEARS:
            revenue = (revenue * Decimal(rng.uniform(0.9, 1.25))).quantize(Decimal("0.01"))
            output = (revenue * Decimal(rng.uniform(0.9, 1.1))).quantize(Decimal("0.01"))
            out.append({"uscc": f["统一社会信用代码"], "firm_name": f["企业名称"], "year": year,
                        "revenue": revenue, "output_value": output,
                        "value_added": (output * Decimal(rng.uniform(0.15, 0.3))).quantize(Decimal("0.01")),
                        "rd_spend": (revenue * Decimal(rng.uniform(0.01, 0.06))).quantize(Decimal("0.01")),
                        "net_profit": (revenue * Decimal(rng.uniform(-0.05, 0.12))).quantize(Decimal("0.01")),
                        "invention_patents": rng.randint(0, 40), "employees": rng.randint(20, 3000),
                        "brand_output": (output * Decimal(rng.uniform(0, 0.4))).quantize(Decimal("0.01"))})
    return out


def carriers(n_firms: int, seed: int = SEED) -> list[dict]:
    from registry import reference
    rng = random.Random(seed + 3)
    towns = [code for code, _name in reference.towns()]
    types = ("众创空间",) * 5 + ("孵化器",) * 3 + ("加速器", "双创基地/产业园", "高端科创平台")
    out = []
    for i in range(max(20, n_firms // 700)):
        ctype = rng.choice(types)
        opened = _day(rng, date(2012, 1, 1), date(2024, 12, 31))
        out.append({"name": f"鄞州{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}{ctype.split('/')[0]}{i + 1:03d}",
                    "carrier_type": ctype, "level": rng.choice(("国家级", "省级", "市级", "区级")),
                    "operator": "宁波" + rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + "科技服务有限公司",
                    "town_code": rng.choice(towns), "area_m2": Decimal(rng.randint(800, 40_000)),
                    "capacity": rng.randint(20, 200), "opened_on": opened,
                    "recognized_on": opened + timedelta(days=rng.randint(30, 400)) if rng.random() < 0.8 else None,
                    "closed_on": _day(rng, opened, date(2026, 1, 1)) if rng.random() < 0.1 else None,
                    "makers": {y: rng.randint(20, 400) for y in range(max(2017, opened.year), 2026)}})
    return out


def tenancies(firm_rows: list[dict], carrier_rows: list[dict], seed: int = SEED) -> list[dict]:
    rng = random.Random(seed + 4)
    out = []
    for f in rng.sample(firm_rows, len(firm_rows) // 5):
        c = rng.choice(carrier_rows)
        entered = _day(rng, max(c["opened_on"], date(2015, 1, 1)), date(2025, 12, 31))
        left = entered + timedelta(days=rng.randint(60, 1500)) if rng.random() < 0.4 else None
        out.append({"uscc": f["统一社会信用代码"], "firm_name": f["企业名称"], "carrier": c["name"],
                    "entered_on": entered, "left_on": left,
                    "outcome": rng.choice(("毕业", "迁出", "注销")) if left else None})
    return out


def talents(firm_rows: list[dict], seed: int = SEED) -> list[dict]:
    from talent import resident_id
    rng = random.Random(seed + 5)
    categories = ("领军人才", "千人计划专家", "智造创客", "高技能人才", "经营管理人才")
    out, seen = [], set()
    for i, f in enumerate(rng.sample(firm_rows, max(50, len(firm_rows) // 20))):
        birth = _day(rng, date(1960, 1, 1), date(1998, 12, 31))
        number = resident_id.generate(rng.choice(("330212", "330204", "330203", "330106")), birth, i % 1000)
        if number in seen:
            continue
        seen.add(number)
        category = rng.choices(categories, weights=(3, 2, 40, 35, 20))[0]
        out.append({"name": _person_name(rng), "id_number": number, "category": category,
                    "uscc": f["统一社会信用代码"], "firm_name": f["企业名称"],
                    "recognized_on": _day(rng, date(2015, 1, 1), date(2025, 12, 31)),
                    "support": Decimal(rng.choice((0, 20, 50, 100, 300))) if category in categories[:2] else None,
                    "programme": "鄞州区“创业鄞州·精英引领”计划" if category in categories[:2] else "",
                    "unit_code": rng.choice(("rsj", "rcb"))})
    return out


# ----------------------------------------------------------------------------- files

def _csv_bytes(headers, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def firm_cells(f: dict) -> list[str]:
    return [f[h] for h in FIRM_HEADERS]


def write_files(n: int, *, xlsx: bool = True, quiet: bool = False) -> dict:
    """Write the data set of size n under bench/data/ (skips files that exist). Returns the paths."""
    from core.tabular import write_xlsx
    DATA.mkdir(parents=True, exist_ok=True)
    paths = {"firms_csv": DATA / f"firms_{n}.csv", "firms_xlsx": DATA / f"firms_{n}.xlsx",
             "firms_real_csv": DATA / f"firms_real_{n}.csv",
             "tenancies": DATA / f"tenancies_{n}.csv", "talents": DATA / f"talents_{n}.csv"}
    paths.update({f"members_{p}": DATA / f"members_{n}_{p}.csv" for p in POOLS})
    paths.update({f"facts_{y}": DATA / f"facts_{n}_{y}.csv" for y in FACT_YEARS})
    wanted = [k for k, p in paths.items() if not p.exists() and (xlsx or k != "firms_xlsx")]
    if not wanted:
        return paths
    t0 = time.perf_counter()
    rows = firms(n)
    if not paths["firms_csv"].exists():
        paths["firms_csv"].write_bytes(_csv_bytes(FIRM_HEADERS, (firm_cells(f) for f in rows)))
    if not paths["firms_real_csv"].exists():
        rng = random.Random(SEED + 7)
        paths["firms_real_csv"].write_bytes(_csv_bytes(REAL_HEADERS, (real_cells(f, rng) for f in rows)))
    if xlsx and not paths["firms_xlsx"].exists():
        paths["firms_xlsx"].write_bytes(write_xlsx(FIRM_HEADERS, (firm_cells(f) for f in rows),
                                                   sheet_name="企业名单", column_types={0: "text"}))
    members = memberships(rows)
    for pool in POOLS:
        paths[f"members_{pool}"].write_bytes(_csv_bytes(
            ("统一社会信用代码", "企业名称", "入库日期", "出库日期", "入库理由"),
            ([m["uscc"], m["firm_name"], _cell(m["entered_on"]), _cell(m["exited_on"]), m["reason"]]
             for m in members if m["pool"] == pool)))
    fact_rows = facts(rows)
    keys = ("revenue", "output_value", "value_added", "rd_spend", "net_profit", "invention_patents",
            "employees", "brand_output")
    for year in FACT_YEARS:
        paths[f"facts_{year}"].write_bytes(_csv_bytes(
            ("统一社会信用代码", "企业名称", "主营业务收入", "产值", "增加值", "研发经费支出", "净利润",
             "有效发明专利数", "从业人员", "品牌产品产值"),
            ([x["uscc"], x["firm_name"], *(_cell(x[k]) for k in keys)] for x in fact_rows if x["year"] == year)))
    carrier_rows = carriers(n)
    paths["tenancies"].write_bytes(_csv_bytes(
        ("统一社会信用代码", "企业名称", "载体名称", "入孵日期", "离开日期", "去向"),
        ([t["uscc"], t["firm_name"], t["carrier"], _cell(t["entered_on"]), _cell(t["left_on"]), _cell(t["outcome"])]
         for t in tenancies(rows, carrier_rows))))
    paths["talents"].write_bytes(_csv_bytes(
        ("姓名", "身份证号码", "人才类别", "统一社会信用代码", "用人单位", "认定日期", "资助金额（万元）", "人才项目",
         "登记单位"),
        ([t["name"], t["id_number"], t["category"], t["uscc"], t["firm_name"], _cell(t["recognized_on"]),
          _cell(t["support"]), t["programme"], t["unit_code"]] for t in talents(rows))))
    if not quiet:
        print(f"generated {n:,} firms' data in {time.perf_counter() - t0:.1f} s under {DATA}", file=sys.stderr)
    return paths


# ----------------------------------------------------------------------------- database seeding

def _chunks(rows, size=5000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _insert(table, rows) -> None:
    from core.db import db
    for chunk in _chunks(rows):
        db.session.execute(table.insert(), chunk)


def bulk_firms(n: int) -> int:
    """Bulk-insert the n firms with the columns the importer would store (used when the timed import
    was stopped, so the roll-up and search benchmarks still run at n firms). Commits."""
    from core.db import db
    from core.pinyin import sort_key
    from registry import reference
    from registry.capital import parse_capital
    from registry.models import Firm
    out = []
    for f in firms(n):
        cap = parse_capital(f["注册资本"])
        out.append({"uscc": f["统一社会信用代码"], "name": f["企业名称"], "name_sort": sort_key(f["企业名称"]),
                    "registered_on": f["_registered"], "firm_type": f["企业类型"], "legal_rep": f["法定代表人"],
                    "capital_amount": cap.amount if cap else None, "capital_currency": cap.currency if cap else None,
                    "capital_raw": f["注册资本"], "business_scope": f["经营范围"], "address": f["注册地址"],
                    "town_code": reference.town_by_name(f["所属街道/镇"])[0], "park": f["园区"] or None,
                    "industry_code": f["_industry"], "plan_sector": f["_sector"] or None,
                    "above_scale": f["_above"], "high_tech": f["_high_tech"], "listed": f["上市"] == "是",
                    "stock_code": f["股票代码"] or None, "version": 1})
    _insert(Firm.__table__, out)
    db.session.commit()
    return len(out)


def seed_related(n: int) -> dict:
    """Bulk-insert pools memberships, facts, carriers, tenancies, R&D institutions, alliances, talents,
    pre-IPO candidates and financing events for the firms of size n already in the database.

    Runs in the current app context and commits. Returns the row counts.
    """
    import hashlib
    import hmac

    from flask import current_app
    from sqlalchemy import select

    from core.db import db
    from finance.models import FinancingEvent, IpoCandidate, IpoStage
    from incubation.models import Alliance, AllianceMember, Carrier, MakerCount, RDInstitution, Tenancy
    from registry.models import Firm, FirmFact, Pool, PoolMembership
    from talent.models import Person, Recognition, Team
    from talent.resident_id import mask

    rows = firms(n)
    ids = dict(db.session.execute(select(Firm.uscc, Firm.id)).all())
    pools = dict(db.session.execute(select(Pool.key, Pool.id)).all())
    now = date.today()
    counts = {}

    members = [{"pool_id": pools[m["pool"]], "firm_id": ids[m["uscc"]], "entered_on": m["entered_on"],
                "exited_on": m["exited_on"], "reason": m["reason"], "exit_reason": "", "version": 1}
               for m in memberships(rows) if m["pool"] in pools and m["uscc"] in ids]
    _insert(PoolMembership.__table__, members)
    counts["memberships"] = len(members)

    fact_rows = [{k: v for k, v in x.items() if k not in ("uscc", "firm_name")} | {"firm_id": ids[x["uscc"]],
                                                                                  "version": 1}
                 for x in facts(rows) if x["uscc"] in ids]
    _insert(FirmFact.__table__, fact_rows)
    counts["facts"] = len(fact_rows)

    carrier_rows = carriers(n)
    _insert(Carrier.__table__, [{k: v for k, v in c.items() if k != "makers"} | {"version": 1, "note": ""}
                                for c in carrier_rows])
    carrier_ids = dict(db.session.execute(select(Carrier.name, Carrier.id)).all())
    _insert(MakerCount.__table__, [{"carrier_id": carrier_ids[c["name"]], "year": y, "makers": m, "version": 1}
                                   for c in carrier_rows for y, m in c["makers"].items()])
    ten = [{"firm_id": ids[t["uscc"]], "carrier_id": carrier_ids[t["carrier"]], "entered_on": t["entered_on"],
            "left_on": t["left_on"], "outcome": t["outcome"], "note": "", "version": 1}
           for t in tenancies(rows, carrier_rows) if t["uscc"] in ids]
    _insert(Tenancy.__table__, ten)
    counts["carriers"], counts["tenancies"] = len(carrier_rows), len(ten)

    rng = random.Random(SEED + 6)
    firm_ids = list(ids.values())
    levels = ("国家级", "省级重点企业研究院", "省级", "市级", "区级")
    inst = [{"firm_id": rng.choice(firm_ids), "name": f"研发中心{i + 1:04d}", "level": rng.choice(levels),
             "recognized_on": _day(rng, date(2010, 1, 1), date(2025, 12, 31)),
             "revoked_on": None, "version": 1} for i in range(max(40, n // 250))]
    _insert(RDInstitution.__table__, inst)
    alliances = [{"name": f"鄞州{s}产业技术创新联盟", "founded_on": _day(rng, date(2014, 1, 1), date(2025, 12, 31)),
                  "lead_firm_id": rng.choice(firm_ids), "sector": s, "note": "", "version": 1}
                 for s in PLAN_SECTORS]
    _insert(Alliance.__table__, alliances)
    alliance_ids = list(db.session.scalars(select(Alliance.id)))
    _insert(AllianceMember.__table__, [{"alliance_id": a, "firm_id": f, "joined_on": None}
                                       for a in alliance_ids for f in rng.sample(firm_ids, 15)])
    counts["rd_institutions"], counts["alliances"] = len(inst), len(alliances)

    key = str(current_app.config["PII_HASH_KEY"]).encode()
    people = talents(rows)
    persons = [{"name": t["name"], "id_hash": hmac.new(key, t["id_number"].encode(), hashlib.sha256).hexdigest(),
                "id_masked": mask(t["id_number"]), "birth_year": int(t["id_number"][6:10]),
                "sex": "M" if int(t["id_number"][16]) % 2 else "F", "version": 1} for t in people]
    _insert(Person.__table__, persons)
    person_ids = dict(db.session.execute(select(Person.id_hash, Person.id)).all())
    recs = [{"person_id": person_ids[p["id_hash"]], "category": t["category"], "programme": t["programme"],
             "firm_id": ids[t["uscc"]], "recognized_on": t["recognized_on"], "support": t["support"],
             "unit_code": t["unit_code"], "note": "", "version": 1}
            for p, t in zip(persons, people) if t["uscc"] in ids]
    _insert(Recognition.__table__, recs)
    leaders = [r for r in recs if r["category"] == "领军人才"][:40]
    _insert(Team.__table__, [{"name": f"领军人才团队{i + 1:03d}", "leader_id": r["person_id"], "firm_id": r["firm_id"],
                              "programme": r["programme"], "recognized_on": r["recognized_on"],
                              "support": Decimal(200), "unit_code": r["unit_code"], "version": 1}
                             for i, r in enumerate(leaders)])
    counts["persons"], counts["recognitions"] = len(persons), len(recs)

    cands = []
    for fid in rng.sample(firm_ids, max(30, n // 700)):
        entered = _day(rng, date(2016, 1, 1), date(2025, 6, 30))
        closed = entered + timedelta(days=rng.randint(300, 1500)) if rng.random() < 0.2 else None
        cands.append({"firm_id": fid, "entered_on": entered, "board": rng.choice(("沪深主板", "创业板", "科创板")),
                      "sponsor": "", "law_firm": "", "auditor": "", "expected_year": entered.year + 3,
                      "contact_name": "", "contact_phone": "", "note": "",
                      "current_stage": "上市" if closed else "入库", "current_stage_on": closed or entered,
                      "closed_on": closed, "version": 1})
    _insert(IpoCandidate.__table__, cands)
    cand_rows = db.session.execute(select(IpoCandidate.id, IpoCandidate.entered_on, IpoCandidate.closed_on)).all()
    stages = [{"candidate_id": cid, "stage": "入库", "on": e, "note": ""} for cid, e, _c in cand_rows]
    stages += [{"candidate_id": cid, "stage": "上市", "on": c, "note": ""} for cid, _e, c in cand_rows if c]
    _insert(IpoStage.__table__, [{"candidate_id": s["candidate_id"], "stage": s["stage"], "stage_on": s["on"],
                                  "note": ""} for s in stages])
    events = [{"firm_id": rng.choice(firm_ids), "kind": rng.choice(("IPO", "再融资", "公司债", "短期融资券", "中期票据")),
               "amount": Decimal(rng.randint(1000, 200_000)),
               "event_on": _day(rng, date(2017, 1, 1), min(now, date(2025, 12, 31))), "note": "", "version": 1}
              for _ in range(max(30, n // 300))]
    _insert(FinancingEvent.__table__, events)
    counts["ipo_candidates"], counts["financing_events"] = len(cands), len(events)
    db.session.commit()
    analyze()
    return counts


def analyze() -> None:
    """Fresh planner statistics after a bulk seed, as a deployment has them: on SQLite what an import of
    that size runs on commit and the nightly statistics job (core.db.refresh_statistics); on PostgreSQL
    what autovacuum would do within a minute or so. Without them SQLite walks 100,000 firms by the
    archived_at index for a search that has one match (measured: 80 ms against 7 ms). On PostgreSQL
    VACUUM ANALYZE, as autovacuum does after a large insert: without the visibility map an index-only scan
    of the search's grams fetched every heap page (241 ms against 2 ms for 14,000 matches)."""
    from core.db import db, refresh_statistics
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        refresh_statistics()


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or list(SIZES)
    from composition import create_app
    app = create_app({"LOG_LEVEL": "WARNING"})
    with app.app_context():
        for n in sizes:
            for name, path in write_files(n).items():
                print(f"{name:28s} {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
