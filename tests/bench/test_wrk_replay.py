"""The wrk script against a tiny local server: tags, errors, replays, and no lost first request."""

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.run import figures, wrk
from bench.workload import Req

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")


class Handler(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):
        self.seen.append(self.path)
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.send_header("Connection", "close")  # as gunicorn's sync workers do
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Handler.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_replay_counts_tags_errors_and_replays(server, tmp_path):
    once = [Req("start", "POST", f"/start?n={i}", {"Cookie": "a=b"}, "x=1", (200,), once=True) for i in range(3)]
    (tmp_path / "thread-0.tsv").write_text("\n".join(r.line() for r in once) + "\n")
    mixed = [Req("page", "GET", "/page"), Req("gone", "GET", "/missing", expect=(200,))]
    (tmp_path / "thread-1.tsv").write_text("\n".join(r.line() for r in mixed) + "\n")

    result = figures(wrk(server, tmp_path, connections=2, duration=1))

    tags = result["tags"]
    assert tags["start"]["requests"] > 3 and tags["start"]["errors"] == 0
    assert tags["page"]["errors"] == 0 and tags["gone"]["errors"] == tags["gone"]["requests"] > 0
    # Once-only rows used again are reported (the last one may still be in flight when wrk stops).
    assert 0 <= result["replayed"] - (tags["start"]["requests"] - 3) <= 1
    assert tags["page"]["p50_ms"] <= tags["page"]["p99_ms"]
    # wrk checks the script by calling request() once before the run; that row must still be sent first.
    starts = [path for path in Handler.seen if path.startswith("/start")]
    assert starts[:4] == ["/start?n=0", "/start?n=1", "/start?n=2", "/start?n=0"]
