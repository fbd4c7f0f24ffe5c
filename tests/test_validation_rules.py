"""The fast paths of `catalog.validation.rules` never accept what pydantic refuses.

URLs and e-mails are judged as data·inclusion's models judge them (pydantic `HttpUrl`,
`EmailStr`); a conservative regular expression skips pydantic for the usual shapes. Here,
addresses generated from those very expressions must all be accepted by pydantic, and the
full rule (fast path or not) must give pydantic's verdict on arbitrary text.
"""

from __future__ import annotations

import pydantic
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.validation import rules

HTTP_URL = pydantic.TypeAdapter(pydantic.HttpUrl)
EMAIL = pydantic.TypeAdapter(pydantic.EmailStr)


def pydantic_accepts(adapter: pydantic.TypeAdapter, value: str) -> bool:
    try:
        adapter.validate_python(value)
    except pydantic.ValidationError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.from_regex(rules.FAST_HTTP_URL, fullmatch=True))
def test_urls_of_the_fast_shape_are_http_urls_for_pydantic(url):
    if len(url) <= 2083:
        assert pydantic_accepts(HTTP_URL, url), url


@settings(max_examples=400, deadline=None)
@given(st.from_regex(rules.FAST_EMAIL, fullmatch=True))
def test_emails_of_the_fast_shape_are_emails_for_pydantic(email):
    if rules._fast_email(email):
        assert pydantic_accepts(EMAIL, email), email


URLISH = st.text(alphabet="htps:/.-_?#%@[]0123456789abcxnAZé ", max_size=30).map(lambda s: "http" + s) | st.text(max_size=20)
EMAILISH = st.text(alphabet="abcXZ09.-_+@<> é\"", max_size=25) | st.emails()


@settings(max_examples=400, deadline=None)
@given(URLISH)
def test_url_rule_is_pydantics(value):
    assert rules.is_http_url(value) == pydantic_accepts(HTTP_URL, value)


@settings(max_examples=400, deadline=None)
@given(EMAILISH)
def test_email_rule_is_pydantics(value):
    assert rules.is_email(value) == pydantic_accepts(EMAIL, value)


def test_examples():
    assert rules.is_http_url("https://dora.inclusion.beta.gouv.fr/services/abc?x=1#y")
    assert rules.is_http_url(" https://exemple.fr")  # pydantic strips, as WHATWG does
    assert not rules.is_http_url("ftp://exemple.fr")
    assert not rules.is_http_url("http://1.2.3.999/")
    assert rules.is_email("Jean Dupont <jean@exemple.fr>")
    assert not rules.is_email("jean@exemple.local")
    assert rules.is_cog_code("2A") and rules.is_cog_code("200046977") and rules.is_cog_code("france")
    assert not rules.is_cog_code("1234") and not rules.is_cog_code("75056\n")
    assert not rules.is_cog_code("7505²") and not rules.is_cog_code("٣٣") and not rules.is_cog_code("200046٩77")
    assert not rules.is_finite(float("nan")) and rules.is_finite(3)
