"""gunicorn settings shared by `make serve` and `make bench` (`gunicorn -c config/gunicorn.py`).

Threaded workers (gthread): one process per core plus one, six threads each,
so that a request waiting on PostgreSQL or Redis does not hold a whole
process, and HTTP keep-alive works (sync workers close every connection).
Fewer, busier processes also keep their in-process copies (page chrome,
fragments, row plans) warmer: on 2 cores, 3 processes × 6 threads served
quiz starts and card ratings about half as fast again as 5 × 4 with a p95
under 100 ms (docs/benchmark.md).
Environment: WEB_CONCURRENCY (processes), GUNICORN_THREADS (threads each),
GUNICORN_TIMEOUT (seconds before a stuck worker is restarted).
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 6)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 10
keepalive = 5
# Requests are logged by core.middleware.RequestLogMiddleware (JSON, with the user and timing).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
