"""Tests of openrtm.protocol.tokens: spec §8.3 vectors, expiry, forgeries, fuzzing (pure)."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import time
import zlib

import pytest
from agora_token_builder import RtmTokenBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from openrtm.protocol.tokens import (
    TokenError,
    TokenExpiredError,
    TokenFormat,
    TokenInvalidError,
    VerifiedToken,
    _build_007,
    _decode_007,
    _encode_007,
    _k1_007,
    _k2_007,
    _Packer,
    _rtm_service,
    build_token,
    build_token_006,
    build_token_007,
    verify_token,
)

APP_ID = "0123456789abcdef0123456789abcdef"
CERT = "fedcba9876543210fedcba9876543210"
ZERO_CERT = "00000000000000000000000000000000"
SAMPLE_APP_ID = "970CA35de60c44645bbae8a215061b33"
SAMPLE_CERT = "5CFd2fd1755d40ecb72977518be15d3b"

# spec §8.3 vectors.
V1_NODE = (
    "007eJxTYOA6Z2dvY9z/P8tpzYw5YUtjb2qvv2vIFnM1+05V5aF3UtsVGAwMjYxNTM3MLSwTk5JTUtPQ+Qwfg1MF+BgY"
    "/BL3MDAyMDEwMjAygPisDIk5mcmpAAGGHkY="
)
V1_PYTHON = (
    "007eJxTYOA6Z2dvY9z/P8tpzYw5YUtjb2qvv2vIFnM1+05V5aF3UtsVGAwMjYxNTM3MLSwTk5JTUtPQ+Qwfg1MF+BgY"
    "/BL3MDAyMAExIwOIz8qQmJOZnAoAAYYeRg=="
)
V2 = (
    "007eJxTYOiqfzmv5I2H6B3ehtUfSpRnLJr88epZWfb3vJVbVN47P7dVYDAwNDI2MTUzt7BMTEpOSU1D5xslM2UL8DEw"
    "JEksYmFkYGJgZGBkAPFZGRJzMpNTAWB7Hno="
)
V3 = (
    "007eJxTYPBr6rrwb67jn1f/nZ22Tor/YKGVzZ1t9qbhzHw2wdkluboKDJbmBs6OxqYpqWYGySYmZiamSUmJqRaJRoam"
    "BmaGScbGDB+DUyOYGBj8EvcwMDIwMTAyMDKA+JwMJanFJfGlxalFALrSIEo="
)
V4 = (
    "006970CA35de60c44645bbae8a215061b33"
    "IAAsR0qgiCxv0vrpRcpkz5BrbfEWCBZ6kvR6t7qG/wJIQob86ogAAAAAEAABAAAAR/QQAAEA6AOvKDdW"
)
V5 = (
    "0060123456789abcdef0123456789abcdef"
    "IACEbefSdVC+UTlqt7IYpMCi72NtCAdyyjpR9Pln3MeHHke8jicAAAAAEABOYbwAgEJVZQEA6AMQ/1Nl"
)
V6 = (
    "0060123456789abcdef0123456789abcdef"
    "IAAfnE3Va1c+8INfMVyU/gdnDy14/1vLY9FYBEiFhN9Iske8jicAAAAAEABZXQoDs7QDawEA6ANDcQJr"
)

V1_SIGNATURE = "0ace3e3f3c338fff6a42ac989c56a55dd92bafdd31065cd56bdc7a79c2ee1ab7"
V1_PAYLOAD = bytes.fromhex(
    "2000"
    + V1_SIGNATURE
    + "2000"
    + APP_ID.encode().hex()
    + "00f15365"  # issue_ts 1700000000
    + "100e0000"  # expire 3600
    + "4e61bc00"  # salt 12345678
    + "0100"  # one service
    + "0200"  # type 2, RTM
    + "0100"  # one privilege
    + "0100"  # privilege 1, login
    + "100e0000"  # 3600
    + "0500"
    + b"alice".hex()
)
V5_CONTENT = bytes.fromhex(
    "2000"
    "846de7d27550be51396ab7b218a4c0a2ef636d080772ca3a51f4f967dcc7871e"
    "47bc8e27"  # crc32("alice")
    "00000000"  # crc32("")
    "1000"  # MESSAGE length 16
    "4e61bc00"  # salt
    "80425565"  # ts 1700086400
    "0100"
    "e803"  # key 1000
    "10ff5365"  # 1700003600
)


def verify(token: str, *, uid: str = "alice", now: int, cert: str = CERT) -> VerifiedToken:
    return verify_token(token, app_id=APP_ID, app_certificate=cert, uid=uid, now=now)


def content_006(token: str) -> bytes:
    return base64.b64decode(token[35:])


def encode_006(content: bytes, app_id: str = APP_ID) -> str:
    return "006" + app_id + base64.b64encode(content).decode()


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


# --- spec §8.3 vectors --------------------------------------------------------------------------


@pytest.mark.parametrize("token", [V1_NODE, V1_PYTHON], ids=["node", "python"])
def test_v1_payload_is_the_annotated_99_bytes(token: str) -> None:
    payload = _decode_007(token)
    assert len(payload) == 99
    assert payload == V1_PAYLOAD
    assert payload[2:34].hex() == V1_SIGNATURE


def test_v1_intermediate_keys() -> None:
    k1 = _k1_007(CERT.encode(), 1700000000)
    k2 = _k2_007(k1, 12345678)
    assert k1.hex() == "79e9fcd354990528840cb60f02261d7174b78cdbb1074d3fc5ec5e47404ab5b5"
    assert k2.hex() == "2026ab4ff52fc35ad12ef3fea4603d960fe7d8a449dc17b8f092809f44fa13e0"


@pytest.mark.parametrize("token", [V1_NODE, V1_PYTHON], ids=["node", "python"])
@pytest.mark.parametrize("now", [1700000000, 1700003599])
def test_v1_verifies(token: str, now: int) -> None:
    assert verify(token, now=now) == VerifiedToken(
        format=TokenFormat.V007,
        app_id=APP_ID,
        uid="alice",
        issued_at=1700000000,
        deadline=1700003600,
    )


def test_v2_real_builder_call() -> None:
    result = verify(V2, now=1795318578 + 60)
    assert result.format is TokenFormat.V007
    assert (result.app_id, result.uid) == (APP_ID, "alice")
    assert (result.issued_at, result.deadline) == (1795318578, 1795318578 + 3600)
    with pytest.raises(TokenInvalidError, match="bad signature"):
        verify(V2, now=1795318578 + 60, cert=ZERO_CERT)


def test_v3_agora_sample_credentials() -> None:
    result = verify_token(
        V3, app_id=SAMPLE_APP_ID, app_certificate=SAMPLE_CERT, uid="test_user", now=1700000300
    )
    assert result == VerifiedToken(
        TokenFormat.V007, SAMPLE_APP_ID, "test_user", 1700000000, 1700000600
    )


def test_v4_agora_published_006_vector() -> None:
    # ts = 1111111 (1970), so only a fake clock before it sees the token as valid.
    result = verify_token(
        V4, app_id=SAMPLE_APP_ID, app_certificate=SAMPLE_CERT, uid="test_user", now=1111110
    )
    assert result == VerifiedToken(
        TokenFormat.V006, SAMPLE_APP_ID, "test_user", 1111111 - 86400, 1111111
    )
    with pytest.raises(TokenExpiredError):
        verify_token(
            V4, app_id=SAMPLE_APP_ID, app_certificate=SAMPLE_CERT, uid="test_user", now=1111111
        )


def test_v5_deterministic_006() -> None:
    assert content_006(V5) == V5_CONTENT
    assert verify(V5, now=1700000000) == VerifiedToken(
        TokenFormat.V006, APP_ID, "alice", 1700000000, 1700086400
    )
    # privilege 1000 = 1700003600 is ignored by RTM (spec §8.2): still valid after it.
    assert verify(V5, now=1700086399).deadline == 1700086400


def test_v5_is_reproduced_byte_for_byte() -> None:
    token = build_token_006(
        APP_ID, CERT, "alice", 1700003600, now=1700086400 - 86400, salt=12345678
    )
    assert token == V5


def test_v6_real_006_builder_call() -> None:
    assert verify(V6, now=1795318579) == VerifiedToken(
        TokenFormat.V006, APP_ID, "alice", 1795318579, 1795404979
    )


# --- builders -----------------------------------------------------------------------------------


def test_build_007_payload_equals_v1() -> None:
    token = build_token_007(APP_ID, CERT, "alice", 3600, issue_ts=1700000000, salt=12345678)
    assert token.startswith("007")
    assert _decode_007(token) == V1_PAYLOAD
    assert verify(token, now=1700000000).deadline == 1700003600


def test_build_007_random_salt_round_trips() -> None:
    token = build_token_007(APP_ID, CERT, "bob", 600, issue_ts=1700000000)
    salt = int.from_bytes(_decode_007(token)[76:80], "little")
    assert 1 <= salt <= 99_999_999
    assert verify(token, uid="bob", now=1700000001).deadline == 1700000600


@pytest.mark.parametrize(
    ("fmt", "deadline"), [(TokenFormat.V007, 1700000600), (TokenFormat.V006, 1700086400)]
)
def test_build_token_convenience(fmt: TokenFormat, deadline: int) -> None:
    token = build_token(APP_ID, CERT, "carol", expire=600, fmt=fmt, now=1700000000)
    result = verify(token, uid="carol", now=1700000000)
    assert (result.format, result.issued_at, result.deadline) == (fmt, 1700000000, deadline)


def test_build_token_accepts_format_text() -> None:
    token = build_token(APP_ID, CERT, "carol", fmt="006", now=1700000000)  # type: ignore[arg-type]
    assert token.startswith("006" + APP_ID)


def test_builders_reject_out_of_range_values() -> None:
    with pytest.raises(ValueError, match="32-bit"):
        build_token_007(APP_ID, CERT, "alice", -1, issue_ts=1700000000)
    with pytest.raises(ValueError, match="32-bit"):
        build_token_007(APP_ID, CERT, "alice", 60, issue_ts=2**32)
    with pytest.raises(ValueError, match="16-bit"):
        build_token_007(APP_ID, CERT, "a" * 70000, 60, issue_ts=1700000000)
    with pytest.raises(ValueError, match="32-character"):
        build_token_006("short", CERT, "alice", 0, now=1700000000)


# --- expiry -------------------------------------------------------------------------------------


def test_007_valid_until_just_before_deadline() -> None:
    token = build_token_007(APP_ID, CERT, "alice", 3600, issue_ts=1700000000)
    assert verify(token, now=1700003599).deadline == 1700003600
    with pytest.raises(TokenExpiredError) as info:
        verify(token, now=1700003600)
    assert info.value.deadline == 1700003600
    assert info.value.now == 1700003600
    assert str(info.value) == "token expired at 1700003600 (now 1700003600)"


def test_007_expire_zero_is_already_expired() -> None:
    token = build_token_007(APP_ID, CERT, "alice", 0, issue_ts=1700000000)
    with pytest.raises(TokenExpiredError) as info:
        verify(token, now=1700000000)
    assert info.value.deadline == 1700000000


def test_007_lifetime_is_capped_at_24_hours() -> None:
    token = build_token_007(APP_ID, CERT, "alice", 7 * 86400, issue_ts=1700000000)
    assert verify(token, now=1700000000).deadline == 1700000000 + 86400
    with pytest.raises(TokenExpiredError):
        verify(token, now=1700000000 + 86400)


@pytest.mark.parametrize(("expire", "login", "deadline"), [(3600, 600, 600), (600, 3600, 600)])
def test_007_deadline_is_the_smaller_of_expire_and_privilege(
    expire: int, login: int, deadline: int
) -> None:
    token = _build_007(
        APP_ID,
        CERT,
        issue_ts=1700000000,
        expire=expire,
        salt=7,
        services=[_rtm_service("alice", login)],
    )
    assert verify(token, now=1700000000).deadline == 1700000000 + deadline


def test_006_expires_24_hours_after_build() -> None:
    token = build_token_006(APP_ID, CERT, "alice", 0, now=1700000000)
    assert verify(token, now=1700086399).deadline == 1700086400
    with pytest.raises(TokenExpiredError) as info:
        verify(token, now=1700086400)
    assert info.value.deadline == 1700086400


# --- services -----------------------------------------------------------------------------------


def rtc_service(channel: str, uid: str) -> bytes:
    return (
        _Packer()
        .u16(1)
        .map_u32({1: 3600, 2: 3600, 3: 3600, 4: 3600})
        .string(channel.encode())
        .string(uid.encode())
        .getvalue()
    )


def test_rtc_and_rtm_in_one_token() -> None:
    # What npm agora-token RtcTokenBuilder.buildTokenWithRtm emits (spec §8.1).
    token = _build_007(
        APP_ID,
        CERT,
        issue_ts=1700000000,
        expire=3600,
        salt=99,
        services=[rtc_service("room", "alice"), _rtm_service("alice", 3600)],
    )
    assert verify(token, now=1700000000).deadline == 1700003600


def test_every_known_service_type_is_skipped() -> None:
    def strings(*values: str) -> _Packer:
        packer = _Packer()
        for value in values:
            packer.string(value.encode())
        return packer

    services = [
        rtc_service("room", ""),
        _rtm_service("alice", 3600),
        _Packer().u16(3).map_u32({1: 60, 2: 60}).raw(strings("ch", "acc").getvalue()).getvalue(),
        _Packer().u16(4).map_u32({1: 60}).getvalue(),
        _Packer().u16(5).map_u32({1: 60}).string(b"alice").getvalue(),
        _Packer().u16(6).map_u32({1: 60, 2: 60}).raw(strings("ch", "acc").getvalue()).getvalue(),
        _Packer().u16(7).map_u32({1: 60}).raw(strings("r", "u").getvalue()).i16(-2).getvalue(),
    ]
    token = _build_007(APP_ID, CERT, issue_ts=1700000000, expire=3600, salt=5, services=services)
    assert verify(token, now=1700000000).deadline == 1700003600


def test_parsing_stops_at_an_unknown_service_type() -> None:
    rtm2 = _Packer().u16(8).map_u32({1: 60}).string(b"alice").raw(b"\xff\x00permission table")
    token = _build_007(
        APP_ID,
        CERT,
        issue_ts=1700000000,
        expire=3600,
        salt=5,
        services=[_rtm_service("alice", 3600), rtm2.getvalue()],
    )
    assert verify(token, now=1700000000).uid == "alice"


def test_rtm_service_after_an_unknown_type_is_not_found() -> None:
    unknown = _Packer().u16(99).getvalue()
    token = _build_007(
        APP_ID,
        CERT,
        issue_ts=1700000000,
        expire=3600,
        salt=5,
        services=[unknown, _rtm_service("alice", 3600)],
    )
    with pytest.raises(TokenInvalidError, match="no rtm service"):
        verify(token, now=1700000000)


@pytest.mark.parametrize(
    "services",
    [
        [],
        [rtc_service("room", "alice")],
        [_Packer().u16(2).map_u32({2: 3600}).string(b"alice").getvalue()],
        [_Packer().u16(2).map_u32({}).string(b"alice").getvalue()],
    ],
    ids=["none", "rtc-only", "other-privilege", "no-privilege"],
)
def test_no_rtm_login_privilege_is_invalid(services: list[bytes]) -> None:
    token = _build_007(APP_ID, CERT, issue_ts=1700000000, expire=3600, salt=5, services=services)
    with pytest.raises(TokenInvalidError, match="no rtm"):
        verify(token, now=1700000000)


def test_006_without_privilege_1000_is_invalid() -> None:
    message = _Packer().u32(1).u32(1700086400).map_u32({1: 0}).getvalue()
    signature = hmac.new(CERT.encode(), APP_ID.encode() + b"alice" + message, hashlib.sha256)
    content = (
        _Packer()
        .string(signature.digest())
        .u32(zlib.crc32(b"alice"))
        .u32(0)
        .string(message)
        .getvalue()
    )
    with pytest.raises(TokenInvalidError, match="no rtm login privilege"):
        verify(encode_006(content), now=1700000000)


# --- rejections ---------------------------------------------------------------------------------

T007 = build_token_007(APP_ID, CERT, "alice", 3600, issue_ts=1700000000, salt=12345678)
T006 = V5
NOW = 1700000000


@pytest.mark.parametrize("token", [T007, T006], ids=["007", "006"])
def test_wrong_uid(token: str) -> None:
    for uid in ("bob", "alice ", "Alice", "alic", ""):
        with pytest.raises(TokenInvalidError):
            verify(token, uid=uid, now=NOW)


@pytest.mark.parametrize("token", [T007, T006], ids=["007", "006"])
def test_wrong_app_id(token: str) -> None:
    with pytest.raises(TokenInvalidError, match="app id mismatch"):
        verify_token(token, app_id=SAMPLE_APP_ID, app_certificate=CERT, uid="alice", now=NOW)


@pytest.mark.parametrize("token", [T007, T006], ids=["007", "006"])
@pytest.mark.parametrize("cert", [ZERO_CERT, CERT.upper(), SAMPLE_CERT, ""])
def test_wrong_certificate(token: str, cert: str) -> None:
    with pytest.raises(TokenInvalidError, match="bad signature"):
        verify(token, now=NOW, cert=cert)


def test_007_tampered_signature_and_fields() -> None:
    payload = _decode_007(T007)
    for index in (2, 33, 68, 72, 76, 88, 98):  # signature, issue_ts, expire, salt, login, uid
        with pytest.raises(TokenInvalidError, match="bad signature"):
            verify(_encode_007(flip(payload, index)), now=NOW)


def test_006_tampered_signature_and_fields() -> None:
    content = content_006(T006)
    for index in (2, 33, 46, 50, 56):  # signature, salt, ts, privilege
        with pytest.raises(TokenInvalidError, match="bad signature"):
            verify(encode_006(flip(content, index)), now=NOW)
    for index in (34, 38):  # the unsigned CRCs
        with pytest.raises(TokenInvalidError, match="checksum mismatch"):
            verify(encode_006(flip(content, index)), now=NOW)


@pytest.mark.parametrize("token", [T007, T006], ids=["007", "006"])
def test_truncated_text(token: str) -> None:
    for length in range(len(token)):
        with pytest.raises(TokenInvalidError):
            verify(token[:length], now=NOW)


def test_truncated_payloads() -> None:
    payload, content = _decode_007(T007), content_006(T006)
    for length in range(len(payload)):
        with pytest.raises(TokenInvalidError):
            verify(_encode_007(payload[:length]), now=NOW)
    for length in range(len(content)):
        with pytest.raises(TokenInvalidError):
            verify(encode_006(content[:length]), now=NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "00",
        "005" + T007[3:],
        "008" + T007[3:],
        "7" + T007,
        " " + T007,
        T007 + " ",
        "006" + APP_ID,
        "007",
        "007!!!!",
        "007abc",  # bad padding
        V1_PYTHON.rstrip("="),  # padding is required
        "007" + base64.b64encode(b"not zlib at all").decode(),
        "007" + base64.b64encode(zlib.compress(b"")).decode(),
        "007" + base64.b64encode(zlib.compress(V1_PAYLOAD)[:-3]).decode(),
        "007" + base64.b64encode(zlib.compress(V1_PAYLOAD) + b"x").decode(),
        "007" + base64.b64encode(zlib.compress(V1_PAYLOAD + b"x")).decode(),
        "007" + base64.b64encode(zlib.compress(V1_PAYLOAD, wbits=-15)).decode(),
        encode_006(V5_CONTENT + b"\x00"),
        "006" + APP_ID + "!" + V5[36:],
        "007é" + T007[3:],
        "007" + "A" * 5000,
    ],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(TokenInvalidError):
        verify(token, now=1700000000)


def test_006_trailing_bytes_inside_message_are_invalid() -> None:
    message = _Packer().u32(1).u32(1700086400).map_u32({1000: 0}).raw(b"\x00").getvalue()
    content = _Packer().string(bytes(32)).u32(0).u32(0).string(message).getvalue()
    with pytest.raises(TokenInvalidError, match="trailing bytes"):
        verify(encode_006(content), now=NOW)


def test_007_trailing_bytes_after_services_are_invalid_even_when_signed() -> None:
    token = _build_007(
        APP_ID,
        CERT,
        issue_ts=1700000000,
        expire=3600,
        salt=5,
        services=[_rtm_service("alice", 3600) + b"\x00"],
    )
    with pytest.raises(TokenInvalidError, match="trailing bytes"):
        verify(token, now=NOW)


def test_zlib_bomb_is_refused() -> None:
    bomb = zlib.compress(b"\x00" * (1024 * 1024), 9)
    token = "007" + base64.b64encode(bomb).decode()
    assert len(token) < 4096
    with pytest.raises(TokenInvalidError, match="too large"):
        verify(token, now=NOW)


def test_non_string_token_and_unencodable_uid() -> None:
    with pytest.raises(TokenInvalidError):
        verify(None, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TokenInvalidError):
        verify(b"007abc", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TokenInvalidError, match="utf-8"):
        verify(T007, uid="\ud800", now=NOW)
    with pytest.raises(TokenInvalidError, match="utf-8"):
        verify(T006, uid="\ud800", now=NOW)


def test_error_messages_are_lower_case_without_final_period() -> None:
    errors: list[TokenError] = [
        TokenInvalidError("bad signature"),
        TokenExpiredError(deadline=5, now=6),
        TokenError("x"),
    ]
    for error in errors:
        text = str(error)
        assert text == text.lower()
        assert not text.endswith(".")
    assert str(TokenInvalidError("bad signature")) == "invalid token: bad signature"
    assert isinstance(TokenExpiredError(deadline=1, now=1), TokenError)


def test_verified_token_is_frozen() -> None:
    result = verify(T007, now=NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.uid = "mallory"  # type: ignore[misc]


# --- interoperability with PyPI agora-token-builder (spec §8.2) ---------------------------------


@pytest.mark.parametrize(
    "uid",
    ["alice", "user 42", "a_b-c.d:e", "!#$%&()+,.:;<=>?@[]^{|}~-", "名字", "x" * 64],
)
@pytest.mark.parametrize("offset", [3600, 0, -3600])
def test_agora_token_builder_tokens_verify(uid: str, offset: int) -> None:
    now = int(time.time())
    # The builder reads the clock itself; privilegeExpiredTs is ignored by RTM (spec §8.2).
    token = RtmTokenBuilder.buildToken(APP_ID, CERT, uid, 1, max(now + offset, 0))
    result = verify(token, uid=uid, now=now)
    assert result.format is TokenFormat.V006
    assert result.uid == uid
    assert now + 86400 - 5 <= result.deadline <= now + 86400 + 5
    assert result.issued_at == result.deadline - 86400
    with pytest.raises(TokenInvalidError):
        verify(token, uid=uid + "x", now=now)


# --- properties ---------------------------------------------------------------------------------


def only_token_errors(token: str) -> None:
    with contextlib.suppress(TokenError):
        verify(token, now=NOW)


@settings(max_examples=300)
@given(prefix=st.sampled_from(["", "006", "007", "006" + APP_ID]), rest=st.text(max_size=300))
def test_random_text_raises_only_token_errors(prefix: str, rest: str) -> None:
    only_token_errors(prefix + rest)


@settings(max_examples=300)
@given(data=st.binary(max_size=400), compress=st.booleans())
def test_random_bytes_raise_only_token_errors(data: bytes, compress: bool) -> None:
    packed = zlib.compress(data) if compress else data
    only_token_errors("007" + base64.b64encode(packed).decode())
    only_token_errors(encode_006(data))


@settings(max_examples=300)
@given(data=st.data())
def test_any_flipped_byte_is_invalid(data: st.DataObject) -> None:
    payload, content = _decode_007(T007), content_006(T006)
    mask = data.draw(st.integers(1, 255), label="mask")
    index = data.draw(st.integers(0, len(payload) - 1), label="007 index")
    with pytest.raises(TokenInvalidError):
        verify(_encode_007(flip(payload, index, mask)), now=NOW)
    index = data.draw(st.integers(0, len(content) - 1), label="006 index")
    with pytest.raises(TokenInvalidError):
        verify(encode_006(flip(content, index, mask)), now=NOW)


@settings(max_examples=200)
@given(
    uid=st.text(min_size=1, max_size=64),
    expire=st.integers(1, 200_000),
    salt=st.integers(1, 99_999_999),
    fmt=st.sampled_from(TokenFormat),
)
def test_built_tokens_round_trip(uid: str, expire: int, salt: int, fmt: TokenFormat) -> None:
    if fmt is TokenFormat.V007:
        token = build_token_007(APP_ID, CERT, uid, expire, issue_ts=NOW, salt=salt)
        deadline = NOW + min(expire, 86400)
    else:
        token = build_token_006(APP_ID, CERT, uid, NOW + expire, now=NOW, salt=salt)
        deadline = NOW + 86400
    assert verify(token, uid=uid, now=NOW) == VerifiedToken(fmt, APP_ID, uid, NOW, deadline)
    with pytest.raises(TokenExpiredError):
        verify(token, uid=uid, now=deadline)
