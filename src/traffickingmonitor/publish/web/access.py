"""Who may do what: one place for the role checks every route makes."""

from __future__ import annotations

import hmac
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse

from traffickingmonitor.publish.web.app import Principal


class LoginRequired(HTTPException):
    def __init__(self, next_url: str):
        super().__init__(303, headers={"Location": f"/login?next={quote(next_url, safe='/')}"})


def principal(request: Request) -> Principal:
    return request.state.principal


def require(request: Request, *roles: str) -> Principal:
    """The principal if it has one of ``roles``; else a login redirect (public) or 403."""
    p = principal(request)
    if p.role in roles:
        return p
    if not p.logged_in:
        raise LoginRequired(request.url.path)
    raise HTTPException(403, "forbidden")


def may_read_assessment(p: Principal, code: str) -> bool:
    return p.role in ("admin", "analyst") or (p.role == "municipality" and p.municipality == code)


def may_write_assessment(p: Principal, code: str) -> bool:
    return p.role == "admin" or (p.role == "municipality" and p.municipality == code)


def edition_for(request: Request, edition_id: str | None):
    """The edition asked for, if this principal may see it (public: the latest only)."""
    data = request.app.state.data
    edition = data.edition(edition_id)
    if edition is None:
        raise HTTPException(404, "no such edition")
    if edition is not data.latest and not principal(request).may_see_all_editions():
        raise HTTPException(403, "only the latest edition is public")
    return edition


def visible_editions(request: Request) -> list:
    data = request.app.state.data
    if principal(request).may_see_all_editions():
        return list(reversed(data.editions))
    return [data.latest] if data.latest else []


def check_csrf(request: Request, form) -> None:
    sent = str(form.get("csrf_token", ""))
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "CSRF token missing or wrong")


def safe_next(url: str | None) -> str:
    """Only local paths: a login must not redirect to another site."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
