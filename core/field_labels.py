"""Names for people of the record fields and audit actions shown on a record's history page (no raw keys).

`field_label("uscc")` → "统一社会信用代码" ("Credit code" in English); `action_label("registry.firm.update")`
→ "修改". A field without a label here is shown as the words of its name, never as the key itself.
"""
from flask_babel import get_locale

FIELDS: dict[str, tuple[str, str]] = {
    "name": ("名称", "Name"), "uscc": ("统一社会信用代码", "Credit code"), "town_code": ("所属镇街", "Town"),
    "park": ("园区", "Park"), "industry_code": ("行业代码", "Industry code"), "plan_sector": ("方案产业领域", "Plan sector"),
    "above_scale": ("规模以上", "Above designated size"), "high_tech": ("高新技术企业", "High-tech enterprise"),
    "listed": ("已上市", "Listed"), "needs_review": ("待核对", "Needs review"),
    "created_by_unit": ("登记单位", "Registered by unit"), "legal_rep": ("法定代表人", "Legal representative"),
    "registered_on": ("成立日期", "Registered on"), "firm_type": ("企业类型", "Firm type"),
    "business_scope": ("经营范围", "Business scope"), "address": ("地址", "Address"),
    "capital_amount": ("注册资本", "Registered capital"), "capital_currency": ("注册资本币种", "Capital currency"),
    "capital_raw": ("注册资本（原文）", "Registered capital (as written)"), "former_names": ("曾用名", "Former names"),
    "code_override_reason": ("信用代码校验例外原因", "Credit code exception reason"),
    "merged_into_id": ("合并到", "Merged into"), "archived_at": ("归档时间", "Archived at"),
    "year": ("年度", "Year"), "revenue": ("营业收入（万元）", "Revenue (10k yuan)"),
    "output_value": ("工业总产值（万元）", "Output value (10k yuan)"), "value_added": ("工业增加值（万元）", "Value added (10k yuan)"),
    "net_profit": ("利润总额（万元）", "Profit (10k yuan)"), "rd_spend": ("研发经费（万元）", "R&D spending (10k yuan)"),
    "employees": ("从业人员", "Employees"), "invention_patents": ("有效发明专利", "Invention patents"),
    "brand_output": ("品牌产品产值（万元）", "Branded output (10k yuan)"),
    "pool_id": ("培育库", "Pool"), "firm_id": ("企业", "Firm"), "entered_on": ("进入日期", "Entered on"),
    "exited_on": ("出库日期", "Exited on"), "reason": ("理由", "Reason"), "exit_reason": ("出库原因", "Exit reason"),
    "carrier_type": ("载体类型", "Carrier type"), "level": ("级别", "Level"), "operator": ("运营主体", "Operator"),
    "area_m2": ("面积（平方米）", "Area (m²)"), "capacity": ("可容纳企业数", "Capacity"), "opened_on": ("启用日期", "Opened on"),
    "recognized_on": ("认定日期", "Recognised on"), "closed_on": ("关闭日期", "Closed on"), "note": ("备注", "Note"),
    "carrier_id": ("载体", "Carrier"), "left_on": ("离开日期", "Left on"), "outcome": ("去向", "Outcome"),
    "makers": ("创客人数", "Makers"), "revoked_on": ("撤销日期", "Revoked on"), "founded_on": ("成立日期", "Founded on"),
    "sector": ("产业领域", "Sector"), "lead_firm_id": ("牵头企业", "Lead firm"), "joined_on": ("加入日期", "Joined on"),
    "alliance_id": ("联盟", "Alliance"), "category": ("类别", "Category"), "programme": ("人才项目", "Programme"),
    "support": ("资助金额（万元）", "Support (10k yuan)"), "unit_code": ("登记单位", "Unit"),
    "person_id": ("人才", "Talent"), "leader_id": ("负责人", "Leader"), "team_id": ("团队", "Team"),
    "id_masked": ("身份证号码（脱敏）", "ID number (masked)"), "id_hash": ("身份证号码（加密）", "ID number (hashed)"),
    "birth_year": ("出生年份", "Birth year"), "sex": ("性别", "Sex"), "board": ("拟上市板块", "Board"),
    "sponsor": ("保荐机构", "Sponsor"), "law_firm": ("律师事务所", "Law firm"), "auditor": ("会计师事务所", "Auditor"),
    "expected_year": ("预计上市年份", "Expected listing year"), "contact_name": ("联系人", "Contact"),
    "contact_phone": ("联系电话", "Contact phone"), "stock_code": ("股票代码", "Stock code"),
    "current_stage": ("当前阶段", "Current stage"), "current_stage_on": ("阶段日期", "Stage date"),
    "stage": ("阶段", "Stage"), "stage_on": ("阶段日期", "Stage date"), "candidate_id": ("拟上市企业", "Candidate"),
    "kind": ("类型", "Type"), "amount": ("金额（万元）", "Amount (10k yuan)"), "on": ("日期", "Date"),
    "value": ("数值", "Value"), "value_max": ("上限", "Upper bound"), "period": ("填报期", "Period"),
    "status": ("状态", "Status"), "return_reason": ("退回原因", "Reason for return"),
    "evidence_name": ("佐证材料", "Evidence"), "threshold": ("阈值", "Threshold"), "min_ratio": ("最低比例", "Minimum ratio"),
    "comparator": ("比较方式", "Comparator"), "approximate": ("约数", "Approximate"), "old_value": ("原值", "Old value"),
    "new_value": ("新值", "New value"), "description": ("说明", "Description"), "key": ("标识", "Identifier"),
    "name_zh": ("中文名称", "Chinese name"), "name_en": ("英文名称", "English name"), "label": ("名称", "Label"),
    "role": ("角色", "Role"), "unit_id": ("单位", "Unit"), "active": ("启用", "Active"),
    "display_name": ("显示名称", "Display name"), "username": ("用户名", "User name"),
    "must_change_password": ("下次登录须改密码", "Must change password"), "locked_until": ("锁定至", "Locked until"),
    "day": ("日期", "Date"), "reopen_reason": ("重开原因", "Reason for reopening"), "source": ("来源", "Source"),
}

