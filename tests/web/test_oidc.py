"""OIDC login against a fake OpenID provider in this process (no internet).

The provider is a small Starlette app: discovery document, JWKS, an authorization endpoint
that redirects back with a code, and a token endpoint that checks the client's credentials,
the redirect URI and the PKCE verifier and issues an RS256-signed id_token carrying the nonce.
The dashboard reaches it through an httpx ASGI transport, so the full authorization-code flow
(state, nonce, PKCE, signature, claims) runs for real.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from web_helpers import OWN_GM, csrf, make_app

ISSUER = "https://idp.test/realms/monitor"
CLIENT_ID = "monitor-dashboard"
CLIENT_SECRET = "s3cret-of-the-client"
_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})


class FakeProvider:
    """``claims`` are the user's; ``tamper`` changes the next id_token (aud, iss, exp, nonce)."""

    def __init__(self):
        self.claims: dict = {}
        self.tamper: dict = {}
        self.codes: dict[str, dict] = {}
        self.token_requests = 0
        self.app = Starlette(
            routes=[
                Route("/realms/monitor/.well-known/openid-configuration", self.discovery),
                Route("/realms/monitor/jwks", self.jwks),
                Route("/realms/monitor/auth", self.authorize),
                Route("/realms/monitor/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request):
        return JSONResponse(
            {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/auth",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def jwks(self, request: Request):
        return JSONResponse(KeySet([_KEY]).as_dict(private=False))

    async def authorize(self, request: Request):
        q = request.query_params
        assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
        assert "openid" in q["scope"].split()
        assert q["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": q["nonce"],
            "redirect_uri": q["redirect_uri"],
            "challenge": q["code_challenge"],
            "claims": dict(self.claims),
        }
        return RedirectResponse(
            f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", 302
        )

    async def token(self, request: Request):
        self.token_requests += 1
        form = await request.form()
        auth = request.headers.get("authorization", "")
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != f"Basic {basic}":
            return JSONResponse({"error": "invalid_client"}, 401)
        grant = self.codes.pop(str(form.get("code")), None)  # a code works once
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, 400)
        verifier = str(form.get("code_verifier", ""))
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **grant["claims"],
            **self.tamper,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, _KEY)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )


@pytest.fixture
def provider():
    return FakeProvider()


def _app(demo_db, tmp_path, provider, **settings):
    from traffickingmonitor.publish.web.oidc import OIDCSettings

    oidc = OIDCSettings(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        transport=httpx.ASGITransport(app=provider.app),
        **settings,
    )
    return make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}", oidc=oidc)


def _flow(
    client: TestClient,
    provider: FakeProvider,
    claims: dict,
    next_url="/chapters",
    *,
    change_state=False,
):
    """Browser walk: dashboard -> provider -> callback; returns the callback's response."""
    provider.claims = claims
    r = client.get(f"/login/oidc?next={next_url}", follow_redirects=False)
    assert r.status_code == 302, r.text[:300]
    to_idp = r.headers["location"]
    assert to_idp.startswith(f"{ISSUER}/auth?")
    q = parse_qs(urlparse(to_idp).query)
    assert q["state"][0] and q["nonce"][0] and q["code_challenge"][0]
    idp = TestClient(provider.app, base_url="https://idp.test")
    back = idp.get(to_idp, follow_redirects=False).headers["location"]
    if change_state:
        back = back.replace("state=", "state=x")
    return client.get(back, follow_redirects=False)


def _audit(app):
    from traffickingmonitor.publish.web.state import AuditEntry

    with app.state.db() as db:
        return [
            (e.username, e.role, e.action, e.detail)
            for e in db.scalars(select(AuditEntry).where(AuditEntry.target == "/login/oidc"))
        ]


ANALYST = {"sub": "u-1", "preferred_username": "a.jansen", "tm_role": "analyst"}


def test_off_by_default(demo_db, tmp_path):
    app = make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}")
    c = TestClient(app)
    assert "/login/oidc" not in c.get("/login").text
    assert c.get("/login/oidc", follow_redirects=False).status_code == 404


