"""Phone numbers are stored as E.164 whatever way the caller typed them."""
from __future__ import annotations

import pytest

from helpline.phone import mask_phone, normalize_phone


@pytest.mark.parametrize("typed", [
    "(602) 555-0134",
    "602.555.0134",
    "602-555-0134",
    "6025550134",
    "+1 602 555 0134",
    "1-602-555-0134",
    "+16025550134",
    "my number is 602-555-0134 thanks",
    "You can reach me at (602) 555-0134 after 5",
    "  602 555 0134  ",
])
def test_us_numbers_in_any_format_become_e164(typed):
    assert normalize_phone(typed) == "+16025550134"


def test_a_number_with_its_own_country_code_keeps_it():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


def test_default_region_applies_to_numbers_without_country_code():
    assert normalize_phone("020 7946 0958", default_region="GB") == "+442079460958"


@pytest.mark.parametrize("typed", [
    None,
    "",
    "   ",
    "123",
    "555-0134",          # seven digits: no area code
    "000-000-0000",      # impossible area code
    "602 555 01345",     # too many digits
    "call me maybe",     # letters are not keypad digits here
    "my number is 602-555",
    "6" * 600,
])
def test_impossible_or_missing_numbers_are_none(typed):
    assert normalize_phone(typed) is None


def test_the_first_valid_number_in_the_text_wins():
    assert normalize_phone("not 555-0134, use 480-555-0199 or 602-555-0134") == "+14805550199"


@pytest.mark.parametrize("e164, masked", [
    ("+16025550134", "+1******0134"),
    ("+442079460958", "+44******0958"),
    ("", ""),
    (None, ""),
])
def test_mask_phone_keeps_country_code_and_last_four(e164, masked):
    assert mask_phone(e164) == masked


def test_mask_phone_never_reveals_more_than_four_digits():
    masked = mask_phone("+16025550134")
    assert "602" not in masked and "555" not in masked
    assert sum(ch.isdigit() for ch in masked) == 1 + 4  # country code + last four
