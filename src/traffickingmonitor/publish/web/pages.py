"""Server-rendered pages: overview, chapters, municipalities, downloads, method, login, admin."""

from __future__ import annotations

import asyncio
import functools
import math

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from traffickingmonitor.publish.web import accounts, assessments, audit, sessions
from traffickingmonitor.publish.web.access import (
    check_csrf,
    edition_for,
    is_draft,
    latest_for,
    may_read_assessment,
    may_write_assessment,
    principal,
    public_edition,
    redirect,
    require,
    safe_next,
    visible_editions,
)
from traffickingmonitor.publish.web.app import audit_event, client_address, lang_of, render
from traffickingmonitor.publish.web.figures import changes, region_blocks, similar_municipalities
from traffickingmonitor.publish.web.words import LANGS

router = APIRouter(include_in_schema=False)


def public_page(handler):
    """Serve the public's copy of a page from memory once it has been rendered.

    For a visitor without login a page depends only on its path, the edition and the
    language, and an edition never changes: the HTML is kept (bounded cache) unless it carries
    a CSRF token. The key holds validated values only (a known edition, a known language,
    and only pages answered 200 are kept, so only real chapters and municipalities): other
    query parameters do not make new entries. Logged-in users always get a page rendered for
    them. Only the latest approved edition is looked up (``public_edition``, per request): a
    draft never reaches the cache, and an edition whose approval is withdrawn is not served
    from it.
    """

    @functools.wraps(handler)
    async def page(request: Request, **kwargs):
        if principal(request).logged_in:
            return await handler(request, **kwargs)
        data = request.app.state.data
        edition = public_edition(request, request.query_params.get("edition"))
        if edition is None:  # not the public edition (or none public): the handler says so
            return await handler(request, **kwargs)
        key = (lang_of(request), request.url.path, edition.edition_id)
        cache = data.public_pages
        body = cache.peek(key)
        if body is not None:
            return HTMLResponse(body)
        response = await handler(request, **kwargs)
        if (
            response.status_code == 200
            and isinstance(response, HTMLResponse)
            and not getattr(request.state, "csrf_used", False)
        ):
            cache.put(key, response.body)
        return response

    return page


async def _edition(request: Request):
    """The edition asked for, its chapters (and the latest's, for the menu) built.

    The pages are ``async``: once an edition is built (at start-up by ``serve``, or by the
    first request, off the event loop) a page is a few dictionary look-ups and a template,
    cheaper on the loop than a hop to the thread pool.
    """
    data = request.app.state.data
    latest = latest_for(request)
    if latest is None:
        raise HTTPException(404, "no edition has been published yet")
    edition = edition_for(request, request.query_params.get("edition"))
    lang = lang_of(request)
    for e in {edition.edition_id, latest.edition_id}:
        if not data.ready(e, lang):
            await run_in_threadpool(data.chapters, e, lang)
    return edition


@router.get("/", response_class=HTMLResponse)
@public_page
async def overview(request: Request):
    data = request.app.state.data
    if latest_for(request) is None and "edition" not in request.query_params:
        # 200, not 404: the site is up, it has nothing to show yet (a monitor polls ``/``).
        return render(request, "unpublished.html.j2")
    edition = await _edition(request)
    lang = lang_of(request)
    chapters = data.chapters(edition.edition_id, lang)
    key = next((c for c in chapters if c["id"] == "key-figures"), None)
    prev = data.previous(edition.edition_id)
    # the public sees one edition: a change since an unpublished one would be a count of
    # the persons the new edition added or relinked (issue 12)
    compare = principal(request).may_see_all_editions()
    return render(
        request,
        "overview.html.j2",
        edition=edition,
        editions=visible_editions(request),
        key=key["content"] if key else None,
        chapters=chapters,
        compare=compare,
        prev=prev,
        changes=(
            changes(data, edition, prev, data.rule(edition.edition_id).threshold)
            if prev and compare
            else None
        ),
    )


