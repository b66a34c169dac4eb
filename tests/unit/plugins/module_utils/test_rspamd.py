"""rspamd's controller password hash ($1$, PBKDF2-blake2b) in pure Python, against rspamd's own."""

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils._rspamd import (
    BASE32_ALPHABET,
    base32_decode,
    base32_encode,
    controller_password_hash,
    derive_salt,
    verify,
)

# Made by `rspamadm pw -t pbkdf2 -p ...` on Debian 13 (rspamd 3.12.1), then Debian 12 (rspamd 3.4),
# for 'correct horse battery' and for an 80-character password (longer than a BLAKE2b key: rspamd
# hashes it first).
RSPAMADM_VECTORS = [
    ("correct horse battery", "$1$uue5xhr6ep3zt1wukiscem66qyycyxen$cws87azfrbz4bcgxnok9xwn6s5y7ijm749db9y6qwi3xg5zhhgyb"),
    ("correct horse battery", "$1$cwj5bbaf8phckwyhegco41muwiif7xmc$wm9ma785f5r4qhziyjwusrnxnf8ns3e1qxs49fkp67a3n8jz8i8b"),
    ("x" * 80, "$1$j5w169obixgizhn3mgcbuxbyhbx8o1pb$tg15icajbhrd1yif3yriqzi6xz3eu1hsye58dc1snof8jbpukguy"),
    ("x" * 80, "$1$7rt6h94rwbp5fcg9gnesxskdd9y4xi5d$7u9fpxko5jr8cxkbgxow36k1mrkgm91wh3itnz4eo6sgz3tgefib"),
]

# controller_password_hash("correct horse battery", "mail.scratch.test"): rspamd 3.12.1 and 3.4
# accepted it as the controller password (HTTP 200 with the header "Password: correct horse
# battery", 401 with a wrong one).
OWN_VECTOR = "$1$xuatzrupbjxbyjai8k459wk6pk86nsn5$x9p7387qtf7ocupsya3g4138dti7itamjarzgkqb69okz1wnwk6y"


@pytest.mark.parametrize(("password", "hashed"), RSPAMADM_VECTORS)
def test_rspamadm_hashes_verify(password, hashed):
    assert verify(password, hashed)
    assert not verify(password + "!", hashed)


def test_known_vector():
    assert controller_password_hash("correct horse battery", "mail.scratch.test") == OWN_VECTOR


def test_same_input_same_hash_and_shape():
    hashed = controller_password_hash("pw", "mail.example.org")
    assert hashed == controller_password_hash("pw", "mail.example.org")
    prefix, salt, key = hashed.split("$")[1:]
    assert prefix == "1"
    assert len(salt) == 32 and len(key) == 52
    assert set(salt + key) <= set(BASE32_ALPHABET)
    assert verify("pw", hashed)


def test_salt_differs_by_seed_and_by_password():
    assert derive_salt("pw", "a.example.org") != derive_salt("pw", "b.example.org")
    assert derive_salt("pw", "a.example.org") != derive_salt("other", "a.example.org")
    assert len(derive_salt("pw", "a.example.org")) == 20


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff" * 5, bytes(range(20)), bytes(range(32)), b"\x01\x80\x7f"])
def test_base32_round_trip(data):
    text = base32_encode(data)
    assert len(text) == (len(data) * 8 + 4) // 5
    assert base32_decode(text) == data


def test_base32_bit_order():
    # rspamd reads the bytes as one little-endian number, five bits at a time from the lowest.
    assert base32_encode(b"\x01") == "by"
    assert base32_encode(b"\x20") == "yb"


@pytest.mark.parametrize(("password", "seed"), [("", "h"), ("pw", ""), (None, "h")])
def test_refuses_bad_input(password, seed):
    with pytest.raises(ValueError):
        controller_password_hash(password, seed)


@pytest.mark.parametrize("hashed", ["$2$abc$def", "plain", "$1$0000$abcd", "$1$ybnd$abcd"])
def test_verify_refuses_other_forms(hashed):
    with pytest.raises(ValueError):
        verify("pw", hashed)
