"""Finance forms: shape only (presence, length, format, choices); rules live in the service."""
from flask_babel import lazy_gettext as _l
from core.forms import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from finance.models import ALL_STAGES, BOARDS, CRITERION_KINDS, FINANCING_TYPES, RANGES

REQUIRED = _l("请填写此项")
BAD_DATE = _l("日期格式应为 YYYY-MM-DD")
BAD_NUMBER = _l("请填写数字")


def _required():
    return DataRequired(message=REQUIRED)


def _date(label, required=True):
    # InputRequired, not DataRequired: a malformed date says so instead of "please fill in"
    return DateField(label, validators=[InputRequired(message=REQUIRED) if required else Optional()],
                     format="%Y-%m-%d",
                     render_kw={"type": "date"})


class ChineseMessages:
    """DateField/DecimalField/IntegerField parse errors in Chinese, whatever WTForms' locale."""

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for f in self:
            f.errors = [_translated(f, e) for e in f.errors]
        return ok


def _translated(field, message) -> str:
    text = str(message)
    if text.startswith("Not a valid date"):
        return str(BAD_DATE)
    if text.startswith(("Not a valid decimal", "Not a valid integer", "Not a valid float")):
        return str(BAD_NUMBER)
    return message


def _boards():
    return [(b, _l(b)) for b in BOARDS]


class CandidateForm(ChineseMessages, FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[_required(), Length(max=40)])
    firm_name = StringField(_l("企业名称"), validators=[Optional(), Length(max=255)],
                            description=_l("企业库中尚无该企业时填写，将同时登记到企业库"))
    entered_on = _date(_l("入库日期"))
    board = SelectField(_l("拟上市板块"), choices=_boards(), validators=[_required()])
    sponsor = StringField(_l("保荐机构"), validators=[Optional(), Length(max=200)])
    law_firm = StringField(_l("律师事务所"), validators=[Optional(), Length(max=200)])
    auditor = StringField(_l("会计师事务所"), validators=[Optional(), Length(max=200)])
    expected_year = IntegerField(_l("预计上市年份"), validators=[Optional(), RANGES["expected_year"].validator()])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=64)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=32), Regexp(
        r"^[0-9+\-() ]*$", message=_l("电话号码只能包含数字、空格和 + - ( )"))])
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])


class CandidateEditForm(CandidateForm):
    uscc = None
    firm_name = None
    version = HiddenField()


class StageForm(ChineseMessages, FlaskForm):
    stage = SelectField(_l("阶段"), choices=[(s, _l(s)) for s in ALL_STAGES], validators=[_required()])
    on = _date(_l("日期"))
    note = StringField(_l("说明"), validators=[Optional(), Length(max=1000)],
                       description=_l("退回较早阶段或退出时必填"))
    stock_code = StringField(_l("股票代码"), validators=[Optional(), Length(max=16)],
                             description=_l("上市时必填"))


class FinancingForm(ChineseMessages, FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[_required(), Length(max=40)])
    firm_name = StringField(_l("企业名称"), validators=[Optional(), Length(max=255)],
                            description=_l("企业库中尚无该企业时填写，将同时登记到企业库"))
    kind = SelectField(_l("融资类型"), choices=[(k, _l(k)) for k in FINANCING_TYPES], validators=[_required()])
    amount = DecimalField(_l("金额（万元）"), places=4,
                          validators=[InputRequired(message=REQUIRED), RANGES["amount"].validator()])
    on = _date(_l("日期"))
    note = StringField(_l("备注"), validators=[Optional(), Length(max=1000)])


class FinancingEditForm(FinancingForm):
    uscc = None
    firm_name = None
    version = HiddenField()


class CriterionForm(ChineseMessages, FlaskForm):
    board = SelectField(_l("拟上市板块"), choices=_boards(), validators=[_required()])
    key = StringField(_l("代码"), validators=[_required(), Length(max=48), Regexp(
        r"^[a-z0-9_]+$", message=_l("代码只能包含小写字母、数字和下划线"))])
    label = StringField(_l("名称"), validators=[_required(), Length(max=200)])
    kind = SelectField(_l("标准类型"), choices=[(k, _l(v[0])) for k, v in CRITERION_KINDS.items()],
                       validators=[_required()])
    years = IntegerField(_l("年数 N"), validators=[Optional(), RANGES["years"].validator()])
    threshold = DecimalField(_l("阈值 X（万元或 ％）"), places=4, validators=[Optional(), RANGES["threshold"].validator()])
    sort_order = IntegerField(_l("排序"), default=0, validators=[Optional(), NumberRange(0, 9999)])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=1000)])
    version = HiddenField()
