"""A local Chat Completions server for tests and benchmarks.

It speaks the wire format (POST /v1/chat/completions → id, object, created,
model, choices[0].message.content, finish_reason, usage; with ``stream: true``
server-sent chunks, usage in a last chunk when ``stream_options.include_usage``
asks; GET /v1/models), checks the bearer key, answers structured requests with
JSON that fits the requested schema (from ``response_format`` or, without
one, from the schema written in the prompt), writes varied prose of the
requested length ("about N words") within ``max_tokens`` with a model's
occasional slips, returns a line edit's passage with them fixed (see
``testing_prose``), and counts tokens at ~4 characters per token. Failures are scripted per request.

Switches that imitate real servers (llama.cpp, Ollama, small CPU boxes):
``json_modes`` (the response_format types it accepts; others get a 500 whose
body names response_format), ``control_chars`` (raw newlines and tabs inside
JSON strings), ``short_words`` (prose stops early, finish_reason "stop"),
``stream_usage`` (False: never sends usage), ``context_window`` (prompt +
max_tokens over it is a 400 naming the context window), ``serial`` (one
request at a time; an abandoned non-streamed answer still holds the line),
``token_delay`` (seconds between streamed chunks), ``models`` (what
/v1/models lists; other names get a 404), ``props`` (answer llama.cpp's
``GET /props`` with ``default_generation_settings.n_ctx`` = ``context_window``;
/v1/models then states no window, as llama.cpp's does not), ``redirect_to``
(every request gets a 302 to that address, like a server that moved).
``gets`` records the paths of GET requests.
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

from . import testing_prose

_ABOUT_RE = re.compile(r"about (\d+) (?:more )?words")
_EDIT_RE = re.compile(r"Keep about \d+ words\.\n\n")
_SCHEMA_RE = re.compile(r"JSON Schema[^\n]*\n(\{.*\})\s*$", re.DOTALL)
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
            n = max(schema.get("minItems", 0), min(schema.get("maxItems", 3), 3))
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


class _Cut(str):
    """Content that ends at the token limit (``finish_reason: length``)."""


def _with_control_chars(value: Any) -> Any:
    """Raw control characters inside strings, as small local models write them."""
    if isinstance(value, dict):
        return {k: _with_control_chars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_control_chars(v) for v in value]
    if isinstance(value, str) and " " in value:
        return value.replace(" ", "\t", 1) + "\nand more"
    return value


def _raw_json(value: Any) -> str:
    """json.dumps, except control characters inside strings stay raw (invalid strict JSON)."""
    return json.dumps(value, ensure_ascii=False).replace("\\n", "\n").replace("\\t", "\t")


class FakeChatServer:
    """Use as a context manager; ``base_url`` is the connection's base URL.

    ``script`` holds per-request actions consumed in order before normal
    answers: ``("status", 429, {"Retry-After": "0"})`` (optionally a fourth
    item: the error message), ``("sleep", 0.5)`` (then answer normally),
    ``("content", "not json")``, ``("short", 10)`` (prose of 10 words),
    ``("cut", 300)`` (300 words, then ``finish_reason: length``), ``("stall", 2.0)``
    (stream half the answer, go quiet for 2 s, then finish it — unless the client
    has gone, which stops the generation like llama.cpp does).

    ``outage``, while set to such an action, applies it to every request
    (ahead of the script): an outage of any length, ended by setting it back
    to None. ``latency`` (seconds) delays every answer, like a model's time to
    respond. ``served`` records what each request got: "ok", "slow", "content",
    "short", "stall", "refused" (a JSON mode or context refusal) or the
    scripted HTTP status as a string.
    """

    def __init__(
        self,
        api_key: str | None = "test-key",  # None: no key needed (a local Ollama, LM Studio)
        *,
        latency: float = 0.0,
        json_modes: tuple[str, ...] = ("json_schema", "json_object"),
        control_chars: bool = False,
        short_words: int | None = None,
        stream_usage: bool = True,
        context_window: int | None = None,
        serial: bool = False,
        token_delay: float = 0.0,
        chunk_chars: int = 200,
        models: tuple[str, ...] | None = None,
        fill_max_tokens: bool = False,
        flaw_rates: dict[str, float] | None = None,
        props: bool = False,
        redirect_to: str | None = None,
    ) -> None:
        self.api_key = api_key
        # Share of drafted passages that loop, lean on stock phrases or leave dialogue unclosed
        # (testing_prose.FLAW_RATES when None; {} for prose without slips).
        self.flaw_rates = flaw_rates
        # A verbose model: every answer uses its whole max_tokens (prose runs on, JSON is padded with
        # whitespace), so real cost runs above the estimate and only the worst-case check holds it.
        self.fill_max_tokens = fill_max_tokens
        self.usage: list[dict[str, Any]] = []  # what the "provider" reported (and would charge) per answer
        self.script: deque[tuple[Any, ...]] = deque()
        self.outage: tuple[Any, ...] | None = None
        self.latency = latency
        self.json_modes = json_modes
        self.control_chars = control_chars
        self.short_words = short_words
        self.stream_usage = stream_usage
        self.context_window = context_window
        self.serial = serial
        self.token_delay = token_delay
        self.chunk_chars = chunk_chars
        self.models = models
        self.props = props
        self.redirect_to = redirect_to
        self.gets: list[str] = []
        self.served: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.abandoned = 0  # streamed answers the client walked away from
        self.cut_short: list[tuple[int, int]] = []  # (chunks sent, chunks in the answer) of those
        self.paths: list[str] = []  # request paths with their query strings
        self.lock = threading.Lock()
        self.line = threading.Lock()  # held while generating when ``serial``
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

    # -- answers -----------------------------------------------------------------------------------
    def _schema(self, body: dict[str, Any], prompt: str) -> dict[str, Any] | None:
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            return fmt["json_schema"]["schema"]
        if fmt.get("type") == "json_object" and isinstance(fmt.get("schema"), dict):
            return fmt["schema"]
        system = next(
            (m.get("content", "") for m in body.get("messages", []) if m.get("role") == "system"), ""
        )
        m = _SCHEMA_RE.search(system)
        if m:
            try:
                return json.loads(m.group(1))
            except ValueError:
                return None
        return None

    def content_for(self, body: dict[str, Any], override: str | None) -> tuple[str, str]:
        messages = body.get("messages", [])
        prompt = "\n".join(m.get("content", "") for m in messages)
        max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 4096)
        finish = "stop"
        schema = self._schema(body, prompt)
        if override is not None:
            content = override
        elif schema is not None:
            value = _Faker(prompt).value(schema)
            content = _raw_json(_with_control_chars(value)) if self.control_chars else json.dumps(value)
        else:
            last = messages[-1].get("content", "") if messages else ""
            asked = _ABOUT_RE.findall(last)
            words = int(asked[-1]) if asked else 200
            if self.short_words is not None:
                words = min(words, self.short_words)
            system = messages[0].get("content", "") if messages else ""
            edit = _EDIT_RE.split(last, maxsplit=1) if "line editor" in system else []
            if len(edit) == 2:  # stage 08: the passage back, its faults fixed
                content = testing_prose.line_edit(prompt, edit[1], words)
            else:
                content = testing_prose.draft(prompt, words, self.flaw_rates)
        if tokens(content) > max_tokens:
            content, finish = content[: max_tokens * 4], "length"
        elif self.fill_max_tokens and override is None:
            if schema is not None:
                content = content + " " * (max_tokens * 4 - len(content))
            else:
                content = (content + " " + prose(max_tokens))[: max_tokens * 4]
        return content, finish

    @staticmethod
    def usage_of(messages: list[dict[str, Any]], content: str) -> dict[str, int]:
        prompt = sum(tokens(m.get("content", "")) + 4 for m in messages)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": tokens(content),
            "total_tokens": prompt + tokens(content),
        }

    def record(self, body: dict[str, Any], usage: dict[str, int]) -> None:
        """What the "provider" reported (and would charge) for an answer."""
        with self.lock:
            self.usage.append(
                {
                    "model": body.get("model", "fake"),
                    "prompt_tokens": usage["prompt_tokens"],
                    "completion_tokens": usage["completion_tokens"],
                }
            )

    def answer(self, body: dict[str, Any], override: str | None) -> dict[str, Any]:
        content, finish = self.content_for(body, override)
        if isinstance(override, _Cut):
            finish = "length"
        usage = self.usage_of(body.get("messages", []), content)
        self.record(body, usage)
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
            ],
            "usage": usage,
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

    def refusal(self, body: dict[str, Any]) -> tuple[int, str] | None:
        """The refusal a real server would give this request, if any."""
        fmt = (body.get("response_format") or {}).get("type")
        if fmt and fmt != "text" and fmt not in self.json_modes:
            return 500, f"response_format type {fmt!r} is not supported; use one of {list(self.json_modes)}"
        if self.models is not None and body.get("model") not in self.models:
            return 404, f"The model `{body.get('model')}` does not exist."
        if self.context_window is not None:
            prompt = sum(tokens(m.get("content", "")) + 4 for m in body.get("messages", []))
            wanted = prompt + int(body.get("max_tokens") or 0)
            if wanted > self.context_window:
                return 400, f"Requested tokens ({wanted}) exceed context window of {self.context_window}"
        return None

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

            def _authorised(self) -> bool:
                if server.api_key is None or self.headers.get("Authorization") == f"Bearer {server.api_key}":
                    return True
                self._send(
                    401,
                    {
                        "error": {
                            "message": "Incorrect API key provided.",
                            "type": "invalid_request_error",
                            "code": "invalid_api_key",
                        }
                    },
                )
                return False

            def do_GET(self) -> None:
                with server.lock:
                    server.gets.append(self.path)
                if server.redirect_to:
                    return self._send(302, {}, {"Location": server.redirect_to + self.path})
                if server.props and self.path.rstrip("/") == "/props":
                    if not self._authorised():
                        return None
                    settings = {"n_ctx": server.context_window or 4096}
                    return self._send(200, {"default_generation_settings": settings, "total_slots": 1})
                if self.path.rstrip("/") != "/v1/models":
                    return self._send(404, {"error": {"message": "not found"}})
                if not self._authorised():
                    return None
                names = server.models or ("gpt-4o-mini", "gpt-4o")
                data = [{"id": n, "object": "model", "owned_by": "fake"} for n in names]
                if server.context_window and not server.props:
                    for entry in data:
                        entry["max_model_len"] = server.context_window
                self._send(200, {"object": "list", "data": data})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    server.requests.append(body)
                    action = server.outage or (server.script.popleft() if server.script else None)
                server.paths.append(self.path)
                if server.redirect_to:
                    return self._send(302, {}, {"Location": server.redirect_to + self.path})
                if urlsplit(self.path).path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                if not self._authorised():
                    return None
                kind = action[0] if action else ""
                served = str(action[1]) if kind == "status" else {"sleep": "slow"}.get(kind, kind or "ok")
                if action and action[0] == "status":
                    with server.lock:
                        server.served.append(served)
                    headers = action[2] if len(action) > 2 else {}
                    message = action[3] if len(action) > 3 else f"scripted {action[1]}"
                    return self._send(action[1], {"error": {"message": message}}, headers)
                refused = server.refusal(body)
                with server.lock:
                    server.served.append("refused" if refused else served)
                if refused:
                    return self._send(
                        refused[0], {"error": {"message": refused[1], "type": "invalid_request_error"}}
                    )
                if server.serial:
                    server.line.acquire()
                try:
                    self._generate(body, action)
                finally:
                    if server.serial:
                        server.line.release()

            def _generate(self, body: dict[str, Any], action: tuple[Any, ...] | None) -> None:
                if server.latency:
                    time.sleep(server.latency)
                if action and action[0] == "sleep":
                    time.sleep(action[1])
                override = None
                if action and action[0] == "content":
                    override = action[1]
                if action and action[0] == "short":
                    override = prose(action[1])
                if action and action[0] == "cut":
                    override = _Cut(prose(action[1]).rstrip(".") + " and then the")
                if self._client_gone():
                    # Like a provider that stops generating when the client hangs up before the first
                    # token: the prompt was processed and is billed, no answer is produced.
                    prompt = sum(tokens(m.get("content", "")) + 4 for m in body.get("messages", []))
                    with server.lock:
                        server.usage.append(
                            {
                                "model": body.get("model", "fake"),
                                "prompt_tokens": prompt,
                                "completion_tokens": 0,
                                "abandoned": True,
                            }
                        )
                    return None
                if not body.get("stream"):
                    return self._send(200, server.answer(body, override))
                content, finish = server.content_for(body, override)
                if isinstance(override, _Cut):
                    finish = "length"
                stall = action[1] if action and action[0] == "stall" else None
                self._stream(body, content, finish, stall)

            def _client_gone(self) -> bool:
                """True when the client closed the connection while we were "thinking"."""
                try:
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

            def _stream(self, body: dict[str, Any], content: str, finish: str, stall: float | None) -> None:
                base = {
                    "id": f"chatcmpl-{len(server.requests)}",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                }

                def event(payload: dict[str, Any]) -> None:
                    self.wfile.write(b"data: " + json.dumps({**base, **payload}).encode() + b"\n\n")
                    self.wfile.flush()

                size = max(1, server.chunk_chars)
                pieces = [content[i : i + size] for i in range(0, len(content), size)] or [""]
                sent = 0
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    for n, piece in enumerate(pieces):
                        if stall is not None and n == max(1, len(pieces) // 2):
                            time.sleep(stall)  # go quiet mid-answer
                        delta = {"role": "assistant", "content": piece} if n == 0 else {"content": piece}
                        event({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                        sent += 1
                        if server.token_delay:
                            time.sleep(server.token_delay)
                    event({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
                    usage = server.usage_of(body.get("messages", []), content)
                    server.record(body, usage)  # billed whether or not the stream reports it
                    wants_usage = (body.get("stream_options") or {}).get("include_usage")
                    if wants_usage and server.stream_usage:
                        event({"choices": [], "usage": usage})
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    # The generation stops; what was generated so far is still the provider's to bill.
                    server.record(body, server.usage_of(body.get("messages", []), "".join(pieces[:sent])))
                    with server.lock:
                        server.abandoned += 1  # like llama.cpp: a closed stream stops the generation
                        server.cut_short.append((sent, len(pieces)))

        return Handler
