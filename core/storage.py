"""Static files in production: whitenoise's compressed, hashed-name storage, with the URLs remembered.

`{% static %}` looks a name up in the manifest and joins it to STATIC_URL on
every call; base.html alone has eight of them, on every page. The manifest
does not change while a process runs (a deploy restarts it), so each name's
URL is worked out once per process.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url
