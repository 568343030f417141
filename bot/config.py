"""Settings, read once into a frozen object: environment (``CRMBOT_*``) over ``crmbot.toml`` over defaults.

``crmbot.toml`` is looked up at ``$CRMBOT_CONFIG`` or ``./crmbot.toml``; its keys are the setting names
with or without the ``CRMBOT_`` prefix, in any case (``database_url`` or ``CRMBOT_DATABASE_URL``).
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "CRMBOT_"


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names it."""


class _TomlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path
        self.data: dict[str, Any] = {}
        if path is not None and path.is_file():
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
            for key, value in raw.items():
                name = key.lower().removeprefix(ENV_PREFIX.lower())
                self.data[name] = value

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k in self.settings_cls.model_fields}


def config_file_path() -> Path | None:
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        return Path(explicit)
    default = Path("crmbot.toml")
    return default if default.is_file() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", case_sensitive=False
    )

    data_dir: Path = Path("data")
    database_url: str | None = None
    now: datetime | None = None
    log_level: str = "INFO"

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("needs a UTC offset, e.g. 2026-11-23T09:00:00+01:00")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls, config_file_path()))

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'crmbot.sqlite3').resolve()}"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; a bad value raises :class:`ConfigError` naming the variable."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
