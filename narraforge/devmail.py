"""The development mailbox: every mail lands as a file a person can open in the browser.

``DevMailboxBackend`` (EMAIL_URL=devmailbox://, the default with DEBUG on)
writes each message as an .eml file under NF_DEV_MAILBOX_DIR; /dev/mail/
(narraforge.devmail_views, DEBUG or staff only) lists them and shows each
decoded, links clickable, instead of quoted-printable halves on stdout.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

MESSAGE_ID = re.compile(r"^\d{19,20}-[0-9a-f]{32}$")
KEEP = 200  # the newest messages kept; older files are removed as new ones arrive


def mailbox_dir() -> Path:
    return Path(settings.NF_DEV_MAILBOX_DIR)


class DevMailboxBackend(BaseEmailBackend):
    def __init__(self, *args, directory: str | Path | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.directory = Path(directory) if directory else None

    def send_messages(self, email_messages) -> int:
        folder = self.directory or mailbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            name = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(message.message().as_bytes())
            tmp.rename(folder / f"{name}.eml")  # readers never see half a message
            sent += 1
        for old in sorted(folder.glob("*.eml"))[:-KEEP]:
            old.unlink(missing_ok=True)
        return sent


@dataclass(frozen=True)
class StoredMail:
    id: str
    sent_at: datetime
    subject: str
    sender: str
    to: str
    body: str  # the plain-text part, decoded
    html: bool  # whether an HTML alternative came with it


def _read(path: Path) -> StoredMail:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    if part is not None and part.get_content_type() == "text/html":
        body = re.sub(r"<[^>]+>", "", body)
    ns = int(path.stem.split("-", 1)[0])
    return StoredMail(
        id=path.stem,
        sent_at=datetime.fromtimestamp(ns / 1e9, tz=UTC),
        subject=str(msg.get("Subject", "")),
        sender=str(msg.get("From", "")),
        to=str(msg.get("To", "")),
        body=body,
        html=msg.get_body(preferencelist=("html",)) is not None,
    )


def mailbox_list(limit: int = 100) -> list[StoredMail]:
    folder = mailbox_dir()
    if not folder.is_dir():
        return []
    return [_read(p) for p in sorted(folder.glob("*.eml"), reverse=True)[:limit]]


def mailbox_get(message_id: str) -> StoredMail | None:
    if not MESSAGE_ID.match(message_id):
        return None
    path = mailbox_dir() / f"{message_id}.eml"
    return _read(path) if path.is_file() else None


def mailbox_clear() -> int:
    folder = mailbox_dir()
    removed = 0
    for path in folder.glob("*.eml") if folder.is_dir() else []:
        path.unlink(missing_ok=True)
        removed += 1
    return removed
