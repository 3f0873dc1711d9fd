"""Transcripts: SEAL's (prompt, last response) split, chat-message parsing, and one record's two sides.

A record is hh-rlhf style (``chosen``/``rejected`` full transcripts) or TRL style (``prompt`` plus ``chosen``/
``rejected`` responses, each a string or a list of ``{role, content}`` messages).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["ASSISTANT", "RowError", "normalize_record", "parse_turns", "render_transcript", "split_transcript"]

ASSISTANT = "Assistant:"
_ROLE_NAMES = {"user": "Human", "human": "Human", "assistant": "Assistant", "system": "System"}
_MARKER_RE = re.compile(r"\n\n(Human|Assistant|System):")


class RowError(Exception):
    """A problem confined to one record; lenient loading skips it.

    The message names the field and the kind of problem, never the record's content; ``kind`` is a short label
    for counting skipped records by reason, and ``excerpt`` the offending value, shown (cut short) only when the
    caller asks for excerpts (the user's own upload)."""

    def __init__(self, message: str, kind: str | None = None, excerpt: Any = None) -> None:
        super().__init__(message)
        self.kind = kind or message
        self.excerpt = excerpt


def split_transcript(text: str) -> tuple[str, str]:
    """Split a transcript into (prompt, last response) exactly as SEAL does.

    ``pivot = text.rfind("Assistant:")``; the prompt is ``text[:pivot]`` (with its trailing ``"\\n\\n"``) and the
    response is what follows the marker, without the single space after it, so that
    ``prompt + "Assistant: " + response == text`` whenever the transcript has that space (every hh-rlhf pair does).

    Examples
    --------
    >>> split_transcript("\\n\\nHuman: hi\\n\\nAssistant: hello")
    ('\\n\\nHuman: hi\\n\\n', 'hello')
    """
    pivot = text.rfind(ASSISTANT)
    if pivot < 0:
        raise RowError(
            "has no 'Assistant:' turn; expected a transcript like '\\n\\nHuman: ...\\n\\nAssistant: ...'",
            kind="no 'Assistant:' turn",
        )
    response = text[pivot + len(ASSISTANT) :]
    if response.startswith(" "):
        response = response[1:]
    return text[:pivot], response


def parse_turns(transcript: str) -> list[dict[str, str]]:
    """Parse an hh-rlhf style transcript into chat messages (``role`` is user / assistant / system).

    Examples
    --------
    >>> parse_turns("\\n\\nHuman: hi\\n\\nAssistant: hello")
    [{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'hello'}]
    """
    roles = {"Human": "user", "Assistant": "assistant", "System": "system"}
    parts = _MARKER_RE.split(transcript)
    messages = []
    head = parts[0].strip()
    if head:
        messages.append({"role": "system", "content": head})
    for name, content in zip(parts[1::2], parts[2::2]):
        messages.append({"role": roles[name], "content": content[1:] if content.startswith(" ") else content})
    return messages


def render_transcript(messages: Iterable[Mapping[str, Any]]) -> str:
    """Render chat messages as an hh-rlhf transcript (``"\\n\\nHuman: ...\\n\\nAssistant: ..."``).

    Examples
    --------
    >>> render_transcript([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
    '\\n\\nHuman: hi\\n\\nAssistant: hello'
    """
    out = []
    for m in messages:
        out.append(f"\n\n{_ROLE_NAMES[m['role']]}: {m['content']}")
    return "".join(out)


def _message_list(value: Any, name: str) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple | np.ndarray) or len(value) == 0:
        raise RowError(f"'{name}' must be a non-empty list of {{'role', 'content'}} messages", kind="bad messages")
    messages = []
    for k, m in enumerate(value):
        if not isinstance(m, Mapping) or "role" not in m or "content" not in m:
            raise RowError(f"'{name}' message {k} is not a {{'role', 'content'}} mapping", kind="bad messages",
                           excerpt=m)  # fmt: skip
        role = str(m["role"]).lower()
        if role not in _ROLE_NAMES:
            raise RowError(f"'{name}' message {k} has an unknown role; expected user, assistant or system",
                           kind="unknown role", excerpt=m["role"])  # fmt: skip
        content = m["content"]
        if isinstance(content, list | tuple | np.ndarray):  # OpenAI-style content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
        if not isinstance(content, str):
            raise RowError(f"'{name}' message {k} content is {type(content).__name__}, expected text",
                           kind="wrong type")  # fmt: skip
        messages.append({"role": "user" if role == "human" else role, "content": content})
    return messages


