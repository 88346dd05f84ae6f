"""A minimal HTTP client that keeps cookies like a browser (standard library only).

Used by the class scenario and the scale-out test: sign in through the real
form, carry the session and CSRF cookies, never follow redirects silently.
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def csrf_token(self) -> str:
        match = _CSRF_INPUT.search(self.body)
        return match.group(1) if match else ""


@dataclass
class Browser:
    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0

    def _connection(self, base_url: str | None = None) -> http.client.HTTPConnection:
        parts = urlsplit(base_url or self.base_url)
        return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self.timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        data: dict | None = None,
        headers: dict | None = None,
        base_url: str | None = None,
    ) -> Page:
        """One request to `base_url` (default: this browser's), with and into this browser's cookies."""
        sent = {"Host": urlsplit(base_url or self.base_url).netloc, "Accept-Language": "ko", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = self._connection(base_url)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for key, morsel in jar.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[key] = morsel.value
                    else:
                        self.cookies.pop(key, None)
            return Page(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        finally:
            connection.close()

    def get(self, path: str, **kwargs) -> Page:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict | None = None, *, htmx: bool = False, **kwargs) -> Page:
        """A form post with the CSRF token (in the header for htmx, in the form otherwise)."""
        data = dict(data or {})
        headers = dict(kwargs.pop("headers", None) or {})
        token = self.cookies.get("csrftoken", "")
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": token})
        else:
            data.setdefault("csrfmiddlewaretoken", token)
        return self.request("POST", path, data=data, headers=headers, **kwargs)

    def sign_in(self, username: str, password: str, *, login_path: str = "/accounts/login/", **kwargs) -> Page:
        """Through the real sign-in form: its page sets the CSRF cookie and token."""
        form = self.get(login_path, **kwargs)
        if form.status != 200:
            return form
        data = {"username": username, "password": password, "csrfmiddlewaretoken": form.csrf_token()}
        return self.request("POST", login_path, data=data, **kwargs)
