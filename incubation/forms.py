"""One form per use case. Forms check shape (presence, length, format, choices); rules live in service.py."""
from flask_babel import lazy_gettext as _l
from core.forms import FlaskForm
from wtforms import (DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from incubation.models import CARRIER_TYPES, INSTITUTION_LEVELS, LEVELS, OUTCOMES, RANGES
from registry.reference import towns


def _choices(values, blank=None):
    out = [("", blank)] if blank is not None else []
    return out + [(v, _l(v)) for v in values]


def _required(label):
    return DataRequired(message=_l("请填写%(label)s", label=label))


def _date(label, required=False):
    # InputRequired (not DataRequired) so an unparsable date keeps its "not a valid date" message.
    checks = [InputRequired(message=_l("请填写%(label)s", label=label))] if required else [Optional()]
    return DateField(label, validators=checks, render_kw={"placeholder": "YYYY-MM-DD"})


class Range(NumberRange):
    """NumberRange that stays silent when the value did not parse (the parse error says it all)."""

    def __call__(self, form, field):
        if field.data is not None:
            super().__call__(form, field)


class CarrierForm(FlaskForm):
    name = StringField(_l("载体名称"), validators=[_required(_l("载体名称")), Length(max=200)])
    carrier_type = SelectField(_l("载体类型"), choices=_choices(CARRIER_TYPES),
                               validators=[_required(_l("载体类型"))])
    level = SelectField(_l("级别"), choices=_choices(LEVELS), validators=[_required(_l("级别"))])
    operator = StringField(_l("运营主体"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=500)])
    town_code = SelectField(_l("所属镇街"), validators=[Optional()])
    area_m2 = DecimalField(_l("面积（平方米）"), places=2, validators=[Optional(), RANGES["area_m2"].validator()])
    capacity = IntegerField(_l("可容纳企业数"), validators=[Optional(), RANGES["capacity"].validator()])
    opened_on = _date(_l("启用日期"), required=True)
    recognized_on = _date(_l("认定日期"))
    closed_on = _date(_l("关闭日期"))
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.town_code.choices = [("", _l("（未填）"))] + towns()


class TenancyRegisterForm(FlaskForm):
    """Register an incubated firm; a firm not yet in the registry is created from uscc + firm_name."""

    carrier_id = SelectField(_l("载体"), coerce=int, validators=[InputRequired(message=_l("请选择载体"))])
    uscc = StringField(_l("统一社会信用代码"), validators=[_required(_l("统一社会信用代码")), Length(max=40)])
    firm_name = StringField(_l("企业名称"), validators=[Optional(), Length(max=255)],
                            description=_l("企业库中尚无该信用代码时必填，保存时同时登记该企业"))
    entered_on = _date(_l("入孵日期"), required=True)
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])


class TenancyEditForm(FlaskForm):
    entered_on = _date(_l("入孵日期"), required=True)
    left_on = _date(_l("离开日期"))
    outcome = SelectField(_l("去向"), choices=_choices(OUTCOMES, blank=_l("（在孵）")), validators=[Optional()])
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class TenancyEndForm(FlaskForm):
    """Graduate / move out / close: the outcome and the date."""

    outcome = SelectField(_l("去向"), choices=_choices(OUTCOMES), validators=[_required(_l("去向"))])
    left_on = _date(_l("离开日期"), required=True)
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])


class MakerCountForm(FlaskForm):
    year = IntegerField(_l("年份"), validators=[InputRequired(message=_l("请填写年份")),
                                               Range(min=2000, max=2100, message=_l("年份无效"))])
    makers = IntegerField(_l("创客人数"), validators=[InputRequired(message=_l("请填写创客人数")),
                                                   RANGES["makers"].validator()])


class InstitutionForm(FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[_required(_l("统一社会信用代码")), Length(max=40)])
    firm_name = StringField(_l("企业名称"), validators=[Optional(), Length(max=255)],
                            description=_l("企业库中尚无该信用代码时必填，保存时同时登记该企业"))
    name = StringField(_l("研发机构名称"), validators=[_required(_l("研发机构名称")), Length(max=200)])
    level = SelectField(_l("级别"), choices=_choices(INSTITUTION_LEVELS), validators=[_required(_l("级别"))])
    recognized_on = _date(_l("认定日期"), required=True)
    revoked_on = _date(_l("撤销日期"))


class InstitutionEditForm(FlaskForm):
    name = StringField(_l("研发机构名称"), validators=[_required(_l("研发机构名称")), Length(max=200)])
    level = SelectField(_l("级别"), choices=_choices(INSTITUTION_LEVELS), validators=[_required(_l("级别"))])
    recognized_on = _date(_l("认定日期"), required=True)
    revoked_on = _date(_l("撤销日期"))
    version = HiddenField()


class AllianceForm(FlaskForm):
    name = StringField(_l("联盟名称"), validators=[_required(_l("联盟名称")), Length(max=200)])
    founded_on = _date(_l("成立日期"), required=True)
    sector = StringField(_l("产业领域"), validators=[Optional(), Length(max=100)])
    lead_uscc = StringField(_l("牵头企业信用代码"), validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])


class AllianceMemberForm(FlaskForm):
    uscc = StringField(_l("成员企业信用代码"), validators=[_required(_l("成员企业信用代码")), Length(max=40)])
    joined_on = _date(_l("加入日期"))


class AsOfForm(FlaskForm):
    """GET form for the summary's as-of date (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    as_of = _date(_l("截至日期"))
