"""ASVS 4.0 V2 Authentication: password storage and checking, anti-automation, no lock-out of
the real user, the same work for every kind of account (``tests/security/README.md``)."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from web_helpers import build_demo_db, csrf, make_app


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return build_demo_db(tmp_path_factory)


def _app(demo_db, tmp_path, **kw):
    return make_app(demo_db, f"sqlite:///{tmp_path / 's.sqlite'}", **kw)


def _client(app, address: str = "10.0.0.1") -> TestClient:
    return TestClient(app, client=(address, 50000))


def _login(c: TestClient, username: str, password: str):
    token = csrf(c.get("/login").text)
    return c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


class _Recorder:
    """Wraps the argon2 hasher's ``verify``: which hash, on which thread, how often."""

    def __init__(self, monkeypatch, slow: float = 0.0):
        from traffickingmonitor.publish.web import accounts

        self.calls: list[tuple[str, str]] = []
        self.real = accounts._HASHER
        self.slow = slow
        monkeypatch.setattr(accounts, "_HASHER", self)

    def verify(self, hash_, password):
        self.calls.append((hash_, threading.current_thread().name))
        if self.slow:
            time.sleep(self.slow)
        return self.real.verify(hash_, password)

    def hash(self, password):
        return self.real.hash(password)


# --- V2.4.1 / V2.1: storage and policy ------------------------------------------------------


def test_v2_4_1_passwords_are_stored_as_argon2id(demo_db, tmp_path):
    from sqlalchemy import select

    from traffickingmonitor.publish.web.state import User

    app = _app(demo_db, tmp_path)
    with app.state.db() as db:
        hashes = list(db.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any("demo-2024" in h for h in hashes)


def test_v2_1_1_passwords_shorter_than_12_are_refused(demo_db, tmp_path):
    from traffickingmonitor.errors import UserError
    from traffickingmonitor.publish.web import accounts

    app = _app(demo_db, tmp_path)
    with app.state.db() as db, pytest.raises(UserError):
        accounts.add_user(db, "shorty", "eleven-char", "analyst")


def test_v2_1_3_long_passwords_are_not_truncated(demo_db, tmp_path):
    """A password of the maximum length works; the same with more characters after it does
    not log in (a cut at the limit would let it in)."""
    from traffickingmonitor.publish.web import accounts

    app = _app(demo_db, tmp_path)
    long_password = "p" * accounts.MAX_PASSWORD
    with app.state.db() as db:
        accounts.add_user(db, "longpass", long_password, "analyst")
    assert _login(_client(app), "longpass", long_password + "tail").status_code == 401
    assert _login(_client(app, "10.0.0.9"), "longpass", long_password).status_code == 303


def test_v2_1_4_and_2_1_9_any_characters_and_no_composition_rules(demo_db, tmp_path):
    from traffickingmonitor.publish.web import accounts

    app = _app(demo_db, tmp_path)
    cases = {"unicode": "wachtwoord ☃ über 𝄞 ok", "lowercase": "alleenkleineletters"}
    with app.state.db() as db:
        for name, password in cases.items():
            accounts.add_user(db, name, password, "analyst")
    for i, (name, password) in enumerate(cases.items()):
        assert _login(_client(app, f"10.4.0.{i}"), name, password).status_code == 303


def test_v2_1_11_password_managers_and_paste_work(demo_db, tmp_path):
    html = _client(_app(demo_db, tmp_path)).get("/login").text
    field = next(t for t in html.split("<input") if 'type="password"' in t)
    assert 'autocomplete="current-password"' in field and "onpaste" not in html


def test_v2_4_2_salts_are_long_and_unique(demo_db, tmp_path):
    import base64

    from traffickingmonitor.publish.web import accounts

    a, b = accounts.hash_password("same password!"), accounts.hash_password("same password!")
    assert a != b
    salt = a.split("$")[4]
    assert len(base64.b64decode(salt + "=" * (-len(salt) % 4))) >= 16


# --- finding 1: hashing off the event loop ---------------------------------------------------


def test_v2_password_check_runs_in_the_bounded_hash_pool(demo_db, tmp_path, monkeypatch):
    rec = _Recorder(monkeypatch)
    app = _app(demo_db, tmp_path)
    c = _client(app)
    assert _login(c, "analyst", "wrong password!").status_code == 401
    assert _login(c, "analyst", "analyst-demo-2024").status_code == 303
    assert len(rec.calls) == 2
    assert all(thread.startswith("tm-hash") for _, thread in rec.calls), rec.calls


def test_v2_a_slow_login_does_not_hold_up_other_requests(demo_db, tmp_path, monkeypatch):
    """With each password check made slow (2 s: a wide margin on a busy machine), an API
    request sent while two logins are being checked is answered before either login: the
    event loop stays free."""
    _Recorder(monkeypatch, slow=2.0)
    app = _app(demo_db, tmp_path)
    sync = _client(app)
    sync.get("/api/v1/editions")  # the edition is built before the race
    token = csrf(sync.get("/login").text)
    done: list[str] = []

    async def run():
        transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=sync.cookies
        ) as c:

            async def login(i):
                await c.post(
                    "/login",
                    data={"username": "analyst", "password": f"wrong {i}!", "csrf_token": token},
                )
                done.append("login")

            async def api():
                await asyncio.sleep(0.1)  # the logins are in their password check by now
                r = await c.get("/api/v1/editions")
                assert r.status_code == 200
                done.append("api")

            await asyncio.gather(login(1), login(2), api())

    asyncio.run(run())
    assert done[0] == "api", done


