import pytest


def test_healthz_answers_without_a_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_database_and_redis_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("redis unreachable")


@pytest.mark.django_db
def test_probes_answer_whatever_the_host_and_scheme(client, settings):
    # Production: ALLOWED_HOSTS is the public name and plain HTTP is redirected to HTTPS;
    # the container's own health check still reaches the probes on 127.0.0.1 over HTTP.
    settings.ALLOWED_HOSTS = ["narraforge.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="127.0.0.1:8000").json()["status"] == "ok"
    # Everything else is still checked.
    assert client.get("/projects/", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_probes_only_answer_get(client):
    assert client.post("/healthz").status_code == 405
