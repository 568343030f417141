"""A throwaway Dovecot IMAP server for tests: a config in a temp dir, a free 127.0.0.1 port, stopped by PID.

Root-started variant (offline-test-recipes.md §1): the master runs as root with the package's ``dovecot`` and
``dovenull`` users; mail belongs to UID/GID 65534, in maildirs under the temp dir. Users (passwd-file, PLAIN
passwords, all ``secret``): ``alice`` and ``bob``, and ``legacy``, who sees a bare IMAP4rev1 server (no IDLE,
MOVE or UIDPLUS advertised). With ``tls=True`` a self-signed certificate (openssl) is made, STARTTLS is
offered on the plain port and an implicit-TLS port is opened too; ``client_ssl_context()`` trusts it.

Helpers drive the server the way the outside world does: ``deliver`` drops a message into the maildir as an
MTA would, ``save`` stores one through doveadm (any folder), ``messages`` lists a folder with UIDs and flags,
``kick`` drops a user's connections, ``restart`` stops and starts the server on the same ports, and ``reset``
empties every mailbox between tests.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

MAIL_UID = MAIL_GID = 65534
PASSWORD = "secret"
USERS = ("alice", "bob", "legacy")
# userdb extra fields per user: "legacy" gets a server without the extensions the channel prefers.
_EXTRA = {"legacy": "userdb_imap_capability=IMAP4rev1"}
_unique = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidate = Path("/usr/sbin", name)
    return str(candidate) if candidate.exists() else None


def unavailable_reason() -> str | None:
    """Why a Dovecot test server cannot run here, or None when it can."""
    if _binary("dovecot") is None or _binary("doveadm") is None:
        return "Dovecot (dovecot, doveadm) is not installed; on Debian: apt-get install dovecot-imapd"
    if os.geteuid() != 0:
        return "the Dovecot test server is started as root (mail owned by UID 65534); run the tests as root"
    return None


@dataclass(frozen=True)
class StoredMessage:
    uid: int
    flags: frozenset[str]
    message_id: str

    @property
    def seen(self) -> bool:
        return "\\Seen" in self.flags


@dataclass
class Dovecot:
    root: Path
    port: int
    tls_port: int | None = None
    host: str = "127.0.0.1"
    password: str = PASSWORD
    passwords: dict[str, str] = field(default_factory=dict)  # changed passwords (default: PASSWORD)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def cert(self) -> Path:
        return self.root / "cert.pem"

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        binary = _binary("dovecot")
        if binary is None:
            raise FileNotFoundError("dovecot is not installed")
        self.proc = subprocess.Popen(  # -F: stays in the foreground, so we own the master's PID
            [binary, "-F", "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code, self.proc = self.proc.returncode, None
                raise RuntimeError(f"dovecot exited with {code}: {self.log_tail()}")
            if self._greets():
                return
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"dovecot did not greet within {timeout} s: {self.log_tail()}")

    def _greets(self) -> bool:
        """Ready means the ``* OK`` greeting, not an open port: the port accepts before imap-login is up."""
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as conn:
                return conn.recv(100).startswith(b"* OK")
        except OSError:
            return False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM to the master we started, then to its children that linger (an ``imap`` process would keep
        serving its client; ``log`` makes the master wait a second), by PID; wait for all. Every connection
        drops, as in a real restart."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        children = _descendants(proc.pid)
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(0.1)  # the master closes its listeners first
        _end(children)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def restart(self) -> None:
        """Stop (every client connection drops) and start again on the same ports and mail."""
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, chars: int = 2000) -> str:
        log = self.root / "dovecot.log"
        return log.read_text(errors="replace")[-chars:] if log.exists() else ""

    def reset(self) -> None:
        """Between tests: running, original passwords, nobody connected, every mailbox empty, no folders."""
        if not self.running:
            self.start()
        if self.passwords:
            self.passwords = {}
            self._write_passwords()
        for user in USERS:
            self.kick(user)
            if not (self.root / "mail" / user).exists():
                continue
            for folder in self.folders(user):
                if folder != "INBOX":
                    self.doveadm("mailbox", "delete", "-u", user, "-r", "-s", folder, ok=(0, 68))
            self.doveadm("expunge", "-u", user, "mailbox", "INBOX", "all")

    # -- the outside world -------------------------------------------------------------------------------

    def doveadm(self, *args: str, data: bytes | None = None, ok: tuple[int, ...] = (0,)) -> str:
        result = subprocess.run(
            [_binary("doveadm") or "doveadm", "-c", str(self.config), *args],
            input=data,
            capture_output=True,
            timeout=30,
            check=False,
        )
        if result.returncode not in ok:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
        return result.stdout.decode("utf-8", errors="replace")

    def deliver(self, user: str, data: bytes) -> None:
        """Drop a message into the user's INBOX maildir like an MTA: write into tmp/, rename into new/."""
        maildir = self.root / "mail" / user
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
            os.chown(maildir / sub, MAIL_UID, MAIL_GID)
        os.chown(maildir, MAIL_UID, MAIL_GID)
        name = f"{time.time_ns()}.P{os.getpid()}Q{next(_unique)}.crmbot-test"
        tmp = maildir / "tmp" / name
        tmp.write_bytes(data)
        os.chown(tmp, MAIL_UID, MAIL_GID)
        tmp.rename(maildir / "new" / name)

    def save(self, user: str, data: bytes, folder: str = "INBOX") -> None:
        """Store a message through doveadm (any folder; the folder must exist)."""
        self.doveadm("save", "-u", user, "-m", folder, data=data)

    def create_folder(self, user: str, folder: str) -> None:
        self.doveadm("mailbox", "create", "-u", user, folder)

    def folders(self, user: str) -> list[str]:
        """Folder names (UTF-8, "." as hierarchy separator)."""
        listing = self.doveadm("mailbox", "list", "-u", user)
        return [line.strip() for line in listing.splitlines() if line.strip()]

    def messages(self, user: str, folder: str = "INBOX") -> list[StoredMessage]:
        """The folder's messages in UID order, with flags and Message-ID (empty list for a missing folder)."""
        if folder not in self.folders(user):
            return []
        out = self.doveadm(
            "-f", "flow", "fetch", "-u", user, "uid flags hdr.message-id", "mailbox", folder, "all"
        )
        found = []
        for line in out.splitlines():
            if not line.startswith("uid="):
                continue
            uid, _, rest = line.partition(" flags=")
            flags, _, message_id = rest.partition(" hdr.message-id=")
            found.append(StoredMessage(int(uid[4:]), frozenset(flags.split()), message_id.strip()))
        return sorted(found, key=lambda m: m.uid)

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        out = self.doveadm("-f", "flow", "mailbox", "status", "-u", user, "uidvalidity", folder)
        return int(out.strip().partition("=")[2])

    def set_uidvalidity(self, user: str, value: int, folder: str = "INBOX") -> None:
        """What a server does after a rebuild or restore: the folder's UIDs start a new life."""
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), folder)

    def set_password(self, user: str, password: str) -> None:
        """Change a password; ``reset`` restores the default."""
        self.passwords[user] = password
        self._write_passwords()

    def _write_passwords(self) -> None:
        _write_passwd(self.root, self.passwords)
        # Dovecot looks at the passwd-file at most once a second: from the next second on it sees this one.
        time.sleep(1.02 - time.time() % 1)

    def kick(self, user: str) -> None:
        """Drop every IMAP connection of ``user``; the server keeps running (exit code 68: nobody to kick)."""
        self.doveadm("kick", user, ok=(0, 68))

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context trusting this server's self-signed certificate (for 127.0.0.1 and localhost)."""
        return ssl.create_default_context(cafile=str(self.cert))