VERBS: dict[str, tuple[str, str]] = {
    "create": ("新建", "Created"), "update": ("修改", "Updated"), "archive": ("归档", "Archived"),
    "restore": ("恢复", "Restored"), "undo": ("撤销导入", "Import undone"), "merge": ("合并", "Merged"),
    "merged": ("被合并", "Merged into another"), "move": ("移交", "Moved"), "exit": ("出库", "Exited"),
    "review": ("核对", "Reviewed"), "stage": ("阶段变更", "Stage changed"), "revise": ("修订", "Revised"),
    "approve": ("审核通过", "Approved"), "return": ("退回", "Returned"), "submit": ("提交", "Submitted"),
    "close": ("关账", "Closed"), "reopen": ("重开", "Reopened"), "enable": ("启用", "Enabled"),
    "disable": ("停用", "Disabled"), "unlock": ("解锁", "Unlocked"), "password_set": ("设置密码", "Password set"),
    "password_reset": ("重置密码", "Password reset"), "password_change": ("修改密码", "Password changed"),
    "delete": ("删除", "Deleted"),
}


def _en() -> bool:
    return str(get_locale() or "zh") == "en"


def field_label(name: str) -> str:
    """The field's name for people (the words of the key when it has no label)."""
    pair = FIELDS.get(name)
    if pair:
        return pair[1] if _en() else pair[0]
    return name.replace("_", " ").strip().capitalize()


def action_label(action: str) -> str:
    """An audit action (`<domain>.<entity>.<verb>`) as its verb for people."""
    verb = action.rsplit(".", 1)[-1]
    pair = VERBS.get(verb)
    if pair:
        return pair[1] if _en() else pair[0]
    return verb.replace("_", " ").capitalize()
