"""A local Chat Completions server for tests and benchmarks.

It speaks the wire format (POST /v1/chat/completions → id, object, created,
model, choices[0].message.content, finish_reason, usage), checks the bearer
key, answers structured requests with JSON that fits the requested schema
(using names and places it reads from the prompt), writes prose of the
requested length ("about N words") within ``max_tokens``, and counts tokens
at ~4 characters per token. Failures are scripted per request.
"""

from __future__ import annotations

import itertools
import json
import re
import select
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_ABOUT_RE = re.compile(r"about (\d+) words")
_SENTENCES = [
    "The corridor narrowed, and the lamps gave up one by one.",
    "Nobody spoke for a while.",
    "She counted the steps out loud, because counting kept the fear at the edges.",
    '"We should turn back," he said, though he did not move.',
    "Outside, the wind worked at the shutters like a patient thief.",
    "It was the kind of silence that has weight.",
    "He thought of the letter folded in his coat and the promise it carried.",
    '"Not yet," she answered.',
    "Light from the window fell across the table in a long pale bar.",
    "Somewhere below, water dripped with the regularity of a clock.",
    "They had come too far to pretend this was an accident.",
    "The map was wrong, or the world had changed while they slept.",
]
_PEOPLE = [
    "Ava Stone",
    "Corin Vale",
    "Mira Holt",
    "Jonas Reed",
    "Tess Moreau",
    "Elian Cross",
    "Nadia Quill",
    "Owen Marsh",
]
_PLACES = [
    "the Lantern Quay",
    "the Salt Archive",
    "Hollow Ridge",
    "the Glass Market",
    "the North Gate",
    "Mirewood",
]


def _listed(prompt: str, label: str) -> list[str]:
    m = re.search(rf"^{label}: (.+)$", prompt, re.MULTILINE)
    return [x.strip() for x in m.group(1).split(",")] if m else []


class _Faker:
    def __init__(self, prompt: str) -> None:
        self.cast = _listed(prompt, "Cast") or _PEOPLE
        self.places = _listed(prompt, "Locations") or _PLACES
        self.counter = itertools.count()

    def text(self) -> str:
        return _SENTENCES[next(self.counter) % len(_SENTENCES)]

    def value(self, schema: dict[str, Any], key: str = "", parent: str = "") -> Any:
        kind = schema.get("type")
        if "enum" in schema:
            return schema["enum"][next(self.counter) % len(schema["enum"])]
        if kind == "object":
            return {k: self.value(v, k, key) for k, v in schema.get("properties", {}).items()}
        if kind == "array":
            n = schema.get("maxItems", max(schema.get("minItems", 0), 3))
            if key == "characters" and parent in ("", "segments") and schema["items"].get("type") == "string":
                i = next(self.counter)
                return [self.cast[i % len(self.cast)], self.cast[(i + 1) % len(self.cast)]][:n]
            if key == "pacing":
                return [round(0.2 + 0.7 * j / max(1, n - 1), 2) for j in range(n)]
            return [self.value(schema["items"], key, parent) for _ in range(n)]
        if kind in ("number", "integer"):
            if key == "proportion":
                return 0.34
            if key == "score":
                return 0.82
            return next(self.counter) + 1
        if kind == "boolean":
            return True
        if key == "name":
            i = next(self.counter)
            if parent == "characters":
                return _PEOPLE[i % len(_PEOPLE)]
            if parent == "locations":
                return _PLACES[i % len(_PLACES)]
            return "Aldermere"
        if key == "location":
            return self.places[next(self.counter) % len(self.places)]
        if key == "key_events":
            return f"{self.cast[next(self.counter) % len(self.cast)]} finds the brass key"
        return self.text()


def prose(words: int) -> str:
    out: list[str] = []
    count = 0
    for i in itertools.count():
        sentence = _SENTENCES[(i * 5) % len(_SENTENCES)]
        out.append(sentence + ("\n\n" if i % 4 == 3 else " "))
        count += len(sentence.split())
        if count >= words:
            break
    return "".join(out).strip()


def tokens(text: str) -> int:
    return (len(text) + 3) // 4


