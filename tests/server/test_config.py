"""Server configuration from flags and TOML files."""

from __future__ import annotations

from pathlib import Path

import pytest

from openrtm.server.config import AppSpec, ConfigError, ServerConfig, parse_app
from tests.conftest import APP_CERT, APP_ID


def test_parse_app_with_and_without_certificate() -> None:
    assert parse_app(APP_ID) == AppSpec(APP_ID, None)
    assert parse_app(f"{APP_ID}:{APP_CERT}") == AppSpec(APP_ID, APP_CERT)


@pytest.mark.parametrize("spec", ["short", f"{APP_ID}:short", f"{APP_ID[:-1]}-:{APP_CERT}"])
def test_parse_app_rejects_malformed_specs(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_app(spec)


def test_defaults_are_development_mode() -> None:
    config = ServerConfig()
    assert (config.host, config.port, config.dev_mode) == ("127.0.0.1", 8765, True)
    assert config.store_path == Path("openrtm-data") / "openrtm.sqlite3"


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.toml"
    path.write_text(
        f'host = "0.0.0.0"\nport = 9000\ndata = "{tmp_path}"\nlogin_timeout = 3\n'
        f'[[app]]\nid = "{APP_ID}"\ncertificate = "{APP_CERT}"\n'
    )
    config = ServerConfig.from_toml(path)
    assert config.host == "0.0.0.0"
    assert config.port == 9000
    assert config.data_dir == tmp_path
    assert config.login_timeout == 3.0
    assert config.apps == (AppSpec(APP_ID, APP_CERT),)
    assert not config.dev_mode


def test_flags_override_the_file_and_unset_flags_do_not() -> None:
    config = ServerConfig(port=9000).replace(port=None, host="::1")
    assert (config.port, config.host) == (9000, "::1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nonsense = 1\n", "unknown setting"),
        ('port = "eighty"\n', "must be int"),
        ("[[app]]\nid = 'bad'\n", "invalid App ID"),
        ("port = \n", "cannot read config file"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        ServerConfig.from_toml(path)


def test_optional_limits_in_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "limits.toml"
    path.write_text("max_sessions = 100\nmax_sessions_per_app = 10\nmessage_rate_calls = 1500\n")
    config = ServerConfig.from_toml(path)
    assert (config.max_sessions, config.max_sessions_per_app) == (100, 10)
    assert config.message_rate.calls == 1500
    path.write_text('max_sessions = "many"\n')
    with pytest.raises(ConfigError, match="must be int"):
        ServerConfig.from_toml(path)
