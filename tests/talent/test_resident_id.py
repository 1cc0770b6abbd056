"""Tests for talent.resident_id (GB 11643-1999)."""

import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talent import resident_id as rid
from talent.resident_id import ResidentIDError
from core.dates import today as cn_today

TODAY = date(2024, 6, 1)
EXAMPLE = "11010519491231002X"  # the example number printed in GB 11643-1999


def _err(raw, today=TODAY) -> ResidentIDError:
    with pytest.raises(ResidentIDError) as info:
        rid.validate(raw, today=today)
    return info.value


def _assert_private(err: ResidentIDError, raw) -> None:
    """Messages/params must not echo the number or any long piece of it."""
    text = err.message + repr(err.params)
    norm = rid.normalize(raw)
    assert not re.search(r"\d{5,}", text)
    for run in re.findall(r"\d{4,}", norm):
        for i in range(len(run) - 3):
            piece = run[i:i + 4]
            assert piece == "1900" or piece not in text


def test_standard_example_is_valid():
    assert rid.validate(EXAMPLE, today=TODAY) == EXAMPLE
    assert rid.compute_check_digit(EXAMPLE[:17]) == "X"
    assert rid.is_valid(EXAMPLE)


def test_generate_and_helpers():
    number = rid.generate("330212", date(1990, 3, 15), 123)
    assert number.startswith("33021219900315123")
    assert rid.validate(number) == number
    assert int(number[16]) % 2 == 1 and int(rid.generate(seq=122)[16]) % 2 == 0   # odd: male, even: female


@pytest.mark.parametrize("kwargs", [
    {"region": "33021"}, {"region": "33021X"}, {"seq": 1000}, {"seq": -1}, {"birth": date(1899, 12, 31)},
])
def test_generate_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        rid.generate(**kwargs)


@pytest.mark.parametrize("raw", [
    " 11010519491231002x ", "\u300011010519491231002X\xa0", "１１０１０５１９４９１２３１００２Ｘ",
    "\u200b11010519491231002X",
])
def test_normalisation(raw):
    assert rid.normalize(raw) == EXAMPLE
    assert rid.validate(raw, today=TODAY) == EXAMPLE


@pytest.mark.parametrize("raw", ["", "  ", None, "\u3000"])
def test_empty(raw):
    assert _err(raw).code == "empty"


def test_old_15_digit_id_rejected_with_explanation():
    err = _err("110105491231002")
    assert err.code == "length"
    assert "15位" in err.message and "18位" in err.message
    _assert_private(err, "110105491231002")


@pytest.mark.parametrize("raw", [EXAMPLE[:17], EXAMPLE + "1", "1234"])
def test_wrong_length(raw):
    err = _err(raw)
    assert err.code == "length" and "18位" in err.message
    assert err.params == {"length": len(raw)}


@pytest.mark.parametrize("raw, position", [
    ("1101051949123100XX", 17), ("11010519491231002A", 18), ("1101A519491231002X", 5),
    ("110105 9491231002X", 7),
])
def test_charset(raw, position):
    err = _err(raw)
    assert err.code == "charset"
    assert f"第{position}位" in err.message
    assert err.params == {"position": position}


@pytest.mark.parametrize("prefix", ["00", "10", "16", "20", "24", "30", "38", "40", "47", "49", "55", "60",
                                    "66", "70", "72", "80", "84", "99"])
def test_bad_region(prefix):
    number = rid.generate(prefix + "0101", date(1990, 1, 1), 1)
    err = _err(number)
    assert err.code == "region"
    _assert_private(err, number)


@pytest.mark.parametrize("prefix", sorted(rid.PROVINCE_CODES))
def test_all_province_codes_accepted(prefix):
    number = rid.generate(prefix + "0101", date(1990, 1, 1), 1)
    assert rid.validate(number, today=TODAY) == number


def test_province_code_list():
    assert len(rid.PROVINCE_CODES) == 5 + 3 + 7 + 6 + 5 + 5 + 4
    assert {"33", "71", "81", "82", "83"} <= rid.PROVINCE_CODES


def _with_birth(birth8: str) -> str:
    first17 = "330212" + birth8 + "123"
    return first17 + rid.compute_check_digit(first17)


@pytest.mark.parametrize("birth8, words", [
    ("19900230", "不是有效日期"), ("19901301", "不是有效日期"), ("19900001", "不是有效日期"),
    ("20230229", "不是有效日期"), ("00000000", "不是有效日期"),
    ("18991231", "1900"), ("20240602", "晚于今天"),
])
def test_birth_date(birth8, words):
    number = _with_birth(birth8)
    err = _err(number)
    assert err.code == "birth_date" and words in err.message
    _assert_private(err, number)


def test_birth_date_edges_accepted():
    assert rid.is_valid(_with_birth("19000101"), today=TODAY)
    assert rid.is_valid(_with_birth("20240601"), today=TODAY)
    assert rid.is_valid(_with_birth("20000229"), today=TODAY)


def test_today_defaults_to_real_today():
    tomorrow = cn_today() + timedelta(days=1)
    assert not rid.is_valid(rid.generate(birth=tomorrow))
    assert rid.is_valid(rid.generate(birth=cn_today()))


def test_check_digit():
    err = _err(EXAMPLE[:17] + "1")
    assert err.code == "check_digit" and "第18位" in err.message
    _assert_private(err, EXAMPLE[:17] + "1")


def test_mask():
    assert rid.mask("33021219900101123X") == "3302**********123X"
    assert rid.mask(" 33021219900101123x ") == "3302**********123X"
    assert rid.mask("12345678") == "********"
    assert rid.mask("") == ""
    assert rid.mask(None) == ""


def test_errors_are_value_errors_with_english_messages():
    assert issubclass(ResidentIDError, ValueError)
    assert set(rid.EN_MESSAGES) == {"empty", "length", "charset", "region", "birth_date", "check_digit"}
    err = _err("123")
    assert str(err) == err.message


def test_check_digit_needs_17_digits():
    with pytest.raises(ValueError):
        rid.compute_check_digit("12345")


# --- properties ---------------------------------------------------------------

provinces = st.sampled_from(sorted(rid.PROVINCE_CODES))
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


@given(provinces, st.text(alphabet="0123456789", min_size=4, max_size=4), births, st.integers(0, 999))
def test_generated_ids_validate(province, rest, birth, seq):
    number = rid.generate(province + rest, birth, seq)
    assert rid.validate(number, today=TODAY) == number
    assert rid.validate(number.lower(), today=TODAY) == number
    assert number[6:14] == birth.strftime("%Y%m%d")
    masked = rid.mask(number)
    assert masked[:4] == number[:4] and masked[-4:] == number[-4:] and masked[4:14] == "*" * 10


@given(provinces, births, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_single_digit_change_is_detected(province, birth, seq, pos, delta):
    number = rid.generate(province + "0101", birth, seq)
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1:]
    assert not rid.is_valid(changed, today=TODAY)


@given(st.one_of(
    st.text(alphabet="0123456789", min_size=0, max_size=20),
    st.text(alphabet="0123456789Xx ", min_size=17, max_size=19),
    st.text(),
))
@settings(max_examples=400)
def test_errors_never_echo_the_input(raw):
    try:
        rid.validate(raw, today=TODAY)
    except ResidentIDError as err:
        assert err.code in rid.EN_MESSAGES
        _assert_private(err, raw)
