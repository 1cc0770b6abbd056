"""Characters that make what is stored differ from what a page or an export shows — one rule for every input.

Refused in names, codes and every other one-line value (forms, API, imports, the reconcile list, CLI options):

* C0 and C1 control characters and DEL (U+0000 NUL, U+0007 BEL …);
* bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069):
  "‮moc.elgoog" shows reversed;
* zero-width characters (U+200B–U+200D, U+2060, U+FEFF): invisible, they make two names that look the same
  differ, so a duplicate would go unnoticed and a search would miss the record;
* in one-line values also tab, line feed and carriage return.

Free text (a form's text area: notes, business scope, reasons) keeps tab and line breaks; the other
characters above are removed from it with a visible warning (``strip``) instead of refusing the page.
The API and imports have no place for a warning, so they refuse (``problem``), naming the field or column.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
_LINES = "\t\n\r"

UNSAFE = re.compile(f"[{_CONTROLS}{_BIDI}{_ZERO_WIDTH}]")                  # free text
UNSAFE_LINE = re.compile(f"[{_CONTROLS}{_BIDI}{_ZERO_WIDTH}{_LINES}]")     # a one-line value


def find(text: str, *, multiline: bool = False) -> re.Match | None:
    """The first character ``text`` may not hold, or None."""
    return (UNSAFE if multiline else UNSAFE_LINE).search(text)


def problem(text: str | None, *, multiline: bool = False) -> str | None:
    """The message for the first character ``text`` may not hold (where it is and which), or None."""
    if not text:
        return None
    bad = find(text, multiline=multiline)
    if bad is None:
        return None
    code = f"{ord(bad.group()):04X}"
    if "\n" in text[:bad.start()]:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - text.rfind("\n", 0, bad.start())
        return _("第 %(line)s 行第 %(n)s 个字符是不可见字符（U+%(code)s，控制字符、方向控制符或零宽字符），请删除后重试",
                 line=line, n=column, code=code)
    return _("第 %(n)s 个字符是不可见字符（U+%(code)s，控制字符、方向控制符或零宽字符），请删除后重试",
             n=bad.start() + 1, code=code)


def check(text: str, *, multiline: bool = False) -> str:
    """``text`` itself, or ValueError with :func:`problem`'s message."""
    message = problem(text, multiline=multiline)
    if message:
        raise ValueError(message)
    return text


def strip(text: str) -> tuple[str, int]:
    """Free text without the characters it may not hold (tab and line breaks stay), and how many went."""
    return UNSAFE.subn("", text)


def click_line(_ctx, param, value):
    """click callback: a one-line option or argument is refused with the rule's message."""
    return _click(param, value, multiline=False)


def click_text(_ctx, param, value):
    """click callback: a free-text option (a note, a reason) may hold line breaks, nothing else unsafe."""
    return _click(param, value, multiline=True)


def _click(param, value, *, multiline: bool):
    import click
    message = problem(value, multiline=multiline) if isinstance(value, str) else None
    if message:
        raise click.BadParameter(message, param=param)
    return value