# --- finding 6: the same work for every kind of account --------------------------------------


def _accounts(app):
    from traffickingmonitor.publish.web import accounts

    with app.state.db() as db:
        accounts.add_user(db, "p.oidc", None, "analyst", oidc=True)
        accounts.add_user(db, "gone", "a long password!", "analyst")
        accounts.set_active(db, "gone", False)
    # (username, password) of: unknown, OIDC-only, disabled, password account
    return [
        ("nobody", "whatever password"),
        ("p.oidc", "whatever password"),
        ("gone", "a long password!"),
        ("analyst", "wrong password!"),
    ]


def test_v2_every_kind_of_account_costs_one_full_verification(demo_db, tmp_path, monkeypatch):
    rec = _Recorder(monkeypatch)
    app = _app(demo_db, tmp_path, login_attempts=1000)
    params = {}
    for i, (user, password) in enumerate(_accounts(app)):
        before = len(rec.calls)
        assert _login(_client(app, f"10.1.0.{i}"), user, password).status_code == 401
        assert len(rec.calls) == before + 1, user
        hash_ = rec.calls[-1][0]
        assert hash_.startswith("$argon2id$"), (user, hash_)
        params[user] = hash_.split("$")[3]  # m=..,t=..,p=..: the cost of the check
    assert len(set(params.values())) == 1, params


def test_v2_failed_logins_take_as_long_for_every_kind_of_account(demo_db, tmp_path):
    """Relative times only (a busy machine shifts them all): the median failed login of an
    OIDC-only, unknown or disabled account takes at least a third of a password account's."""
    app = _app(demo_db, tmp_path, login_attempts=1000)
    cases = _accounts(app)
    times: dict[str, list[float]] = {u: [] for u, _ in cases}
    for rnd in range(5):
        for i, (user, password) in enumerate(cases):  # interleaved: load hits all alike
            c = _client(app, f"10.2.{rnd}.{i}")
            token = csrf(c.get("/login").text)
            t0 = time.perf_counter()
            r = c.post("/login", data={"username": user, "password": password, "csrf_token": token})
            times[user].append(time.perf_counter() - t0)
            assert r.status_code == 401
    med = {u: statistics.median(v) for u, v in times.items()}
    for user in ("nobody", "p.oidc", "gone"):
        assert med[user] > med["analyst"] / 3, med


def test_v2_2_1_login_answers_do_not_tell_which_users_exist(demo_db, tmp_path):
    app = _app(demo_db, tmp_path, login_attempts=1000)
    a = _login(_client(app, "10.3.0.1"), "nobody", "some password!")
    b = _login(_client(app, "10.3.0.2"), "analyst", "some password!")
    assert a.status_code == b.status_code == 401
    strip = lambda html: html.split('name="csrf_token"')[0]  # noqa: E731 - the token differs
    assert strip(a.text) == strip(b.text)


# --- finding 3: throttling without locking the real user out ---------------------------------


def test_v2_2_1_correct_password_from_a_new_address_gets_in_after_guessing(demo_db, tmp_path):
    app = _app(demo_db, tmp_path, login_delay=0.01)
    attacker = _client(app, "10.9.9.9")
    codes = [_login(attacker, "analyst", f"guess {i}!").status_code for i in range(8)]
    assert codes[:5] == [401] * 5 and 429 in codes[5:], codes
    # the attacker's address is refused, even with the right password
    r = _login(attacker, "analyst", "analyst-demo-2024")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    # the real user, from another address, gets in
    assert _login(_client(app, "10.0.0.7"), "analyst", "analyst-demo-2024").status_code == 303


