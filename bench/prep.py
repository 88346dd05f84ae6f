"""Django-side steps of the benchmark, run with the server's environment.

    python -m bench.prep requests --plan PLAN.json --out DIR   # request files for wrk
    python -m bench.prep counts --out COUNTS.json              # queries per request, in-process
    python -m bench.prep profile paper_list,glossary [--top 30] # in-process ms (and hot spots)

PLAN.json: {"threads": 16, "seed": 1, "runs": [{"name": "paper_list", "endpoint": "paper_list",
"per_thread": 300}, {"name": "mixed", "mix": true, "per_thread": 600}, ...]}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def write_requests(plan: dict, out: Path) -> dict:
    from bench.workload import Workload

    threads = plan["threads"]
    started = time.perf_counter()
    workload = Workload(seed=plan.get("seed", 1), exclude_users=set(plan.get("exclude_users", [])))
    summary = {}
    for run in plan["runs"]:
        folder = out / run["name"]
        folder.mkdir(parents=True, exist_ok=True)
        per_thread = run["per_thread"]
        counts = {}
        for thread in range(threads):
            if run.get("mix"):
                reqs = workload.mixed(per_thread)
            else:
                reqs = workload.requests(run["endpoint"], per_thread)
            if not reqs:
                raise SystemExit(
                    f"No rows left for {run['name']} (thread {thread}): the data set is too small for this plan;"
                    " generate more learners, or use fewer connections or a shorter duration."
                )
            (folder / f"thread-{thread}.tsv").write_text("\n".join(r.line() for r in reqs) + "\n", encoding="utf-8")
            for r in reqs:
                counts[r.tag] = counts.get(r.tag, 0) + 1
        summary[run["name"]] = counts
    summary["_seconds"] = round(time.perf_counter() - started, 1)
    return summary


def run_in_process(req, client):
    """One prepared request through a django.test.Client; returns (status, queries, their SQL, seconds).

    The client is reused (a new one builds the middleware again, and
    whitenoise scans every static file when it starts); only its cookies are reset.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.cookies.clear()
    headers = dict(req.headers)
    cookie = SimpleCookie()
    cookie.load(headers.pop("Cookie", ""))
    for key, morsel in cookie.items():
        client.cookies[key] = morsel.value
    headers.pop("Content-Type", None)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        if req.method == "GET":
            response = client.get(req.path, headers=headers)
        else:
            response = client.post(
                req.path, data=req.body, content_type="application/x-www-form-urlencoded", headers=headers
            )
    elapsed = time.perf_counter() - started
    return response.status_code, len(queries), [q["sql"] for q in queries.captured_queries], elapsed


def count_queries(*, samples: int = 5, seed: int = 7, exclude_users=()) -> dict:
    """Queries per request for every endpoint (the most of `samples` requests after one warm-up).

    Also the median time of those requests in this one process: the server's
    own cost of a request, without the load test's concurrency.
    """
    from django.test import Client

    from bench.endpoints import ENDPOINTS
    from bench.workload import Workload

    workload = Workload(seed=seed, learners=50, exclude_users=set(exclude_users), batch=samples + 1)

    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)

    result = {}
    for endpoint in ENDPOINTS:
        reqs = workload.requests(endpoint.name, samples + 1)
        measured = []
        statuses = []
        worst_sql: list[str] = []
        times = []
        for i, req in enumerate(reqs):
            status, n, sql, elapsed = run_in_process(req, client)
            statuses.append(status)
            if i == 0:
                continue  # warm-up: first use of a cache or a connection
            times.append(elapsed)
            if not measured or n > max(measured):
                worst_sql = sql
            measured.append(n)
        bad = [s for s, r in zip(statuses, reqs, strict=True) if s not in r.expect]
        result[endpoint.name] = {
            "queries": max(measured) if measured else None,
            "samples": measured,
            "ms": round(sorted(times)[len(times) // 2] * 1000, 1) if times else None,
            "statuses": statuses,
            "unexpected_statuses": bad,
            "sql": worst_sql,
        }
    return result


def profile(names: list[str], *, samples: int, top: int, seed: int = 7) -> None:
    """In-process time and queries of `samples` requests per endpoint; with `top`, the cProfile hot spots."""
    import cProfile
    import pstats

    from django.test import Client

    from bench.workload import Workload

    workload = Workload(seed=seed, learners=50, batch=samples + 1)
    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    for name in names:
        reqs = workload.requests(name, samples + 1)
        run_in_process(reqs[0], client)  # warm-up
        profiler = cProfile.Profile() if top else None
        times, counts, statuses = [], [], set()
        for req in reqs[1:]:
            if profiler:
                profiler.enable()
            status, n, _sql, elapsed = run_in_process(req, client)
            if profiler:
                profiler.disable()
            times.append(elapsed * 1000)
            counts.append(n)
            statuses.add(status)
        times.sort()
        print(
            f"{name:16} median {times[len(times) // 2]:7.2f} ms  min {times[0]:7.2f} ms"
            f"  queries {max(counts) if counts else '-'}  statuses {sorted(statuses)}",
            flush=True,
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.prep")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("requests", help="write the wrk request files of a plan")
    p.add_argument("--plan", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p = sub.add_parser("counts", help="count queries per request in-process")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--exclude-users", default="", help="comma-separated user ids to leave alone")
    p = sub.add_parser("profile", help="in-process time (and cProfile hot spots) of some endpoints")
    p.add_argument("endpoints", help="comma-separated endpoint names, or 'all'")
    p.add_argument("--samples", type=int, default=20)
    p.add_argument("--top", type=int, default=0, help="print the N most expensive functions (cProfile)")
    args = parser.parse_args(argv)
    _setup()
    if args.command == "profile":
        from bench.endpoints import ENDPOINTS

        names = [e.name for e in ENDPOINTS] if args.endpoints == "all" else args.endpoints.split(",")
        profile(names, samples=args.samples, top=args.top)
        return 0
    if args.command == "requests":
        plan = json.loads(args.plan.read_text())
        summary = write_requests(plan, args.out)
        print(json.dumps(summary))
    else:
        exclude = [int(x) for x in args.exclude_users.split(",") if x]
        result = count_queries(exclude_users=exclude)
        args.out.write_text(json.dumps(result, indent=1))
        print(json.dumps({k: v["queries"] for k, v in result.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
