import hashlib
import hmac

from chalicelib.channels.signatures import (
    GENERIC_FORM,
    generic_signature_problem,
    sign_generic,
    sign_hex,
    verify_hex,
)

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
    from chalicelib.channels.signatures import sign_base64, verify_base64

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


# -- the generic webhook's timed signature -----------------------------------------------------

NOW = 1_796_400_000


def test_a_generic_signature_signs_its_time_and_the_body():
    signature = sign_generic(SECRET, BODY, NOW)
    assert signature == f"t={NOW},v1=" + hmac_hex(f"{NOW}.".encode() + BODY)
    assert generic_signature_problem(SECRET, BODY, signature, NOW) is None
    assert generic_signature_problem(SECRET, BODY, signature, NOW + 300) is None  # 5 minutes


def hmac_hex(message: bytes) -> str:
    return hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


def test_one_of_several_signatures_may_match_while_a_secret_is_rotated():
    old = sign_generic("the-old-secret", BODY, NOW).split(",v1=")[1]
    new = sign_generic(SECRET, BODY, NOW)
    assert generic_signature_problem(SECRET, BODY, f"{new},v1={old}", NOW) is None
    assert generic_signature_problem(SECRET, BODY, f"t={NOW},v1={old}", NOW) is not None


def test_a_generic_signature_is_refused_five_minutes_off_or_in_the_old_form():
    signature = sign_generic(SECRET, BODY, NOW)
    assert "minutes from now" in generic_signature_problem(SECRET, BODY, signature, NOW + 301)
    assert "minutes from now" in generic_signature_problem(SECRET, BODY, signature, NOW - 301)
    old_form = generic_signature_problem(SECRET, BODY, sign_hex(SECRET, BODY), NOW)
    assert "no longer taken" in old_form and GENERIC_FORM in old_form
    for garbage in (None, "", "t=,v1=", "t=1;v1=2", "v1=" + "0" * 64, "t=" + "9" * 13 + ",v1=00"):
        assert generic_signature_problem(SECRET, BODY, garbage, NOW) is not None, garbage
