"""Benchmark: seconds per chapter of the report, built in this process from a store; the PDF's
typesetting and the dashboard's municipality pages on request.

``run`` builds every language's chapters once and stores them (``publish.stored_chapters``);
this builds them again from the store's protected tables, as ``run`` and its worker do, and
prints the seconds each chapter took (median over ``--repeat`` builds, the languages in
turn), the PDF's typesetting of the report (``report.write_pdf``, ``--pdf``) and the
milliseconds per municipality page of the dashboard, all 342 in Dutch through a test client
on a copy of the store, its edition made public there (``--pages``; the pages keep what
they built, so each is built once per run). The first build, which imports the chapters'
code and starts vl-convert, is not counted.

    python benchmarks/chapters.py --db demo/monitor.duckdb [--repeat 3] [--pdf] [--pages]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a store `run` wrote")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf", action="store_true", help="also time the PDF's typesetting")
    parser.add_argument("--pages", action="store_true", help="also time the municipality pages")
    args = parser.parse_args()

    from traffickingmonitor.publish import chapters as chapter_list
    from traffickingmonitor.publish.report import protected_edition
    from traffickingmonitor.publish.stored_chapters import build_from, store_inputs

    # the protection as stored (another code version's is computed again and replaced)
    edition, rule, protected = protected_edition(args.db, None, None, "suppression")
    inputs = store_inputs(args.db, edition)
    seconds: dict[str, list[float]] = defaultdict(list)
    timed = {}
    for chapter in chapter_list.CHAPTERS:

        def build(ctx, _build=chapter.build, _id=chapter.id):
            t0 = time.perf_counter()
            content = _build(ctx)
            timed[_id] = time.perf_counter() - t0
            return content

        object.__setattr__(chapter, "build", build)

    build_from(edition, rule, "en", protected, *inputs)  # imports, vl-convert's engine
    totals = []
    for i in range(args.repeat):
        for lang in ("nl", "en"):
            timed.clear()
            t0 = time.perf_counter()
            build_from(edition, rule, lang, protected, *inputs)
            totals.append(time.perf_counter() - t0)
            for chapter_id, s in timed.items():
                seconds[chapter_id].append(s)
        print(f"build {i + 1} of {args.repeat}: {totals[-2]:.2f} s (nl), {totals[-1]:.2f} s (en)")
    print(f"\n{'chapter':<18} {'median s':>9}")
    for chapter_id, values in sorted(seconds.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"{chapter_id:<18} {statistics.median(values):>9.3f}")
    print(f"{'one language':<18} {statistics.median(totals):>9.3f}")

    if args.pdf:
        import tempfile

        from traffickingmonitor.publish import report

        chapters = build_from(edition, rule, "nl", protected, *inputs)
        quality, before = inputs
        html = report.render_html(
            protected, edition, rule, "nl", quality=quality, before=before, chapters=chapters
        )
        report.load_pdf_engine()
        with tempfile.TemporaryDirectory() as tmp:
            pdf_seconds = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                report.write_pdf(html, Path(tmp) / "report.pdf", edition, "nl")
                pdf_seconds.append(time.perf_counter() - t0)
        print(f"{'PDF (nl)':<18} {statistics.median(pdf_seconds):>9.3f}")
    if args.pages:
        print(f"{'municipality page':<18} {_municipality_page_ms(args.db):>9.1f} ms")


def _municipality_page_ms(db: Path) -> float:
    """Milliseconds per municipality page, all of them once, on a copy of the store."""
    import shutil
    import tempfile
    import warnings

    from traffickingmonitor import editions, store
    from traffickingmonitor.codes.api import municipality_codes
    from traffickingmonitor.publish.web import create_app
    from traffickingmonitor.publish.web.cli import approve_demo_edition

    with warnings.catch_warnings():  # starlette's note on httpx is for its developers
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "monitor.duckdb"
        shutil.copy(db, copy)
        con = store.connect(copy, read_only=True)
        try:
            edition_id = editions.get_edition(con).edition_id
        finally:
            con.close()
        approve_demo_edition(copy, edition_id)
        codes = sorted(municipality_codes())
        with TestClient(create_app(copy)) as client:
            client.get("/")
            t0 = time.perf_counter()
            for code in codes:
                client.get(f"/municipalities/{code}").raise_for_status()
            return 1000 * (time.perf_counter() - t0) / len(codes)


if __name__ == "__main__":
    main()
