import pytest

from chalicelib.posts import InvalidPost, parse_post

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
