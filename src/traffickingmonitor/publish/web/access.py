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


def approved(request: Request) -> frozenset[str]:
    """Ids of the approved (public) editions, read once per request from the state database:
    an approval by another worker or the CLI counts from the next request on, and no cache
    can hold a draft as public."""
    done = getattr(request.state, "approved", None)
    if done is None:
        from traffickingmonitor.publish.web.approvals import approved_ids

        with request.app.state.db() as db:
            done = approved_ids(db)
        request.state.approved = done
    return done


def is_draft(request: Request, edition) -> bool:
    return edition is not None and edition.edition_id not in approved(request)


def latest_for(request: Request):
    """The edition shown by default: the latest one for analysts and administrators (drafts
    too, marked as such), the latest approved one for everyone else (None: nothing public)."""
    data = request.app.state.data
    if principal(request).may_see_all_editions():
        return data.latest
    public = approved(request)
    return next((e for e in reversed(data.editions) if e.edition_id in public), None)


def edition_for(request: Request, edition_id: str | None):
    """The edition asked for, if this principal may see it (public: the latest approved one).

    A draft answers 404 to those who may not see it (403 would say that it exists).
    """
    data = request.app.state.data
    if principal(request).may_see_all_editions():
        edition = data.edition(edition_id)
        if edition is None:
            raise HTTPException(404, "no such edition")
        return edition
    latest = latest_for(request)
    edition = latest if edition_id is None else data.edition(edition_id)
    if edition is None or is_draft(request, edition):
        raise HTTPException(404, "no such edition")
    if edition is not latest:
        raise HTTPException(403, "only the latest edition is public")
    return edition


def public_edition(request: Request, edition_id: str | None):
    """The edition a visitor without login gets for ``edition_id``, or None when the answer
    is not that edition's page (a draft, an older or an unknown edition)."""
    latest = latest_for(request)
    if latest is None or edition_id not in (None, latest.edition_id):
        return None
    return latest


def visible_editions(request: Request) -> list:
    data = request.app.state.data
    if principal(request).may_see_all_editions():
        return list(reversed(data.editions))
    latest = latest_for(request)
    return [latest] if latest else []


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
