"""Phone numbers: read the caller's number from whatever they typed, store E.164.

Callers type numbers every way there is ("(602) 555-0134", "602.555.0134",
"my number is 602-555-0134 thanks"); staff dial from the stored E.164 form and
SMS providers need it too. Validation is libphonenumber's, so a number that
cannot exist is refused at intake instead of being discovered by a failed call.
"""
from __future__ import annotations

import re
from typing import Optional

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberMatcher

# Longer input is not a phone number answer; skip the work (and the regex cost).
MAX_INPUT_CHARS = 500

# Only digits and the punctuation people put between them. We fall back to a
# whole-text parse only for such input because libphonenumber reads letters as
# keypad digits ("call me" would become digits).
_NUMBERISH = re.compile(r"^[\d\s().+\-/]+$")


def _acceptable(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.is_possible_number(number) and phonenumbers.is_valid_number(number)


def normalize_phone(text: Optional[str], default_region: str = "US") -> Optional[str]:
    """The first valid phone number in ``text`` as E.164 (``+16025550134``), else ``None``.

    Numbers without a country code are read as ``default_region`` numbers.
    """
    if not text:
        return None
    text = text.strip()
    if not text or len(text) > MAX_INPUT_CHARS:
        return None
    for match in PhoneNumberMatcher(text, default_region):
        if _acceptable(match.number):
            return phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
    if _NUMBERISH.match(text):
        try:
            number = phonenumbers.parse(text, default_region)
        except NumberParseException:
            return None
        if _acceptable(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return None


def mask_phone(e164: Optional[str]) -> str:
    """``+16025550134`` -> ``+1******0134``: enough to tell numbers apart in a log, not to dial."""
    if not e164:
        return ""
    country = ""
    national = re.sub(r"\D", "", e164)
    try:
        parsed = phonenumbers.parse(e164, None)
        country = str(parsed.country_code)
        national = str(parsed.national_number)
    except NumberParseException:
        pass
    visible = national[-4:] if len(national) > 4 else ""
    prefix = f"+{country}" if country else ""
    return f"{prefix}{'*' * (len(national) - len(visible))}{visible}"


def display_phone(e164: Optional[str]) -> str:
    """``+16025550134`` -> ``(602) 555-0134`` (other countries in international form), for staff to read."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    style = PhoneNumberFormat.NATIONAL if parsed.country_code == 1 else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, style)