def test_settings_from_env():
    from traffickingmonitor.errors import UserError
    from traffickingmonitor.publish.web.oidc import OIDCSettings

    assert OIDCSettings.from_env({}) is None
    env = {
        "TRAFFICKINGMONITOR_OIDC_ISSUER": ISSUER,
        "TRAFFICKINGMONITOR_OIDC_CLIENT_ID": CLIENT_ID,
        "TRAFFICKINGMONITOR_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "TRAFFICKINGMONITOR_OIDC_ROLE_CLAIM": "groups",
        "TRAFFICKINGMONITOR_OIDC_ROLE_VALUES": "tm-admins=admin, tm-gemeente=municipality",
        "TRAFFICKINGMONITOR_OIDC_UNKNOWN_USERS": "create",
    }
    s = OIDCSettings.from_env(env)
    assert s.role_claim == "groups" and s.unknown_users == "create"
    assert s.role_values == {"tm-admins": "admin", "tm-gemeente": "municipality"}
    assert s.metadata_url == f"{ISSUER}/.well-known/openid-configuration"
    assert CLIENT_SECRET not in repr(s)
    with pytest.raises(UserError):
        OIDCSettings.from_env({"TRAFFICKINGMONITOR_OIDC_ISSUER": ISSUER})
    with pytest.raises(UserError):
        OIDCSettings.from_env({**env, "TRAFFICKINGMONITOR_OIDC_ROLE_VALUES": "x=root"})


def test_full_flow_logs_in_a_preregistered_user(demo_db, tmp_path, provider):
    from traffickingmonitor.publish.web import accounts

    app = _app(demo_db, tmp_path, provider)
    with app.state.db() as db:
        accounts.add_user(db, "a.jansen", None, "analyst", oidc=True)
    c = TestClient(app)
    assert 'id="oidc-login"' in c.get("/login").text
    r = _flow(c, provider, ANALYST)
    assert r.status_code == 303 and r.headers["location"] == "/chapters"
    assert provider.token_requests == 1
    # logged in as the analyst: the analysts' pages open, the admin's do not
    assert c.get(f"/municipalities/{OWN_GM}/assessment").status_code == 200
    assert c.get("/admin/users", follow_redirects=False).status_code == 403
    assert ("a.jansen", "analyst", "login", "oidc, user linked") in _audit(app)
    # the second login finds the identity by issuer and subject, not by name
    c2 = TestClient(app)
    r = _flow(c2, provider, {**ANALYST, "preferred_username": "renamed"})
    assert r.status_code == 303
    assert ("a.jansen", "analyst", "login", "oidc") in _audit(app)
    # an OIDC user has no password: the password form does not let it in
    r = c2.post(
        "/login",
        data={"username": "a.jansen", "password": "!oidc", "csrf_token": csrf(c2.get("/").text)},
    )
    assert r.status_code == 401


def test_unknown_user_is_refused_by_default(demo_db, tmp_path, provider):
    app = _app(demo_db, tmp_path, provider)
    c = TestClient(app)
    r = _flow(c, provider, ANALYST)
    assert r.status_code == 401 and 'role="alert"' in r.text
    assert c.get(f"/municipalities/{OWN_GM}/assessment", follow_redirects=False).status_code == 303
    (entry,) = _audit(app)
    assert entry[2] == "login failed" and "unknown user" in entry[3]


def test_unknown_user_is_created_when_set_and_claims_decide_role(demo_db, tmp_path, provider):
    from traffickingmonitor.publish.web.state import User

    app = _app(
        demo_db,
        tmp_path,
        provider,
        unknown_users="create",
        role_claim="groups",
        role_values={"gem-users": "municipality", "rapporteur-staff": "analyst"},
    )
    c = TestClient(app)
    claims = {
        "sub": "u-2",
        "preferred_username": "P.de.Vries@Amsterdam.nl",
        "groups": ["other", "gem-users"],
        "tm_municipality": OWN_GM,
    }
    assert _flow(c, provider, claims).status_code == 303
    with app.state.db() as db:
        user = db.scalar(select(User).where(User.username == "p.de.vries_amsterdam.nl"))
        assert (user.role, user.municipality) == ("municipality", OWN_GM)
    assert c.get(f"/municipalities/{OWN_GM}/assessment").status_code == 200
    assert c.get("/municipalities/GM0014/assessment").status_code == 403
    # the provider changes the groups: the next login has the new role
    c2 = TestClient(app)
    assert _flow(c2, provider, {**claims, "groups": ["rapporteur-staff"]}).status_code == 303
    assert c2.get("/municipalities/GM0014/assessment").status_code == 200
    notes = [d for _, _, a, d in _audit(app) if a == "login"]
    assert notes == ["oidc, user created", f"oidc, role municipality/{OWN_GM} -> analyst/-"]


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u-3", "preferred_username": "x.y", "tm_role": "root"},
        {"sub": "u-3", "preferred_username": "x.y"},
        {"sub": "u-3", "preferred_username": "x.y", "tm_role": "municipality"},
        {
            "sub": "u-3",
            "preferred_username": "x.y",
            "tm_role": "municipality",
            "tm_municipality": "GM9999",
        },
    ],
    ids=["unknown-role", "no-role", "municipality-without-gm", "bad-gm"],
)
def test_claims_without_a_valid_role_are_refused(demo_db, tmp_path, provider, claims):
    app = _app(demo_db, tmp_path, provider, unknown_users="create")
    c = TestClient(app)
    assert _flow(c, provider, claims).status_code == 401
    assert [a for _, _, a, _ in _audit(app)] == ["login failed"]


