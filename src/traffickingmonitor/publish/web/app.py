"""The application factory: one FastAPI app over one DuckDB store and one state database."""

from __future__ import annotations

import asyncio
import os
import secrets
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import jinja2
import markupsafe
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from traffickingmonitor.disclosure.api import PrimaryRule
from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.format import is_words
from traffickingmonitor.publish.web import audit
from traffickingmonitor.publish.web.accounts import LoginLimiter, seed_demo_users
from traffickingmonitor.publish.web.data import EditionData
from traffickingmonitor.publish.web.data import shared as shared_data
from traffickingmonitor.publish.web.oidc import OIDCSettings
from traffickingmonitor.publish.web.state import User, make_engine, session_factory
from traffickingmonitor.publish.web.words import LANGS, WORDS

_HERE = Path(__file__).parent
SESSION_COOKIE = "tm_session"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a logged-in user, or the public (no login)."""

    username: str
    role: str  # admin, analyst, municipality, public
    municipality: str | None = None
    user_id: int | None = None

    @property
    def logged_in(self) -> bool:
        return self.role != "public"

    def may_see_all_editions(self) -> bool:
        return self.role in ("admin", "analyst")


PUBLIC = Principal("-", "public")


def _chart_svg(svg: str) -> markupsafe.Markup:
    """The chart's SVG, hidden from assistive technology: its wrapper carries the name
    (role="img", aria-label) and the data table beside it carries the numbers."""
    return markupsafe.Markup(svg.replace("<svg", '<svg aria-hidden="true" focusable="false"', 1))


def environment() -> jinja2.Environment:
    """Web templates first, then the report's (its chapter partials are reused as they are)."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(_HERE / "templates"),
                jinja2.PackageLoader("traffickingmonitor.publish", "templates"),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # packaged templates do not change while serving (no stat per page)
    )
    env.filters["chart_svg"] = _chart_svg
    env.tests["words"] = is_words
    return env


def create_app(
    db_path: Path,
    state_url: str | None = None,
    *,
    secret_key: str | None = None,
    secure_cookies: bool = True,
    threshold: int = 10,
    demo_users: bool = False,
    login_attempts: int = 5,
    oidc: OIDCSettings | None = None,
    warm: bool = False,
) -> FastAPI:
    """Build the dashboard and API.

    Parameters
    ----------
    db_path
        The DuckDB store (opened read-only).
    state_url
        SQLAlchemy URL of the application state; default a SQLite file beside ``db_path``.
    secret_key
        Signs the session cookie; default ``TRAFFICKINGMONITOR_SECRET_KEY`` or a random key
        (sessions then end when the server stops).
    secure_cookies
        Send the session cookie over HTTPS only (turn off only for plain-HTTP loopback).
    threshold
        Disclosure threshold of the primary rule.
    demo_users
        Seed the demo users (demo only).
    login_attempts
        Failed logins allowed per client and per username in five minutes.
    oidc
        OpenID Connect login besides the password login (off when None; ``serve`` reads
        ``OIDCSettings.from_env()``).
    warm
        Build the latest edition's protected tables and chapters at start-up, before the
        first request is accepted (``serve`` does; tests build on first use).
    """
    from traffickingmonitor.publish.web import api, pages
    from traffickingmonitor.publish.web.state import default_state_url

    db_path = Path(db_path)
    engine = make_engine(state_url or default_state_url(db_path))
    factory = session_factory(engine)
    if demo_users:
        with factory() as db:
            seed_demo_users(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm:
            await run_in_threadpool(app.state.data.warm)
        yield
        await run_in_threadpool(app.state.audit.flush)

    app = FastAPI(
        lifespan=lifespan,
        title="Trafficking victim monitor API",
        version="1",
        description=(
            "Protected tables of the victim monitor by edition. Every number has passed "
            "disclosure control: counts below the threshold are given as a symbol such as "
            "`<10`, never as a number. The public sees the latest edition; analysts and "
            "administrators every edition."
        ),
        docs_url="/api/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json",
    )
    if not db_path.exists():
        raise UserError(f"no store at {db_path}")
    app.state.data = shared_data(db_path, PrimaryRule(threshold))
    app.state.db = factory
    app.state.engine = engine
    app.state.templates = environment()
    app.state.limiter = LoginLimiter(attempts=login_attempts)

    app.state.oidc = oidc
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    if oidc is not None:
        from traffickingmonitor.publish.web import oidc as oidc_routes

        app.state.oidc_client = oidc_routes.make_client(oidc)
        app.include_router(oidc_routes.router)
    app.include_router(pages.router)
    app.include_router(api.router)

    app.state.audit = audit.AuditWriter(factory)
    app.add_middleware(WhoAndAudit)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key
        or os.environ.get("TRAFFICKINGMONITOR_SECRET_KEY")
        or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE,
        max_age=8 * 3600,
        same_site="lax",
        https_only=secure_cookies,
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 303 and exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return error_page(request, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "invalid request"}, status_code=422)
        return error_page(request, 400)

    return app