@router.get("/chapters", response_class=HTMLResponse)
@public_page
async def chapter_index(request: Request):
    edition = await _edition(request)
    chapters = request.app.state.data.chapters(edition.edition_id, lang_of(request))
    return render(request, "chapters.html.j2", edition=edition, chapters=chapters)


@router.get("/chapters/{chapter_id}", response_class=HTMLResponse)
@public_page
async def chapter(request: Request, chapter_id: str):
    data = request.app.state.data
    edition = await _edition(request)
    chapters = data.chapters(edition.edition_id, lang_of(request))
    for n, ch in enumerate(chapters, start=1):
        if ch["id"] == chapter_id:
            return render(
                request,
                "chapter.html.j2",
                edition=edition,
                ch=ch,
                n=n,
                c=ch["content"],
                prev_ch=chapters[n - 2] if n > 1 else None,
                next_ch=chapters[n] if n < len(chapters) else None,
            )
    raise HTTPException(404, "no such chapter")


@router.get("/municipalities", response_class=HTMLResponse)
def municipalities(request: Request):
    from traffickingmonitor.codes.api import municipalities as table

    code = request.query_params.get("code")
    if code:
        if code not in set(table()["code"]):
            raise HTTPException(404, "no such municipality")
        return redirect(f"/municipalities/{code}")
    rows = table().sort_values("name")[["code", "name"]].to_dict("records")
    return render(request, "municipalities.html.j2", municipalities=rows)


@functools.cache
def _municipality_rows() -> dict[str, dict]:
    from traffickingmonitor.codes.api import municipalities as table

    return {r["code"]: r for r in table().to_dict("records")}


def _municipality(code: str) -> dict:
    row = _municipality_rows().get(code)
    if row is None:
        raise HTTPException(404, "no such municipality")
    return dict(row)


@router.get("/municipalities/{code}", response_class=HTMLResponse)
@public_page
async def municipality(request: Request, code: str):
    data = request.app.state.data
    edition = await _edition(request)
    lang = lang_of(request)
    m = _municipality(code)
    tables = data.tables(edition.edition_id)
    key = ("municipality", edition.edition_id, code, lang)
    build = lambda: (*region_blocks(tables, m, lang), similar_municipalities(tables, m, lang))  # noqa: E731
    if data.has_memo(key):
        own, region, similar = data.memo(key, build)
    else:  # the first visit builds the figures off the event loop
        own, region, similar = await run_in_threadpool(data.memo, key, build)
    return render(
        request,
        "municipality.html.j2",
        edition=edition,
        m=m,
        own=own,
        region=region,
        similar=similar,
        may_assess=may_read_assessment(principal(request), code),
        sheets={
            level: factsheet_links(level, m["code" if level == "municipality" else level])
            for level in ("municipality", "province", "police_unit", "safety_region")
        },
    )


@router.get("/municipalities/{code}/assessment", response_class=HTMLResponse)
def assessment(request: Request, code: str):
    p = require(request, "admin", "analyst", "municipality")
    if not may_read_assessment(p, code):
        raise HTTPException(403, "forbidden")
    m = _municipality(code)
    year = assessments.parse_year(request.query_params.get("year"))
    with request.app.state.db() as db:
        current, history = assessments.load(db, code, year)
    return render(
        request,
        "assessment.html.j2",
        m=m,
        year=year,
        years=assessments.year_choices(),
        criteria=assessments.criteria(lang_of(request)),
        values=assessments.values(lang_of(request)),
        current=current,
        history=history,
        writable=may_write_assessment(p, code),
        saved=request.query_params.get("saved") == "1",
    )


@router.post("/municipalities/{code}/assessment")
async def save_assessment(request: Request, code: str):
    p = require(request, "admin", "municipality")
    if not may_write_assessment(p, code):
        raise HTTPException(403, "forbidden")
    _municipality(code)
    form = await request.form()
    check_csrf(request, form)
    year = assessments.parse_year(str(form.get("year", "")), strict=True)
    answers = assessments.parse_form(form)

    def save():
        with request.app.state.db() as db:
            return assessments.save(db, code, year, answers, p.user_id)

    changed = await run_in_threadpool(save)
    await audit_event(
        request,
        "assessment save",
        f"{code}/{year}",
        ",".join(f"{c}={v}" for c, v, _ in answers if c in changed),
    )
    return redirect(f"/municipalities/{code}/assessment?year={year}&saved=1")


