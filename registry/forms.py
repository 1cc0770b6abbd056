"""Registry forms: shape only (presence, length, format, choices); rules live in registry.service."""
from flask_babel import lazy_gettext as _l
from core.forms import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, HiddenField, IntegerField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from registry import reference
from registry.models import PARKS, PLAN_SECTORS, RANGES


def _town_choices():
    return [("", "—")] + [(code, name) for code, name in reference.towns()]


def _choices(values):
    return [("", "—")] + [(v, v) for v in values]


class FirmForm(FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请填写统一社会信用代码")), Length(max=40)])
    name = StringField(_l("企业名称"), validators=[DataRequired(_l("请填写企业名称")), Length(max=255)])
    former_names = StringField(_l("曾用名"), description=_l("多个名称用分号分隔"), validators=[Length(max=1000)])
    registered_on = DateField(_l("成立日期"), validators=[Optional()])
    firm_type = StringField(_l("企业类型"), validators=[Length(max=100)])
    legal_rep = StringField(_l("法定代表人"), validators=[Length(max=100)])
    capital = StringField(_l("注册资本"), description=_l("例如：500万元人民币、13(万美元)"), validators=[Length(max=64)])
    business_scope = TextAreaField(_l("经营范围"), validators=[Length(max=5000)])
    address = StringField(_l("注册地址"), validators=[Length(max=500)])
    town_code = SelectField(_l("所属街道/镇"), choices=[], validate_choice=True)
    park = SelectField(_l("园区/平台"), choices=_choices(PARKS))
    industry_code = StringField(_l("所属行业（GB/T 4754-2017 代码或名称）"), validators=[Length(max=100)])
    plan_sector = SelectField(_l("规划产业类别"), choices=_choices(PLAN_SECTORS))
    above_scale = BooleanField(_l("规上企业"))
    high_tech = BooleanField(_l("高新技术企业"))
    listed = BooleanField(_l("上市企业"))
    stock_code = StringField(_l("股票代码"), validators=[Length(max=16)])
    code_override_reason = TextAreaField(_l("接受未通过校验的信用代码的理由（仅管理员）"),
                                         validators=[Length(max=1000)])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.town_code.choices = _town_choices()

    def firm_fields(self) -> dict:
        """The service's keyword arguments (everything but code, override reason and version)."""
        data = {f.name: f.data for f in self if f.name not in ("uscc", "code_override_reason", "version",
                                                                  "csrf_token")}
        data["former_names"] = data.get("former_names") or ""
        return data


def _fact(field_class, label, key: str):
    """A fact's input with its plausible range (registry.models.RANGES, the service's own check)."""
    extra = {"places": 4} if field_class is DecimalField else {}
    return field_class(label, validators=[Optional(), RANGES[key].validator()], **extra)


class FactForm(FlaskForm):
    year = IntegerField(_l("年份"), validators=[InputRequired(_l("请填写年份")), RANGES["year"].validator()])
    revenue = _fact(DecimalField, _l("主营业务收入（万元）"), "revenue")
    output_value = _fact(DecimalField, _l("产值（万元）"), "output_value")
    value_added = _fact(DecimalField, _l("增加值（万元）"), "value_added")
    rd_spend = _fact(DecimalField, _l("研发经费支出（万元）"), "rd_spend")
    net_profit = _fact(DecimalField, _l("净利润（万元）"), "net_profit")
    invention_patents = _fact(IntegerField, _l("有效发明专利数（件）"), "invention_patents")
    employees = _fact(IntegerField, _l("从业人员（人）"), "employees")
    brand_output = _fact(DecimalField, _l("品牌产品产值（万元）"), "brand_output")


class EnterPoolForm(FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请填写统一社会信用代码")), Length(max=40)])
    pool_id = SelectField(_l("培育库"), coerce=int, choices=[])
    entered_on = DateField(_l("入库日期"), validators=[InputRequired(_l("请填写入库日期"))])
    reason = StringField(_l("入库理由"), validators=[Length(max=1000)])


class ExitPoolForm(FlaskForm):
    exited_on = DateField(_l("出库日期"), validators=[InputRequired(_l("请填写出库日期"))])
    reason = StringField(_l("出库原因"), validators=[Length(max=1000)])


class PoolForm(FlaskForm):
    key = StringField(_l("标识（英文）"), validators=[DataRequired(_l("请填写标识")), Length(max=48)])
    name_zh = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=100)])
    name_en = StringField(_l("英文名称"), validators=[Length(max=160)])
    description = TextAreaField(_l("说明"), validators=[Length(max=2000)])


class MergeForm(FlaskForm):
    keep_uscc = StringField(_l("保留的企业（信用代码）"), validators=[DataRequired(_l("请填写信用代码")), Length(max=40)])
    dup_uscc = StringField(_l("并入的重复企业（信用代码）"), validators=[DataRequired(_l("请填写信用代码")),
                                                                Length(max=40)])
    confirm = HiddenField()


class ReviewForm(FlaskForm):
    """Mark a firm registered by another unit as reviewed (the CSRF token only)."""


class ExportStartForm(FlaskForm):
    """Start a long firm export (a job); the list's filter comes as the list's own hidden query fields."""