def test_v2_2_1_waits_grow_with_failures_and_are_bounded():
    from traffickingmonitor.publish.web.accounts import LoginThrottle

    now = [1000.0]
    t = LoginThrottle(free=3, max_lockout=60, base_delay=0.5, max_delay=4, clock=lambda: now[0])
    waits, delays = [], []
    for _ in range(12):
        t.fail("1.2.3.4", "analyst")
        waits.append(t.retry_after("1.2.3.4", "analyst"))
        delays.append(t.delay("analyst"))
    assert waits[:2] == [0, 0] and waits[2] == 1
    assert all(b >= a for a, b in itertools.pairwise(waits))
    assert max(waits) == 60  # bounded
    assert delays[2] == 0.5 and max(delays) == 4
    # another address is never refused for this username (only delayed)
    assert t.retry_after("5.6.7.8", "analyst") == 0
    # an address guessing many usernames is refused for all of them
    for i in range(3):
        t.fail("9.9.9.9", f"user{i}")
    assert t.retry_after("9.9.9.9", "someone-else") > 0
    # the wait runs out
    now[0] += 3600
    assert t.retry_after("1.2.3.4", "analyst") == 0


def test_v2_2_1_throttle_memory_is_bounded():
    from traffickingmonitor.publish.web.accounts import LoginThrottle

    t = LoginThrottle(max_keys=300)
    for i in range(1000):
        t.fail(f"10.{i // 256}.{i % 256}.1", f"user{i}")
    assert len(t._failures) <= 300


def test_v2_2_1_forwarded_for_from_an_untrusted_client_does_not_reset_the_count(demo_db, tmp_path):
    """Finding 2: a client that names another address in X-Forwarded-For is still counted
    under its own (no proxy is trusted by default)."""
    app = _app(demo_db, tmp_path, login_delay=0.01)
    c = TestClient(app, client=("127.0.0.1", 40000))
    codes = []
    for i in range(8):
        token = csrf(c.get("/login").text)
        r = c.post(
            "/login",
            data={"username": "admin", "password": f"guess {i}!", "csrf_token": token},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
        codes.append(r.status_code)
    assert 429 in codes, codes


def test_v2_5_4_no_default_accounts_without_demo_users(demo_db, tmp_path):
    from sqlalchemy import func, select

    from traffickingmonitor.publish.web.state import User

    app = _app(demo_db, tmp_path, demo_users=False)
    with app.state.db() as db:
        assert db.scalar(select(func.count()).select_from(User)) == 0


# --- 2.1.5 / 2.1.6: users change their own password ----------------------------------------


def _change(c: TestClient, current: str, new: str, repeat: str | None = None):
    token = csrf(c.get("/account").text)
    return c.post(
        "/account/password",
        data={
            "current": current,
            "new": new,
            "repeat": new if repeat is None else repeat,
            "csrf_token": token,
        },
    )


def test_v2_1_5_and_2_1_6_users_change_their_password_with_the_current_one(demo_db, tmp_path):
    app = _app(demo_db, tmp_path)
    c = _client(app, "10.5.0.1")
    assert _login(c, "analyst", "analyst-demo-2024").status_code == 303
    assert _change(c, "not the current one", "a brand new password").status_code == 400
    assert (
        _change(c, "analyst-demo-2024", "a brand new password", "another one!!").status_code == 400
    )
    assert _change(c, "analyst-demo-2024", "too short").status_code == 400
    r = _change(c, "analyst-demo-2024", "a brand new password")
    assert r.status_code == 200 and "Uw wachtwoord is gewijzigd" in r.text
    assert _login(_client(app, "10.5.0.2"), "analyst", "analyst-demo-2024").status_code == 401
    assert _login(_client(app, "10.5.0.3"), "analyst", "a brand new password").status_code == 303


def test_v2_1_5_oidc_users_have_no_password_to_change(demo_db, tmp_path):
    from sqlalchemy import update

    from traffickingmonitor.publish.web.oidc import NO_PASSWORD
    from traffickingmonitor.publish.web.state import User

    app = _app(demo_db, tmp_path)
    c = _client(app, "10.6.0.1")
    assert _login(c, "analyst", "analyst-demo-2024").status_code == 303
    with app.state.db() as db:  # the account becomes OIDC-only (as ``users add --oidc``)
        db.execute(update(User).where(User.username == "analyst").values(password_hash=NO_PASSWORD))
        db.commit()
    page = c.get("/account")
    assert page.status_code == 200 and 'name="current"' not in page.text
    assert _change(c, "analyst-demo-2024", "a brand new password").status_code == 400