@router.get("/downloads", response_class=HTMLResponse)
@public_page
async def downloads(request: Request):
    data = request.app.state.data
    edition = await _edition(request)
    lang = lang_of(request)
    tables = data.memo(
        ("downloads", edition.edition_id, lang),
        lambda: [
            {
                "id": tid,
                "title": t.title(lang),
                "suppressed": int(t.suppressed.to_numpy().sum()),
            }
            for tid, t in data.tables(edition.edition_id).items()
        ],
    )
    return render(
        request,
        "downloads.html.j2",
        edition=edition,
        tables=tables,
        sheets=_region_sheets(lang),
    )


@functools.cache
def _region_sheets(lang: str) -> list[tuple[str, list[dict]]]:
    """The factsheets of police units, safety regions and provinces, by name per level (those
    of municipalities are on each municipality's page)."""
    from traffickingmonitor.publish.chapters._local import area_name
    from traffickingmonitor.publish.factsheets import areas

    return [
        (
            level,
            [
                {"name": area_name(level, a.key, lang), "path": f"{level}/{a.file}"}
                for a in areas(level)
            ],
        )
        for level in ("police_unit", "safety_region", "province")
    ]


@router.get("/downloads/{edition_id}/{file_name}")
def download(request: Request, edition_id: str, file_name: str):
    data = request.app.state.data
    edition = edition_for(request, edition_id)
    lang = lang_of(request)
    allowed = {f"{tid}.csv" for tid in data.tables(edition.edition_id)} | {"metadata.json"}
    if file_name not in allowed:
        raise HTTPException(404, "no such file")
    path = data.csv_folder(edition.edition_id, lang, is_draft(request, edition)) / file_name
    media = "application/json" if file_name.endswith(".json") else "text/csv; charset=utf-8"
    return FileResponse(path, media_type=media, filename=f"{edition.edition_id}_{lang}_{file_name}")


def factsheet_links(level: str, key: str) -> dict | None:
    """``{"html", "pdf"}`` paths (without the edition) of an area's factsheet, or None."""
    from traffickingmonitor.publish.factsheets import areas

    area = next((a for a in areas(level) if a.key == key), None)
    if area is None:
        return None
    return {kind: f"{level}/{area.file}.{kind}" for kind in ("html", "pdf")}


@router.get("/factsheets/{edition_id}/{level}/{file_name}")
async def factsheet(request: Request, edition_id: str, level: str, file_name: str):
    """One area's factsheet (HTML or PDF) of an edition the user may see, in the user's
    language; a draft's carries the draft mark (the status comes from the state).

    Rendered on the first request from the protected tables and chapters the pages use,
    then kept in the bounded response cache (an edition never changes; the draft flag is part
    of the key, so a withdrawn approval is not served from it).
    """
    from traffickingmonitor.publish import factsheets as fs

    stem, _, kind = file_name.rpartition(".")
    area = fs.find_area(level, stem) if kind in ("html", "pdf") else None
    if area is None:
        raise HTTPException(404, "no such factsheet")
    data = request.app.state.data
    edition = edition_for(request, edition_id)
    lang = lang_of(request)
    draft = is_draft(request, edition)
    eid = edition.edition_id

    def build() -> bytes:
        src = data.memo(
            ("factsheets", eid, lang),
            lambda: fs.Sources.build(
                data.tables(eid), edition, data.rule(eid), lang, data.chapters(eid, lang)
            ),
        )
        html = fs.render_factsheet(src, area, draft=draft)
        return html.encode("utf-8") if kind == "html" else fs.factsheet_pdf(html)

    key = ("factsheet", eid, lang, draft, level, area.file, kind)
    body = data.responses.peek(key)
    if body is None:  # typesetting takes a moment: off the event loop
        body = await run_in_threadpool(data.responses.get, key, build)
    if kind == "html":
        return HTMLResponse(body)
    name = f"{eid}_{lang}_{level}_{area.file}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/method", response_class=HTMLResponse)