class FakeChatServer:
    """Use as a context manager; ``base_url`` goes into EngineConfig.openai_base_url.

    ``script`` holds per-request actions consumed in order before normal
    answers: ``("status", 429, {"Retry-After": "0"})``, ``("sleep", 0.5)``
    (then answer normally), ``("content", "not json")``.

    ``outage``, while set to such an action, applies it to every request
    (ahead of the script): an outage of any length, ended by setting it back
    to None. ``latency`` (seconds) delays every answer, like a model's time to
    respond. ``served`` records what each request got: "ok", "slow", "content"
    or the scripted HTTP status as a string.
    """

    def __init__(
        self, api_key: str = "test-key", *, latency: float = 0.0, fill_max_tokens: bool = False
    ) -> None:
        self.api_key = api_key
        # A verbose model: every answer uses its whole max_tokens (prose runs on, JSON is padded with
        # whitespace), so real cost runs above the estimate and only the worst-case check holds it.
        self.fill_max_tokens = fill_max_tokens
        self.usage: list[dict[str, Any]] = []  # what the "provider" reported (and would charge) per answer
        self.script: deque[tuple[Any, ...]] = deque()
        self.outage: tuple[Any, ...] | None = None
        self.latency = latency
        self.served: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []  # request paths with their query strings
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body: dict[str, Any], override: str | None) -> dict[str, Any]:
        messages = body.get("messages", [])
        prompt = "\n".join(m.get("content", "") for m in messages)
        max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 4096)
        finish = "stop"
        if override is not None:
            content = override
        elif body.get("response_format", {}).get("type") == "json_schema":
            content = json.dumps(_Faker(prompt).value(body["response_format"]["json_schema"]["schema"]))
        else:
            m = _ABOUT_RE.search(messages[-1].get("content", "") if messages else "")
            content = prose(int(m.group(1)) if m else 200)
        if tokens(content) > max_tokens:
            content, finish = content[: max_tokens * 4], "length"
        elif self.fill_max_tokens and override is None:
            if body.get("response_format", {}).get("type") == "json_schema":
                content = content + " " * (max_tokens * 4 - len(content))
            else:
                content = (content + " " + prose(max_tokens))[: max_tokens * 4]
        prompt_tokens = sum(tokens(m.get("content", "")) + 4 for m in messages)
        with self.lock:
            self.usage.append(
                {
                    "model": body.get("model", "fake"),
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": tokens(content),
                }
            )
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": tokens(content),
                "total_tokens": prompt_tokens + tokens(content),
            },
        }

    def reported_tokens(self) -> int:
        """Every token the server reported in its answers' usage (what a provider bills)."""
        with self.lock:
            return sum(u["prompt_tokens"] + u["completion_tokens"] for u in self.usage)

    def reported_cost(self, prices: dict[str, tuple[float, float]]) -> float:
        """What the answers cost at ``prices`` (USD per 1M tokens, input and output, per model)."""
        with self.lock:
            usage = list(self.usage)
        total = 0.0
        for u in usage:
            price_in, price_out = prices.get(u["model"], (0.0, 0.0))
            total += (u["prompt_tokens"] * price_in + u["completion_tokens"] * price_out) / 1_000_000
        return total

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    server.requests.append(body)
                    action = server.outage or (server.script.popleft() if server.script else None)
                server.paths.append(self.path)
                if urlsplit(self.path).path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                if self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    return self._send(
                        401,
                        {
                            "error": {
                                "message": "Incorrect API key provided.",
                                "type": "invalid_request_error",
                                "code": "invalid_api_key",
                            }
                        },
                    )
                override = None
                kind = action[0] if action else ""
                served = str(action[1]) if kind == "status" else {"sleep": "slow"}.get(kind, kind or "ok")
                with server.lock:
                    server.served.append(served)
                if action and action[0] == "status":
                    headers = action[2] if len(action) > 2 else {}
                    return self._send(action[1], {"error": {"message": f"scripted {action[1]}"}}, headers)
                if server.latency:
                    time.sleep(server.latency)
                if action and action[0] == "sleep":
                    time.sleep(action[1])
                if action and action[0] == "content":
                    override = action[1]
                if self._client_gone():
                    # Like a provider that stops generating when the client hangs up: the prompt was
                    # processed and is billed, no answer is produced. (``usage`` is the bill.)
                    messages = body.get("messages", [])
                    with server.lock:
                        server.usage.append(
                            {
                                "model": body.get("model", "fake"),
                                "prompt_tokens": sum(tokens(m.get("content", "")) + 4 for m in messages),
                                "completion_tokens": 0,
                                "abandoned": True,
                            }
                        )
                    return None
                self._send(200, server.answer(body, override))

            def _client_gone(self) -> bool:
                """True when the client closed the connection while we were "thinking"."""
                try:
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

        return Handler
