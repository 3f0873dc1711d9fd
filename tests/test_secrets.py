"""Secrets stay secret: an endpoint that echoes the request's headers back in its error reply, and a base URL with
user:password inside, leave no credential in any message, estimate or CLI output (a real server on 127.0.0.1)."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from seal_core.errors import SealInputError
from seal_core.redact import MASK, redact, safe_url

API_KEY = "sk-proj-TopSecret0123456789abcdef"
PASSWORD = "hunter2-pass"
FORBIDDEN = (API_KEY, PASSWORD, "TopSecret", "alice:", "Bearer sk", "YWxpY2U6aHVudGVyMi1wYXNz")  # last: base64


class EchoServer:
    """Answers every request with ``status`` and a body that echoes the request line and every header, as raw text
    and as JSON (what a misconfigured proxy or a debugging endpoint does)."""

    def __init__(self, status: int = 400) -> None:
        self.seen: list[dict] = []

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.seen.append(dict(self.headers))
                raw = "".join(f"{k}: {v}\n" for k, v in self.headers.items())
                body = (
                    f"bad request {self.command} {self.path}\n{raw}"
                    + json.dumps({"error": {"message": "invalid model", "headers": dict(self.headers)}})
                    + f"\nconfigured key was {API_KEY} ok"
                )
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(body.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def echo():
    server = EchoServer()
    yield server
    server.close()


def _assert_clean(text: str) -> None:
    for bad in FORBIDDEN:
        assert bad not in text, f"{bad!r} leaked into: {text!r}"


def test_an_echoed_authorization_header_is_redacted_from_the_error(echo):
    from seal_core.features.llm import ChatClient, EndpointConfig

    client = ChatClient(EndpointConfig(base_url=f"http://127.0.0.1:{echo.port}/v1", model="m", api_key=API_KEY,
                                       max_retries=0))  # fmt: skip
    with pytest.raises(SealInputError) as err:
        client.ask("hello", lambda content: content)
    message = str(err.value)
    assert echo.seen and echo.seen[0]["Authorization"] == f"Bearer {API_KEY}"  # the key really was sent and echoed
    assert "the endpoint answered 400" in message and MASK in message
    _assert_clean(message)


def test_user_and_password_in_the_base_url_are_never_shown(echo):
    from seal_core.features.llm import ChatClient, EndpointConfig, LLMFeaturizer

    url = f"http://alice:{PASSWORD}@127.0.0.1:{echo.port}/v1"
    config = EndpointConfig(base_url=url, model="m", api_key=API_KEY, max_retries=0)
    pairs = pd.DataFrame({"pair_id": ["a"], "prompt_chosen": ["\n\nHuman: hi\n\n"],
                          "prompt_rejected": ["\n\nHuman: hi\n\n"], "chosen": ["yo"], "rejected": ["no"]})  # fmt: skip
    estimate = LLMFeaturizer(config).estimate(pairs)
    assert f"127.0.0.1:{echo.port}" in estimate.sentence()
    _assert_clean(estimate.sentence())
    _assert_clean(repr(config))
    with pytest.raises(SealInputError) as err:
        ChatClient(config).ask("hello", lambda content: content)
    _assert_clean(str(err.value))
    with pytest.raises(SealInputError) as err:
        EndpointConfig(base_url=f"ftp://alice:{PASSWORD}@host/v1", model="m")
    _assert_clean(str(err.value))


def test_the_cli_prints_no_credential_on_an_echoing_endpoint(echo, tmp_path):
    env = {**os.environ, "SEAL_LLM_BASE_URL": f"http://alice:{PASSWORD}@127.0.0.1:{echo.port}/v1",
           "SEAL_LLM_MODEL": "m", "SEAL_LLM_API_KEY": API_KEY, "SEAL_LLM_PRICE_IN": "1", "SEAL_LLM_PRICE_OUT": "2",
           "SEAL_CACHE_DIR": str(tmp_path)}  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "seal_core", "label", "--labeler", "llm", "--limit", "2", "--yes"],
                         env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert echo.seen, "the request never reached the server"
    out = run.stdout + run.stderr
    assert f"127.0.0.1:{echo.port}" in run.stdout  # the estimate names the endpoint, without the credentials
    _assert_clean(out)
    assert "Traceback" not in out
    errors = [line for line in run.stderr.splitlines() if line.startswith("seal label: error:")]
    assert len(errors) == 1 and "400" in errors[0]


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abc123def456",
        "authorization=Basic YWxpY2U6aHVudGVy",
        "{'Authorization': 'Bearer x.y.z-123'}",
        '{"x-api-key": "k-123456789"}',
        "use token ghp_abcdefghijklmnopqrstuvwxyz0123",
        "key AKIAABCDEFGHIJKLMNOP here",
        "hf_abcdefghijklmnopqrstuvwx",
        "https://u:p@example.com/x?api_key=zzz999",
    ],
)
def test_redact_masks_common_credential_shapes(text):
    out = redact(text)
    assert MASK in out
    for token in ("abc123def456", "YWxpY2U6aHVudGVy", "x.y.z-123", "k-123456789", "ghp_abcdef", "AKIAABCD",
                  "hf_abcdef", "u:p@"):  # fmt: skip
        assert token not in out


def test_redact_leaves_ordinary_text_alone():
    text = 'the endpoint answered 400: {"error": "model not found", "max_tokens": 260}'
    assert redact(text) == text
    assert safe_url("https://api.openai.com/v1") == "https://api.openai.com/v1"
