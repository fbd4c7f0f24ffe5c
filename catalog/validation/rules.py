"""Value rules that Table Schema cannot express, written once and shared by the frictionless
checks and the compiled validators (so both give the same verdict by construction).

URLs and e-mails follow pydantic's `HttpUrl` and `EmailStr` exactly, as data·inclusion's
official models do: the rules are taken from pydantic itself, not restated.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import pydantic
from pydantic_core import SchemaValidator

# -- URLs --------------------------------------------------------------------------------

# HttpUrl's core schema is a thin wrapper (for Url instances) around a `url` schema carrying
# the constraints (http/https, host, 2083 characters); for strings the inner schema decides.
_HTTP_URL = SchemaValidator(pydantic.TypeAdapter(pydantic.HttpUrl).core_schema["schema"])


# A conservative shape of URLs that HttpUrl always accepts: http(s), an ASCII domain whose
# labels are letters, digits and inner hyphens (no punycode `xn--`, a last label starting with
# a letter so it cannot be read as an IPv4 address), an optional short port, then path, query
# and fragment in unreserved/sub-delim characters. Anything else takes pydantic's exact path;
# tests/test_validation_rules.py generates URLs from this pattern to prove the claim.
FAST_HTTP_URL = re.compile(
    r"https?://(?:(?!xn--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"(?!xn--)[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?::[1-9][0-9]{0,3})?"
    r"(?:[/?#][A-Za-z0-9._~!$&'()*+,;=:@/?#%-]*)?"
)


def is_http_url(value: str) -> bool:
    if len(value) <= 2083 and FAST_HTTP_URL.fullmatch(value) is not None:
        return True
    try:
        _HTTP_URL.validate_python(value)
    except pydantic.ValidationError:
        return False
    return True


# -- E-mails -----------------------------------------------------------------------------

_EMAIL = pydantic.TypeAdapter(pydantic.EmailStr)

# A conservative shape of addresses that EmailStr (email-validator, no deliverability check)
# always accepts: plain ASCII dot-atoms, a dotted domain with an alphabetic top-level label.
# Matching it skips email-validator (~40 µs an address); anything else takes the exact path.
# tests/test_validation_rules.py generates addresses from this pattern to prove the claim.
FAST_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]{1,64}(?:\.[A-Za-z0-9_+-]{1,64})*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,63}"
)
# Top-level labels email-validator rejects as special-use (RFC 6761 and friends).
_SPECIAL_USE = frozenset(("arpa", "invalid", "local", "localhost", "onion", "test"))


def _fast_email(value: str) -> bool:
    if len(value) > 254 or FAST_EMAIL.fullmatch(value) is None:
        return False
    local, _, domain = value.partition("@")
    return (
        len(local) <= 64
        and "--" not in domain
        and domain.rsplit(".", 1)[1].lower() not in _SPECIAL_USE
    )


@lru_cache(maxsize=1 << 14)
def _exact_email(value: str) -> bool:
    try:
        _EMAIL.validate_python(value)
    except pydantic.ValidationError:
        return False
    return True


def is_email(value: str) -> bool:
    return _fast_email(value) or _exact_email(value)


# -- COG codes ---------------------------------------------------------------------------

# data·inclusion v1 zone_eligibilite items: CodeCommune (\w{5}) | CodeDepartement (\w{2,3}) |
# CodeEPCI (\d{9}) | CodePays (99[0-5]\d{2}, already a \w{5}) | "france". In ASCII: Python's
# `\w` takes « ² » or « ½ » (and `\d` « ٣ »), which no code holds and data·inclusion's validator
# (a Rust regex) refuses. fullmatch, not `^…$`: Python's `$` would accept a trailing newline
# that pydantic refuses.
_COG_CODE = re.compile(r"[0-9A-Za-z]{2,3}|[0-9A-Za-z]{5}|[0-9]{9}|france")


def is_cog_code(value: str) -> bool:
    return _COG_CODE.fullmatch(value) is not None


# -- Numbers -----------------------------------------------------------------------------


def is_finite(value: object) -> bool:
    """JSON numbers are finite: no NaN nor ±Infinity (which Python floats can hold)."""
    if isinstance(value, float):
        return math.isfinite(value)
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False
