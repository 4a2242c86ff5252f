"""Clerical review in the browser: an edition's uncertain pairs, one at a time.

Analysts and administrators only. A pair is shown by its number in the edition's list of
uncertain pairs (``linkage.review.uncertain_pairs``, most probable first), never by its
registration ids: the page gives the evidence the model saw (each comparison's level and
match weight, and whether the tokens agree) and takes match / no match / skip, by button,
keyboard (m, n, s; ``static/review.js``) or a plain form post. Decisions go to the state
database (``review_state``), are audited, can be changed until a run applies them
(``linkage.review_browser``).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from traffickingmonitor.errors import UserError
from traffickingmonitor.linkage.labels import level_label
from traffickingmonitor.linkage.model import COMPARISONS
from traffickingmonitor.linkage.review import FLAG_COLUMNS
from traffickingmonitor.publish.i18n import catalog
from traffickingmonitor.publish.web import review_state
from traffickingmonitor.publish.web.access import (
    check_csrf,
    edition_for,
    redirect,
    require,
)
from traffickingmonitor.publish.web.app import audit_event, lang_of, render

router = APIRouter(include_in_schema=False)

ROLES = ("admin", "analyst")
# The evidence columns of ``uncertain_pairs``: comparisons (level and weight), then flags.
FLAGS = tuple(col.removesuffix("_token") for col in FLAG_COLUMNS)

WORDS = catalog(
    "review",
    # read by value: a decision, whether a token agrees, a message, a comparison or token name
    dynamic=(
        "equal",
        "different",
        "missing",
        "locked",
        "comparison_names.*",
        "flag_names.*",
    ),
)


def _number(value: float, digits: int, lang: str, sign: bool = False) -> str:
    """A decimal as the page's language writes it (Dutch: a decimal comma)."""
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "nl" else text


def _reviewer(request: Request):
    """Analysts and administrators; the public is sent to the login, other users get a 403
    (as on every staff page)."""
    return require(request, *ROLES)


def _pairs(request: Request, edition_id: str) -> list[dict] | None:
    """The edition's uncertain pairs with their evidence (None: no probabilistic model).

    Read once per edition (an edition never changes) and kept on the server: the registration
    ids in it never go to the browser.
    """
    data = request.app.state.data

    def build():
        from traffickingmonitor import store
        from traffickingmonitor.linkage.review import uncertain_pairs

        con = store.connect(data.db, read_only=True)
        try:
            frame = uncertain_pairs(con, edition_id)
        except UserError:
            return None
        finally:
            con.close()
        return frame.to_dict("records")

    return data.memo(("review", edition_id), build)


def _pair_key(row: dict) -> tuple[str, str]:
    return review_state.ordered(row["registration_id_l"], row["registration_id_r"])


def _decisions(request: Request, edition_id: str) -> dict:
    with request.app.state.db() as db:
        return review_state.decisions(db, edition_id)


def _next_open(pairs: list[dict], decided: dict, after: int) -> int | None:
    """The number of the first undecided pair after pair ``after`` (1-based)."""
    for n in range(after + 1, len(pairs) + 1):
        if _pair_key(pairs[n - 1]) not in decided:
            return n
    return None


def _query(edition, request: Request) -> str:
    """Keep an explicitly chosen edition in the links."""
    return f"?edition={edition.edition_id}" if request.query_params.get("edition") else ""


async def _load(request: Request, edition_id: str | None):
    edition = edition_for(request, edition_id)
    pairs = await run_in_threadpool(_pairs, request, edition.edition_id)
    decided = await run_in_threadpool(_decisions, request, edition.edition_id)
    return edition, pairs or [], decided


@router.get("/review", response_class=HTMLResponse)
async def review_overview(request: Request):
    _reviewer(request)
    edition, pairs, decided = await _load(request, request.query_params.get("edition"))
    lang = lang_of(request)
    rows = []
    for n, pair in enumerate(pairs, start=1):
        d = decided.get(_pair_key(pair))
        rows.append(
            {"n": n, "probability": _number(pair["match_probability"], 4, lang), "decision": d}
        )
    return render(
        request,
        "review.html.j2",
        edition=edition,
        rw=WORDS[lang_of(request)],
        rows=rows,
        total=len(pairs),
        done=sum(r["decision"] is not None for r in rows),
        applied=sum(
            r["decision"] is not None and r["decision"].applied_at is not None for r in rows
        ),
        first_open=_next_open(pairs, decided, 0),
        query=_query(edition, request),
    )


def _pair_page(request, edition, pairs, decided, n: int, message: str = "", status: int = 200):
    if not 1 <= n <= len(pairs):
        raise HTTPException(404, "no such pair")
    pair = pairs[n - 1]
    lang = lang_of(request)
    # The model's prior: the total is the prior plus the comparisons' weights.
    prior = pair["match_weight"] - sum(pair[f"{c}_weight"] for c in COMPARISONS)
    return render(
        request,
        "review_pair.html.j2",
        status_code=status,
        edition=edition,
        rw=WORDS[lang_of(request)],
        n=n,
        total=len(pairs),
        done=sum(_pair_key(p) in decided for p in pairs),
        probability=_number(pair["match_probability"], 4, lang),
        weight=_number(pair["match_weight"], 2, lang, sign=True),
        prior=_number(prior, 2, lang, sign=True),
        comparisons=[
            {
                "name": c,
                "level": level_label(pair[f"{c}_level"], lang),
                "weight": _number(pair[f"{c}_weight"], 2, lang, sign=True),
            }
            for c in COMPARISONS
        ],
        flags=[{"name": f, "value": pair.get(f"same_{f}") or "missing"} for f in FLAGS],
        current=decided.get(_pair_key(pair)),
        message=message,
        query=_query(edition, request),
    )


@router.get("/review/{n}", response_class=HTMLResponse)
async def review_pair(request: Request, n: int):
    _reviewer(request)
    edition, pairs, decided = await _load(request, request.query_params.get("edition"))
    return _pair_page(request, edition, pairs, decided, n)


@router.post("/review/{n}")
async def decide_pair(request: Request, n: int):
    p = _reviewer(request)
    form = await request.form()
    check_csrf(request, form)
    edition, pairs, decided = await _load(request, str(form.get("edition", "")) or None)
    if not 1 <= n <= len(pairs):
        raise HTTPException(404, "no such pair")
    decision = str(form.get("decision", ""))
    if decision not in (*review_state.DECISIONS, "skip"):
        raise HTTPException(400, "decision must be match, no_match or skip")
    query = f"?edition={edition.edition_id}"
    if decision != "skip":
        pair = _pair_key(pairs[n - 1])

        def save():
            with request.app.state.db() as db:
                review_state.decide(db, edition.edition_id, n, pair, decision, p.username)

        try:
            await run_in_threadpool(save)
        except UserError:
            return _pair_page(request, edition, pairs, decided, n, "locked", 409)
        await audit_event(request, "review decision", f"{edition.edition_id}/pair {n}", decision)
        decided = {**decided, pair: True}
    following = _next_open(pairs, decided, n)
    if following is None:
        return redirect(f"/review{query}")
    return redirect(f"/review/{following}{query}")
