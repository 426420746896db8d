"""narraforge.redaction: no credential, key or query-string secret survives, in text or in log lines."""

from __future__ import annotations

import io
import json
import logging

import pytest

from narraforge.logging import ContextFilter, JSONFormatter, RedactFilter
from narraforge.redaction import redact, redact_data

URL = "http://proxyuser:proxy-PASS-777@127.0.0.1:8089/v1?api-key=QUERY-SECRET-123&region=eu"


def test_userinfo_and_secret_query_values_are_masked_and_the_rest_kept():
    out = redact(f"The model endpoint at {URL} is unreachable", secrets=[])
    assert "proxy-PASS-777" not in out and "proxyuser" not in out and "QUERY-SECRET-123" not in out
    assert "http://***@127.0.0.1:8089/v1?api-key=***&region=eu" in out


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer sk-proj-abcdefghijklmnop1234",
        "headers={'api-key': 'abcd1234efgh'}",
        '{"password": "hunter2hunter2"}',
        "GET /v1/models?key=AIzaSyA-very-secret&alt=json",
        "token=ghp_1234567890abcdef",
        "openai.AuthenticationError: Incorrect API key provided: sk-abcdefghijklmnopqrstu",
    ],
)
def test_common_secret_shapes_are_masked(text):
    out = redact(text, secrets=[])
    for secret in (
        "abcdefghijklmnop1234",
        "abcd1234efgh",
        "hunter2hunter2",
        "AIzaSyA-very-secret",
        "ghp_1234567890abcdef",
        "sk-abcdefghijklmnopqrstu",
    ):
        assert secret not in out
    assert "***" in out


def test_configured_secrets_are_masked_wherever_they_appear(settings):
    settings.OPENAI_API_KEY = "plain-looking-key-42"
    settings.OPENAI_BASE_URL = URL
    out = redact("key plain-looking-key-42 and password proxy-PASS-777 and QUERY-SECRET-123 in prose")
    assert "plain-looking-key-42" not in out and "proxy-PASS-777" not in out and "QUERY-SECRET-123" not in out
    assert redact_data({"a": [URL, ("x", "plain-looking-key-42")]}) == {
        "a": ["http://***@127.0.0.1:8089/v1?api-key=***&region=eu", ("x", "***")]
    }


def test_ordinary_text_is_left_alone():
    text = "Ava met Corin at the North Gate; the key to the archive was under a stone. owner@example.com"
    assert redact(text, secrets=[]) == text


def test_log_lines_and_their_tracebacks_are_redacted(settings):
    settings.OPENAI_BASE_URL = URL
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactFilter())
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("nf.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ConnectionError(f"could not reach {URL}")
        except ConnectionError:
            logger.exception("Calling %s failed", URL, extra={"endpoint": URL})
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    entry = json.loads(text)
    assert "proxy-PASS-777" not in text and "QUERY-SECRET-123" not in text
    assert entry["message"].startswith("Calling http://***@127.0.0.1:8089/v1")
    assert "ConnectionError: could not reach http://***@" in entry["exc"]
    assert entry["endpoint"].startswith("http://***@")


def test_the_project_logging_config_redacts_every_console_line():
    from django.conf import settings as django_settings

    console = django_settings.LOGGING["handlers"]["console"]
    assert "redact" in console["filters"]
