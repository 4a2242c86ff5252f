"""Load benchmark of the dashboard and API: concurrent users on loopback for a bounded time.

Starts ``traffickingmonitor serve --workers N`` on a free loopback port in a subprocess (it
builds the latest edition before it answers), lets ``--users`` simulated users (async httpx
clients, one request after another each, no think time) walk a mix of public pages and API
calls for ``--duration`` seconds, and prints requests/s, p50/p95/p99 latency and errors, with
the load average of the machine before and after (the client runs on the same machine).

    python benchmarks/web_load.py --db demo/monitor.duckdb [--users 20] [--duration 120] [--workers 2]

The issue's goal: p95 <= 150 ms and zero errors with 20 users, on an edition of about a
million registrations (``synth --scale 180`` + ``run``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _paths(edition: str) -> list[str]:
    api = f"/api/v1/editions/{edition}/tables"
    return [
        "/",
        "/chapters/registered",
        "/chapters/hidden",
        "/municipalities/GM0363",
        "/municipalities/GM0599",
        "/downloads",
        "/method",
        "/api/v1/editions",
        api,
        f"{api}/sex?year=2020",
        f"{api}/province?format=csv",
        f"{api}/totals",
    ]


async def _user(client, paths, stop_at, latencies, errors, rng) -> None:
    while time.perf_counter() < stop_at:
        path = rng.choice(paths)
        t0 = time.perf_counter()
        try:
            r = await client.get(path)
            ok = r.status_code == 200
        except Exception:  # a refused or dropped connection is an error, not a crash
            ok = False
        latencies.append((path, time.perf_counter() - t0))
        if not ok:
            errors.append(path)


async def _run(base: str, users: int, duration: float, seed: int) -> tuple:
    import httpx

    # The server builds the edition before it answers: the first answer may take minutes.
    async with httpx.AsyncClient(base_url=base, timeout=1800) as probe:
        edition = (await probe.get("/api/v1/editions")).json()[0]["edition_id"]
        for _ in range(4):  # every path a few times, so that each worker has seen it
            for p in _paths(edition):
                await probe.get(p)
    paths = _paths(edition)
    load = os.getloadavg()
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        t0 = time.perf_counter()
        stop_at = t0 + duration
        await asyncio.gather(
            *[
                _user(client, paths, stop_at, latencies, errors, random.Random(seed + i))
                for i in range(users)
            ]
        )
        elapsed = time.perf_counter() - t0
    return latencies, errors, elapsed, load


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))
    return sorted_values[i]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="the DuckDB store to serve")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds (bounded: max 600)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="server processes")
    args = ap.parse_args()
    duration = min(args.duration, 600.0)
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        state = f"sqlite:///{Path(tmp) / 'state.sqlite'}"
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "traffickingmonitor", "serve", "--db", str(args.db)),
                *("--state", state, "--port", str(port), "--workers", str(args.workers)),
                "--demo-users",
            ],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 1800
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.2)
            t_start = time.perf_counter()
            latencies, errors, elapsed, load_before = asyncio.run(
                _run(base, args.users, duration, args.seed)
            )
            load_after = os.getloadavg()
            t_start = time.perf_counter() - t_start - elapsed
        finally:
            server.terminate()
            server.wait(10)
    ms = sorted(x * 1000 for _, x in latencies)
    by_path: dict[str, list[float]] = {}
    for path, x in latencies:
        by_path.setdefault(path, []).append(x * 1000)
    print(
        f"users {args.users}, workers {args.workers}, duration {elapsed:.1f} s, "
        f"requests {len(ms)} (start-up and warm-up {t_start:.0f} s)"
    )
    print(
        "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f} ({} cores)".format(
            *load_before, *load_after, os.cpu_count()
        )
    )
    print(f"throughput {len(ms) / elapsed:.1f} req/s")
    print(
        f"latency p50 {_pct(ms, 0.50):.1f} ms, p95 {_pct(ms, 0.95):.1f} ms, "
        f"p99 {_pct(ms, 0.99):.1f} ms, max {ms[-1] if ms else float('nan'):.1f} ms"
    )
    slowest = sorted(by_path.items(), key=lambda kv: -sorted(kv[1])[len(kv[1]) // 2])[:3]
    print("slowest (p50): " + ", ".join(f"{p} {sorted(v)[len(v) // 2]:.0f} ms" for p, v in slowest))
    print(f"errors {len(errors)}" + (f" (e.g. {sorted(set(errors))[:3]})" if errors else ""))


if __name__ == "__main__":
    main()