def test_password_account_is_not_taken_over(demo_db, tmp_path, provider):
    app = _app(demo_db, tmp_path, provider, unknown_users="create")  # demo users exist
    c = TestClient(app)
    r = _flow(c, provider, {"sub": "evil", "preferred_username": "admin", "tm_role": "admin"})
    assert r.status_code == 401
    assert c.get("/admin/users", follow_redirects=False).status_code == 303
    assert "password account" in _audit(app)[0][3]


@pytest.mark.parametrize(
    "tamper,reason",
    [
        ({"aud": "another-client", "azp": "another-client"}, "aud"),
        ({"aud": ["another-client", "a-third"], "azp": CLIENT_ID}, "aud"),
        ({"iss": "https://evil.test"}, "iss"),
        ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "expired"),
        ({"nonce": "replayed-nonce"}, "nonce"),
    ],
    ids=["wrong-audience", "wrong-audience-with-our-azp", "wrong-issuer", "expired", "wrong-nonce"],
)
def test_bad_id_tokens_are_refused(demo_db, tmp_path, provider, tamper, reason):
    app = _app(demo_db, tmp_path, provider, unknown_users="create")
    c = TestClient(app)
    provider.tamper = tamper
    r = _flow(c, provider, ANALYST)
    assert r.status_code == 401
    assert provider.token_requests == 1  # refused after a real token exchange
    assert c.get(f"/municipalities/{OWN_GM}/assessment", follow_redirects=False).status_code == 303
    ((_user, role, action, detail),) = _audit(app)
    assert (role, action) == ("public", "login failed")
    assert reason in detail.lower(), detail
    provider.tamper = {}  # the same client logs in fine with a good token
    assert _flow(c, provider, ANALYST).status_code == 303


def test_bad_state_is_refused_before_the_token_exchange(demo_db, tmp_path, provider):
    app = _app(demo_db, tmp_path, provider, unknown_users="create")
    c = TestClient(app)
    r = _flow(c, provider, ANALYST, change_state=True)
    assert r.status_code == 401
    assert provider.token_requests == 0
    assert "state" in _audit(app)[0][3].lower()
    # a callback in another browser (no state in its session) is refused as well
    provider.claims = ANALYST
    to_idp = c.get("/login/oidc", follow_redirects=False).headers["location"]
    back = TestClient(provider.app).get(to_idp, follow_redirects=False).headers["location"]
    other = TestClient(app)
    assert other.get(back, follow_redirects=False).status_code == 401
    assert provider.token_requests == 0


def test_disabled_user_is_refused(demo_db, tmp_path, provider):
    from traffickingmonitor.publish.web import accounts

    app = _app(demo_db, tmp_path, provider, unknown_users="create")
    assert _flow(TestClient(app), provider, ANALYST).status_code == 303
    with app.state.db() as db:
        accounts.set_active(db, "a.jansen", False)
    c = TestClient(app)
    assert _flow(c, provider, ANALYST).status_code == 401
    assert c.get(f"/municipalities/{OWN_GM}/assessment", follow_redirects=False).status_code == 303
    assert _audit(app)[-1][2:] == ("login failed", "oidc: user disabled")
