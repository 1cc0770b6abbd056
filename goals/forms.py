"""Forms of goals/: shape only; the rules are in goals.service."""
from flask_babel import lazy_gettext as _l
from core.forms import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class ReportForm(FlaskForm):
    period = StringField(_l("填报期"), validators=[DataRequired(_l("请填写填报期")), Length(max=8)],
                         description=_l("年度如 2019，季度如 2019-Q2"))
    value = StringField(_l("数值"), validators=[DataRequired(_l("请填写数值")), Length(max=32)])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    evidence = FileField(_l("佐证材料"))
    draft = BooleanField(_l("仅保存草稿，暂不提交"))


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("退回原因"), validators=[Optional(), Length(max=2000)])


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("重新开放原因"), validators=[DataRequired(_l("请填写原因")), Length(max=2000)])


class TargetForm(FlaskForm):
    value = StringField(_l("目标值"), validators=[DataRequired(_l("请填写目标值")), Length(max=32)])
    value_max = StringField(_l("目标上限（区间目标）"), validators=[Optional(), Length(max=32)])
    note = StringField(_l("修改说明"), validators=[Optional(), Length(max=500)])
    version = HiddenField()


class YearTargetForm(FlaskForm):
    year = StringField(_l("年份"), validators=[DataRequired(_l("请填写年份，如 2018")), Length(max=8)])
    value = StringField(_l("目标值"), validators=[DataRequired(_l("请填写目标值")), Length(max=32)])
    value_max = StringField(_l("目标上限（区间目标，可不填）"), validators=[Optional(), Length(max=32)])
    note = StringField(_l("设定说明"), validators=[Optional(), Length(max=500)])


class ThresholdForm(FlaskForm):
    min_ratio = StringField(_l("阈值（1 = 100%）"), validators=[DataRequired(_l("请填写阈值")), Length(max=16)])


class EmptyForm(FlaskForm):
    """CSRF-only form for buttons (mark read, run job)."""


class DayField(DateField):
    """A YYYY-MM-DD date whose format error reads as a sentence, not as the library's English."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("日期格式应为 YYYY-MM-DD，例如 2018-12-31")) from None


class PeriodCloseForm(FlaskForm):
    day = DayField(_l("关账日期"), validators=[InputRequired(_l("请填写关账日期（年末或季末）"))],
                    description=_l("年末如 2018-12-31；也可按季度关账，如 2019-06-30"))
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])


class PeriodReopenForm(FlaskForm):
    reason = TextAreaField(_l("重新开放原因"), validators=[DataRequired(_l("请填写原因")), Length(max=2000)])


class CommentForm(FlaskForm):
    period = StringField(_l("分析期"), validators=[DataRequired(_l("请填写填报期")), Length(max=8)],
                         description=_l("年度如 2019，季度如 2019-Q2"))
    text = TextAreaField(_l("分析与建议"), validators=[DataRequired(_l("请填写分析与建议")), Length(max=4000)])
    version = HiddenField()
    # the responsible unit the analysis is written for: shown to an admin (who writes for any of them)
    unit = SelectField(_l("责任单位"), choices=[], validate_choice=True)
