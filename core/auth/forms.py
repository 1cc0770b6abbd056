from flask_babel import lazy_gettext as _l
from core.forms import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=256)])


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l("当前密码"), validators=[DataRequired()])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=8, max=256)])
    confirm = PasswordField(_l("确认新密码"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("两次输入的新密码不一致"))])
