"""The Slack stand-in's file uploads: the three steps of `files_upload_v2`, and what was shared.

Slack's external upload takes three requests, and slack_sdk's `WebClient.files_upload_v2` makes them:
`files.getUploadURLExternal` (filename, length, alt_txt) answers an upload URL and a file id; the
bytes are POSTed to that URL; `files.completeUploadExternal` (files=[{id, title}], channel_id,
thread_ts, initial_comment) shares the uploaded files. Checked as Slack checks them: a filename and a
positive length are required, alt text is at most 1,000 characters, and only files whose bytes
arrived can be completed, once. One rule is the stand-in's own, since Slack does not document it: an
upload whose size differs from the announced length is refused (HTTP 400), so a client that announces
one size and sends another fails here rather than in a real workspace.

The caller (slack.py) holds its lock around every method here; this module keeps no lock of its own.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ALT_TXT_LIMIT = 1000  # characters, as files.getUploadURLExternal documents (alt_txt_too_large)
UPLOAD_PREFIX = "/upload/"


class FileError(Exception):
    """An API error of the file methods: Slack's word for it in `error`."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class SharedFile:
    """One file shared by files.completeUploadExternal, as the tests read it back."""

    file_id: str
    filename: str
    title: str
    alt_txt: str | None
    data: bytes
    channel_id: str | None  # None: completed without a channel (a private file)
    thread_ts: str | None
    initial_comment: str | None


@dataclass
class _Pending:
    """A file between getUploadURLExternal and completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None
    data: bytes | None = None


class FileUploads:
    """Upload URLs handed out, bytes received and files shared, for one stand-in."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}  # by upload URL id
        self._by_file_id: dict[str, str] = {}  # file id -> upload URL id
        self._ids = itertools.count(1)
        self.shared: list[SharedFile] = []

    def get_upload_url(self, params: dict[str, Any], base_url: str) -> dict[str, Any]:
        """files.getUploadURLExternal: an upload URL on the stand-in and a file id."""
        filename = str(params.get("filename") or "")
        if not filename:
            raise FileError("invalid_arguments")
        length = _length(params.get("length"))
        alt_txt = params.get("alt_txt")
        if alt_txt is not None and len(str(alt_txt)) > ALT_TXT_LIMIT:
            raise FileError("alt_txt_too_large")
        upload_id = secrets.token_hex(12)  # unguessable like Slack's upload URLs
        file_id = f"F{next(self._ids):010d}"
        self._pending[upload_id] = _Pending(
            file_id, filename, length, None if alt_txt is None else str(alt_txt)
        )
        self._by_file_id[file_id] = upload_id
        return {"ok": True, "upload_url": base_url + UPLOAD_PREFIX + upload_id, "file_id": file_id}

    def receive(self, upload_id: str, body: bytes) -> tuple[int, str]:
        """The POST of a file's bytes to its upload URL: (HTTP status, plain-text answer)."""
        pending = self._pending.get(upload_id)
        if pending is None:
            return 404, "invalid_url"
        if len(body) != pending.length:
            return 400, f"length_mismatch: announced {pending.length}, received {len(body)}"
        pending.data = body
        return 200, f"OK - {len(body)}"

    def complete(self, params: dict[str, Any], channel_of: Callable[[str], str]) -> dict[str, Any]:
        """files.completeUploadExternal: share the uploaded files (in `channel_id`, a thread of it).

        `channel_of` checks the channel as chat.postMessage would (exists, the bot is a member).
        """
        entries = _file_entries(params.get("files"))
        channel = str(params.get("channel_id") or "") or None
        if channel is not None:
            channel = channel_of(channel)
        thread_ts = str(params.get("thread_ts") or "") or None
        if thread_ts is not None and channel is None:
            raise FileError("invalid_arguments")  # a thread belongs to a channel
        pendings = [self._uploaded(entry) for entry in entries]
        answered = []
        for entry, pending in zip(entries, pendings, strict=True):
            assert pending.data is not None  # _uploaded checked it
            title = str(entry.get("title") or pending.filename)
            comment = params.get("initial_comment")
            self.shared.append(
                SharedFile(
                    pending.file_id,
                    pending.filename,
                    title,
                    pending.alt_txt,
                    pending.data,
                    channel,
                    thread_ts,
                    None if comment is None else str(comment),
                )
            )
            del self._pending[self._by_file_id.pop(pending.file_id)]  # completed once
            answered.append({"id": pending.file_id, "title": title, "name": pending.filename})
        return {"ok": True, "files": answered}

    def _uploaded(self, entry: dict[str, Any]) -> _Pending:
        upload_id = self._by_file_id.get(str(entry.get("id") or ""))
        pending = None if upload_id is None else self._pending.get(upload_id)
        if pending is None or pending.data is None:
            raise FileError("file_not_found")  # never announced, never uploaded, or already completed
        return pending


def _length(value: Any) -> int:
    """The announced length in bytes; Slack answers missing_argument for none or 0."""
    try:
        length = int(str(value))
    except ValueError:
        raise FileError("missing_argument" if value in (None, "") else "invalid_arguments") from None
    if length <= 0:
        raise FileError("missing_argument")
    return length


def _file_entries(value: Any) -> list[dict[str, Any]]:
    """The `files` argument: a JSON array of objects with an id (form fields arrive as JSON text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise FileError("invalid_arguments") from None
    if not isinstance(value, list) or not value or not all(isinstance(e, dict) for e in value):
        raise FileError("invalid_arguments")
    if len({str(e.get("id")) for e in value}) != len(value):
        raise FileError("invalid_arguments")  # one file shared twice in one call
    return value
