"""The application factory: one FastAPI app over one DuckDB store and one state database."""

from __future__ import annotations

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

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.format import is_words, number_text
from traffickingmonitor.publish.web import audit, sessions
from traffickingmonitor.publish.web.accounts import LoginThrottle, seed_demo_users
from traffickingmonitor.publish.web.data import EditionData
from traffickingmonitor.publish.web.data import shared as shared_data
from traffickingmonitor.publish.web.oidc import OIDCSettings
from traffickingmonitor.publish.web.state import make_engine, session_factory
from traffickingmonitor.publish.web.words import LANGS, WORDS

_HERE = Path(__file__).parent
SESSION_COOKIE = "tm_session"
# A Secure cookie carries the __Host- prefix: the browser then refuses it unless it is Secure,
# has Path=/ and no Domain, so no other host or plain-HTTP page can set or shadow it.
SECURE_SESSION_COOKIE = "__Host-tm_session"


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
    env.filters["count"] = number_text
    env.tests["words"] = is_words
    return env


def create_app(
    db_path: Path,
    state_url: str | None = None,
    *,
    secret_key: str | None = None,
    secure_cookies: bool = False,
    threshold: int | None = None,
    demo_users: bool = False,
    login_attempts: int = 5,
    oidc: OIDCSettings | None = None,
    warm: bool = False,
    forwarded_allow_ips: str | list[str] | None = None,
    session_policy: sessions.SessionPolicy | None = None,
    audit_key_file: Path | None = None,
    audit_checkpoint: Path | None = None,
    login_delay: float = 0.5,
) -> FastAPI:
    """Build the dashboard and API.

    Parameters
    ----------
    db_path
        The DuckDB store (opened read-only).
    state_url
        SQLAlchemy URL of the application state; default a SQLite file beside ``db_path``.
    secret_key
        Signs the session cookie (which names a server-side session and holds the CSRF
        token); default ``TRAFFICKINGMONITOR_SECRET_KEY`` or a random key.
    secure_cookies
        Mark cookies ``Secure`` on every request. Without it they are marked ``Secure``
        (and HSTS is sent) when the request's scheme is https: directly, or as a trusted
        proxy says with ``X-Forwarded-Proto``.
    threshold
        Disclosure threshold in place of each edition's own (None: each edition is served
        under its own rule, as ``run`` protected it).
    demo_users
        Seed the demo users (demo only).
    login_attempts
        Failed logins per address (and per address and username) before that address waits,
        and per username before every attempt on it is slowed (``LoginThrottle``).
    forwarded_allow_ips
        Addresses (or networks) of proxies whose ``X-Forwarded-For`` and
        ``X-Forwarded-Proto`` are believed; default none (the client is the TCP peer).
    session_policy
        Idle and absolute timeouts of a login (``SessionPolicy()``: 30 minutes, 8 hours).
    audit_key_file, audit_checkpoint
        The audit chain's HMAC key and signed checkpoint (``audit.default_paths``: beside the
        store); the key is made (0600) when missing.
    login_delay
        First delay (seconds, doubling) of logins to a username that failed too often.
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
    default_key, default_checkpoint = audit.default_paths(db_path)
    chain = audit.AuditChain.open(
        factory, audit_key_file or default_key, audit_checkpoint or default_checkpoint
    )

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
            "`<10`, never as a number. The public sees the latest approved edition; "
            "analysts and administrators every edition, drafts too."
        ),
        # Served from the package (``docs.py``), under the app's CSP; no CDN.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json",
    )
    if not db_path.exists():
        raise UserError(f"no store at {db_path}")
    app.state.data = shared_data(db_path, threshold)
    app.state.db = factory
    app.state.engine = engine
    app.state.templates = environment()
    app.state.throttle = LoginThrottle(free=login_attempts, base_delay=login_delay)
    app.state.sessions = session_policy or sessions.SessionPolicy()

    app.state.oidc = oidc
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    if oidc is not None:
        from traffickingmonitor.publish.web import oidc as oidc_routes

        app.state.oidc_client = oidc_routes.make_client(oidc)
        app.include_router(oidc_routes.router)
    from traffickingmonitor.publish.web import docs

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(docs.router)
    from traffickingmonitor.publish.web import review

    app.include_router(review.router)
    from traffickingmonitor.publish.web import workspace

    app.include_router(workspace.router)

    app.state.chain = chain
    app.state.audit = audit.AuditWriter(chain)
    app.state.secure_cookies = secure_cookies
    app.add_middleware(WhoAndAudit)
    app.add_middleware(
        SchemeSessions,
        secret_key=secret_key
        or os.environ.get("TRAFFICKINGMONITOR_SECRET_KEY")
        or secrets.token_urlsafe(32),
        max_age=int(app.state.sessions.absolute),
        force_secure=secure_cookies,
    )
    if forwarded_allow_ips:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        # Outermost: the client address and scheme are settled before anything reads them.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=forwarded_allow_ips)

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


CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"frame-ancestors 'none'; form-action 'self'"
)
_HEADERS = [
    # Pages are per user: no shared caches; no framing; no sniffing.
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", CSP),
]
# ReDoc runs its search index in a worker made from a blob: URL.
_DOCS_CSP = CSP + b"; worker-src 'self' blob:"
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SchemeSessions:
    """Starlette's signed session cookie, marked ``Secure`` (and named with the ``__Host-``
    prefix) when the request came over https, or always with ``force_secure``: the flag
    follows the scheme the browser used, which a trusted proxy reports, not the address the
    server listens on."""

    def __init__(self, app, *, secret_key: str, max_age: int, force_secure: bool):
        common = {"secret_key": secret_key, "max_age": max_age, "same_site": "lax"}
        self.plain = SessionMiddleware(
            app,
            https_only=force_secure,
            session_cookie=SECURE_SESSION_COOKIE if force_secure else SESSION_COOKIE,
            **common,
        )
        self.tls = SessionMiddleware(
            app, https_only=True, session_cookie=SECURE_SESSION_COOKIE, **common
        )

    async def __call__(self, scope, receive, send):
        https = scope.get("scheme") in ("https", "wss")
        await (self.tls if https else self.plain)(scope, receive, send)


def client_address(request: Request) -> str:
    """The client's address: the TCP peer, or what a trusted proxy says (``ProxyHeaders``)."""
    return request.client.host if request.client else "-"


