"""The client's address, for sign-in lockouts (django-axes `AXES_CLIENT_IP_CALLABLE`)."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or behind `LOCKOUT_PROXY_COUNT` proxies the address the outermost proxy saw.

    Each proxy appends the address it received the request from to
    X-Forwarded-For, so with N proxies the client is the N-th entry from the
    right; anything further left was written by the client and is ignored.
    Without proxies the header is ignored altogether: otherwise an attacker
    could rotate it to escape the lockout, and behind a proxy REMOTE_ADDR
    alone would make one lockout lock the user out from everywhere.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "LOCKOUT_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
