from chalicelib.signatures import sign_hex, verify_hex

# Meta's published vector: the same algorithm (hex HMAC-SHA256 of the raw body).
SECRET = "app-secret"
BODY = b'{"object":"page","entry":[]}'
SIGNATURE = "sha256=e6e9d7a842a48e17f43a34d6125d0d933e2aab92ee37f0993a4d493b50e3d438"


def test_signs_like_the_published_vector():
    assert sign_hex(SECRET, BODY) == SIGNATURE


def test_verifies_only_the_exact_body_and_secret():
    assert verify_hex(SECRET, BODY, SIGNATURE)
    assert verify_hex(SECRET, BODY, f" {SIGNATURE} ")
    assert not verify_hex(SECRET, BODY + b" ", SIGNATURE)
    assert not verify_hex("other", BODY, SIGNATURE)
    assert not verify_hex(SECRET, BODY, SIGNATURE.upper())
    assert not verify_hex(SECRET, BODY, None)
    assert not verify_hex(SECRET, BODY, "")
