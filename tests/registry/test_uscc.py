"""Tests for registry.uscc (GB 32100-2015 Unified Social Credit Code)."""

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import uscc
from registry.uscc import USCCError

# Public codes of well-known companies / the GB 32100 example; they pass both
# the overall mod-31 check and the embedded GB 11714 check.
KNOWN_VALID = [
    "91350100M000100Y43",  # example in GB 32100-2015
    "91330100716105852F",
    "914403001922038216",  # all digits
    "91440300708461136T",
    "9144030071526726XG",  # organisation check char is X
    "91110000600037341L",
    "91110108551385082Q",
]


def _err(raw) -> USCCError:
    with pytest.raises(USCCError) as info:
        uscc.validate(raw)
    return info.value


def _with_char(code: str, pos: int, char: str) -> str:
    return code[:pos] + char + code[pos + 1:]


# --- algorithm ----------------------------------------------------------------

def test_weights_are_powers_of_three_mod_31():
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_charset_excludes_confusable_letters():
    assert len(uscc.CHARSET) == 31
    assert not set("IOSVZ") & set(uscc.CHARSET)


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_public_codes_are_valid(code):
    assert uscc.validate(code) == code
    assert uscc.compute_check_char(code[:17]) == code[17]
    assert uscc.compute_org_check_char(code[8:16]) == code[16]
    assert uscc.is_valid(code)


def test_org_check_char_maps_10_to_x_and_11_to_0():
    assert uscc.compute_org_check_char("71526726") == "X"
    # body whose weighted sum is a multiple of 11 → 11 → '0'
    assert uscc.compute_org_check_char("00000000") == "0"


def test_org_check_uses_full_alphabet_values():
    # 'M' = 22 in GB 11714 (A=10 … Z=35), not its index in the USCC charset (21)
    assert uscc.compute_org_check_char("M000100Y") == "4"


@pytest.mark.parametrize("bad", ["", "1234", "9133021" + "I" * 10, None])
def test_compute_check_char_rejects_bad_input(bad):
    with pytest.raises((ValueError, TypeError)):
        uscc.compute_check_char(bad)


# --- normalisation ------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    " 91350100m000100y43 ",
    "\u300091350100M000100Y43\u3000",
    "\xa091350100M000100Y43\t\n",
    "\u200b91350100M000100Y43\ufeff",
    "９１３５０１００Ｍ０００１００Ｙ４３",
    "９１３５０１００ｍ０００１００ｙ４３",
])
def test_normalisation(raw):
    assert uscc.normalize(raw) == "91350100M000100Y43"
    assert uscc.validate(raw) == "91350100M000100Y43"


def test_normalize_none_and_numbers():
    assert uscc.normalize(None) == ""
    assert uscc.normalize(914403001922038216) == "914403001922038216"


# --- each failure reason ------------------------------------------------------

@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "\u200b", None])
def test_empty(raw):
    err = _err(raw)
    assert err.code == "empty"
    assert "不能为空" in str(err)


@pytest.mark.parametrize("raw", [
    "9.13302E+17", "9.13302e17", "9.13302E17", "9.1330212E+17", "-9.1E+17",
    "913302123456789000.0", "91330212345678900.00",
    "913,302,123,456,789,000",
    "91330212345678", "9133021234567890123",
    9.1330212345678e17,
])
def test_excel_numeric_corruption(raw):
    err = _err(raw)
    assert err.code == "numeric_corrupted"
    assert "Excel" in err.message and "文本" in err.message and "重新导出" in err.message


def test_length_17_and_19():
    code = KNOWN_VALID[0]
    err17 = _err(code[:17])
    assert err17.code == "length" and "18位" in err17.message and "17位" in err17.message
    assert err17.params == {"length": 17}
    err19 = _err(code + "A")
    assert err19.code == "length" and "19位" in err19.message


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_named(letter):
    code = _with_char(KNOWN_VALID[0], 10, letter)
    err = _err(code)
    assert err.code == "charset"
    assert f"“{letter}”" in err.message
    assert "第11位" in err.message
    assert err.params == {"char": letter, "position": 11}


def test_confusable_letter_gets_suggestion():
    err = _err(_with_char(KNOWN_VALID[0], 9, "O"))
    assert "是否应为“0”" in err.message


@pytest.mark.parametrize("raw, shown", [
    ("91350100-M000100Y4", "“-”"),
    ("91350100 M000100Y4", "空格"),
    ("913501宁M000100Y43", "“宁”"),
    ("91350100\x00000100Y43", "U+0000"),
])
def test_other_illegal_characters(raw, shown):
    err = _err(raw)
    assert err.code == "charset"
    assert shown in err.message


def test_charset_reported_before_length():
    err = _err("91350100-M000100Y43")  # 19 characters because of the hyphen
    assert err.code == "charset"


def test_bad_check_char():
    code = KNOWN_VALID[0]
    wrong = next(c for c in uscc.CHARSET if c != code[17])
    err = _err(code[:17] + wrong)
    assert err.code == "check_digit"
    assert "第18位" in err.message
    assert "Excel" not in err.message
    assert err.params == {"possibly_numeric_corrupted": False}


def test_typo_in_body_reports_check_digit_first():
    code = KNOWN_VALID[1]
    wrong = next(c for c in "0123456789" if c != code[10])
    err = _err(_with_char(code, 10, wrong))
    assert err.code == "check_digit"