def _text(value: Any, name: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise RowError(f"'{name}' is missing or null", kind="missing text")
    if not isinstance(value, str):
        raise RowError(f"'{name}' is {type(value).__name__}, expected text", kind="wrong type")
    if not value.strip():
        raise RowError(f"empty text in '{name}'", kind="empty text")
    return value


def _side_from_conversation(messages: list[dict[str, str]], name: str) -> tuple[str, str]:
    if messages[-1]["role"] != "assistant":
        raise RowError(f"'{name}' must end with an assistant message, found a {messages[-1]['role']} message",
                       kind="no final assistant message")  # fmt: skip
    if not messages[-1]["content"].strip() and len(messages) == 1:
        raise RowError(f"empty text in '{name}'", kind="empty text")
    return render_transcript(messages[:-1]) + "\n\n", messages[-1]["content"]


def _hh_side(value: Any, name: str) -> tuple[str, str]:
    if isinstance(value, list | tuple | np.ndarray):
        return _side_from_conversation(_message_list(value, name), name)
    text = _text(value, name)
    try:
        return split_transcript(text)
    except RowError as e:
        raise RowError(f"'{name}' {e}", kind=e.kind) from None


def _trl_side(prompt: Any, value: Any, name: str) -> tuple[str, str]:
    if isinstance(value, list | tuple | np.ndarray):
        conv = _message_list(value, name)
        if isinstance(prompt, list | tuple | np.ndarray):
            conv = _message_list(prompt, "prompt") + conv
        else:
            conv = [{"role": "user", "content": _text(prompt, "prompt")}] + conv
        return _side_from_conversation(conv, name)
    response = _text(value, name)
    if isinstance(prompt, list | tuple | np.ndarray):
        return render_transcript(_message_list(prompt, "prompt")) + "\n\n", response
    prompt = _text(prompt, "prompt")
    if "Human:" in prompt:  # an hh-style prompt string ("...\n\nAssistant:"): split the joined transcript as SEAL
        joined = prompt + value if ASSISTANT in prompt[-len(ASSISTANT) - 2 :] else prompt + "\n\nAssistant: " + value
        return split_transcript(joined)
    return render_transcript([{"role": "user", "content": prompt}]) + "\n\n", response


def normalize_record(rec: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """Both sides of one record as (prompt, response) texts and full transcripts, split as SEAL does.

    Parameters
    ----------
    rec : mapping
        One record: ``chosen``/``rejected`` transcripts (``fmt="hh-rlhf"``) or ``prompt`` plus ``chosen``/``rejected``
        responses (``fmt="trl"``); each side a string or a list of ``{role, content}`` messages.
    fmt : {"hh-rlhf", "trl"}

    Raises
    ------
    RowError
        The record cannot be read; lenient loading skips it.

    Examples
    --------
    >>> r = normalize_record({"prompt": "Say hi", "chosen": "hi", "rejected": "no"}, "trl")
    >>> r["prompt_chosen"], r["chosen"], r["rejected_full"]
    ('\\n\\nHuman: Say hi\\n\\n', 'hi', '\\n\\nHuman: Say hi\\n\\nAssistant: no')
    """
    if fmt == "trl":
        pc, c = _trl_side(rec.get("prompt"), rec.get("chosen"), "chosen")
        pr, r = _trl_side(rec.get("prompt"), rec.get("rejected"), "rejected")
    else:
        pc, c = _hh_side(rec.get("chosen"), "chosen")
        pr, r = _hh_side(rec.get("rejected"), "rejected")
    return {
        "prompt_chosen": pc,
        "prompt_rejected": pr,
        "chosen": c,
        "rejected": r,
        "chosen_full": pc + "Assistant: " + c,
        "rejected_full": pr + "Assistant: " + r,
    }
