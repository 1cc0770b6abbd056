"""Talent forms: shape checks only; rules (one person per ID, dates, firms) live in the service.

ID number fields never echo what was typed back into the page (:class:`IdNumberField`).
"""
from flask_babel import lazy_gettext as _l
from core.forms import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from talent import resident_id
from talent.models import CATEGORIES, RANGES, TALENT_UNITS
from talent.service import id_message

UNIT_LABELS = {"rsj": _l("区人力社保局"), "rcb": _l("区委人才办")}


class IdNumberField(StringField):
    """A resident-ID input that is never rendered back with its value."""

    def _value(self):
        return ""


def valid_id(optional: bool = False):
    def check(form, field):
        if optional and not (field.data or "").strip():
            return
        try:
            resident_id.validate(field.data)
        except resident_id.ResidentIDError as exc:
            raise ValidationError(id_message(exc)) from None
    return check


def _category_choices():
    return [(c, _l(c)) for c in CATEGORIES]


def _unit_choices():
    return [(u, UNIT_LABELS[u]) for u in TALENT_UNITS]


class _Recognition:
    programme = StringField(_l("人才项目/计划"), validators=[Optional(), Length(max=128)])
    uscc = StringField(_l("用人单位统一社会信用代码"), validators=[DataRequired(_l("请填写用人单位的统一社会信用代码")),
                                                          Length(max=32)])
    firm_name = StringField(_l("用人单位名称（企业库中没有时填写）"), validators=[Optional(), Length(max=255)])
    recognized_on = DateField(_l("认定日期"), validators=[InputRequired(_l("请填写认定日期（YYYY-MM-DD）"))])
    support = DecimalField(_l("资助金额（万元）"), places=4,
                           validators=[Optional(), RANGES["support"].validator()])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=500)])


class TalentForm(_Recognition, FlaskForm):
    """Register a talent: the person (by ID) and one recognition."""

    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=64)])
    id_number = IdNumberField(_l("身份证号码"), validators=[DataRequired(_l("身份证号码不能为空。")), valid_id()],
                              description=_l("仅保存加密摘要与脱敏号码，不保存明文"))
    category = SelectField(_l("人才类别"), choices=_category_choices, validators=[DataRequired()])
    unit_code = SelectField(_l("登记单位"), choices=_unit_choices, validators=[DataRequired()])


class RecognitionForm(_Recognition, FlaskForm):
    version = HiddenField()


class PersonForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=64)])
    version = HiddenField()


class _Team:
    name = StringField(_l("团队名称"), validators=[DataRequired(_l("请填写团队名称")), Length(max=128)])
    uscc = StringField(_l("所在企业统一社会信用代码"), validators=[DataRequired(_l("请填写用人单位的统一社会信用代码")),
                                                         Length(max=32)])
    programme = StringField(_l("人才项目/计划"), validators=[Optional(), Length(max=128)])
    recognized_on = DateField(_l("认定日期"), validators=[InputRequired(_l("请填写认定日期（YYYY-MM-DD）"))])
    support = DecimalField(_l("资助金额（万元）"), places=4,
                           validators=[Optional(), RANGES["support"].validator()])


class TeamForm(_Team, FlaskForm):
    """Register a leading-talent team; leader and members by ID (already registered)."""

    firm_name = StringField(_l("企业名称（企业库中没有时填写）"), validators=[Optional(), Length(max=255)])
    leader_id = IdNumberField(_l("团队负责人身份证号码"), validators=[DataRequired(_l("身份证号码不能为空。")), valid_id()])
    member_ids = TextAreaField(_l("团队成员身份证号码（每行一个）"), validators=[Optional(), Length(max=20000)])
    unit_code = SelectField(_l("登记单位"), choices=_unit_choices, validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.member_ids._value = lambda: ""   # never echo ID numbers


class TeamEditForm(_Team, FlaskForm):
    """Edit a team; a blank leader ID keeps the current leader; listed IDs are added as members."""

    leader_id = IdNumberField(_l("更换负责人（身份证号码，留空则不变）"), validators=[valid_id(optional=True)])
    member_ids = TextAreaField(_l("增加团队成员（身份证号码，每行一个）"), validators=[Optional(), Length(max=20000)])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.member_ids._value = lambda: ""
