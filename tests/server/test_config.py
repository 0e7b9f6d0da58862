"""Server configuration from flags and TOML files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from openrtm.server.config import AppSpec, ConfigError, ServerConfig, parse_app, redact_url
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


def test_a_single_node_by_default() -> None:
    config = ServerConfig()
    assert (config.redis_url, config.clustered, config.presence_ttl) == (None, False, 15.0)
    assert config.media_dir == Path("openrtm-data") / "media"
    # hostname-pid-random: unique per process, and a fresh one for each configuration
    assert str(os.getpid()) in config.node_id
    assert ServerConfig().node_id != config.node_id


def test_redis_settings_in_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "cluster.toml"
    path.write_text(
        'redis = "rediss://:pw@redis.example.com:6380/2"\npresence_ttl = 2\n'
        f'node_id = "rtm-1"\nmedia = "{tmp_path / "shared"}"\n'
    )
    config = ServerConfig.from_toml(path)
    assert config.redis_url == "rediss://:pw@redis.example.com:6380/2"
    assert (config.clustered, config.presence_ttl, config.node_id) == (True, 2.0, "rtm-1")
    assert config.media_dir == tmp_path / "shared"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"redis_url": "http://h:1/0"}, "expected redis://"),
        ({"redis_url": "redis:///0"}, "no host"),
        ({"redis_url": "redis://h:port/0"}, "invalid Redis URL"),
        ({"redis_url": "redis://:secret@h:1/zero"}, "must be a number"),
        ({"presence_ttl": 0.5}, "at least 1 second"),
        ({"node_id": "a b"}, "invalid node id"),
        ({"node_id": ""}, "invalid node id"),
        (
            {"redis_url": "redis://h:1/0", "redis_cluster": ("redis://:secret@h:2",)},
            "mutually exclusive",
        ),
        ({"redis_cluster": ("unix:///run/redis.sock",)}, "over TCP"),
        ({"redis_cluster": ("redis://:secret@h:7000/3",)}, "only database 0"),
        ({"redis_cluster": ("http://:secret@h:7000",)}, "expected redis://"),
    ],
)
def test_bad_cluster_settings_say_what_is_wrong(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        ServerConfig(**settings)
    assert "secret" not in str(info.value)  # a password never reaches a log line


def test_redis_cluster_seeds_in_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "cluster.toml"
    path.write_text('redis_cluster = ["redis://:pw@10.0.0.1:7000", "redis://:pw@10.0.0.2:7000"]\n')
    config = ServerConfig.from_toml(path)
    assert config.redis_cluster == ("redis://:pw@10.0.0.1:7000", "redis://:pw@10.0.0.2:7000")
    assert (config.redis_url, config.clustered) == (None, True)
    path.write_text("redis_cluster = [7000]\n")
    with pytest.raises(ConfigError, match="list of redis:// URLs"):
        ServerConfig.from_toml(path)


def test_bad_cluster_settings_in_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    for text, message in (
        ("redis = 6379\n", "'redis' must be str"),
        ("media = 1\n", "must be str"),
    ):
        path.write_text(text)
        with pytest.raises(ConfigError, match=message):
            ServerConfig.from_toml(path)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@h:6379/0", "redis://:***@h:6379/0"),
        ("rediss://user:s3cret@h:6380/1", "rediss://user:***@h:6380/1"),
        ("redis://h:6379/0?password=s3cret&db=1", "redis://h:6379/0?password=***&db=1"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock"),
    ],
)
def test_redis_passwords_are_masked(url: str, shown: str) -> None:
    assert redact_url(url) == shown
