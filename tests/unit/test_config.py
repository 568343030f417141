"""Settings: environment over crmbot.toml over defaults; bad values fail by name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_put_sqlite_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("CRMBOT_DATABASE_URL", "CRMBOT_DATA_DIR", "CRMBOT_NOW", "CRMBOT_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'data' / 'crmbot.sqlite3'}"
    assert settings.now is None


def test_environment_beats_toml_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "crmbot.toml"
    config.write_text('CRMBOT_DATA_DIR = "/srv/crm"\ndatabase_url = "postgresql://crm@db/crm"\n')
    monkeypatch.setenv("CRMBOT_CONFIG", str(config))
    monkeypatch.setenv("CRMBOT_DATABASE_URL", "sqlite:///other.sqlite3")
    monkeypatch.delenv("CRMBOT_DATA_DIR", raising=False)
    settings = load_settings()
    assert settings.data_dir == Path("/srv/crm")
    assert settings.database_url == "sqlite:///other.sqlite3"


def test_fixed_now_must_carry_an_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMBOT_NOW", "2026-11-23T09:00:00")
    with pytest.raises(ConfigError, match="CRMBOT_NOW"):
        load_settings()
    monkeypatch.setenv("CRMBOT_NOW", "2026-11-23T09:00:00+01:00")
    assert load_settings().now == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
