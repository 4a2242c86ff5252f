"""Load benchmark of the dashboard and API: concurrent users on loopback for a bounded time.

Starts ``traffickingmonitor serve --workers N`` on a free loopback port in a subprocess (it
builds the latest edition before it answers), lets ``--users`` simulated users (async httpx
clients, one request after another each, no think time) walk a mix of public pages and API
calls for ``--duration`` seconds, and prints requests/s, p50/p95/p99 latency and errors, with
the load average of the machine before and after (the client runs on the same machine).

``--bad-logins N`` adds N attackers that post wrong passwords as fast as they are answered
(a fresh login form each time). By default they come from one address, as a single attacker
would: the throttle soon answers them 429. With ``--spread-logins`` each attempt names a new
address in ``X-Forwarded-For`` (the server is started with ``--forwarded-allow-ips
127.0.0.1``) and a new username, as a distributed guesser would: every attempt then costs a
full argon2 verification. The latency of the public pages (not the API) is printed apart.

    python benchmarks/web_load.py --db demo/monitor.duckdb [--users 20] [--duration 120] [--workers 2]
        [--bad-logins 10 [--spread-logins]]

The issue's goal: p95 <= 150 ms and zero errors with 20 users, on an edition of about a
million registrations (``synth --scale 180`` + ``run``); issue 13: p95 of public pages < 150 ms
with 20 users and 10 concurrent wrong logins.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
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


class _Connection:
    """One keep-alive HTTP/1.1 connection of one simulated user (a browser holds its own).

    Deliberately small: httpx costs the client about 3 ms of CPU per request, which on a
    2-core machine shared with the server shows up in the measured latency.
    """

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, path: str) -> int:
        return (await self.request("GET", path))[0]

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict | None = None
    ) -> tuple[int, dict, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        if body:
            extra += f"Content-Length: {len(body)}\r\n"
        self.writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{extra}\r\n".encode(
                "latin-1"
            )
            + body
        )
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = dict(
                (k.strip().lower(), v.strip())
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            )
            data = b""
            if "content-length" in headers:
                data = await self.reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding") == "chunked":
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    data += (await self.reader.readexactly(size + 2))[:-2]
                    if size == 0:
                        break
            if headers.get("connection") == "close":
                await self.close()
            return status, headers, data
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def _user(base, paths, stop_at, latencies, errors, rng, client_kind) -> None:
    import httpx

    host, port = base.removeprefix("http://").rsplit(":", 1)
    if client_kind == "httpx":
        conn = httpx.AsyncClient(base_url=base, timeout=30)
    else:
        conn = _Connection(host, int(port))
    try:
        while time.perf_counter() < stop_at:
            path = rng.choice(paths)
            t0 = time.perf_counter()
            try:
                if client_kind == "httpx":
                    ok = (await conn.get(path)).status_code == 200
                else:
                    ok = await asyncio.wait_for(conn.get(path), 30) == 200
            except Exception:  # a refused or dropped connection is an error, not a crash
                ok = False
            latencies.append((path, time.perf_counter() - t0))
            if not ok:
                errors.append(path)
    finally:
        await (conn.aclose() if client_kind == "httpx" else conn.close())


async def _bad_login(base, stop_at, statuses, spread: bool, k: int) -> None:
    """One attacker: a login form, then a wrong password, again and again."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = _Connection(host, int(port))
    i = 0
    try:
        while time.perf_counter() < stop_at:
            i += 1
            forwarded = {"X-Forwarded-For": f"198.18.{k}.{i % 250 + 1}"} if spread else {}
            try:
                status, headers, body = await conn.request("GET", "/login", headers=forwarded)
                token = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
                cookie = headers.get("set-cookie", "").split(";")[0]
                user = f"guess{k}x{i}" if spread else "analyst"
                form = f"username={user}&password=wrong-{i}&csrf_token={token}".encode()
                status, _, _ = await conn.request(
                    "POST",
                    "/login",
                    form,
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": cookie,
                        **forwarded,
                    },
                )
            except Exception:
                status = 0
            statuses.append(status)
    finally:
        await conn.close()


async def _run(
    base: str,
    users: int,
    duration: float,
    seed: int,
    client_kind: str,
    bad_logins: int = 0,
    spread: bool = False,
) -> tuple:
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
    logins: list[int] = []
    t0 = time.perf_counter()
    stop_at = t0 + duration
    await asyncio.gather(
        *[
            _user(base, paths, stop_at, latencies, errors, random.Random(seed + i), client_kind)
            for i in range(users)
        ],
        *[_bad_login(base, stop_at, logins, spread, k) for k in range(bad_logins)],
    )
    elapsed = time.perf_counter() - t0
    return latencies, errors, elapsed, load, logins


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))
    return sorted_values[i]


