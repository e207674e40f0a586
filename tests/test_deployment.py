"""docker-compose.yml, .env.example, the settings and the README agree with each other.
(No Docker engine runs here, so the compose file is checked by reading it.)"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "cms_mandates" / "settings.py").read_text()
#: Variables read by tools rather than by the settings module.
NOT_SETTINGS = {"PORT", "DJANGO_SETTINGS_MODULE", "GUNICORN_WORKERS", "CELERY_CONCURRENCY"}


def settings_variables() -> set[str]:
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', SETTINGS_SOURCE))


def example_variables() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE))


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_full_stack_with_health_checks_and_volumes():
    spec = compose()
    services = spec["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    for name in ("web", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in " ".join(map(str, _command(services["web"])))
    assert "worker" in _command(services["worker"])
    assert "beat" in _command(services["beat"])
    assert spec.get("volumes"), "named volumes keep the database and uploads"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else list(command)


def test_compose_environment_names_are_settings_the_app_reads():
    known = settings_variables() | NOT_SETTINGS
    services = compose()["services"]
    env_anchor = compose().get("x-app-environment", {})
    for name in ("web", "worker", "beat"):
        environment = services[name].get("environment", env_anchor)
        names = (
            set(environment)
            if isinstance(environment, dict)
            else {item.split("=", 1)[0] for item in environment}
        )
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"} <= names, name
        assert names <= known, f"{name} sets variables the settings never read: {names - known}"


def test_every_setting_variable_is_documented():
    read = settings_variables()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"} <= read
    documented = example_variables()
    assert read <= documented, f"missing from .env.example: {read - documented}"
    readme = (ROOT / "README.md").read_text()
    missing = {name for name in documented if f"`{name}`" not in readme}
    assert not missing, f"missing from README.md: {missing}"


def test_dockerfile_serves_with_gunicorn_and_collects_static():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in dockerfile
    assert "collectstatic" in dockerfile
    assert "gunicorn" in dockerfile


def test_api_schema_and_docs_are_served_without_a_cdn(client, db):
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "CMS Mandate Tracker API"
    docs = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "//unpkg" not in docs
