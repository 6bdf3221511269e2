"""Replay (`--replay FILE.har`, repeatable): recorded answers for the requests they answered.

The matching rule: a request matches a recorded exchange of the same API when the method is the
same, the path below the API's base path is the same, the query holds the same parameters with
the same values (in any order), and the body is the same: equal as JSON when both are JSON
(whatever the spacing and key order), as form fields when a form, byte for byte otherwise; no
body matches no body. Headers are not compared. A value the recording masked (`****`) matches
whatever is sent in its place. When several recorded exchanges match, the one recorded last
(in the last file given) answers. Its status, headers and body go back as recorded (the body
decoded, so without `Content-Encoding`); anything no recording matches goes on (to the real API
under --upstream, else to the stateful mock)."""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from ..security.masking import MASK
from .exchange import header
from .forward import HOP_BY_HOP
from .har import content_bytes, exchange_of, pairs, read_entries
from .locate import Locator

NOT_REPLAYED = HOP_BY_HOP | {"content-length", "content-encoding"}
FORM = "application/x-www-form-urlencoded"


@dataclass
class Recorded:
    query: list[tuple[str, str]]
    body: bytes
    content_type: str | None
    status: int
    headers: list[tuple[str, str]]
    answer: bytes
    file: str  # the HAR file's name
    entry: int  # the entry's number in it, from 1


def recorded_answer(entry: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and body to answer with: the text as recorded (decoded), or the bytes as
    received when they could not be decoded (then with their Content-Encoding)."""
    content = entry["response"].get("content") or {}
    headers = [(n, v) for n, v in pairs(entry["response"].get("headers")) if n.lower() not in NOT_REPLAYED]
    coding = content.get("_encoding") if isinstance(content, dict) else None
    if coding:
        return headers + [("content-encoding", coding)], base64.b64decode(content.get("text") or "")
    return headers, content_bytes(content) or b""


class Replay:
    def __init__(self, files: list[str], locator: Locator):
        """Every exchange of the files that `locator` places in a served API (HarError for a file
        that cannot be read as HAR)."""
        self.index: dict[tuple[str, str, str], list[Recorded]] = defaultdict(list)
        for name in files:
            for number, entry in enumerate(read_entries(name), 1):
                exchange = exchange_of(entry)
                place = locator.locate(entry) if exchange is not None else None
                if place is None:
                    continue
                api, path = place
                headers, answer = recorded_answer(entry)
                self.index[(api, exchange.method, path)].append(Recorded(
                    parse_qsl(exchange.query, keep_blank_values=True), exchange.request_body,
                    header(exchange.request_headers, "content-type"), exchange.status, headers, answer,
                    Path(name).name, number))

    def holds(self, api: str) -> bool:
        return any(key[0] == api for key in self.index)

    def __len__(self) -> int:
        return sum(len(found) for found in self.index.values())

    def find(self, api: str, method: str, path: str, query: str, body: bytes,
             content_type: str | None) -> Recorded | None:
        """The recorded exchange that answers this request, or None (see the module's rule)."""
        candidates = self.index.get((api, method.upper(), path))
        if not candidates:
            return None
        sent = parse_qsl(query, keep_blank_values=True)
        for found in reversed(candidates):
            if same_pairs(found.query, sent) and same_body(found.body, found.content_type, body, content_type):
                return found
        return None


def same_pairs(recorded: list[tuple[str, str]], sent: list[tuple[str, str]]) -> bool:
    """The same names, each as often, with the same values (a masked value matches any)."""
    if Counter(n for n, _ in recorded) != Counter(n for n, _ in sent):
        return False
    wanted = Counter((n, v) for n, v in recorded if v != MASK)
    return not wanted - Counter(sent)


def same_body(recorded: bytes, recorded_type: str | None, sent: bytes, sent_type: str | None) -> bool:
    if not recorded or not sent:
        return not recorded and not sent
    mime = (sent_type or recorded_type or "").split(";")[0].strip().lower()
    if mime == FORM:
        return same_pairs(parse_qsl(recorded.decode("utf-8", "replace"), keep_blank_values=True),
                          parse_qsl(sent.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        return same_value(json.loads(recorded), json.loads(sent))
    except ValueError:
        return recorded == sent


def same_value(recorded: Any, sent: Any) -> bool:
    """Equal JSON values, a masked value in the recording matching anything."""
    if recorded == MASK:
        return True
    if isinstance(recorded, dict) and isinstance(sent, dict):
        return recorded.keys() == sent.keys() and all(same_value(recorded[k], sent[k]) for k in recorded)
    if isinstance(recorded, list) and isinstance(sent, list):
        return len(recorded) == len(sent) and all(same_value(r, s) for r, s in zip(recorded, sent))
    if isinstance(recorded, bool) or isinstance(sent, bool):
        return recorded is sent
    return recorded == sent
