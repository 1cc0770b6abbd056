"""Tests for registry.capital (registered capital parser)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import capital
from registry.capital import Capital, CapitalError, parse_capital

D = Decimal


@pytest.mark.parametrize("raw, amount, currency", [
    ("51.8000(万元人民币)", "51.8", "CNY"),
    ("66万元人民币", "66", "CNY"),
    ("188万人民币", "188", "CNY"),
    ("508(万)", "508", "CNY"),
    ("13(万美元)", "13", "USD"),
    ("6,000(万香港元)", "6000", "HKD"),
    ("750(万日元)", "750", "JPY"),
    ("50万人民币元", "50", "CNY"),
    ("100万欧元", "100", "EUR"),
    ("20万英镑", "20", "GBP"),
    ("200（万元）", "200", "CNY"),
    ("300（万美元）", "300", "USD"),
    ("500", "500", "CNY"),
    ("1000万元", "1000", "CNY"),
    ("5000元", "0.5", "CNY"),
    ("1.2亿元", "12000", "CNY"),
    ("  88 万元  ", "88", "CNY"),
    ("\u3000８８．５万元\u3000", "88.5", "CNY"),
    ("500万元整", "500", "CNY"),
    ("1千万元", "1000", "CNY"),
    ("3百万美元", "300", "USD"),
    ("人民币500万元", "500", "CNY"),
    ("美元 13万", "13", "USD"),
    ("USD13万", "13", "USD"),
    ("100万港币", "100", "HKD"),
    ("100万美金", "100", "USD"),
    ("1,234.5万元", "1234.5", "CNY"),
    ("13美元", "0.0013", "USD"),
    (".5万元", "0.5", "CNY"),
    ("0", "0", "CNY"),
    ("0.000万元", "0", "CNY"),
    ("500.000000万人民币", "500", "CNY"),
    ("￥500万元", "500", "CNY"),
    ("¥ 500万", "500", "CNY"),
])
def test_supported_formats(raw, amount, currency):
    cap = parse_capital(raw)
    assert cap == Capital(D(amount), currency)
    assert cap.amount == D(amount) and cap.currency == currency


@pytest.mark.parametrize("raw", [
    None, "", "   ", "N/A", "n/a", "NA", "-", "--", "—", "——", "－", "无", "暂无", "null", "NaN",
    float("nan"), D("NaN"),
])
def test_missing_values_are_none(raw):
    assert parse_capital(raw) is None


@pytest.mark.parametrize("raw, amount", [(500, "500"), (51.8, "51.8"), (D("12.50"), "12.5"), (0, "0")])
def test_numbers_are_wan_yuan(raw, amount):
    assert parse_capital(raw) == Capital(D(amount), "CNY")


@pytest.mark.parametrize("raw", [
    "abc", "五百万元比特币", "500万比特币", "约500万元", "500万元人民币美元", "人民币500万美元",
    "1E5", "500.5.5", "1,2345", "12万万", "万元", "¥", float("inf"), True, [500], object(),
])
def test_unparseable(raw):
    with pytest.raises(CapitalError) as info:
        parse_capital(raw)
    err = info.value
    assert err.code == "unparseable"
    assert str(err) == err.message and "无法识别注册资本" in err.message


def test_unparseable_message_names_raw_value():
    with pytest.raises(CapitalError) as info:
        parse_capital("  约五百万元 ")
    assert "“约五百万元”" in info.value.message


def test_chinese_numerals_as_on_licences():
    """Capital in Chinese numerals (壹佰万元整 on business licences, 五百万元) is read (cn2an)."""
    assert parse_capital("五百万元").amount == 500


def test_long_raw_value_is_truncated_in_message():
    with pytest.raises(CapitalError) as info:
        parse_capital("x" * 500)
    assert len(info.value.message) < 120


@pytest.mark.parametrize("raw", ["-5", "-5万元", "-0.1(万美元)", -3, -2.5, D("-1")])
def test_negative(raw):
    with pytest.raises(CapitalError) as info:
        parse_capital(raw)
    assert info.value.code == "negative"
    assert "负数" in info.value.message


def test_error_is_value_error_with_english_message():
    assert issubclass(CapitalError, ValueError)
    assert set(capital.EN_MESSAGES) == {"unparseable", "negative"}


def test_display():
    assert parse_capital("51.8000(万元人民币)").display() == "51.8 万元人民币"
    assert str(parse_capital("13(万美元)")) == "13 万美元"
    assert parse_capital("6,000(万香港元)").display() == "6000 万港元"
    assert parse_capital("1.2亿元").display() == "12000 万元人民币"
    assert parse_capital("5000元").display() == "0.5 万元人民币"


def test_in_units():
    assert parse_capital("51.8万元").in_units == D(518000)
    assert parse_capital("5000元").in_units == D(5000)


def test_capital_is_frozen_and_validated():
    cap = Capital(D("1.50"))
    assert cap.currency == "CNY" and str(cap.amount) == "1.5"
    with pytest.raises(AttributeError):
        cap.amount = D(2)
    with pytest.raises(ValueError):
        Capital(D("-1"))
    with pytest.raises(ValueError):
        Capital(D("1"), "XYZ")
    with pytest.raises(ValueError):
        Capital(1.5)
    assert hash(Capital(D("1.50"))) == hash(Capital(D("1.5")))


def test_no_float_rounding():
    cap = parse_capital("12345678901234567890123456789.123456789万元")
    assert cap.amount == D("12345678901234567890123456789.123456789")
    assert parse_capital("0.1万元").amount + parse_capital("0.2万元").amount == D("0.3")
    assert parse_capital("123456789012345678901234567890123元").amount == \
        D("12345678901234567890123456789.0123")


# --- properties ---------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=D("1e12"), places=6, allow_nan=False, allow_infinity=False)
currency_names = {
    "CNY": ["元人民币", "人民币", "人民币元", "元"],
    "USD": ["美元"], "HKD": ["香港元", "港元", "港币"], "JPY": ["日元"], "EUR": ["欧元"], "GBP": ["英镑"],
}
wan_patterns = ["{a}(万{c})", "{a}（万{c}）", "{a}万{c}", " {a} 万{c} ", "{a}(万{c})"]


@given(amounts, st.sampled_from(sorted(currency_names)), st.data())
def test_round_trip_all_patterns(amount, currency, data):
    name = data.draw(st.sampled_from(currency_names[currency]))
    plain, grouped = f"{amount:f}", f"{amount:,f}"
    for a in (plain, grouped):
        for pattern in wan_patterns:
            assert parse_capital(pattern.format(a=a, c=name)) == Capital(amount, currency)
        yuan = amount.scaleb(4)
        assert parse_capital(f"{yuan:f}{name}") == Capital(amount, currency)
        assert parse_capital(f"{amount.scaleb(-4):f}亿{name}") == Capital(amount, currency)
    if currency == "CNY":
        assert parse_capital(plain) == Capital(amount, "CNY")
        assert parse_capital(f"{plain}(万)") == Capital(amount, "CNY")


@given(amounts, st.sampled_from(sorted(capital.CURRENCY_UNITS)))
def test_display_round_trips(amount, currency):
    cap = Capital(amount, currency)
    assert parse_capital(cap.display()) == cap


@given(st.one_of(
    st.text(),
    st.text(alphabet="0123456789.,+-万亿千百元人民币美港日欧()（） \u3000—/NA", max_size=20),
))
@settings(max_examples=300)
def test_parse_only_raises_capital_error(raw):
    try:
        result = parse_capital(raw)
    except CapitalError as err:
        assert err.code in capital.EN_MESSAGES
    else:
        assert result is None or (isinstance(result, Capital) and result.amount >= 0)
