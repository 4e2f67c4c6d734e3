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


def test_x_signs_like_its_published_vectors():
    from chalicelib.signatures import sign_base64, verify_base64

    assert sign_base64("test", b"test=1&other_test=2") == (
        "sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc="
    )
    body = b'{"test_number":1,"test_string":"two"}'
    signature = "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="
    assert verify_base64("test", body, signature)
    assert not verify_base64("test", body, signature.replace("Y", "Z", 1))
    assert not verify_hex("test", body, signature)


def test_a_non_ascii_header_is_a_mismatch_not_a_crash():
    assert not verify_hex(SECRET, BODY, "sha256=é")
