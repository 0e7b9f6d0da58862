"""REST credentials and rate limits in the configuration (design §5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openrtm.server.config import ConfigError, RestCredential, ServerConfig, parse_rest_credential


def test_a_credential_is_id_colon_secret_and_the_secret_may_hold_colons() -> None:
    assert parse_rest_credential("id:a:b") == RestCredential("id", "a:b")
    assert "a:b" not in repr(parse_rest_credential("id:a:b"))


@pytest.mark.parametrize("spec", ["nocolonpassword", ":hunter2", "id:", "", 5])
def test_a_malformed_credential_is_refused_without_echoing_it(spec: object) -> None:
    with pytest.raises(ConfigError) as info:
        parse_rest_credential(spec)
    for secret in ("nocolonpassword", "hunter2"):
        assert secret not in str(info.value)


def test_toml_holds_credentials_and_rate_limits(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.toml"
    path.write_text(
        'rest_credentials = ["one:s1", "two:s2"]\nrest_message_rate = 50\nrest_events_rate = 2\n'
    )
    config = ServerConfig.from_toml(path)
    assert config.rest_credentials == (RestCredential("one", "s1"), RestCredential("two", "s2"))
    assert (config.rest_message_rate, config.rest_events_rate) == (50, 2)


@pytest.mark.parametrize(
    "text", ['rest_credentials = "one:s1"', 'rest_credentials = ["bad"]', "rest_events_rate = 'x'"]
)
def test_toml_refuses_malformed_rest_settings(tmp_path: Path, text: str) -> None:
    path = tmp_path / "openrtm.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError):
        ServerConfig.from_toml(path)
