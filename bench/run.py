"""`make bench`: load data into PostgreSQL, serve it with gunicorn on loopback, measure with wrk.

    .venv/bin/python -m bench.run [--duration 10] [--connections 16] [--only paper_list,bare] [--fresh]

1. Two databases from `generate_load_data` (small and large; each built once
   into a template database and copied for every run, so every run starts
   from the same rows; `--fresh` rebuilds them).
2. Queries per request for every endpoint, in-process (django.test.Client +
   CaptureQueriesContext), on both: the count must not grow with the data.
3. The production server (`DJANGO_DEBUG=0`, whitenoise, Redis cache, gunicorn
   with config/gunicorn.py as `make serve`: CPU+1 gthread workers × 6 threads), request log off, on 127.0.0.1.
4. wrk (one connection per thread, `bench/wrk/replay.lua`) drives each
   endpoint alone for `--duration` seconds at `--connections` connections,
   the bare `HttpResponse` view among them, then the mixed learner workload.
5. The class scenario (`bench.classroom`): 200 learners start one quiz at once.

Prints the table and the ratios to the bare view, checks the targets, and
writes JSON and Markdown to test-artifacts/bench/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LUA = ROOT / "bench" / "wrk" / "replay.lua"
LARGE = {"learners": 2000, "papers": 500, "terms": 5000, "attempts": 50000}
SMALL = {"learners": 100, "papers": 20, "terms": 200, "attempts": 1000}
SEED = 42

sys.path.insert(0, str(ROOT))
from bench.endpoints import BY_NAME, ENDPOINTS  # noqa: E402
from config import gunicorn as gunicorn_settings  # noqa: E402  (processes and threads, as make serve)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- databases


def admin_connection(server_url: str, database: str = "postgres"):
    import psycopg

    return psycopg.connect(_with_db(server_url, database), autocommit=True)


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def fingerprint(sizes: dict) -> str:
    """Changes when the data or the schema would: sizes, seed, generator and every migration."""
    digest = hashlib.sha256(json.dumps([sizes, SEED]).encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")) + [ROOT / "bench" / "loaddata.py"]:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def prepare_database(server_url: str, name: str, sizes: dict, env: dict, *, fresh: bool) -> str:
    """A copy of the template database `name`_tpl (built first if missing or stale)."""
    from psycopg import sql

    template = f"{name}_tpl"
    wanted = fingerprint(sizes)
    with admin_connection(server_url) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template]
        ).fetchone()
        if fresh or row is None or row[0] != wanted:
            log(f"building {template} ({', '.join(f'{k} {v}' for k, v in sizes.items())})")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
            url = _with_db(server_url, template)
            step_env = {**env, "DATABASE_URL": url}
            run([PY, "manage.py", "migrate", "--noinput", "-v0"], step_env)
            args = [f"--{k}={v}" for k, v in sizes.items()]
            started = time.perf_counter()
            run([PY, "manage.py", "generate_load_data", *args, f"--seed={SEED}"], step_env)
            log(f"generated {template} in {time.perf_counter() - started:.0f}s")
            with admin_connection(server_url, template) as tconn:
                tconn.execute("VACUUM ANALYZE")
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(template), sql.Literal(wanted)))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    with admin_connection(server_url, name) as copy:
        copy.execute("ANALYZE")  # planner statistics for the copy (cheap; the template's may be missing)
    return _with_db(server_url, name)


# --------------------------------------------------------------------------- processes


def run(cmd: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True, **kwargs)  # noqa: S603 (our own commands)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return result


def busy_cpu_share(seconds: float) -> float:
    """Share of all CPUs busy over `seconds` (call it while the benchmark itself is idle)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return sum(values), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return 0.0
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    gunicorn = Path(PY).parent / "gunicorn"
    cmd = [str(gunicorn), "-c", "config/gunicorn.py", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    cmd += ["--workers", str(workers), "--log-level", "warning", "--graceful-timeout", "5", "--timeout", "60"]
    logfile = log_path.open("w")
    proc = subprocess.Popen(  # noqa: S603
        cmd, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise SystemExit(f"gunicorn did not answer /healthz; see {log_path}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def drain(url: str, workers: int, *, limit: float = 60.0) -> float:
    """Wait until every worker is free again; returns the seconds waited.

    When wrk stops, the server still works through the requests queued in its
    backlog (16 slow glossary pages take seconds); the next endpoint must not
    start behind them. Free means `workers` simultaneous bare requests all
    answer within 50 ms, twice in a row.
    """
    from concurrent.futures import ThreadPoolExecutor

    def timed(_):
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(f"{url}/bench/bare/", timeout=limit) as response:  # noqa: S310 (loopback)
                response.read()
        except OSError:
            return limit
        return time.perf_counter() - started

    started = time.perf_counter()
    quick = 0
    with ThreadPoolExecutor(workers) as pool:
        while quick < 2 and time.perf_counter() - started < limit:
            quick = quick + 1 if max(pool.map(timed, range(workers))) < 0.05 else 0
    return time.perf_counter() - started


def wrk(url: str, folder: Path, *, connections: int, duration: float) -> dict:
    """Replay the request files in `folder`; returns wrk's totals and every response (tag, status, µs, ok)."""
    results = folder / "results"
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir()
    cmd = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s"]
    cmd += ["-s", str(LUA), url, "--", str(folder), str(results)]
    result = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, timeout=duration + 120)  # noqa: S603
    summary = next(
        (
            json.loads(line[len("BENCH_JSON ") :])
            for line in result.stdout.splitlines()
            if line.startswith("BENCH_JSON ")
        ),
        None,
    )
    if summary is None:
        raise SystemExit(
            f"wrk gave no result (exit {result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    responses, replayed = [], 0
    for path in sorted(results.glob("result-*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if fields[0] == "replay":
                replayed += 1
            elif len(fields) >= 4:
                responses.append((fields[0], int(fields[1]), int(fields[2]), fields[3] == "1", *fields[4:5]))
    return {**summary, "responses": responses, "replayed": replayed}


# --------------------------------------------------------------------------- figures


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def figures(result: dict) -> dict:
    """Per tag: requests, req/s, p50/p95/p99 (ms) and errors (statuses the request did not accept)."""
    seconds = result["duration_us"] / 1e6
    latencies: dict[str, list[int]] = {}
    errors: dict[str, int] = {}
    statuses: dict[str, int] = {}
    samples: list[str] = []
    for tag, status, us, ok, *path in result["responses"]:
        latencies.setdefault(tag, []).append(us)
        errors[tag] = errors.get(tag, 0) + (not ok)
        statuses[f"{tag} {status}"] = statuses.get(f"{tag} {status}", 0) + 1
        if not ok and len(samples) < 5:
            samples.append(f"{status} {path[0] if path else ''}")
    tags = {
        tag: {
            "requests": len(lat),
            "rps": len(lat) / seconds,
            "p50_ms": percentile(lat, 50) / 1000,
            "p95_ms": percentile(lat, 95) / 1000,
            "p99_ms": percentile(lat, 99) / 1000,
            "errors": errors[tag],
        }
        for tag, lat in latencies.items()
    }
    return {
        "tags": tags,
        "socket_errors": sum(result["socket_errors"].values()),
        "replayed": result["replayed"],
        "seconds": seconds,
        "statuses": statuses,
        "error_samples": samples,
    }


def check_targets(results: dict, counts_small: dict, counts_large: dict, classroom: dict | None) -> list[str]:
    """Every target the run missed, as sentences."""
    missed = []
    bare = results.get("bare", {}).get("tags", {}).get("bare")
    for name, run_ in results.items():
        if name == "mixed":
            mixed_errors = sum(t["errors"] for t in run_["tags"].values()) + run_["socket_errors"]
            if mixed_errors:
                missed.append(f"mixed run: {mixed_errors} errors (e.g. {', '.join(run_['error_samples'][:2])})")
            if run_["replayed"]:
                missed.append(f"mixed run: ran out of prepared rows ({run_['replayed']} requests replayed)")
            continue
        endpoint = BY_NAME[name]
        f = run_["tags"].get(name)
        if f is None:
            missed.append(f"{name}: no responses")
            continue
        errors = f["errors"] + run_["socket_errors"]
        if errors:
            missed.append(f"{name}: {errors} errors")
        if run_["replayed"]:
            missed.append(f"{name}: ran out of prepared rows ({run_['replayed']} requests replayed)")
        if endpoint.ratio_target and bare and f["rps"] < endpoint.ratio_target * bare["rps"]:
            share = f["rps"] / bare["rps"]
            missed.append(f"{name}: {share:.0%} of the bare view's throughput (target ≥ {endpoint.ratio_target:.0%})")
        if endpoint.group != "bare" and f["p95_ms"] >= endpoint.p95_target_ms:
            missed.append(f"{name}: p95 {f['p95_ms']:.0f} ms (target < {endpoint.p95_target_ms:.0f} ms)")
    for name, small in counts_small.items():
        large = counts_large.get(name, {})
        if (
            small.get("queries") is not None
            and large.get("queries") is not None
            and large["queries"] > small["queries"]
        ):
            missed.append(f"{name}: {small['queries']} queries on the small data set, {large['queries']} on the large")
        for label, counts in (("small", small), ("large", large)):
            if counts.get("unexpected_statuses"):
                missed.append(f"{name}: in-process on the {label} set answered {counts['unexpected_statuses']}")
    if classroom is not None:
        for key in ("errors", "lost_answers", "duplicate_attempts", "unsubmitted"):
            if classroom.get(key):
                missed.append(f"class scenario: {classroom[key]} {key.replace('_', ' ')}")
    return missed


def table(results: dict, counts_small: dict, counts_large: dict) -> list[str]:
    bare = results.get("bare", {}).get("tags", {}).get("bare")
    head = "| endpoint | req/s | p50 ms | p95 ms | p99 ms | errors | queries small→large | in-process ms"
    head += " | × bare | target |"
    lines = [head, "|" + "---|" * 10]
    for endpoint in ENDPOINTS:
        run_ = results.get(endpoint.name)
        if run_ is None:
            continue
        f = run_["tags"].get(endpoint.name, {"rps": 0, "p50_ms": 0, "p95_ms": 0, "p99_ms": 0, "errors": 0})
        q_small = counts_small.get(endpoint.name, {}).get("queries", "–")
        q_large = counts_large.get(endpoint.name, {}).get("queries", "–")
        ms = counts_large.get(endpoint.name, {}).get("ms", "–")
        ratio = f"{f['rps'] / bare['rps']:.0%}" if bare and bare["rps"] else "–"
        target = []
        if endpoint.ratio_target:
            target.append(f"≥ {endpoint.ratio_target:.0%}")
        if endpoint.group != "bare":
            target.append(f"p95 < {endpoint.p95_target_ms:.0f}")
        errors = f["errors"] + run_["socket_errors"]
        lines.append(
            f"| {endpoint.name} ({endpoint.label}) | {f['rps']:.0f} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} | "
            f"{f['p99_ms']:.1f} | {errors} | {q_small} → {q_large} | {ms} | {ratio} | {', '.join(target)} |"
        )
    return lines


def mixed_table(run_: dict) -> list[str]:
    lines = ["| endpoint (mixed run) | req/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
    total = 0
    for endpoint in ENDPOINTS:
        f = run_["tags"].get(endpoint.name)
        if f is None:
            continue
        total += f["rps"]
        cells = [f"{f['rps']:.0f}", f"{f['p50_ms']:.1f}", f"{f['p95_ms']:.1f}", f"{f['p99_ms']:.1f}", str(f["errors"])]
        lines.append(f"| {endpoint.name} | {' | '.join(cells)} |")
    lines.append(f"| **all** | **{total:.0f}** | | | | {run_['socket_errors']} socket |")
    return lines


# --------------------------------------------------------------------------- main


def environment(args, secret: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secret,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_REQUEST_LOG="0",
        DJANGO_CACHE_PREFIX="bench",
        REDIS_URL=args.redis,
        BENCH_MODE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="Seconds per endpoint (default 10).")
    parser.add_argument("--mixed-duration", type=float, default=20, help="Seconds of the mixed workload.")
    parser.add_argument("--warmup", type=float, default=5, help="Seconds of mixed warm-up before measuring.")
    parser.add_argument("--connections", type=int, default=16, help="Concurrent connections (default 16).")
    parser.add_argument(
        "--cold", action="store_true", help="Skip warm_cache: every shared page's first request renders it."
    )
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 0)) or None)
    parser.add_argument("--only", default="", help="Comma-separated endpoints (bare and floor are always measured).")
    parser.add_argument("--class-size", type=int, default=200, help="Learners in the class scenario (0: skip).")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--db", default="papers_bench", help="Database name (…_small for the small set).")
    parser.add_argument(
        "--large", default=",".join(str(v) for v in LARGE.values()), help="learners,papers,terms,attempts"
    )
    parser.add_argument(
        "--small", default=",".join(str(v) for v in SMALL.values()), help="learners,papers,terms,attempts"
    )
    parser.add_argument("--fresh", action="store_true", help="Regenerate the data sets even if they are current.")
    parser.add_argument("--out", default=str(ROOT / "test-artifacts" / "bench"), help="Where results are written.")
    args = parser.parse_args(argv)

    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk; scripts/bench.sh does it).")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    large = dict(zip(LARGE, (int(x) for x in args.large.split(",")), strict=True))
    small = dict(zip(SMALL, (int(x) for x in args.small.split(",")), strict=True))
    only = [x for x in args.only.split(",") if x]
    unknown = [x for x in only if x not in BY_NAME]
    if unknown:
        raise SystemExit(f"unknown endpoints: {unknown}; known: {', '.join(BY_NAME)}")
    endpoints = [e for e in ENDPOINTS if not only or e.name in only or e.group == "bare"]
    workers = args.workers or gunicorn_settings.workers
    env = environment(args, secrets.token_urlsafe(48))
    started_at = datetime.now(UTC)

    import redis

    redis.Redis.from_url(args.redis).flushdb()
    small_url = prepare_database(args.pg, f"{args.db}_small", small, env, fresh=args.fresh)
    large_url = prepare_database(args.pg, args.db, large, env, fresh=args.fresh)
    env_small = {**env, "DATABASE_URL": small_url}
    env_large = {**env, "DATABASE_URL": large_url}
    log("collectstatic")
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env_large)

    log("counting queries per request in-process (small and large data set)")
    run([PY, "-m", "bench.prep", "counts", "--out", str(out / "queries-small.json")], env_small)
    # Both sets share the Redis database: what the small set cached (users, pages) must not leak into the large.
    redis.Redis.from_url(args.redis).flushdb()
    run([PY, "-m", "bench.prep", "counts", "--out", str(out / "queries-large.json")], env_large)
    counts_small = json.loads((out / "queries-small.json").read_text())
    counts_large = json.loads((out / "queries-large.json").read_text())
    redis.Redis.from_url(args.redis).flushdb()

    # Rows for the stateful endpoints: generous, so that nothing is replayed at any plausible rate
    # (a connection that has a gunicorn worker to itself runs 3 to 4 times the average: one autosave
    # connection ran 200/s while the average was 50).
    per_second = {"quiz_start": 120, "submit": 100, "review_rate": 150, "autosave": 240}
    # A thread can run far faster than the average (its share of cheap pages): rows for 250 req/s per
    # thread, about seven times the mixed run's average (one thread ran past 100/s with 36 the average).
    mixed_per_second = 250
    plan_runs = [{"name": "warmup", "mix": True, "per_thread": max(100, int(mixed_per_second * args.warmup))}]
    for endpoint in endpoints:
        per_thread = max(300, math.ceil(per_second.get(endpoint.name, 0) * args.duration))
        plan_runs.append({"name": endpoint.name, "endpoint": endpoint.name, "per_thread": per_thread})
    if not only:
        per_thread = max(300, int(mixed_per_second * args.mixed_duration))
        plan_runs.append({"name": "mixed", "mix": True, "per_thread": per_thread})
    plan = {"threads": args.connections, "seed": 1, "runs": plan_runs}
    requests_dir = out / "requests"
    shutil.rmtree(requests_dir, ignore_errors=True)
    (out / "plan.json").write_text(json.dumps(plan))
    log("preparing sessions and request files")
    prep = run(
        [PY, "-m", "bench.prep", "requests", "--plan", str(out / "plan.json"), "--out", str(requests_dir)], env_large
    )
    log(f"prepared: {prep.stdout.strip()[-300:]}")

    if not args.cold:
        log("warming the shared pages (manage.py warm_cache, as make serve does after a deploy)")
        log(run([PY, "manage.py", "warm_cache"], env_large).stdout.strip())

    background = [busy_cpu_share(3.0)]
    port = free_port()
    log(f"gunicorn with {workers} workers on 127.0.0.1:{port} (other processes use {background[0]:.0%} of the CPUs)")
    server = start_server(env_large, port, workers, out / "gunicorn.log")
    results: dict = {}
    classroom = None
    try:
        url = f"http://127.0.0.1:{port}"
        log(f"warm-up {args.warmup:g}s")
        wrk(url, requests_dir / "warmup", connections=args.connections, duration=args.warmup)
        for endpoint in endpoints:
            if (waited := drain(url, workers)) > 1:
                log(f"waited {waited:.0f}s for the server to finish the previous run's queued requests")
            raw = wrk(url, requests_dir / endpoint.name, connections=args.connections, duration=args.duration)
            results[endpoint.name] = figures(raw)
            f = results[endpoint.name]["tags"].get(endpoint.name)
            log(
                f"{endpoint.name:<16} {f['rps']:7.0f} req/s  p95 {f['p95_ms']:6.1f} ms  errors {f['errors']}"
                if f
                else f"{endpoint.name}: no responses ({raw['statuses']})"
            )
        if not only:
            drain(url, workers)
            log(f"mixed workload {args.mixed_duration:g}s")
            results["mixed"] = figures(
                wrk(url, requests_dir / "mixed", connections=args.connections, duration=args.mixed_duration)
            )
        if args.class_size:
            drain(url, workers)
            log(f"class scenario: {args.class_size} learners start the same quiz")
            class_json = out / "classroom.json"
            cmd = [PY, "-m", "bench.classroom", "--base-url", url, "--learners", str(args.class_size)]
            subprocess.run([*cmd, "--json", str(class_json)], cwd=ROOT, env=env_large, text=True, check=False)  # noqa: S603
            classroom = json.loads(class_json.read_text()) if class_json.exists() else {"errors": "did not finish"}
    finally:
        stop_server(server)
    background.append(busy_cpu_share(3.0))

    missed = check_targets(results, counts_small, counts_large, classroom)
    report = render_report(
        results=results,
        counts_small=counts_small,
        counts_large=counts_large,
        classroom=classroom,
        missed=missed,
        meta={
            "date": started_at.strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(),
            "cpu": _cpu_model(),
            "workers": workers,
            "threads": gunicorn_settings.threads,
            "connections": args.connections,
            "duration": args.duration,
            "large": large,
            "small": small,
            "postgres": _pg_version(args.pg),
            "commit": _git_commit(),
            "background": background,
        },
    )
    print("\n" + report)
    (out / "latest.md").write_text(report + "\n")
    (out / "latest.json").write_text(
        json.dumps(
            {
                "results": {k: {**v, "tags": v["tags"]} for k, v in results.items()},
                "queries_small": {k: v["queries"] for k, v in counts_small.items()},
                "queries_large": {k: v["queries"] for k, v in counts_large.items()},
                "classroom": classroom,
                "missed": missed,
            },
            indent=1,
        )
    )
    log(f"written to {out}/latest.md and latest.json")
    return 0


def render_report(*, results, counts_small, counts_large, classroom, missed, meta) -> str:
    from bench.classroom import format_result

    lines = [
        f"Run {meta['date']} · commit {meta['commit']} · {meta['cpus']} CPU ({meta['cpu']}) · {meta['postgres']}",
        f"gunicorn {meta['workers']} gthread workers × {meta.get('threads', 4)} threads · "
        f"wrk {meta['connections']} connections · "
        f"{meta['duration']:g}s per endpoint · large set {_sizes(meta['large'])} · small set {_sizes(meta['small'])}",
    ]
    before, after = meta["background"]
    lines.append(
        f"CPU used by other processes while the server was idle: {before:.0%} before the runs, {after:.0%} after"
    )
    if max(before, after) > 0.15:
        lines.append("**Warning: other processes were competing for the CPUs; these figures understate the app.**")
    lines += ["", *table(results, counts_small, counts_large)]
    if "mixed" in results:
        lines += ["", *mixed_table(results["mixed"])]
    if classroom is not None:
        lines += ["", "```", format_result(classroom) if "timings" in classroom else str(classroom), "```"]
    lines += ["", "Targets missed:" if missed else "All targets met."]
    lines += [f"- {m}" for m in missed]
    return "\n".join(lines)


def _sizes(sizes: dict) -> str:
    return "/".join(str(v) for v in sizes.values()) + " (learners/papers/terms/attempts)"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def _pg_version(url: str) -> str:
    with admin_connection(url) as conn:
        return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0]


def _git_commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "?"
    result = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    return result.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())
