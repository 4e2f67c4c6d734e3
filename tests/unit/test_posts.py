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
