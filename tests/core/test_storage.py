import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from core.storage import ManifestStaticStorage


def test_static_urls_are_looked_up_once_per_name(monkeypatch, tmp_path):
    calls = []

    def url(self, name, force=False):
        calls.append((name, force))
        return f"/static/{name}?v{len(calls)}"

    monkeypatch.setattr(CompressedManifestStaticFilesStorage, "url", url)
    storage = ManifestStaticStorage(location=tmp_path)
    assert storage.url("css/app.css") == storage.url("css/app.css") == "/static/css/app.css?v1"
    assert storage.url("js/app.js") == "/static/js/app.js?v2"
    assert storage.url("css/app.css", force=True) == "/static/css/app.css?v3"  # force always asks again
    assert calls == [("css/app.css", False), ("js/app.js", False), ("css/app.css", True)]


@pytest.mark.django_db
def test_the_site_navigation_links_resolve(client):
    response = client.get("/")
    html = response.content.decode()
    for href in ('href="/papers/"', 'href="/guide/"', 'href="/glossary/"', 'action="/i18n/setlang/"'):
        assert href in html
