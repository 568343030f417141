"""Settings, read once into a frozen object: environment (``CRMBOT_*``) over ``crmbot.toml`` over defaults.

``crmbot.toml`` is looked up at ``$CRMBOT_CONFIG`` or ``./crmbot.toml``; its keys are the setting names
with or without the ``CRMBOT_`` prefix, in any case (``database_url`` or ``CRMBOT_DATABASE_URL``).
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

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


def _split(value: Any) -> Any:
    """ "a@x, b@y" -> ["a@x", "b@y"] (lists from crmbot.toml pass through)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]


class ImapMailbox(BaseModel):
    """One mailbox the bot reads (``[[imap_mailboxes]]`` in crmbot.toml, or the CRMBOT_IMAP_* variables)."""

    model_config = {"frozen": True}

    name: str = "imap"
    host: str
    port: int | None = None
    security: Literal["ssl", "starttls", "plain"] = "ssl"
    user: str
    password: SecretStr
    folder: str = "INBOX"
    move_to: str | None = None  # archive folder after filing; None: only flag \Seen
    idle: bool = True
    poll_seconds: int = 60

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", case_sensitive=False
    )

    data_dir: Path = Path("data")
    database_url: str | None = Field(default=None, repr=False)  # may carry a password: not in repr()
    now: datetime | None = None
    log_level: str = "INFO"

    # Mail (DESIGN.md §4). The bot's own addresses; plus-addresses (crm+acme@…) belong to them.
    mail_addresses: CommaList = []
    internal_domains: CommaList = []  # the company's own domains: never a customer
    smtp_listen: str = "127.0.0.1:8025"  # "off" to run without the SMTP server
    # The largest mail taken in: SMTP answers 552; from IMAP or `crmbot import eml` it is kept as `rejected`.
    smtp_max_bytes: int = 25 * 1024 * 1024
    smtp_tls_cert: Path | None = None  # with smtp_tls_key: offer STARTTLS
    smtp_tls_key: Path | None = None
    smtp_auth: SecretStr | None = None  # "user:password[,user2:password2]"; when set, AUTH is required
    imap_mailboxes: list[ImapMailbox] = []
    imap_host: str | None = None  # a single mailbox from plain variables (CRMBOT_IMAP_HOST, …)
    imap_port: int | None = None
    imap_security: Literal["ssl", "starttls", "plain"] = "ssl"
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_folder: str = "INBOX"
    imap_move_to: str | None = None
    outbound_smtp_host: str | None = None
    outbound_smtp_port: int = 587
    outbound_smtp_security: Literal["starttls", "ssl", "plain"] = "starttls"
    outbound_smtp_user: str | None = None
    outbound_smtp_password: SecretStr | None = None
    outbound_smtp_from: str | None = None  # default: the first of mail_addresses
    mail_inline_images: bool = False
    mail_loop_limit: int = 20  # mails from one sender to the same recipients in the window before holding
    mail_loop_window_minutes: int = 120

    # Limits: a file or batch over them is refused with an error that names the limit.
    import_max_bytes: int = 200 * 1024 * 1024  # `crmbot import thirdparties|contacts`: file size
    import_max_rows: int = 1_000_000  # … and records in the file
    batch_max_lines: int = 1_000_000  # `crmbot say --batch`: input lines

    # Daily digest (per-user time, days and on/off live on the user: `crmbot user set`).
    digest_stale_customer_days: int = 30  # a customer with no contact for this long is listed as stale
    digest_stale_prospect_days: int = 14
    digest_catch_up_hours: int = 12  # a digest missed while the bot was down still goes out this long after

    # GDPR retention (Dolibarr datapolicy): anonymise what has been idle this many months; 0 = never.
    retention_prospect_months: int = 0  # prospects, and third parties neither customer nor supplier
    retention_customer_months: int = 0  # customers never invoiced (invoiced ones are kept, as in Dolibarr)
    retention_supplier_months: int = 0
    retention_contact_months: int = 0

    # HTTP (one ASGI app): Slack events, Telegram webhook, health, metrics; "off" to disable.
    http_listen: str = "127.0.0.1:8080"
    # Where people and services reach the HTTP app from outside (a TLS reverse proxy in front of
    # http_listen), e.g. https://crm.example.com: calendar feed URLs are <public_url>/ics/<token>.ics.
    public_url: str | None = None
    # Slack: the channel starts when the bot token is set. With an app-level token it uses Socket Mode
    # (no public URL needed); otherwise Slack sends events to <public URL>/slack/events.
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Telegram: starts when the token is set. Long polling unless a public webhook URL is configured.
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None  # e.g. https://crm.example.com/telegram/webhook
    telegram_secret: SecretStr | None = None  # webhook secret token; derived from the bot token when unset

    _split_lists = field_validator("mail_addresses", "internal_domains", mode="before")(_split)

    @field_validator("smtp_max_bytes", "import_max_bytes", "import_max_rows", "batch_max_lines")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("needs to be at least 1")
        return value

    @field_validator(
        "retention_prospect_months",
        "retention_customer_months",
        "retention_supplier_months",
        "retention_contact_months",
    )
    @classmethod
    def _months(cls, value: int) -> int:
        if value < 0:
            raise ValueError("needs to be 0 (off) or a number of months")
        return value

    @field_validator("mail_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if address.count("@") != 1:
                raise ValueError(f"{address!r} is not an email address")
        return [a.lower() for a in value]

    @field_validator("internal_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        return [d.lower().lstrip("@") for d in value]

    @property
    def mailboxes(self) -> list[ImapMailbox]:
        """Every mailbox to read: the configured list plus the one from the CRMBOT_IMAP_* variables."""
        boxes = list(self.imap_mailboxes)
        if self.imap_host:
            if not (self.imap_user and self.imap_password):
                raise ConfigError(
                    "CRMBOT_IMAP_HOST is set: CRMBOT_IMAP_USER and CRMBOT_IMAP_PASSWORD are needed too"
                )
            boxes.append(
                ImapMailbox(
                    name=self.imap_user,
                    host=self.imap_host,
                    port=self.imap_port,
                    security=self.imap_security,
                    user=self.imap_user,
                    password=self.imap_password,
                    folder=self.imap_folder,
                    move_to=self.imap_move_to,
                )
            )
        return boxes

    @property
    def smtp_credentials(self) -> dict[str, str]:
        """user -> password for SMTP AUTH (empty: no AUTH)."""
        if self.smtp_auth is None:
            return {}
        pairs = {}
        for item in self.smtp_auth.get_secret_value().split(","):
            user, sep, password = item.strip().partition(":")
            if not sep or not user:
                raise ConfigError("CRMBOT_SMTP_AUTH: use user:password pairs separated by commas")
            pairs[user] = password
        return pairs

    @property
    def smtp_address(self) -> tuple[str, int] | None:
        return _listen_address("CRMBOT_SMTP_LISTEN", self.smtp_listen)

    @property
    def outbound_from(self) -> str | None:
        """The bot's own address on the mail it sends: CRMBOT_OUTBOUND_SMTP_FROM, else the first of
        CRMBOT_MAIL_ADDRESSES."""
        return self.outbound_smtp_from or (self.mail_addresses[0] if self.mail_addresses else None)

    @property
    def http_address(self) -> tuple[str, int] | None:
        return _listen_address("CRMBOT_HTTP_LISTEN", self.http_listen)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError("needs to be an https:// (or http://) address, e.g. https://crm.example.com")
        return value

    @property
    def public_base_url(self) -> str:
        """The HTTP app's address in links: CRMBOT_PUBLIC_URL, else http://<CRMBOT_HTTP_LISTEN> (its
        default address when that is off)."""
        if self.public_url:
            return self.public_url
        host, port = self.http_address or ("127.0.0.1", 8080)
        if host in ("", "0.0.0.0", "::"):
            host = "localhost"  # listening on every interface: no one address to name
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and bool(self.slack_bot_token.get_secret_value())

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None and bool(self.telegram_token.get_secret_value())

    @property
    def telegram_webhook_secret(self) -> str:
        """The secret Telegram sends with every webhook call (letters, digits, _ and -, at most 256)."""
        if self.telegram_secret is not None and self.telegram_secret.get_secret_value():
            return self.telegram_secret.get_secret_value()
        if self.telegram_token is None:
            raise ConfigError("CRMBOT_TELEGRAM_TOKEN is not set")
        digest = hashlib.sha256(b"crmbot-webhook:" + self.telegram_token.get_secret_value().encode())
        return digest.hexdigest()[:48]

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


def _listen_address(name: str, value: str) -> tuple[str, int] | None:
    """ "host:port" -> (host, port); "off" (or empty) -> None."""
    if value.strip().lower() in ("", "off", "no", "false", "0"):
        return None
    host, _, port = value.rpartition(":")
    if not port.isdecimal():
        raise ConfigError(f"{name}: {value!r} is not host:port")
    return host.strip("[]") or "127.0.0.1", int(port)


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
