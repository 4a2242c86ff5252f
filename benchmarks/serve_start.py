"""Benchmark: ``serve`` start and ``report --no-pdf``, with and without what ``run`` stores.

``run`` stores the protected tables of an edition (``disclosure.stored``) and its chapters in
every language (``publish.stored_chapters``); ``serve`` and ``report`` read them. This times,
on copies of one store (the original is not touched):

- ``serve`` from start until ``/`` answers 200, on a copy with nothing stored (the server
  protects the edition and builds its chapters itself), with the protection only, and with
  both, as ``run`` stores them;
- ``report --no-pdf``, first on the copy with nothing stored (it computes and stores the
  protection and its language's chapters), then again on the same copy (it reads them).

Times are printed, never asserted (the machine may be busy).

    python benchmarks/serve_start.py --db demo/monitor.duckdb [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


KEEPS = ("nothing", "protection", "both")


def _copy(db: Path, folder: Path, *, keep: str) -> Path:
    """A copy of the store keeping ``nothing``, the ``protection`` or ``both`` the protection
    and the chapters of the latest edition, as ``run`` stores them (under its own rule)."""
    import duckdb

    from traffickingmonitor import editions
    from traffickingmonitor.disclosure import stored
    from traffickingmonitor.disclosure.rule import rule_from_config
    from traffickingmonitor.publish import stored_chapters

    folder.mkdir(parents=True)
    out = folder / db.name
    shutil.copy(db, out)
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        shutil.copy(wal, out.with_name(out.name + ".wal"))
    con = duckdb.connect(str(out))
    try:
        con.execute(f"DROP TABLE IF EXISTS {stored.TABLE}")
        con.execute(f"DROP TABLE IF EXISTS {stored_chapters.TABLE}")
        if keep != "nothing":
            edition = editions.get_edition(con)
            rule = rule_from_config(edition.config.get("disclosure"))
            tables = editions.load_tables(con, edition.edition_id)
            protected = stored.stored_protection(
                con, edition.edition_id, tables, rule, read_only=False, strict=True
            ).tables
            if keep == "both":
                for lang in stored_chapters.LANGS:
                    stored_chapters.edition_chapters(
                        con, edition, rule, lang, protected, read_only=False
                    )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return out


def serve_seconds(db: Path) -> float:
    """Seconds from starting ``serve`` until ``/`` answers 200."""
    port = _free_port()
    tmp = db.parent
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "traffickingmonitor", "serve", "--db", str(db)),
            *("--port", str(port), "--state", f"sqlite:///{tmp / 'state.sqlite'}"),
            *("--audit-key-file", str(tmp / "audit.key")),
            *("--audit-checkpoint", str(tmp / "audit.checkpoint")),
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            if server.poll() is not None:
                sys.exit(f"serve ended: {server.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
    finally:
        server.terminate()
        try:
            server.wait(120)
        except subprocess.TimeoutExpired:
            server.kill()


def report_seconds(db: Path, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [
            *(sys.executable, "-m", "traffickingmonitor", "report", "--db", str(db)),
            *("--out", str(out), "--no-pdf"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="the store (e.g. the demo's)")
    ap.add_argument("--repeat", type=int, default=1, help="times per measurement")
    args = ap.parse_args()
    os.environ.setdefault("TRAFFICKINGMONITOR_KEY", "k" * 64)
    root = Path(tempfile.mkdtemp(prefix="tm-serve-start-"))
    try:
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for i in range(args.repeat):
            seconds = {
                keep: serve_seconds(_copy(args.db, root / f"serve-{keep}-{i}", keep=keep))
                for keep in KEEPS
            }
            print(
                "serve until / answers 200: "
                + ", ".join(f"{s:6.1f} s {keep} stored" for keep, s in seconds.items())
            )
            db = _copy(args.db, root / f"report-{i}", keep="nothing")
            first = report_seconds(db, root / f"report-{i}" / "out1")
            second = report_seconds(db, root / f"report-{i}" / "out2")
            print(
                f"report --no-pdf:           {first:6.1f} s nothing stored (it stores them), "
                f"{second:6.1f} s stored"
            )
        print(f"load average at end:   {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
