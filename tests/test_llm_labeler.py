"""The LLM labeler against a real OpenAI-compatible HTTP server on 127.0.0.1 (started here), failure modes included."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from seal_core.errors import SealInputError
from seal_core.features import SEAL_KEYS, LabelCache, label_pairs
from seal_core.features.llm import EndpointConfig, LLMFeaturizer, build_prompt


def good_reply(prompt: str) -> dict:
    """A well-formed labelling: refusal iff the conversation's last response contains "can't"."""
    last = prompt.rsplit("Assistant:", 1)[-1]
    labels = {k: False for k, kind in SEAL_KEYS.items() if kind == "bool"}
    labels["last_response_is_refusal"] = "can't" in last
    labels["last_response_is_helpful"] = len(last) % 2 == 0  # varies from text to text
    labels["last_response_sentiment"] = "negative" if "hate" in last else "neutral"
    labels["last_response_is_discriminating_against"] = []
    labels["topics"] = ["Human activities"]
    return labels


class FakeLLM:
    """A chat-completions server. ``script`` lists what the next requests get: ok, 429, 500, badjson, wrongkeys,
    badvalue, notchat, slow, 401; when it runs out, requests get ``ok``."""

    def __init__(self, script=(), fail_texts=()):
        self.script = list(script)
        self.fail_texts = set(fail_texts)
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.requests.append(body)
                    outer.headers.append(dict(self.headers))
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                    action = outer.script.pop(0) if outer.script else "ok"
                prompt = body["messages"][0]["content"]
                if any(t in prompt for t in outer.fail_texts):
                    action = "500"
                try:
                    time.sleep(0.02)
                    self._respond(action, prompt)
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

            def _respond(self, action, prompt):
                if action == "slow":
                    time.sleep(1.5)
                    action = "ok"
                if action in ("429", "500", "401"):
                    self.send_response(int(action))
                    if action == "429":
                        self.send_header("Retry-After", "0")
                    self.end_headers()
                    self.wfile.write(b'{"error": "nope"}')
                    return
                content = {
                    "ok": json.dumps(good_reply(prompt)),
                    "badjson": '{"last_response_is_helpful": tru',
                    "wrongkeys": json.dumps({"helpful": True}),
                    "badvalue": json.dumps({**good_reply(prompt), "last_response_sentiment": "ecstatic"}),
                }.get(action, "")
                payload = {"choices": [{"message": {"role": "assistant", "content": content}}]}
                raw = b"<html>not json</html>" if action == "notchat" else json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm():
    server = FakeLLM()
    yield server
    server.close()


def featurizer(server, **kw):
    cfg = {"base_url": server.url, "model": "tiny-labeler", "api_key": "sk-test-secret", "backoff": 0.01,
           "timeout": 1.0, "concurrency": 3, **kw}  # fmt: skip
    return LLMFeaturizer(EndpointConfig(**cfg))


PAIRS = pd.DataFrame({
    "pair_id": ["a", "b", "c"],
    "prompt_chosen": ["\n\nHuman: help me\n\n"] * 3,
    "prompt_rejected": ["\n\nHuman: help me\n\n"] * 3,
    "chosen": ["Sorry, I can't do that.", "Here you go.", "I hate this."],
    "rejected": ["Sure thing.", "I can't.", "Fine."],
})  # fmt: skip


def test_labels_are_requested_validated_and_coded(llm):
    f = label_pairs(PAIRS, featurizer(llm)).features
    assert f["last_response_is_refusal"].tolist() == [1, 0, 0, 0, 1, 0]
    assert f["last_response_sentiment"].tolist() == [0, 0, -1, 0, 0, 0]
    assert f["topics"].iloc[0] == '["Human activities"]'
    assert f.labeler.iloc[0] == "llm@tiny-labeler|seal-v1-newline"
    body = llm.requests[0]
    assert body["model"] == "tiny-labeler" and body["temperature"] == 0.0
    assert body["response_format"] == {"type": "json_object"}
    assert llm.headers[0]["Authorization"] == "Bearer sk-test-secret"
    prompt = body["messages"][0]["content"]
    assert "\nlast_response_is_refusal: Boolean." in prompt  # one key per line: the reference's missing separator
    assert prompt.endswith("\n\nHuman: help me\n\nAssistant: " + prompt.rsplit("Assistant: ", 1)[-1])
    assert len(llm.requests) == 6


