"""OpenID Connect login (optional, for production): the authorization-code flow with Authlib.

Off unless configured (``OIDCSettings`` passed to ``create_app``, or ``TRAFFICKINGMONITOR_OIDC_*``
environment variables read by ``serve``). Then the login page shows a button besides the
password form; ``/login/oidc`` sends the browser to the provider with ``state``, ``nonce`` and a
PKCE challenge, and ``/login/oidc/callback`` exchanges the code, verifies the signed id_token
(signature against the provider's JWKS, issuer, audience, expiry, nonce) and logs the user in
exactly as the password login does (a new server-side session), with an audit entry.

Who gets in (``resolve_user``):

- The provider is authoritative for the **role** (``role_claim``; a string or a list, values
  mapped by ``role_values``) and, for municipality users, the **GM code**
  (``municipality_claim``). They are updated at every login; no recognised role, or a
  municipality role without a valid GM code, is refused.
- The person is recognised by issuer and ``sub`` (kept in ``oidc_identities``). At the first
  login the ``username_claim`` names the user: a user added for OIDC
  (``traffickingmonitor users add NAME --role R --oidc``) is linked; a password account of
  that name is never taken over (refused).
- A person unknown to the app is **refused** by default (``unknown_users="refuse"``); with
  ``unknown_users="create"`` an account is created from the claims.
- A user disabled in the app is refused, whatever the provider says. OIDC users have no
  password: the password form cannot log them in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from traffickingmonitor.errors import UserError
from traffickingmonitor.publish.web.state import ROLES, OIDCIdentity, User

ENV = "TRAFFICKINGMONITOR_OIDC_"
CLIENT_NAME = "oidc"
# Stored instead of a password hash: no argon2 hash, so the password form never matches.
NO_PASSWORD = "!oidc"
_PRECEDENCE = ("admin", "analyst", "municipality")  # several roles in the claim: the first


@dataclass(frozen=True)
class OIDCSettings:
    """Settings of the OIDC login; ``from_env`` reads them from ``TRAFFICKINGMONITOR_OIDC_*``."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    discovery_url: str | None = None  # default: issuer + /.well-known/openid-configuration
    role_claim: str = "tm_role"
    role_values: Mapping[str, str] = field(default_factory=dict)  # claim value -> role
    municipality_claim: str = "tm_municipality"
    username_claim: str = "preferred_username"
    unknown_users: Literal["refuse", "create"] = "refuse"
    scope: str = "openid profile email"
    redirect_url: str | None = None  # the public callback URL, when behind a proxy
    leeway: int = 60  # seconds of clock skew allowed on exp/iat
    transport: Any = field(default=None, repr=False, compare=False)  # httpx transport (tests)

    def __post_init__(self):
        if self.unknown_users not in ("refuse", "create"):
            raise UserError(f"{ENV}UNKNOWN_USERS must be refuse or create")
        bad = sorted(set(self.role_values.values()) - set(ROLES))
        if bad:
            raise UserError(f"{ENV}ROLE_VALUES maps to unknown roles {bad}")

    @property
    def metadata_url(self) -> str:
        return self.discovery_url or (self.issuer.rstrip("/") + "/.well-known/openid-configuration")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> OIDCSettings | None:
        """None unless ``TRAFFICKINGMONITOR_OIDC_ISSUER`` is set."""

        def get(name: str, default: str | None = None) -> str | None:
            return environ.get(ENV + name) or default

        issuer = get("ISSUER")
        if not issuer:
            return None
        secret = get("CLIENT_SECRET")
        secret_file = get("CLIENT_SECRET_FILE")
        if not secret and secret_file:
            with open(secret_file, encoding="utf-8") as f:
                secret = f.read().strip()
        client_id = get("CLIENT_ID")
        if not client_id or not secret:
            raise UserError(
                f"{ENV}ISSUER is set: {ENV}CLIENT_ID and {ENV}CLIENT_SECRET (or _FILE) are needed"
            )
        role_values = {}
        for pair in (get("ROLE_VALUES") or "").split(","):
            if pair.strip():
                value, sep, role = pair.partition("=")
                if not sep:
                    raise UserError(f"{ENV}ROLE_VALUES: write value=role,value=role")
                role_values[value.strip()] = role.strip()
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            discovery_url=get("DISCOVERY_URL"),
            role_claim=get("ROLE_CLAIM", "tm_role"),
            role_values=role_values,
            municipality_claim=get("MUNICIPALITY_CLAIM", "tm_municipality"),
            username_claim=get("USERNAME_CLAIM", "preferred_username"),
            unknown_users=get("UNKNOWN_USERS", "refuse"),
            scope=get("SCOPE", "openid profile email"),
            redirect_url=get("REDIRECT_URL"),
        )


class Refused(Exception):
    """An OIDC login that is not let in; the message goes to the audit log, not the page."""


def make_client(settings: OIDCSettings):
    """The Authlib Starlette client for the provider (discovery read at the first login)."""
    from authlib.integrations.starlette_client import OAuth

    client_kwargs: dict[str, Any] = {
        "scope": settings.scope,
        "code_challenge_method": "S256",
        "timeout": 10,
    }
    if settings.transport is not None:
        client_kwargs["transport"] = settings.transport
    oauth = OAuth()
    return oauth.register(
        CLIENT_NAME,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.metadata_url,
        client_kwargs=client_kwargs,
    )


