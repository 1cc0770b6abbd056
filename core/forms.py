"""The base of every page form: flask_wtf's FlaskForm plus the one text rule (core.text).

A one-line field (a name, a code, a search, a hidden value) holding a control character, a direction override
or a zero-width character is refused with a message on the field; a text area (notes, business scope, reasons)
keeps tab and line breaks and loses the other such characters, with a warning naming the field. A text area
holding a list of names (:class:`NameListField`) is refused instead, naming the line. Passwords are left alone.
Every form of the app derives from this class (tests/core/test_unsafe_text.py checks it).
"""
from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm as _FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

from core import text as unsafe_text


class NameListField(TextAreaField):
    """A text area holding names, one a line: refused like a name (line breaks and tabs allowed)."""


class FlaskForm(_FlaskForm):
    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators=extra_validators)
        return self.check_text() and ok

    def check_text(self) -> bool:
        """Apply the text rule to every text field; False when a field was refused."""
        ok = True
        for field in self:
            if not isinstance(field, StringField) or isinstance(field, PasswordField) \
                    or not isinstance(field.data, str):
                continue
            if isinstance(field, TextAreaField) and not isinstance(field, NameListField):
                field.data, removed = unsafe_text.strip(field.data)
                if removed:
                    flash(_("“%(field)s”中的 %(n)s 个不可见字符（控制字符、方向控制符或零宽字符）已删除",
                            field=field.label.text, n=removed), "warning")
                continue
            message = unsafe_text.problem(field.data, multiline=isinstance(field, NameListField))
            if message:
                field.errors = [*field.errors, message]
                ok = False
        return ok