@public_page
async def method(request: Request):
    edition = await _edition(request)
    chapters = request.app.state.data.chapters(edition.edition_id, lang_of(request))
    method_chapter = next((ch["content"] for ch in chapters if ch["id"] == "method"), None)
    # The method chapter's own partial (definitions, linkage, sources) when it has one.
    return render(request, "method.html.j2", edition=edition, c=method_chapter)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str):
    if code not in LANGS:
        raise HTTPException(404, "no such language")
    response = redirect(safe_next(request.query_params.get("next")))
    response.set_cookie("lang", code, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


# --- login --------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request):
    return render(request, "login.html.j2", next=safe_next(request.query_params.get("next")))


@router.post("/login")
async def login(request: Request):
    from sqlalchemy import select

    from traffickingmonitor.publish.web.state import User

    form = await request.form()
    check_csrf(request, form)
    username = str(form.get("username", "")).strip().lower()[:80]
    given = str(form.get("password", ""))
    # Never truncated: a longer one is checked (the same work) and refused.
    password = given[: accounts.MAX_PASSWORD]
    next_url = safe_next(str(form.get("next", "/")))
    throttle = request.app.state.throttle
    address = client_address(request)
    wait = throttle.retry_after(address, username)
    if wait > 0:
        await audit_event(request, "login blocked", "/login", username=username or "-")
        response = render(request, "login.html.j2", status_code=429, next=next_url, error="blocked")
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    delay = throttle.delay(username)
    if delay > 0:  # many failures on this username from anywhere: slower, never refused
        await asyncio.sleep(delay)

    def lookup():
        with request.app.state.db() as db:
            return db.scalar(select(User).where(User.username == username))

    user = await run_in_threadpool(lookup)
    ok = await accounts.check_password_async(user, password)
    if not ok or len(given) > accounts.MAX_PASSWORD:
        throttle.fail(address, username)
        await audit_event(request, "login failed", "/login", username=username or "-")
        return render(request, "login.html.j2", status_code=401, next=next_url, error="failed")
    throttle.succeed(address, username)
    await start_session(request, user, "password")
    await audit_event(request, "login", "/login", username=user.username, role=user.role)
    return redirect(next_url)


async def start_session(request: Request, user, method: str) -> None:
    """A new server-side session and a fresh cookie (new CSRF token): an id planted before
    the login is worth nothing after it."""
    old = request.session.get("sid")

    def begin() -> str:
        with request.app.state.db() as db:
            if old:
                sessions.end(db, str(old), "replaced by a login")
            return sessions.start(db, user, client_address(request), method)

    token = await run_in_threadpool(begin)
    request.session.clear()
    request.session["sid"] = token


@router.post("/logout")
async def logout(request: Request):
    form = await request.form()
    check_csrf(request, form)
    p = principal(request)
    token = request.session.get("sid")
    if token:

        def end():
            with request.app.state.db() as db:
                sessions.end(db, str(token), "logout")

        await run_in_threadpool(end)
    if p.logged_in:
        await audit_event(request, "logout", "/logout")
    request.session.clear()
    return redirect("/")


# --- own account: sessions and password ----------------------------------------------------


def _account_page(request: Request, message: str | None = None, status_code: int = 200):
    from traffickingmonitor.publish.web.state import User

    p = require(request, "admin", "analyst", "municipality")
    with request.app.state.db() as db:
        rows = sessions.open_sessions(db, request.app.state.sessions, user_id=p.user_id)
        user = db.get(User, p.user_id)
    return render(
        request,
        "account.html.j2",
        status_code=status_code,
        sessions=rows,
        current=getattr(request.state, "session_id", None),
        has_password=user.password_hash.startswith("$argon2"),
        message=message,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request):
    return _account_page(request)


@router.post("/account/sessions/end-others")
async def end_other_sessions(request: Request):
    p = require(request, "admin", "analyst", "municipality")
    form = await request.form()
    check_csrf(request, form)
    keep = getattr(request.state, "session_id", None)

    def end() -> int:
        with request.app.state.db() as db:
            return sessions.end_all(db, p.user_id, "ended by the user", keep=keep)

    n = await run_in_threadpool(end)
    await audit_event(request, "session revoke", f"user {p.username}", f"{n} other sessions")
    return redirect("/account")


@router.post("/account/password")
async def change_password(request: Request):
    """The current password and the new one twice; the other sessions end (ASVS 3.3.3).
    Wrong current passwords count as failed logins (``LoginThrottle``)."""
    from traffickingmonitor.publish.web.state import User

    p = require(request, "admin", "analyst", "municipality")
    form = await request.form()
    check_csrf(request, form)
    current = str(form.get("current", ""))
    new, repeat = str(form.get("new", "")), str(form.get("repeat", ""))
    throttle = request.app.state.throttle
    address = client_address(request)
    if throttle.retry_after(address, p.username) > 0:
        return await run_in_threadpool(_account_page, request, "login_blocked", 429)

    def load():
        with request.app.state.db() as db:
            return db.get(User, p.user_id)

    user = await run_in_threadpool(load)
    if not user.password_hash.startswith("$argon2"):
        return await run_in_threadpool(_account_page, request, "password_oidc", 400)
    ok = len(current) <= accounts.MAX_PASSWORD and await accounts.check_password_async(
        user, current[: accounts.MAX_PASSWORD]
    )
    if not ok:
        throttle.fail(address, p.username)
        await audit_event(request, "password change failed", "/account/password", "wrong current")
        return await run_in_threadpool(_account_page, request, "password_wrong", 400)
    if new != repeat:
        return await run_in_threadpool(_account_page, request, "password_mismatch", 400)
    if not 12 <= len(new) <= accounts.MAX_PASSWORD:
        return await run_in_threadpool(_account_page, request, "password_length", 400)
    hashed = await accounts.hash_password_async(new)
    keep = getattr(request.state, "session_id", None)

    def store() -> int:
        with request.app.state.db() as db:
            row = db.get(User, p.user_id)
            row.password_hash = hashed
            n = sessions.end_all(db, p.user_id, "password changed", commit=False, keep=keep)
            db.commit()
            return n

    n = await run_in_threadpool(store)
    await audit_event(request, "password change", "/account/password", f"{n} other sessions ended")
    return await run_in_threadpool(_account_page, request, "password_changed")


# --- administration -----------------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request):
    require(request, "admin")
    with request.app.state.db() as db:
        rows = accounts.list_users(db)
    return render(request, "users.html.j2", users=rows, error=request.query_params.get("error"))


@router.post("/admin/users")
async def add_user(request: Request):
    from urllib.parse import quote

    from traffickingmonitor.errors import UserError

    require(request, "admin")
    form = await request.form()
    check_csrf(request, form)
    username = str(form.get("username", ""))[:200]
    role = str(form.get("role", ""))[:40]
    gm = str(form.get("municipality", "")).strip().upper()[:20] or None
    password = str(form.get("password", ""))
    ok_length = 12 <= len(password) <= accounts.MAX_PASSWORD
    hashed = await accounts.hash_password_async(password) if ok_length else None

    def add():
        with request.app.state.db() as db:
            accounts.add_user(db, username, password, role, gm, password_hash=hashed)

    try:
        await run_in_threadpool(add)
    except UserError as exc:
        return RedirectResponse(f"/admin/users?error={quote(str(exc))}", status_code=303)
    await audit_event(request, "user add", username, role)
    return redirect("/admin/users")


@router.post("/admin/users/{username}/active")
async def set_active(request: Request, username: str):
    from traffickingmonitor.errors import UserError

    require(request, "admin")
    form = await request.form()
    check_csrf(request, form)
    active = form.get("active") == "1"

    def change():
        with request.app.state.db() as db:
            accounts.set_active(db, username, active)

    try:
        await run_in_threadpool(change)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from exc
    await audit_event(request, "user enable" if active else "user disable", username)
    return redirect("/admin/users")


@router.get("/admin/sessions", response_class=HTMLResponse)
def sessions_page(request: Request):
    require(request, "admin")
    with request.app.state.db() as db:
        rows = sessions.open_sessions(db, request.app.state.sessions)
    return render(
        request,
        "sessions.html.j2",
        sessions=rows,
        current=getattr(request.state, "session_id", None),
    )


@router.post("/admin/sessions/{session_id}/revoke")
async def revoke_session(request: Request, session_id: int):
    require(request, "admin")
    form = await request.form()
    check_csrf(request, form)

    def revoke() -> bool:
        with request.app.state.db() as db:
            return sessions.end_by_id(db, session_id, "revoked by an administrator")

    if not await run_in_threadpool(revoke):
        raise HTTPException(404, "no such open session")
    await audit_event(request, "session revoke", f"session {session_id}")
    return redirect("/admin/sessions")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request):
    require(request, "admin")
    check = audit.verify(request.app.state.chain)
    with request.app.state.db() as db:
        entries = audit.recent(db, 200)
    return render(request, "audit.html.j2", check=check, entries=entries)