def _start_server(
    stack: contextlib.ExitStack, db: Path, workers: int, trust_loopback: bool = False
) -> str:
    """``serve`` on a free loopback port until the stack closes; its base URL."""
    tmp = stack.enter_context(tempfile.TemporaryDirectory())
    state = f"sqlite:///{Path(tmp) / 'state.sqlite'}"
    port = _free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "traffickingmonitor", "serve", "--db", str(db)),
            *("--state", state, "--port", str(port), "--workers", str(workers)),
            *("--audit-key-file", str(Path(tmp) / "audit.key")),
            *("--audit-checkpoint", str(Path(tmp) / "audit.checkpoint")),
            *(("--forwarded-allow-ips", "127.0.0.1") if trust_loopback else ()),
            "--demo-users",
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
    )

    def stop():
        server.terminate()  # it writes its last audit entries before it ends
        try:
            server.wait(300)
        except subprocess.TimeoutExpired:
            print("the server did not stop in 300 s: killed")
            server.kill()

    stack.callback(stop)
    return _wait_for(f"http://127.0.0.1:{port}", server)


def _wait_for(base: str, server=None) -> str:
    host, port = base.removeprefix("http://").rstrip("/").rsplit(":", 1)
    deadline = time.monotonic() + 1800
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return base
        except OSError:
            if time.monotonic() > deadline or (server and server.poll() is not None):
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="the DuckDB store to serve")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds (bounded: max 600)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="server processes")
    ap.add_argument(
        "--client",
        choices=("lean", "httpx"),
        default="lean",
        help="lean: one small keep-alive connection per user (default); httpx: AsyncClient per user",
    )
    ap.add_argument(
        "--url", help="measure a server already running there (e.g. http://127.0.0.1:8000)"
    )
    ap.add_argument("--bad-logins", type=int, default=0, help="concurrent wrong-login loops")
    ap.add_argument(
        "--spread-logins",
        action="store_true",
        help="each wrong login from a new address and username (trusts loopback as a proxy)",
    )
    args = ap.parse_args()
    if not args.url and not args.db:
        ap.error("--db (or --url of a running server) is needed")
    duration = min(args.duration, 600.0)
    t_start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        base = (
            _wait_for(args.url)
            if args.url
            else _start_server(stack, args.db, args.workers, args.spread_logins)
        )
        latencies, errors, elapsed, load_before, logins = asyncio.run(
            _run(
                base.rstrip("/"),
                args.users,
                duration,
                args.seed,
                args.client,
                args.bad_logins,
                args.spread_logins,
            )
        )
        load_after = os.getloadavg()
        t_start = time.perf_counter() - t_start - elapsed
        _report(args, latencies, errors, elapsed, t_start, load_before, load_after)
        if args.bad_logins:
            counts = {s: logins.count(s) for s in sorted(set(logins))}
            print(
                f"wrong logins ({args.bad_logins} loops, "
                f"{'spread over addresses' if args.spread_logins else 'one address'}): "
                f"{len(logins)} answered, by status {counts}"
            )


def _report(args, latencies, errors, elapsed, t_start, load_before, load_after) -> None:
    ms = sorted(x * 1000 for _, x in latencies)
    by_path: dict[str, list[float]] = {}
    for path, x in latencies:
        by_path.setdefault(path, []).append(x * 1000)
    print(
        f"users {args.users}, workers {'?' if args.url else args.workers}, "
        f"client {args.client}, duration {elapsed:.1f} s, "
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
    pages = sorted(x * 1000 for p, x in latencies if not p.startswith("/api/"))
    print(
        f"public pages ({len(pages)} requests): p50 {_pct(pages, 0.50):.1f} ms, "
        f"p95 {_pct(pages, 0.95):.1f} ms, p99 {_pct(pages, 0.99):.1f} ms"
    )
    slowest = sorted(by_path.items(), key=lambda kv: -sorted(kv[1])[len(kv[1]) // 2])[:3]
    print("slowest (p50): " + ", ".join(f"{p} {sorted(v)[len(v) // 2]:.0f} ms" for p, v in slowest))
    print(f"errors {len(errors)}" + (f" (e.g. {sorted(set(errors))[:3]})" if errors else ""))


if __name__ == "__main__":
    main()
