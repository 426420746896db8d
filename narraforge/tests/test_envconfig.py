"""Both env styles configure the database; Redis falls back to the embedded one."""

import environ

from narraforge.envconfig import EMBEDDED_DATABASE_URL, EMBEDDED_REDIS_URL, database_config, redis_url


def _env(monkeypatch, **values):
    for name in ("DATABASE_URL", "DB_USER", "DB_PASSWORD", "DB_HOST", "DB_PORT", "DB_NAME", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return environ.Env()


def test_database_url_is_used_when_set(monkeypatch):
    cfg = database_config(_env(monkeypatch, DATABASE_URL="postgres://app:s3cret@db.internal:5433/forge"))
    assert (cfg["ENGINE"], cfg["USER"], cfg["PASSWORD"], cfg["HOST"], cfg["PORT"], cfg["NAME"]) == (
        "django.db.backends.postgresql",
        "app",
        "s3cret",
        "db.internal",
        5433,
        "forge",
    )


def test_the_seeds_sqlalchemy_style_url_is_accepted(monkeypatch):
    cfg = database_config(_env(monkeypatch, DATABASE_URL="postgresql+asyncpg://nf:pw@localhost/narra_forge"))
    assert (cfg["ENGINE"], cfg["NAME"], cfg["USER"]) == ("django.db.backends.postgresql", "narra_forge", "nf")


def test_the_seeds_db_variables_are_used_without_a_url(monkeypatch):
    env = _env(
        monkeypatch, DB_USER="narra_forge", DB_PASSWORD="pw", DB_HOST="pg", DB_PORT="6543", DB_NAME="nf"
    )
    cfg = database_config(env)
    assert (cfg["USER"], cfg["PASSWORD"], cfg["HOST"], cfg["PORT"], cfg["NAME"]) == (
        "narra_forge",
        "pw",
        "pg",
        "6543",
        "nf",
    )


def test_with_nothing_set_it_points_at_the_embedded_services(monkeypatch):
    env = _env(monkeypatch)
    assert database_config(env) == environ.Env.db_url_config(EMBEDDED_DATABASE_URL)
    assert redis_url(env) == EMBEDDED_REDIS_URL


def test_redis_url_is_used_when_set(monkeypatch):
    assert redis_url(_env(monkeypatch, REDIS_URL="redis://cache:6380/3")) == "redis://cache:6380/3"


def test_an_smtp_email_url_becomes_a_mailer_with_its_options():
    from narraforge.envconfig import mailer_config

    assert mailer_config("smtp+tls://bot:pw@smtp.example.com:587") == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "smtp.example.com",
            "port": 587,
            "username": "bot",
            "password": "pw",
            "use_tls": True,
            "timeout": 20,
        },
    }


def test_development_mail_goes_to_the_console():
    from narraforge.envconfig import mailer_config

    assert mailer_config("consolemail://") == {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