def test_bad_org_check_with_good_overall_check():
    code = KNOWN_VALID[0]
    bad_org = "5" if code[16] != "5" else "6"
    first17 = code[:16] + bad_org
    forged = first17 + uscc.compute_check_char(first17)
    err = _err(forged)
    assert err.code == "org_check"
    assert "第9–17位" in err.message


def test_precision_lost_18_digits_gets_excel_hint():
    # Excel keeps 15 significant digits: 914403001922038216 → 914403001922038000
    err = _err("914403001922038000")
    assert err.code == "check_digit"
    assert err.params["possibly_numeric_corrupted"] is True
    assert "Excel" in err.message and "000" in err.message and "文本" in err.message


def test_valid_all_digit_code_ending_000_passes():
    """The Excel hint only applies when the check fails; real codes may end in 000."""
    codes = (uscc.make_code("91330212", f"{n:07d}0") for n in range(20000))
    code = next(c for c in codes if c.isdigit() and c.endswith("000"))
    assert uscc.validate(code) == code


def test_str_is_chinese_message_and_en_messages_cover_all_codes():
    codes = set()
    for raw in ["", "9.1E+17", "ABC", "I" * 18, KNOWN_VALID[0][:17] + "0"]:
        err = _err(raw)
        assert str(err) == err.message
        assert re.search(r"[\u4e00-\u9fff]", err.message)
        codes.add(err.code)
    assert codes <= set(uscc.EN_MESSAGES)
    assert {"empty", "numeric_corrupted", "charset", "length", "check_digit", "org_check", "region"} \
        == set(uscc.EN_MESSAGES)
    assert isinstance(_err(""), ValueError)


# --- generation -----------------------------------------------------------------

def test_generate_defaults_and_prefix():
    code = uscc.generate(rng=random.Random(1), org_prefix="MA2A")
    assert code.startswith("91330212MA2A")
    assert uscc.validate(code) == code


def test_generate_with_body_is_deterministic():
    assert uscc.generate(org_body8="M000100Y", region="350100") == "91350100M000100Y43"
    assert uscc.make_code("91350100", "M000100Y") == "91350100M000100Y43"


@pytest.mark.parametrize("kwargs", [
    {"region": "33021"}, {"region": "33021A"}, {"registration_authority": "I"},
    {"org_body8": "M000100"}, {"org_body8": "M000100O"}, {"org_prefix": "MA2AMA2AM"},
])
def test_generate_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        uscc.generate(**kwargs)


# --- interpretation ---------------------------------------------------------------

@pytest.mark.parametrize("region, kind, in_yinzhou, name", [
    ("330212", "yinzhou", True, "鄞州区"),
    ("330204", "former_jiangdong", True, "江东区 (1983–2016, 已并入鄞州区)"),
    ("330201", "city", False, "宁波市 (市级)"),
    ("330200", "city", False, "宁波市 (市级)"),
    ("330203", "ningbo_other", False, "海曙区"),
    ("330206", "ningbo_other", False, "北仑区"),
    ("330283", "ningbo_other", False, "奉化市 (1989–2016, 今奉化区)"),
    ("330299", "ningbo_other", False, "宁波市其他区县"),
    ("310115", "outside", False, "外地 (310115)"),
])
def test_region_of(region, kind, in_yinzhou, name):
    code = uscc.generate(region=region, rng=random.Random(0))
    info = uscc.region_of(code)
    assert info == {"code": region, "name": name, "kind": kind, "in_yinzhou": in_yinzhou}


def test_region_of_rejects_non_digit_region():
    with pytest.raises(USCCError) as info:
        uscc.region_of("91MA0212MA2AXXXXXX")
    assert info.value.code == "region"


def test_unknown_authority_is_not_a_validation_error():
    code = uscc.make_code("B7330212", "MA2A0000")
    assert uscc.validate(code) == code


# --- properties -------------------------------------------------------------------

charset_char = st.sampled_from(uscc.CHARSET)
bodies = st.text(alphabet=uscc.CHARSET, min_size=8, max_size=8)
regions = st.text(alphabet="0123456789", min_size=6, max_size=6)
authorities = st.sampled_from("123456789ANY")


@given(authorities, charset_char, regions, bodies)
def test_generated_codes_always_validate(auth, org_type, region, body):
    code = uscc.generate(auth, org_type, region, body)
    assert uscc.validate(code) == code
    assert uscc.validate(code.lower()) == code


@given(st.randoms(use_true_random=False), st.integers(0, 17), charset_char)
def test_single_substitution_is_always_detected(rnd, pos, new):
    code = uscc.generate(rng=rnd)
    if code[pos] == new:
        return
    assert not uscc.is_valid(_with_char(code, pos, new))


@given(st.one_of(st.text(), st.text(alphabet=uscc.CHARSET + "IOSVZ.E+-, ", max_size=25)))
@settings(max_examples=300)
def test_validate_only_raises_uscc_error(raw):
    try:
        result = uscc.validate(raw)
    except USCCError as err:
        assert err.code in uscc.EN_MESSAGES
        assert err.message
    else:
        assert len(result) == 18 and set(result) <= set(uscc.CHARSET)


def test_valid_code_that_looks_like_scientific_notation_is_accepted():
    """Found by the benchmark generator: digits, one E, digits — a real code whose checks are right."""
    assert uscc.validate("913302049594720E24") == "913302049594720E24"
    with pytest.raises(USCCError) as exc:
        uscc.validate("913302049594720E25")       # same shape, wrong check character
    assert exc.value.code == "numeric_corrupted"
    with pytest.raises(USCCError) as exc:
        uscc.validate("9.13302E+17")
    assert exc.value.code == "numeric_corrupted"