@pytest.mark.parametrize("failure", ["429", "500", "badjson", "wrongkeys", "badvalue", "notchat", "slow"])
def test_each_failure_mode_is_retried(llm, failure):
    llm.script = [failure]
    lab = featurizer(llm, concurrency=1)
    res = label_pairs(PAIRS.head(1), lab)
    assert res.complete and not res.features["last_response_is_refusal"].isna().any()
    assert lab.requests_sent == 3  # one failed attempt, then both texts


def test_a_text_that_keeps_failing_is_reported_not_cached_and_retried_next_run(llm, tmp_path):
    llm.fail_texts = {"I hate this."}
    cache = LabelCache(tmp_path / "labels.sqlite")
    lab = featurizer(llm, max_retries=2)
    res = label_pairs(PAIRS, lab, cache=cache)
    assert res.failed.to_dict("records") == [{"pair_id": "c", "side": "chosen"}]  # "I hate this."
    assert res.features["last_response_is_refusal"].isna().sum() == 1
    assert len(res.labelled()) == 5 and not res.labelled()["last_response_is_refusal"].isna().any()
    assert any("gave up after 3 attempts: server error 500" in m for m in lab.failures)
    assert "sk-test-secret" not in " ".join(lab.failures)
    llm.fail_texts = set()
    before = len(llm.requests)
    again = label_pairs(PAIRS, featurizer(llm), cache=cache)
    assert len(llm.requests) - before == 1  # only the missing text is asked again (resumed)
    assert again.complete and not again.features["last_response_is_refusal"].isna().any()


def test_concurrency_is_bounded(llm):
    many = pd.concat([PAIRS.assign(pair_id=PAIRS.pair_id + str(i), chosen=PAIRS.chosen + f" {i}")
                      for i in range(6)], ignore_index=True)  # fmt: skip
    label_pairs(many, featurizer(llm, concurrency=3))
    assert 1 < llm.max_in_flight <= 3


def test_bad_key_stops_at_once_with_a_clear_message(llm):
    llm.script = ["401"] * 10
    with pytest.raises(SealInputError, match=r"refused the key \(401\): check SEAL_LLM_API_KEY") as err:
        label_pairs(PAIRS.head(1), featurizer(llm, concurrency=1))
    assert "sk-test-secret" not in str(err.value)


def test_nothing_is_sent_without_an_endpoint(monkeypatch):
    for var in ("SEAL_LLM_BASE_URL", "SEAL_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(SealInputError, match="no LLM endpoint is configured, so nothing was sent"):
        LLMFeaturizer.from_env()
    monkeypatch.setenv("SEAL_LLM_BASE_URL", "ftp://x")
    monkeypatch.setenv("SEAL_LLM_MODEL", "m")
    with pytest.raises(SealInputError, match="must be an http"):
        LLMFeaturizer.from_env()


def test_cost_estimate(llm, monkeypatch, tmp_path):
    monkeypatch.setenv("SEAL_LLM_BASE_URL", llm.url)
    monkeypatch.setenv("SEAL_LLM_MODEL", "tiny-labeler")
    monkeypatch.setenv("SEAL_LLM_PRICE_IN", "2.5")
    monkeypatch.setenv("SEAL_LLM_PRICE_OUT", "10")
    lab = LLMFeaturizer.from_env()
    est = lab.estimate(PAIRS)
    assert est.n_requests == 6
    assert est.input_tokens == sum((len(build_prompt("")) + len(p + "Assistant: " + r)) // 4 + 8
                                   for p, r in zip(list(PAIRS.prompt_chosen) * 2, list(PAIRS.chosen) + list(PAIRS.rejected)))  # fmt: skip
    assert est.cost_usd == pytest.approx(est.input_tokens * 2.5e-6 + est.output_tokens * 1e-5)
    assert "About 6 requests" in est.sentence() and "$" in est.sentence()
    cache = LabelCache(tmp_path / "l.sqlite")
    label_pairs(PAIRS.head(1), lab, cache=cache)
    assert lab.estimate(PAIRS, cache=cache).n_requests == 4  # labelled texts are not counted again
    assert len(llm.requests) == 2
