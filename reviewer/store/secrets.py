"""Database passwords: never stored by us, never shown.

A team project's URL is kept and shown without its password (``redact``, ``without_password``). The
password comes from, in order: the URL as given on the command line, the system keyring (the
``keyring`` package: GNOME Keyring or KWallet through Secret Service, macOS Keychain, Windows
Credential Locker), or libpq's own ``$PGPASSWORD`` and ``~/.pgpass``, which psycopg reads itself.
``scrub`` takes a password out of any message before it is shown or logged.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url

SERVICE = "Take Reviewer"


def parse(target: str) -> URL | None:
    try:
        return make_url(target)
    except Exception:  # not a URL at all: nothing to redact
        return None


def without_password(target: str) -> str:
    """The URL with no password in it at all (for settings, titles, recent projects)."""
    if "://" not in target:
        return target
    url = parse(target)
    if url is None or url.password is None:
        return target
    return url._replace(password=None).render_as_string(hide_password=False)


def redact(target: str) -> str:
    """The URL with its password shown as ``***`` (for messages: the reader sees that one was given)."""
    if "://" not in target:
        return target
    url = parse(target)
    return target if url is None else url.render_as_string(hide_password=True)


def scrub(message: str, password: str | None) -> str:
    """``message`` with every copy of ``password`` (and its URL-quoted form) replaced by ``***``."""
    if not password:
        return message
    from urllib.parse import quote

    for form in {password, quote(password, safe=""), quote(password)}:
        if form:
            message = message.replace(form, "***")
    return message


def account(url: URL) -> str:
    """The keyring's name for a database login: user@host:port/database."""
    host = url.host or url.query.get("host") or "localhost"
    if isinstance(host, tuple):
        host = host[0]
    return f"{url.username or ''}@{host}:{url.port or 5432}/{url.database or ''}"


class KeyringMissing(Exception):
    """No system keyring on this machine (a headless server, a minimal desktop)."""


def keyring_password(url: URL) -> str | None:
    """The password the system keyring holds for this login, or None (also when there is no keyring)."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(SERVICE, account(url))
    except (KeyringError, RuntimeError, OSError):
        return None


def save_password(target: str, password: str) -> str:
    """Keep ``password`` for ``target``'s login in the system keyring; the account name it is under.

    Raises ``KeyringMissing`` with a message fit to show where there is no keyring to keep it in."""
    url = make_url(target)
    try:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError
    except ImportError:
        raise KeyringMissing(_NO_KEYRING) from None
    try:
        keyring.set_password(SERVICE, account(url), password)
    except NoKeyringError:
        raise KeyringMissing(_NO_KEYRING) from None
    except (KeyringError, RuntimeError, OSError) as exc:
        raise KeyringMissing(f"The system keyring refused the password ({exc}). {_ELSEWHERE}") from None
    return account(url)


_ELSEWHERE = "Set $PGPASSWORD or put it in ~/.pgpass instead; Take Reviewer never stores it."
_NO_KEYRING = f"There is no system keyring on this machine, so the password was not kept. {_ELSEWHERE}"