async def audit_event(
    request: Request,
    action: str,
    target: str,
    detail: str = "",
    *,
    username: str | None = None,
    role: str | None = None,
) -> None:
    """A security event in the audit log, committed before this returns."""
    p = request.state.principal
    await request.app.state.audit.record(
        username or p.username, role or p.role, action, target, detail, client_address(request)
    )


class WhoAndAudit:
    """Who is asking (``request.state.principal``), the access entry in the audit log, the
    security headers of every response, and ``HEAD`` (answered as ``GET`` without the body).

    Plain ASGI (no ``BaseHTTPMiddleware``: that costs a task and a stream per request). The
    session is looked up off the event loop, and only when the cookie names one. The access
    entry is committed before the response starts (``AuditWriter.record``: group commit), so
    an answered request always has its entry, even if the server is killed right after.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        request = Request(scope)
        if request.session.get("sid") is None:
            principal = PUBLIC
        else:
            principal = await run_in_threadpool(_principal, request)
        request.state.principal = principal
        path = scope["path"]
        audited = not path.startswith("/static/")
        https = scope.get("scheme") == "https"
        extra = [(b"content-security-policy", _DOCS_CSP)] if path == "/api/redoc" else []
        started = [False]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k not in _HEADER_NAMES]
                if not any(k == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                headers += extra or _HEADERS[-1:]
                headers += _HEADERS[:-1] + ([HSTS] if https else [])
                message = {**message, "headers": headers}
                if audited:
                    await _access_entry(request, method, message["status"])
                started[0] = True
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if audited and not started[0]:  # the 500 the server will answer
                await _access_entry(request, method, 500)
            raise


async def _access_entry(request: Request, method: str, status: int) -> None:
    scope = request.scope
    p = request.state.principal
    target = audit.access_target(scope["path"], scope.get("query_string", b"").decode("latin-1"))
    await request.app.state.audit.record(
        p.username, p.role, f"http {method}", target, str(status), client_address(request)
    )


_HEADER_NAMES = {k for k, _ in _HEADERS} | {HSTS[0]}


def _principal(request: Request) -> Principal:
    token = request.session.get("sid")
    if token is None:
        return PUBLIC
    factory: sessionmaker = request.app.state.db
    with factory() as db:
        found = sessions.resolve(db, str(token), request.app.state.sessions)
    if found is None:
        request.session.clear()  # ended, expired, revoked or disabled: logged out
        return PUBLIC
    user, row = found
    request.state.session_id = row.id
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
    from traffickingmonitor.publish.web.access import is_draft, latest_for

    latest = latest_for(request)
    chapters = []
    if latest is not None:
        chapters = [
            {"id": c["id"], "title": c["content"].title}
            for c in data.chapters(latest.edition_id, lang)
        ]
    # The edition the page is about (else the one shown by default): its banners.
    shown = context.get("edition") or latest
    base = {
        "lang": lang,
        "w": WORDS[lang],
        "t": TEXT[lang],
        "rule": data.rule(shown.edition_id if shown is not None else None),
        "user": principal,
        "csrf_token": _LazyCsrf(request),
        "path": request.url.path,
        "nav_chapters": chapters,
        "oidc_login": app.state.oidc is not None,
        "draft": is_draft(request, shown),
        "synthetic": bool(shown is not None and shown.notes.get("synthetic")),
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
