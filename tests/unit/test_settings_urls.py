"""DATABASE_URL and REDIS_URL become Django's and Channels' settings with nothing dropped."""

from __future__ import annotations

import pytest

from podpath.settings import VAR_DIR, channel_layer_from_url, database_from_url


def test_no_database_url_is_the_embedded_sqlite_file():
    assert database_from_url(None) == {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}
    assert database_from_url("")["NAME"] == VAR_DIR / "db.sqlite3"


def test_postgres_url_keeps_sslmode():
    config = database_from_url("postgres://u:p@h:5432/db?sslmode=require")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "u",
        "p",
        "h",
        5432,
        "db",
    )
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_postgres_url_keeps_connect_timeout_and_decodes_the_password():
    config = database_from_url("postgresql://podpath:s%40cret@db.example/podpath?connect_timeout=5")
    assert config["PASSWORD"] == "s@cret"
    assert config["OPTIONS"] == {"connect_timeout": 5}


def test_postgres_url_over_a_unix_socket():
    config = database_from_url("postgres:///db?host=/var/run/postgresql")
    assert config["NAME"] == "db"
    assert config["HOST"] == ""  # Django then passes OPTIONS' host to libpq: the socket directory
    assert config["OPTIONS"] == {"host": "/var/run/postgresql"}


def test_sqlite_url_names_the_file():
    config = database_from_url("sqlite:////srv/podpath/db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/podpath/db.sqlite3"


def test_a_database_podpath_does_not_ship_a_driver_for_is_refused():
    with pytest.raises(ValueError, match="mysql"):
        database_from_url("mysql://u:p@h/db")


def test_redis_url_goes_to_channels_redis_unchanged():
    url = "rediss://:pw@redis.example:6380/2?ssl_cert_reqs=required"
    assert channel_layer_from_url(url) == {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [url], "capacity": 2000},  # a class reset of 300 sandboxes fits one host's channel
    }
    assert channel_layer_from_url(None) == {"BACKEND": "channels.layers.InMemoryChannelLayer"}