# --- approval of editions -----------------------------------------------------------------


@router.get("/admin/editions", response_class=HTMLResponse)
def editions_page(request: Request):
    from traffickingmonitor.publish.web import approvals

    require(request, "admin", "analyst")
    data = request.app.state.data
    with request.app.state.db() as db:
        found = approvals.statuses(db, [e.edition_id for e in data.editions])
        four_eyes = approvals.four_eyes(db)
    rows = [{"edition": e, "status": found[e.edition_id]} for e in reversed(data.editions)]
    message = request.query_params.get("done")
    return render(
        request,
        "editions.html.j2",
        rows=rows,
        four_eyes=four_eyes,
        message=message if message in ("approved_msg", "withdrawn_msg") else None,
        error=request.query_params.get("error"),
    )


@router.post("/admin/editions/{edition_id}/approve")
async def approve_edition(request: Request, edition_id: str):
    from urllib.parse import quote

    from traffickingmonitor.errors import UserError
    from traffickingmonitor.publish.web import approvals

    p = require(request, "admin", "analyst")
    form = await request.form()
    check_csrf(request, form)
    if request.app.state.data.edition(edition_id) is None:
        raise HTTPException(404, "no such edition")

    def approve():
        with request.app.state.db() as db:
            approvals.approver(db, p.username)  # still active, still a role that may approve
            return approvals.approve(
                db, edition_id, p.username, p.role, user_id=p.user_id, source="web"
            )

    try:
        done = await run_in_threadpool(approve)
    except UserError as exc:
        return RedirectResponse(f"/admin/editions?error={quote(str(exc))}", status_code=303)
    await audit_event(
        request,
        "edition approve",
        edition_id,
        "published" if done.approved else f"{len(done.approvers)} of {done.needed}",
    )
    return redirect("/admin/editions?done=approved_msg")


@router.post("/admin/editions/{edition_id}/withdraw")
async def withdraw_approval(request: Request, edition_id: str):
    from traffickingmonitor.errors import UserError
    from traffickingmonitor.publish.web import approvals

    p = require(request, "admin")
    form = await request.form()
    check_csrf(request, form)

    def withdraw() -> int:
        with request.app.state.db() as db:
            return approvals.withdraw(db, edition_id, p.username)

    try:
        n = await run_in_threadpool(withdraw)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from exc
    await audit_event(request, "edition withdraw", edition_id, f"{n} approvals withdrawn")
    return redirect("/admin/editions?done=withdrawn_msg")
