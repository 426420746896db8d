"""The host guard: a writer's connection calls only http(s) hosts outside the cloud's metadata and,
unless the operator allows it, outside private networks — checked when saved and at every connect."""

from __future__ import annotations

import pytest

from jobs.pipeline import BackendError, EngineConfig, hostguard
from jobs.pipeline.backends.openai_backend import OpenAIBackend
from jobs.pipeline.connection import Connection, JsonModeMemory
from jobs.pipeline.hostguard import UnsafeURL, address_refusal, check_base_url
from jobs.pipeline.testing import FakeChatServer

MESSAGES = [{"role": "user", "content": "Write about 20 words."}]


def _refusal(url: str, *, allow_private: bool = True, resolver=None) -> UnsafeURL:
    with pytest.raises(UnsafeURL) as refused:
        check_base_url(url, allow_private=allow_private, resolver=resolver)
    return refused.value


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.0.1:8080/v1",
        "http://[fd00:ec2::254]/v1",
        "http://[fe80::1]/v1",
        "http://[::ffff:169.254.169.254]/v1",
        "http://100.100.100.200/v1",
        "http://0.0.0.0:8080/v1",
        "http://224.0.0.1/v1",
    ],
)
def test_metadata_and_link_local_addresses_are_refused_even_when_private_hosts_are_allowed(url) -> None:
    refused = _refusal(url, allow_private=True)
    assert refused.reason == "metadata"
    assert "never sends requests there" in str(refused)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://models.example/v1", "gopher://x/", "localhost:8080"]
)
def test_only_http_and_https_addresses_are_accepted(url) -> None:
    refused = _refusal(url)
    assert refused.reason == "scheme" and "Only http:// and https://" in str(refused)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v1",
        "http://10.1.2.3/v1",
        "http://192.168.1.20:11434/v1",
        "http://[::1]/v1",
        "http://100.64.0.1/v1",
        "http://172.16.5.5/v1",
    ],
)
def test_private_and_loopback_hosts_are_refused_unless_the_operator_allows_them(url) -> None:
    refused = _refusal(url, allow_private=False)
    assert refused.reason == "private" and "ask the operator to allow private hosts" in str(refused)
    assert check_base_url(url, allow_private=True) == url.rstrip("/")


def test_a_name_that_resolves_to_a_metadata_address_is_refused() -> None:
    refused = _refusal(
        "http://models.example.com/v1", resolver=lambda host, port: ["93.184.216.34", "169.254.169.254"]
    )
    assert refused.reason == "metadata" and "models.example.com (169.254.169.254)" in str(refused)


def test_a_host_that_does_not_resolve_is_named() -> None:
    refused = _refusal("http://no-such-host.invalid/v1")
    assert refused.reason == "unresolvable" and "no-such-host.invalid" in str(refused)


def test_credentials_in_the_address_are_refused() -> None:
    assert _refusal("https://user:sk-secret@api.example.com/v1").reason == "userinfo"


def test_a_public_address_passes_with_its_trailing_slash_dropped() -> None:
    assert check_base_url("https://8.8.8.8/v1/", allow_private=False) == "https://8.8.8.8/v1"
    assert address_refusal("2606:4700:4700::1111", allow_private=False) is None


def _user_config(server: FakeChatServer, **conn: object) -> EngineConfig:
    connection = Connection(
        base_url=server.base_url, api_key=server.api_key, source="user", allow_private_hosts=True
    ).with_changes(**conn)
    return EngineConfig(
        connection=connection,
        json_modes=JsonModeMemory(),
        request_timeout=2.0,
        max_attempts=2,
        backoff_base=0.01,
        backoff_cap=0.02,
    )


def test_a_job_on_a_users_connection_refuses_a_private_host_when_the_operator_does_not_allow_it() -> None:
    with FakeChatServer() as server:
        with pytest.raises(BackendError) as refused:
            OpenAIBackend(_user_config(server, allow_private_hosts=False))
        assert refused.value.cause == "unsafe_host"
        assert server.requests == [] and server.gets == []


def test_a_name_that_rebinds_to_a_private_address_after_the_check_is_refused_at_connect(monkeypatch) -> None:
    """DNS rebinding: the first answer is public, the next one points inside; the connect re-checks."""
    with FakeChatServer() as server:
        port = int(server.base_url.split(":")[2].split("/")[0])
        answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"], ["127.0.0.1"]])
        monkeypatch.setattr(hostguard, "resolve", lambda host, p: next(answers))
        config = _user_config(server, base_url=f"http://rebind.example:{port}/v1", allow_private_hosts=False)
        backend = OpenAIBackend(config)  # the save-time check sees the public address
        with pytest.raises(BackendError) as refused:
            backend.complete(MESSAGES, tier="gpt4", model="gpt-4o", max_tokens=100)
        assert refused.value.cause == "unsafe_host" and "127.0.0.1" in str(refused.value)
        assert server.requests == []  # nothing reached the private server


def test_a_users_connection_does_not_follow_a_redirect_to_another_host() -> None:
    with FakeChatServer() as elsewhere:
        with FakeChatServer(redirect_to=elsewhere.base_url.removesuffix("/v1")) as server:
            backend = OpenAIBackend(_user_config(server))
            with pytest.raises(BackendError) as redirected:
                backend.complete(MESSAGES, tier="gpt4", model="gpt-4o", max_tokens=100)
            assert redirected.value.cause == "redirect" and "does not follow redirects" in str(
                redirected.value
            )
            with pytest.raises(BackendError) as listed:
                backend.served_models()
            assert listed.value.cause == "redirect"
        assert elsewhere.requests == [] and elsewhere.gets == []


def test_a_users_connection_writes_through_the_guarded_client() -> None:
    with FakeChatServer() as server:
        completion = OpenAIBackend(_user_config(server)).complete(
            MESSAGES, tier="gpt4", model="gpt-4o", max_tokens=200
        )
        assert completion.text and server.served == ["ok"]


def test_a_refused_key_on_a_users_connection_names_the_connection_not_the_environment() -> None:
    with FakeChatServer() as server:
        backend = OpenAIBackend(_user_config(server, api_key="sk-wrong-key-12345"))
        with pytest.raises(BackendError) as refused:
            backend.complete(MESSAGES, tier="gpt4", model="gpt-4o", max_tokens=100)
        assert refused.value.cause == "auth" and "this connection's API key" in str(refused.value)
        assert "OPENAI_API_KEY" not in str(refused.value) and "sk-wrong-key-12345" not in str(refused.value)
        assert refused.value.detail == "Incorrect API key provided."
