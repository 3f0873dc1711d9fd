"""Keep secrets out of messages: redact credentials in text an endpoint sent back, and strip them from URLs.

Used wherever SEAL Explorer shows something that came from, or points at, an LLM endpoint (error replies, the cost
estimate, progress lines): ``Authorization``-style headers and ``key=value`` pairs, ``Bearer``/``Basic`` tokens,
well-known key shapes (``sk-…``, ``hf_…``, ``ghp_…``, ``AKIA…``, ``AIza…``, ``xox?-…``), ``user:password@`` in URLs,
and any secret the caller names (the configured API key itself) are replaced by ``[redacted]``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

MASK = "[redacted]"
_SECRET_NAMES = (
    r"(?:proxy-)?authorization|x-api-key|api[-_]?key|apikey|x-auth-token|auth[-_]?token|access[-_]?token|"
    r"refresh[-_]?token|id[-_]?token|token|secret|client[-_]?secret|password|passwd|pwd|set-cookie|cookie"
)
_KEY_VALUE = re.compile(
    r"""(?ix)
    (?P<key>["']?\b(?:"""
    + _SECRET_NAMES
    + r""")\b["']?\s*[:=]\s*)
    (?P<value>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[^\r\n,;&}\]]+)
    """
)
_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|basic|token|digest)\s+[A-Za-z0-9._~+/=:-]{4,}")
_KEY_SHAPES = re.compile(
    r"\b(?:sk-[A-Za-z0-9_-]{6,}|(?:hf|ghp|gho|ghu|ghs|github_pat|glpat)_[A-Za-z0-9_]{10,}|AKIA[0-9A-Z]{16}|"
    r"AIza[0-9A-Za-z_-]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*)"
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def _quoted_mask(value: str) -> str:
    return value[0] + MASK + value[0] if value[:1] in ("'", '"') else MASK


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with everything that looks like a credential replaced by ``[redacted]``.

    Parameters
    ----------
    text : str
        Anything about to be shown or logged (an endpoint's error reply, an exception message).
    secrets : iterable of str
        Exact values to remove wherever they appear (the configured API key); also removed when URL-quoted or
        inside base64 ``user:key`` credentials. Values under 4 characters are ignored.

    Examples
    --------
    >>> redact('{"headers": {"Authorization": "Bearer abc.def-123", "Accept": "*/*"}}')
    '{"headers": {"Authorization": "[redacted]", "Accept": "*/*"}}'
    >>> redact("bad key sk-live-0123456789abcdef for http://me:hunter2@host/v1")
    'bad key [redacted] for http://[redacted]@host/v1'
    >>> redact("echo: my-own-secret-key", secrets=["my-own-secret-key"])
    'echo: [redacted]'
    """
    if not text:
        return text
    out = str(text)
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        forms = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode().rstrip("=")}
        for form in sorted(forms, key=len, reverse=True):
            out = out.replace(form, MASK)
    out = _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", out)
    out = _KEY_VALUE.sub(lambda m: m.group("key") + _quoted_mask(m.group("value").strip()), out)
    out = _SCHEME_TOKEN.sub(lambda m: f"{m.group(1)} {MASK}", out)
    out = _KEY_SHAPES.sub(MASK, out)
    return out


def safe_url(url: str) -> str:
    """``url`` without ``user:password@`` and with secret-looking query values masked.

    Examples
    --------
    >>> safe_url("https://alice:hunter2@api.example.com:8443/v1?api_key=xyz&model=m")
    'https://api.example.com:8443/v1?api_key=%5Bredacted%5D&model=m'
    >>> safe_url("http://localhost:11434/v1")
    'http://localhost:11434/v1'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return redact(url)
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        secret = re.compile(rf"(?i)^(?:{_SECRET_NAMES}|key|sig|signature)$")
        query = urlencode([(k, MASK if secret.match(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def endpoint_label(url: str) -> str:
    """Host and port only, for sentences such as the cost estimate (``api.openai.com``).

    Examples
    --------
    >>> endpoint_label("https://user:pw@api.openai.com/v1")
    'api.openai.com'
    """
    return urlsplit(safe_url(url)).netloc
