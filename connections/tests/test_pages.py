"""Profile → Model connections, the "Test connection" button, and what the generation form, the job
page and the reader say about what writes: as the owner, another user (404) and staff, against a local
wire-format server. No page ever shows a key."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from connections.models import ModelConnection
from connections.services import connection_create
from jobs.attempt import run_job
from jobs.models import GenerationJob
from jobs.pipeline.testing import FakeChatServer
from jobs.services import job_create
from projects.services import project_create

pytestmark = pytest.mark.django_db

KEY = "sk-live-abcdefghijklmnop1234"


def _connection(user, server: FakeChatServer | None = None, **changes) -> ModelConnection:
    fields = {
        "name": "Home llama",
        "base_url": server.base_url if server else "http://127.0.0.1:9/v1",
        "api_key": server.api_key if server else KEY,
        "preset": "llamacpp",
        "model_mini": "gpt-4o-mini",
        "model_gpt4": "gpt-4o",
        "price_gpt4_input": 5.0,
        "price_gpt4_output": 20.0,
    }
    fields.update(changes)
    return connection_create(user=user, **fields)


def _form(**changes) -> dict[str, str]:
    data = {
        "preset": "openai",
        "name": "My OpenAI key",
        "base_url": "http://127.0.0.1:9/v1",
        "api_key": KEY,
        "model_mini": "gpt-4o-mini",
        "model_gpt4": "gpt-4o",
        "context_window": "",
        "json_mode": "auto",
        "price_mini_input": "0.15",
        "price_mini_output": "0.60",
        "price_gpt4_input": "2.50",
        "price_gpt4_output": "10.00",
    }
    data.update(changes)
    return data


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# --- the list, create, edit, delete, default --------------------------------------------------------


def test_the_page_lists_only_the_owners_connections_with_the_key_masked(client, owner, other_user) -> None:
    _connection(owner)
    _connection(other_user, name="Oscar's secret server", api_key="sk-oscar-0000000000000000")
    client.force_login(owner)
    page = client.get(reverse("connections:list")).content.decode()
    assert "Home llama" in page and "Oscar" not in page
    assert KEY not in page and "sk-oscar" not in page
    assert "1234" in page  # the hint: the key's last characters, nothing more


def test_adding_a_connection_stores_the_key_encrypted_and_never_shows_it_again(client, owner) -> None:
    client.force_login(owner)
    response = client.post(reverse("connections:create"), _form(is_default="on"))
    assert response.status_code == 302
    row = ModelConnection.objects.get(user=owner)
    assert row.is_default and row.preset == "openai" and row.price_gpt4_output == 10.0
    assert KEY not in row.api_key_encrypted
    edit = client.get(reverse("connections:edit", args=[row.pk])).content.decode()
    assert KEY not in edit and 'type="password"' in edit and "Leave empty to keep it" in edit


def test_an_empty_key_on_edit_keeps_the_stored_one_and_remove_key_drops_it(client, owner) -> None:
    row = _connection(owner)
    client.force_login(owner)
    client.post(reverse("connections:edit", args=[row.pk]), _form(name="Renamed", api_key=""))
    kept = ModelConnection.objects.get(pk=row.pk)
    assert kept.name == "Renamed" and kept.api_key_encrypted == row.api_key_encrypted
    client.post(
        reverse("connections:edit", args=[row.pk]), _form(name="Renamed", api_key="", remove_key="on")
    )
    assert not ModelConnection.objects.get(pk=row.pk).has_key


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("http://[fd00:ec2::254]/v1", "metadata"),
    ],
)
def test_a_refused_address_is_a_clear_message_and_nothing_is_saved(client, owner, url, words) -> None:
    client.force_login(owner)
    response = client.post(reverse("connections:create"), _form(base_url=url))
    assert response.status_code == 200 and words in response.content.decode()
    assert not ModelConnection.objects.filter(user=owner).exists()


def test_private_hosts_are_refused_when_the_operator_does_not_allow_them(client, owner, settings) -> None:
    settings.NF_ALLOW_PRIVATE_MODEL_HOSTS = False
    client.force_login(owner)
    response = client.post(reverse("connections:create"), _form(base_url="http://127.0.0.1:8080/v1"))
    assert "private network" in response.content.decode()
    assert not ModelConnection.objects.filter(user=owner).exists()


def test_delete_asks_first_then_deletes(client, owner) -> None:
    row = _connection(owner)
    client.force_login(owner)
    confirm = client.get(reverse("connections:delete", args=[row.pk])).content.decode()
    assert "Delete “Home llama”?" in confirm and "cannot be undone" in confirm
    assert ModelConnection.objects.filter(pk=row.pk).exists()
    client.post(reverse("connections:delete", args=[row.pk]))
    assert not ModelConnection.objects.filter(pk=row.pk).exists()


def test_the_default_can_be_switched_to_a_connection_and_back_to_the_server(client, owner) -> None:
    row = _connection(owner)
    client.force_login(owner)
    client.post(reverse("connections:default"), {"connection": row.pk})
    assert ModelConnection.objects.get(pk=row.pk).is_default
    client.post(reverse("connections:default"), {"connection": "operator"})
    assert not ModelConnection.objects.get(pk=row.pk).is_default


@pytest.mark.parametrize("who", ["other_user", "staff"])
def test_another_users_connection_is_a_404_everywhere_staff_included(client, owner, request, who) -> None:
    row = _connection(owner)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("connections:edit", args=[row.pk])).status_code == 404
    assert client.post(reverse("connections:edit", args=[row.pk]), _form()).status_code == 404
    assert client.get(reverse("connections:delete", args=[row.pk])).status_code == 404
    assert client.post(reverse("connections:delete", args=[row.pk])).status_code == 404
    assert client.post(reverse("connections:test", args=[row.pk])).status_code == 404
    assert client.post(reverse("connections:default"), {"connection": row.pk}).status_code == 404
    row.refresh_from_db()
    assert row.name == "Home llama" and not row.is_default


def test_signed_out_visitors_are_sent_to_sign_in(client) -> None:
    assert client.get(reverse("connections:list")).status_code == 302


def test_staff_see_the_servers_connection_details_and_writers_do_not(client, owner, staff, settings) -> None:
    settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY = "openai", "sk-operator-secret-99999999"
    settings.OPENAI_BASE_URL = "http://models.internal:8000/v1"
    client.force_login(owner)
    writer_page = client.get(reverse("connections:list")).content.decode()
    assert "models.internal" not in writer_page and "sk-operator" not in writer_page
    client.force_login(staff)
    staff_page = client.get(reverse("connections:list")).content.decode()
    assert "models.internal" in staff_page and 'data-testid="operator-details"' in staff_page
    assert "sk-operator-secret-99999999" not in staff_page


# --- Test connection ------------------------------------------------------------------------------------


def _test(client, row=None, data=None) -> str:
    url = reverse("connections:test", args=[row.pk]) if row else reverse("connections:test-new")
    response = client.post(url, data or {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_the_test_button_reports_a_working_server_in_figures(client, owner) -> None:
    with FakeChatServer(context_window=8192) as server:
        row = _connection(owner, server)
        client.force_login(owner)
        html = _test(client, row)
    assert 'data-cause="ok"' in html and "Connected" in html and "answered in" in html
    assert "8,192 tokens (stated by the server)" in html and "structured outputs" in html


def test_the_test_button_tells_a_bad_key_an_unknown_model_and_an_unreachable_host_apart(
    client, owner
) -> None:
    client.force_login(owner)
    with FakeChatServer(models=("llama-3-8b",)) as server:
        bad_key = _test(client, _connection(owner, server, name="Bad key", api_key="sk-wrong-0000000000001"))
        unknown = _test(client, _connection(owner, server, name="Unknown", model_mini="llama-3-8b"))
    down = _test(client, _connection(owner, name="Down", base_url=f"http://127.0.0.1:{_closed_port()}/v1"))
    assert 'data-cause="auth"' in bad_key and "refused the API key" in bad_key
    assert "Incorrect API key provided." in bad_key  # the server's own reason
    assert "sk-wrong-0000000000001" not in bad_key
    assert 'data-cause="unknown_model"' in unknown and "“gpt-4o”" in unknown and "llama-3-8b" in unknown
    assert 'data-cause="unreachable"' in down and "could not reach the server" in down


def test_testing_the_forms_unsaved_values_saves_nothing(client, owner) -> None:
    with FakeChatServer() as server:
        client.force_login(owner)
        html = _test(client, data=_form(base_url=server.base_url, api_key=server.api_key))
        assert server.gets[0] == "/v1/models" and len(server.requests) == 2  # one tiny call per model
    assert 'data-cause="ok"' in html and "planning</button>" in html  # a listed model can fill a tier
    assert not ModelConnection.objects.filter(user=owner).exists()


def test_testing_an_edit_with_an_empty_key_uses_the_stored_key(client, owner) -> None:
    with FakeChatServer() as server:
        row = _connection(owner, server)
        client.force_login(owner)
        html = _test(client, row, _form(base_url=server.base_url, api_key=""))
    assert 'data-cause="ok"' in html


def test_the_test_button_refuses_the_metadata_address_without_a_request(client, owner) -> None:
    client.force_login(owner)
    html = _test(client, data=_form(base_url="http://169.254.169.254/latest"))
    assert "metadata" in html and 'data-cause="ok"' not in html


def test_the_test_button_does_not_follow_a_redirect_to_another_host(client, owner) -> None:
    with (
        FakeChatServer() as elsewhere,
        FakeChatServer(redirect_to=elsewhere.base_url.removesuffix("/v1")) as server,
    ):
        client.force_login(owner)
        html = _test(client, data=_form(base_url=server.base_url, api_key=server.api_key))
        assert elsewhere.gets == [] and elsewhere.requests == []
    assert 'data-cause="redirect"' in html and "does not follow redirects" in html


def test_tests_are_rate_limited_per_writer(client, owner) -> None:
    client.force_login(owner)
    data = _form(base_url="http://169.254.169.254/")  # refused at once: no network needed
    pages = [_test(client, data=data) for _ in range(11)]
    assert "more than 10 tests in a minute" in pages[-1]


def test_no_page_shows_the_key(client, owner, staff) -> None:
    row = _connection(owner, is_default=True)
    project = project_create(user=owner, name="Tidewater")
    client.force_login(owner)
    brief = {
        "production_type": "short_story",
        "genre": "fantasy",
        "inspiration": "A keeper of letters.",
        "language": "en",
        "target_words": "5000",
        "tone": "neutral",
        "structure": "three_act",
        "pov": "third_limited",
        "tense": "past",
        "polish": "off",
        "connection": row.pk,
    }
    client.post(reverse("jobs:create", args=[project.id]), brief)
    job = GenerationJob.objects.get(user=owner)
    pages = [
        client.get(reverse("accounts:profile")),
        client.get(reverse("connections:list")),
        client.get(reverse("connections:create")),
        client.get(reverse("connections:edit", args=[row.pk])),
        client.get(reverse("connections:delete", args=[row.pk])),
        client.get(reverse("jobs:create", args=[project.id])),
        client.post(reverse("jobs:estimate", args=[project.id]), brief),
        client.post(reverse("connections:test", args=[row.pk])),
        client.post(reverse("connections:test", args=[row.pk]), _form(api_key="")),
        client.get(reverse("jobs:list")),
        client.get(reverse("billing:usage")),
    ]
    pages.append(client.get(reverse("jobs:detail", args=[job.id])))
    client.force_login(staff)
    pages += [client.get("/admin/connections/modelconnection/"), client.get(reverse("ops-status"))]
    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert KEY not in response.content.decode(), response.request["PATH_INFO"]


def test_a_job_on_a_connection_whose_host_is_no_longer_allowed_ends_without_a_request(
    owner, settings, redis_conn
) -> None:
    """The guard runs when a job uses the connection, not only when it is saved: the operator
    turned private hosts off after the writer saved a connection to 127.0.0.1."""
    with FakeChatServer() as server:
        row = _connection(owner, server)
        project = project_create(user=owner, name="Tidewater")
        brief = {
            "production_type": "short_story",
            "genre": "fantasy",
            "inspiration": "A keeper of letters.",
            "target_words": 5000,
        }
        job = job_create(user=owner, project=project, brief=brief, connection=row.pk)
        settings.NF_ALLOW_PRIVATE_MODEL_HOSTS = False
        run_job(job.pk)
        assert server.requests == [] and server.gets == []
    job.refresh_from_db()
    assert job.status == "failed" and job.runtime.failure_cause == "model_host_refused"
    assert "points at an address NarraForge may not call" in job.error_message
    assert "connections page" in job.error_message
    assert server.base_url not in job.error_message  # writers never read a host (jobs/failures.py)


def test_a_job_whose_own_key_is_refused_tells_the_writer_where_to_fix_it(owner, redis_conn) -> None:
    with FakeChatServer() as server:
        row = _connection(owner, server, api_key="sk-revoked-key-000000000099")
        project = project_create(user=owner, name="Tidewater")
        brief = {
            "production_type": "short_story",
            "genre": "fantasy",
            "inspiration": "A keeper of letters.",
            "target_words": 5000,
        }
        job = job_create(user=owner, project=project, brief=brief, connection=row.pk)
        run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.runtime.failure_cause == "model_auth"
    assert "did not accept its API key" in job.error_message and "connections page" in job.error_message
    assert "sk-revoked-key-000000000099" not in job.error_message + (job.runtime.error_detail or "")


def test_staff_can_test_the_servers_connection_and_writers_cannot(client, owner, staff, settings) -> None:
    with FakeChatServer() as server:
        settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = (
            "openai",
            server.api_key,
            server.base_url,
        )
        client.force_login(owner)
        assert client.post(reverse("connections:test-operator")).status_code == 404
        client.force_login(staff)
        assert 'data-testid="test-operator"' in client.get(reverse("connections:list")).content.decode()
        html = client.post(reverse("connections:test-operator")).content.decode()
    assert 'data-cause="ok"' in html and server.api_key not in html
