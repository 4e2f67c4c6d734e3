import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.posts import InvalidPost, Post, clean_line, clean_text, parse_post

VALID = (
    b'{"id": "1", "channel": "x", "text": "hi", "created_at": "2026-11-23T09:00:00+01:00",'
    b' "author": {"id": "a", "handle": "@a"}, "extra": "ignored"}'
)


def test_a_valid_post_is_normalised():
    post = parse_post(VALID)
    assert post.created_at_utc.isoformat() == "2026-11-23T08:00:00+00:00"
    assert post.author.followers is None
    assert post.conversation_id is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"{", "body is not valid JSON"),
        (b"[]", "body: Input should be an object"),
        (b"{}", "id: required field is missing"),
    ],
)
def test_problems_name_the_field(raw, problem):
    with pytest.raises(InvalidPost) as raised:
        parse_post(raw)
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("language", "French", "language: expected a language code like 'en' or 'pt-BR'"),
        ("language", "en_GB", "language: expected a language code"),
        ("found_by", "   ", "found_by: String should have at least 1 character"),
        ("found_by", "x" * 257, "found_by: String should have at most 256 characters"),
    ],
)
def test_a_bad_language_or_found_by_is_named(field, value, problem):
    raw = VALID.replace(b'"extra"', f'"{field}": "{value}", "extra"'.encode())
    with pytest.raises(InvalidPost) as raised:
        parse_post(raw)
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_language_and_found_by_are_read_when_given():
    raw = VALID.replace(b'"extra"', b'"language": "pt-BR", "found_by": "Acme Air", "extra"')
    post = parse_post(raw)
    assert (post.language, post.found_by, post.addressed_to_us) == ("pt-BR", "Acme Air", False)
    assert parse_post(VALID).addressed_to_us


# -- what a post may bring: one sanitiser for text, handles, names, ids and URLs ------------

CONTROLS = [chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]]
BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]


@given(st.text())
def test_cleaned_text_has_no_controls_bidi_overrides_or_lone_surrogates(text):
    cleaned = clean_text(text)
    assert not any(c in cleaned for c in [*CONTROLS, *BIDI, "\r"])
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in cleaned)
    cleaned.encode("utf-8")  # storable, sendable
    assert clean_text(cleaned) == cleaned


@given(st.text())
def test_a_cleaned_line_also_has_no_line_breaks_or_tabs(text):
    assert not any(c in clean_line(text) for c in "\n\t\r")


def test_what_cleaning_keeps_and_what_it_takes():
    assert clean_text("line one\r\nline\ttwo\rthree") == "line one\nline\ttwo\nthree"
    assert clean_text("refund\x00 me\x1b[31m now\x07") == "refund me[31m now"
    assert clean_text("invoice_\u202egnp.exe") == "invoice_gnp.exe"  # RLO: reads as exe.png
    assert clean_text("half an emoji \ud83d") == "half an emoji \ufffd"
    assert clean_text("Ça coûte 5 € 😀 שלום") == "Ça coûte 5 € 😀 שלום"  # letters stay
    assert clean_line("@dana\n_k") == "@dana_k"


def test_a_post_is_cleaned_field_by_field_and_refused_when_nothing_is_left():
    post = Post.model_validate(
        {
            "id": "1\n",
            "channel": "x",
            "text": "my\x00 order\u2066",
            "created_at": "2026-11-23T09:00:00Z",
            "url": "https://x.com/a/status/1\r\nX-Injected: yes",
            "author": {"id": "a\t", "handle": "@a\nBcc: all@example.com"},
        }
    )
    assert (post.id, post.text, post.author.id) == ("1", "my order", "a")
    assert post.author.handle == "@aBcc: all@example.com"  # one line: no header injection
    assert post.url == "https://x.com/a/status/1X-Injected: yes"
    with pytest.raises(InvalidPost, match="text: String should have at least 1 character"):
        parse_post(VALID.replace(b'"hi"', b'"\\u0000\\u202e"'))