_HEADERS = [
    # Pages are per user: no shared caches; no framing; no sniffing.
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
]


class WhoAndAudit:
    """Who is asking (``request.state.principal``), the access entry in the audit log and the
    security headers of every response.

    Plain ASGI (no ``BaseHTTPMiddleware``: that costs a task and a stream per request). The
    user is looked up off the event loop, and only when the session has one; the audit entry
    is queued (``AuditWriter``) rather than written while the client waits.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        factory = request.app.state.db
        if request.session.get("uid") is None:
            principal = PUBLIC
        else:
            principal = await run_in_threadpool(_principal, request, factory)
        request.state.principal = principal
        path = scope["path"]
        status = [500]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k not in _HEADER_NAMES]
                if not any(k == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers + _HEADERS}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if not path.startswith("/static/"):
                query = scope.get("query_string", b"").decode("latin-1")
                target = path + (f"?{query}" if query else "")
                p = request.state.principal
                writer = request.app.state.audit
                writer.submit(
                    p.username, p.role, f"http {scope['method']}", target[:2000], str(status[0])
                )
                while writer.behind:  # back-pressure: the log never falls far behind
                    await asyncio.sleep(0.005)


_HEADER_NAMES = {k for k, _ in _HEADERS}


def _principal(request: Request, factory: sessionmaker) -> Principal:
    uid = request.session.get("uid")
    if uid is None:
        return PUBLIC
    with factory() as db:
        user = db.get(User, uid)
    if user is None or not user.active:
        request.session.clear()  # a disabled user is logged out at the next request
        return PUBLIC
    return Principal(user.username, user.role, user.municipality, user.id)


def lang_of(request: Request) -> str:
    q = request.query_params.get("lang")
    if q in LANGS:
        return q
    c = request.cookies.get("lang")
    return c if c in LANGS else "nl"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


class _LazyCsrf:
    """The CSRF token, made (and put in the session) only when a template prints it: a page
    without a form then leaves the session alone, and ``public_page`` knows it may keep it."""

    def __init__(self, request: Request):
        self.request = request

    def __str__(self) -> str:
        self.request.state.csrf_used = True
        return csrf_token(self.request)

    __html__ = __str__


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    from traffickingmonitor.publish.labels import TEXT

    lang = lang_of(request)
    app = request.app
    data: EditionData = app.state.data
    principal: Principal = request.state.principal
    chapters = []
    if data.latest is not None:
        chapters = [
            {"id": c["id"], "title": c["content"].title}
            for c in data.chapters(data.latest.edition_id, lang)
        ]
    base = {
        "lang": lang,
        "w": WORDS[lang],
        "t": TEXT[lang],
        "rule": data.rule,
        "user": principal,
        "csrf_token": _LazyCsrf(request),
        "path": request.url.path,
        "nav_chapters": chapters,
        "oidc_login": app.state.oidc is not None,
    }
    html = app.state.templates.get_template(template).render(**base, **context)
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, status: int) -> HTMLResponse:
    w = WORDS[lang_of(request)]
    title, text = {
        403: (w["forbidden"], w["forbidden_text"]),
        404: (w["not_found"], w["not_found_text"]),
    }.get(status, (w["bad_request"], ""))
    if not hasattr(request.state, "principal"):
        request.state.principal = PUBLIC
    return render(request, "error.html.j2", status_code=status, title=title, text=text)
