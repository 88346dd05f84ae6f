import pytest


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _postgres_marker(request):
    """Tests marked `postgres` are skipped, with how to run them, when the database is not PostgreSQL."""
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            f"needs PostgreSQL (this run uses {connection.vendor}); "
            "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
        )


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from core.cache import clear_local

    cache.clear()
    clear_local()
    yield
    cache.clear()
    clear_local()


@pytest.fixture
def learner(db):
    from tests.factories import make_user

    return make_user(username="learner")


@pytest.fixture
def other_learner(db):
    from tests.factories import make_user

    return make_user(username="other")


@pytest.fixture
def instructor(db):
    from tests.factories import make_instructor

    return make_instructor(username="teacher")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client