def _parents() -> dict[int, int]:
    """PID -> parent PID of every process (from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return parents


def _descendants(pid: int) -> list[int]:
    parents = _parents()
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _end(pids: list[int], timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``, to these PIDs (all descendants of a master we started)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _write_passwd(d: Path, passwords: dict[str, str]) -> None:
    ids = f"{MAIL_UID}:{MAIL_GID}"
    lines = [
        f"{u}:{{PLAIN}}{passwords.get(u, PASSWORD)}:{ids}::{d}/home/{u}::{_EXTRA.get(u, '')}\n" for u in USERS
    ]
    (d / "passwd").write_text("".join(lines))


def _write_config(d: Path, port: int, tls_port: int | None) -> None:
    _write_passwd(d, {})
    tls = f"ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n" if tls_port else "ssl = no\n"
    # IDLE keepalives ("* OK Still here") every second instead of every 2 minutes, so that tests meet them.
    # Refused logins answer fast: auth_failure_delay 0, and anvil's auth penalty (up to 15 s per client IP
    # after failures) is off because the auth process cannot open its socket (mode 0).
    (d / "dovecot.conf").write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = dovecot-test-{port}
log_path = {d}/dovecot.log
{tls}disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
imap_idle_notify_interval = 1 secs
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port or 0}
  }}
}}
"""
    )


def _make_certificate(d: Path) -> None:
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
            ),
            *("-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def start_dovecot(*, tls: bool = False) -> Dovecot:
    """Start a fresh server (its own temp dir, empty mailboxes). The caller calls ``destroy()``."""
    reason = unavailable_reason()
    if reason:
        raise FileNotFoundError(reason)
    # Not pytest's tmp_path (mode 0700): Dovecot's auth and mail processes must traverse every parent.
    root = Path(tempfile.mkdtemp(prefix="crmbot-dovecot-"))
    os.chmod(root, 0o755)
    try:
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir()
        os.chown(root / "mail", MAIL_UID, MAIL_GID)
        tls_port = None
        if tls:
            if shutil.which("openssl") is None:
                raise FileNotFoundError("openssl is needed for the TLS test server")
            _make_certificate(root)
            tls_port = free_port()
        port = free_port()
        _write_config(root, port, tls_port)
        server = Dovecot(root, port=port, tls_port=tls_port)
        server.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server