def _role(settings: OIDCSettings, claims: Mapping) -> str:
    raw = claims.get(settings.role_claim)
    values = raw if isinstance(raw, list) else [raw]
    mapping = settings.role_values or {r: r for r in ROLES}
    roles = {mapping.get(str(v)) for v in values if v is not None}
    for role in _PRECEDENCE:
        if role in roles:
            return role
    raise Refused(f"no recognised role in claim {settings.role_claim!r}")


def _username(settings: OIDCSettings, claims: Mapping) -> str:
    name = str(claims.get(settings.username_claim) or claims["sub"]).strip().lower()
    name = re.sub(r"[^a-z0-9._-]+", "_", name).strip("._-")[:80]
    if len(name) < 2:
        raise Refused(f"no usable username in claim {settings.username_claim!r}")
    return name


def resolve_user(db: Session, settings: OIDCSettings, claims: Mapping) -> tuple[User, str]:
    """The active user for verified id_token ``claims`` (role and GM code from the claims),
    and a note for the audit log; raises ``Refused``."""
    from traffickingmonitor.codes.api import municipality_codes

    role = _role(settings, claims)
    gm = None
    if role == "municipality":
        gm = str(claims.get(settings.municipality_claim) or "").strip().upper()
        if gm not in municipality_codes():
            raise Refused(
                f"municipality role without a valid GM code in {settings.municipality_claim!r}"
            )
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    ident = db.scalar(
        select(OIDCIdentity).where(OIDCIdentity.issuer == issuer, OIDCIdentity.subject == subject)
    )
    note = "oidc"
    if ident is not None:
        user = db.get(User, ident.user_id)
    else:
        name = _username(settings, claims)
        user = db.scalar(select(User).where(User.username == name))
        if user is not None and user.password_hash != NO_PASSWORD:
            raise Refused(f"{name!r} is a password account; it is not taken over")
        if user is not None and db.scalar(
            select(OIDCIdentity).where(OIDCIdentity.user_id == user.id)
        ):
            raise Refused(f"{name!r} is linked to another identity")
        if user is None:
            if settings.unknown_users != "create":
                raise Refused(f"unknown user {name!r} (unknown users are refused)")
            user = User(
                username=name, password_hash=NO_PASSWORD, role=role, municipality=gm, active=True
            )
            db.add(user)
            db.flush()
            note = "oidc, user created"
        else:
            note = "oidc, user linked"
        db.add(OIDCIdentity(issuer=issuer, subject=subject, user_id=user.id))
    if user is None or not user.active:
        raise Refused("user disabled")
    if (user.role, user.municipality) != (role, gm):
        note += f", role {user.role}/{user.municipality or '-'} -> {role}/{gm or '-'}"
        user.role, user.municipality = role, gm
    db.commit()
    return user, note


router = APIRouter(include_in_schema=False)


@router.get("/login/oidc")
async def oidc_start(request: Request):
    from traffickingmonitor.publish.web.access import safe_next
    from traffickingmonitor.publish.web.app import audit_event

    settings: OIDCSettings = request.app.state.oidc
    client = request.app.state.oidc_client
    request.session["oidc_next"] = safe_next(request.query_params.get("next"))
    redirect_uri = settings.redirect_url or str(request.url_for("oidc_callback"))
    try:
        return await client.authorize_redirect(request, redirect_uri)
    except Exception as exc:  # provider unreachable or its discovery document broken
        await audit_event(
            request,
            "login failed",
            "/login/oidc",
            f"oidc: provider: {exc.__class__.__name__}",
            username="-",
            role="public",
        )
        raise HTTPException(502, "the identity provider is not available") from exc


@router.get("/login/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request):
    from traffickingmonitor.publish.web.access import redirect
    from traffickingmonitor.publish.web.app import audit_event, render
    from traffickingmonitor.publish.web.pages import start_session

    settings: OIDCSettings = request.app.state.oidc
    client = request.app.state.oidc_client
    factory = request.app.state.db
    next_url = request.session.get("oidc_next", "/")
    claims = None
    try:
        token = await client.authorize_access_token(
            request,
            claims_options={
                "iss": {"essential": True, "values": [settings.issuer]},
                "sub": {"essential": True},
                # Authlib checks aud only when told to (otherwise just azp): always tell it.
                "aud": {"essential": True, "values": [settings.client_id]},
            },
            leeway=settings.leeway,
        )
        claims = token.get("userinfo")
        if not claims:
            raise Refused("no id_token")

        def login():
            with factory() as db:
                return resolve_user(db, settings, claims)

        user, note = await run_in_threadpool(login)
    except Exception as exc:  # every failure is a refusal: bad state, token, claims or user
        reason = str(exc) if isinstance(exc, Refused) else exc.__class__.__name__
        if not isinstance(exc, Refused) and getattr(exc, "description", None):
            reason += f": {exc.description}"
        who = str(claims.get(settings.username_claim) or claims.get("sub")) if claims else "-"
        await audit_event(
            request,
            "login failed",
            "/login/oidc",
            f"oidc: {reason}"[:500],
            username=who[:80],
            role="public",
        )
        return render(request, "login.html.j2", status_code=401, next=next_url, error="oidc")
    # A fresh session on login, as with the password login. A changed role has already ended
    # the user's other sessions (``sessions.resolve`` compares the role they were opened with).
    await start_session(request, user, "oidc")
    await audit_event(request, "login", "/login/oidc", note, username=user.username, role=user.role)
    return redirect(next_url)
