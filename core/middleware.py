import logging
import time

from core.cache import request_snapshot

logger = logging.getLogger("requests")


class RequestLogMiddleware:
    """Structured access log: method, path, status, duration, user id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if logger.isEnabledFor(logging.INFO):
            user = getattr(request, "user", None)
            logger.info(
                "request",
                extra={
                    "fields": {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "user": user.pk if user is not None and user.is_authenticated else None,
                        "htmx": bool(request.headers.get("HX-Request")),
                    }
                },
            )
        return response


class CacheSnapshotMiddleware:
    """Opens the request's cache snapshot (`core.cache.request_snapshot`): from the session
    read on, the user's cached row and the common content versions come from one round trip."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_snapshot():
            return self.get_response(request)
