"""Command-line faces of the web: ``serve``, ``users add/list/disable``, ``sessions
list/revoke``, ``audit verify``.

Registered by ``traffickingmonitor.cli``; heavy imports stay inside the functions so the CLI
starts fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from traffickingmonitor.errors import UserError


def _state_url(db: Path, state: str | None) -> str:
    from traffickingmonitor.publish.web.state import default_state_url

    return state or default_state_url(db)


def _given(value, default):
    """``value``, or ``default`` when the command is called as a function (``demo --serve``)
    and an option was left at its typer declaration."""
    return default if isinstance(value, typer.models.OptionInfo) else value


def _chain(db: Path, state: str | None, key_file: Path | None = None, checkpoint=None, create=True):
    from sqlalchemy.exc import SQLAlchemyError

    from traffickingmonitor.publish.web import audit
    from traffickingmonitor.publish.web.state import make_engine, session_factory

    default_key, default_checkpoint = audit.default_paths(db)
    try:
        factory = session_factory(make_engine(_state_url(db, state)))
    except SQLAlchemyError as exc:
        raise UserError(f"cannot open the state database: {exc.__class__.__name__}") from exc
    return audit.AuditChain.open(
        factory, key_file or default_key, checkpoint or default_checkpoint, create=create
    )


_KEY_HELP = "HMAC key of the audit chain (default: <store>.audit.key; made 0600 when missing)."
_CHECKPOINT_HELP = "Signed checkpoint of the audit chain (default: <store>.audit.checkpoint)."


def _session(db: Path, state: str | None):
    from sqlalchemy.exc import SQLAlchemyError

    from traffickingmonitor.publish.web.state import make_engine, session_factory

    try:
        return session_factory(make_engine(_state_url(db, state)))()
    except SQLAlchemyError as exc:
        raise UserError(f"cannot open the state database: {exc.__class__.__name__}") from exc


def serve_command(
    db: Path = typer.Option(..., "--db", help="The DuckDB store of the monitor."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    state: str | None = typer.Option(
        None,
        "--state",
        help="SQLAlchemy URL of users, self-assessments and audit log "
        "(default: a SQLite file beside the store).",
    ),
    threshold: int | None = typer.Option(
        None,
        "--threshold",
        help="Disclosure threshold in place of each edition's own (default: its own rule).",
    ),
    demo_users: bool = typer.Option(
        False, "--demo-users", help="Seed the demo users (demo only, never in production)."
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        help="Server processes (about one per core); each holds the latest edition in memory.",
    ),
    forwarded_allow_ips: str = typer.Option(
        "",
        "--forwarded-allow-ips",
        help="Comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For/-Proto are believed (default: none; the TCP peer is the client).",
    ),
    cookie_secure: bool = typer.Option(
        False,
        "--cookie-secure",
        help="Mark cookies Secure on every request (without it: when the request is https, "
        "directly or as a trusted proxy says).",
    ),
    audit_key_file: Path | None = typer.Option(None, "--audit-key-file", help=_KEY_HELP),
    audit_checkpoint: Path | None = typer.Option(None, "--audit-checkpoint", help=_CHECKPOINT_HELP),
    session_idle: int = typer.Option(
        30, "--session-idle", help="Minutes without a request after which a login ends."
    ),
    session_hours: float = typer.Option(
        8, "--session-hours", help="Hours after which a login ends, however active."
    ),
) -> None:
    """Dashboard and API of the monitor: protected figures, per role."""
    import uvicorn

    from traffickingmonitor.publish.web.oidc import OIDCSettings

    workers = _given(workers, 1)
    forwarded = [a.strip() for a in _given(forwarded_allow_ips, "").split(",") if a.strip()]
    _check_networks(forwarded)
    session_idle, session_hours = _given(session_idle, 30), _given(session_hours, 8)
    if session_idle <= 0 or session_hours <= 0:
        raise UserError("--session-idle and --session-hours must be positive")
    if not db.exists():
        raise UserError(f"no store at {db}: run `traffickingmonitor run` or `demo` first")
    oidc = OIDCSettings.from_env()  # a configuration error stops here, before any worker
    key_file, checkpoint = _given(audit_key_file, None), _given(audit_checkpoint, None)
    # The key is made here, once, before any worker could race to make it.
    _chain(db, state, key_file, checkpoint)
    config = {
        "db": str(db.resolve()),
        "state": _state_url(db, state),
        "secure_cookies": bool(_given(cookie_secure, False)),
        "threshold": threshold,
        "forwarded_allow_ips": forwarded,
        "audit_key_file": str(key_file) if key_file else None,
        "audit_checkpoint": str(checkpoint) if checkpoint else None,
        "session_idle": session_idle * 60,
        "session_absolute": session_hours * 3600,
    }
    typer.echo(
        f"Serving {db} on http://{host}:{port}/ with {workers} worker(s) (Ctrl+C stops); "
        "the latest edition is read first (its protected tables and chapters are built "
        "where the store holds none of this code version)"
    )
    if workers <= 1:
        app = _create(config, demo_users=demo_users, oidc=oidc)
        # uvicorn's own proxy support would trust 127.0.0.1 by default; the app trusts only
        # --forwarded-allow-ips (its ProxyHeadersMiddleware).
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=False,
            server_header=False,  # no product name in every answer
        )
        return
    # Several processes: what must happen once happens here (the state's tables, the demo
    # users, one session key for all), then every worker builds its app from the environment.
    import json
    import os
    import secrets

    from traffickingmonitor.publish.web.state import make_engine, session_factory

    engine = make_engine(config["state"])
    if demo_users:
        from traffickingmonitor.publish.web.accounts import seed_demo_users

        with session_factory(engine)() as s:
            seed_demo_users(s)
    engine.dispose()
    os.environ.setdefault("TRAFFICKINGMONITOR_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ[_WORKER_ENV] = json.dumps(config)
    uvicorn.run(
        f"{__name__}:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
    )


_WORKER_ENV = "TRAFFICKINGMONITOR_WEB_WORKER"


def _check_networks(forwarded: list[str]) -> None:
    import ipaddress

    for a in forwarded:
        if a == "*":
            continue
        try:
            ipaddress.ip_network(a, strict=False)
        except ValueError:
            raise UserError(
                f"--forwarded-allow-ips: {a!r} is not an IP address or network"
            ) from None


def _create(config: dict, demo_users: bool = False, oidc=None):
    from traffickingmonitor.publish.web.app import create_app
    from traffickingmonitor.publish.web.sessions import SessionPolicy

    key, checkpoint = config.get("audit_key_file"), config.get("audit_checkpoint")
    return create_app(
        Path(config["db"]),
        config["state"],
        secure_cookies=config["secure_cookies"],
        threshold=config["threshold"],
        demo_users=demo_users,
        oidc=oidc,
        warm=True,
        forwarded_allow_ips=config.get("forwarded_allow_ips") or None,
        audit_key_file=Path(key) if key else None,
        audit_checkpoint=Path(checkpoint) if checkpoint else None,
        session_policy=SessionPolicy(
            idle=config.get("session_idle", 1800), absolute=config.get("session_absolute", 28800)
        ),
    )


def worker_app():
    """The app of one ``serve --workers N`` process (uvicorn calls it in each worker)."""
    import json
    import os

    from traffickingmonitor.publish.web.oidc import OIDCSettings

    return _create(json.loads(os.environ[_WORKER_ENV]), oidc=OIDCSettings.from_env())


users_app = typer.Typer(help="Users of the dashboard: add, list, disable.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of the dashboard.", no_args_is_help=True)
sessions_app = typer.Typer(
    help="Logins to the dashboard: list the open ones, revoke one or a user's.",
    no_args_is_help=True,
)


@audit_app.callback()
def _audit_group() -> None:
    """The audit log of the dashboard (a group, also while it has one command)."""


@users_app.command("add")
def users_add(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., "--role", help="admin, analyst or municipality."),
    municipality: str | None = typer.Option(
        None, "--municipality", help="CBS code GM#### (municipality users)."
    ),
    db: Path = typer.Option(..., "--db", help="The DuckDB store (locates the state)."),
    state: str | None = typer.Option(None, "--state", help="SQLAlchemy URL of the state."),
    password: str | None = typer.Option(None, "--password", hide_input=True),
    oidc: bool = typer.Option(
        False, "--oidc", help="Logs in with OpenID Connect only (no password)."
    ),
) -> None:
    """Add a user (asks for the password, unless --oidc)."""
    from traffickingmonitor.publish.web import accounts, audit

    if not oidc and password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _session(db, state) as s:
        user = accounts.add_user(s, username, password, role, municipality, oidc=oidc)
    audit.append(
        _chain(db, state),
        "cli",
        "admin",
        "user add",
        user.username,
        role + (" (oidc)" if oidc else ""),
    )
    typer.echo(
        f"added {user.username} ({user.role}{', ' + user.municipality if user.municipality else ''})"
    )


@users_app.command("list")
def users_list(
    db: Path = typer.Option(..., "--db"),
    state: str | None = typer.Option(None, "--state"),
) -> None:
    """List the users."""
    from traffickingmonitor.publish.web import accounts

    with _session(db, state) as s:
        for u in accounts.list_users(s):
            status = "active" if u.active else "disabled"
            typer.echo(f"{u.username}\t{u.role}\t{u.municipality or '-'}\t{status}")


@users_app.command("disable")
def users_disable(
    username: str = typer.Argument(...),
    db: Path = typer.Option(..., "--db"),
    state: str | None = typer.Option(None, "--state"),
) -> None:
    """Disable a user (logged out at the next request; the history stays)."""
    from traffickingmonitor.publish.web import accounts, audit

    with _session(db, state) as s:
        accounts.set_active(s, username, False)
    audit.append(
        _chain(db, state),
        "cli",
        "admin",
        "user disable",
        username,
    )
    typer.echo(f"disabled {username}")


@audit_app.command("verify")
def audit_verify(
    db: Path = typer.Option(..., "--db"),
    state: str | None = typer.Option(None, "--state"),
    key_file: Path | None = typer.Option(None, "--audit-key-file", help=_KEY_HELP),
    checkpoint: Path | None = typer.Option(None, "--audit-checkpoint", help=_CHECKPOINT_HELP),
) -> None:
    """Check the audit log: every entry's HMAC link and the signed checkpoint; exit 2 at the
    first break (a changed, deleted or re-chained entry, or entries cut off the end)."""
    from traffickingmonitor.publish.web import audit

    result = audit.verify(_chain(db, state, key_file, checkpoint, create=False))
    if not result.ok:
        where = f"entry {result.broken_at}" if result.broken_at is not None else "the end"
        raise UserError(f"audit log broken at {where}: {result.reason}")
    typer.echo(f"audit log intact: {result.entries} entries")


@audit_app.command("rotate")
def audit_rotate(
    archive: Path = typer.Option(..., "--archive", help="Folder for the archived log."),
    db: Path = typer.Option(..., "--db"),
    state: str | None = typer.Option(None, "--state"),
    key_file: Path | None = typer.Option(None, "--audit-key-file", help=_KEY_HELP),
    checkpoint: Path | None = typer.Option(None, "--audit-checkpoint", help=_CHECKPOINT_HELP),
) -> None:
    """Archive the whole log (entries, key, checkpoint) and go on under a new key; stop
    `serve` first. The new log's first entry links to the archive's last."""
    from traffickingmonitor.publish.web import audit

    default_key, _ = audit.default_paths(db)
    chain = _chain(db, state, key_file, checkpoint, create=False)
    out, n = audit.rotate(chain, key_file or default_key, archive)
    typer.echo(f"archived {n} entries to {out} (with its key and checkpoint); new key in use")


@audit_app.command("verify-archive")
def audit_verify_archive(
    entries: Path = typer.Argument(..., help="audit-<time>.jsonl written by `audit rotate`."),
    key_file: Path | None = typer.Option(
        None, "--key-file", help="The archive's key (default: audit-<time>.key beside it)."
    ),
) -> None:
    """Check an archived log against its key and checkpoint."""
    from traffickingmonitor.publish.web import audit

    if not entries.exists():
        raise UserError(f"no archive at {entries}")
    result = audit.verify_archive(entries, key_file or entries.with_suffix(".key"))
    if not result.ok:
        raise UserError(f"archive broken at entry {result.broken_at}: {result.reason}")
    typer.echo(f"archive intact: {result.entries} entries")


@sessions_app.command("list")
def sessions_list(
    db: Path = typer.Option(..., "--db"),
    state: str | None = typer.Option(None, "--state"),
    idle: int = typer.Option(30, "--session-idle", help="Minutes, as given to serve."),
    hours: float = typer.Option(8, "--session-hours", help="Hours, as given to serve."),
) -> None:
    """List the open sessions: number, user, role, address, login, since, last active."""
    from traffickingmonitor.publish.web import sessions

    policy = sessions.SessionPolicy(idle=idle * 60, absolute=hours * 3600)
    with _session(db, state) as s:
        rows = sessions.open_sessions(s, policy)
    for r in rows:
        typer.echo(
            f"{r.id}\t{r.username}\t{r.role}\t{r.client}\t{r.method}\t"
            f"{r.created_at:%Y-%m-%d %H:%M:%S}\t{r.last_seen:%Y-%m-%d %H:%M:%S}"
        )


@sessions_app.command("revoke")
def sessions_revoke(
    session_id: int | None = typer.Argument(None, help="Number from `sessions list`."),
    user: str | None = typer.Option(None, "--user", help="Revoke every session of this user."),
    db: Path = typer.Option(..., "--db"),
    state: str | None = typer.Option(None, "--state"),
) -> None:
    """End a session (or all of a user's) now: its cookie no longer logs in."""
    from sqlalchemy import select

    from traffickingmonitor.publish.web import audit, sessions
    from traffickingmonitor.publish.web.state import User

    if (session_id is None) == (user is None):
        raise UserError("give a session number or --user NAME (one of them)")
    with _session(db, state) as s:
        if user is not None:
            row = s.scalar(select(User).where(User.username == user.strip().lower()))
            if row is None:
                raise UserError(f"no user {user!r}")
            n = sessions.end_all(s, row.id, "revoked (cli)")
            target = f"user {row.username}"
        else:
            n = int(sessions.end_by_id(s, session_id, "revoked (cli)"))
            if not n:
                raise UserError(f"no open session {session_id}")
            target = f"session {session_id}"
    audit.append(_chain(db, state), "cli", "admin", "session revoke", target, f"{n} ended")
    typer.echo(f"revoked {n} session(s) of {target}")


editions_app = typer.Typer(
    help="Editions of the store: list them with their status; approve (publish), withdraw.",
)


def _store_edition(db: Path, edition_id: str):
    from traffickingmonitor import editions, store

    if not db.exists():
        raise UserError(f"no store at {db}")
    con = store.connect(db, read_only=True)
    try:
        return editions.get_edition(con, edition_id)
    finally:
        con.close()


def edition_statuses(db: Path, state: str | None, edition_ids: list[str]) -> dict:
    """Status per edition id; all drafts when the default state file is not there yet (a
    listing does not create it)."""
    from traffickingmonitor.publish.web import approvals
    from traffickingmonitor.publish.web.state import _sqlite_file

    url = _state_url(db, state)
    file = _sqlite_file(url) if url.startswith("sqlite") else None
    if state is None and file is not None and not file.exists():
        return {e: approvals.Status(e, False) for e in edition_ids}
    with _session(db, state) as s:
        return approvals.statuses(s, edition_ids)


@editions_app.command("approve")
def editions_approve(
    edition: str = typer.Argument(..., help="Edition id (see `editions --db STORE`)."),
    by: str = typer.Option(..., "--by", help="Username of the approver (admin or analyst)."),
    db: Path = typer.Option(..., "--db", help="The DuckDB store."),
    state: str | None = typer.Option(None, "--state", help="SQLAlchemy URL of the state."),
    reason: str = typer.Option("", "--reason", help="A note kept with the approval."),
) -> None:
    """Approve an edition: public once approved (by two persons with four eyes on)."""
    from traffickingmonitor.publish.web import approvals, audit

    found = _store_edition(db, edition)
    with _session(db, state) as s:
        user = approvals.approver(s, by)
        done = approvals.approve(
            s,
            found.edition_id,
            user.username,
            user.role,
            user_id=user.id,
            source="cli",
            reason=reason,
        )
    detail = "published" if done.approved else f"{len(done.approvers)} of {done.needed}"
    audit.append(
        _chain(db, state),
        user.username,
        user.role,
        "edition approve",
        found.edition_id,
        f"{detail} (command line){': ' + reason if reason else ''}",
        "cli",
    )
    typer.echo(f"edition {found.edition_id}: {done.describe()}")


@editions_app.command("withdraw")
def editions_withdraw(
    edition: str = typer.Argument(..., help="Edition id."),
    by: str = typer.Option(..., "--by", help="Username of an admin."),
    db: Path = typer.Option(..., "--db", help="The DuckDB store."),
    state: str | None = typer.Option(None, "--state", help="SQLAlchemy URL of the state."),
) -> None:
    """Withdraw an edition's approval: it is a draft again (not public)."""
    from traffickingmonitor.publish.web import approvals, audit

    found = _store_edition(db, edition)
    with _session(db, state) as s:
        user = approvals.approver(s, by)
        if user.role != "admin":
            raise UserError(f"user {user.username!r} is not an admin: only an admin withdraws")
        n = approvals.withdraw(s, found.edition_id, user.username)
    audit.append(
        _chain(db, state),
        user.username,
        user.role,
        "edition withdraw",
        found.edition_id,
        f"{n} approvals withdrawn (command line)",
        "cli",
    )
    typer.echo(f"edition {found.edition_id}: approval withdrawn, a draft again")


@editions_app.command("four-eyes")
def editions_four_eyes(
    setting: str = typer.Argument(..., help="on or off."),
    by: str = typer.Option(..., "--by", help="Username of an admin."),
    db: Path = typer.Option(..., "--db", help="The DuckDB store."),
    state: str | None = typer.Option(None, "--state", help="SQLAlchemy URL of the state."),
) -> None:
    """Four eyes on or off: when on, an edition needs two different approvers.

    Kept in the state database: the dashboard and the CLI follow it alike, a running server
    from its next request on."""
    from traffickingmonitor.publish.web import approvals, audit

    if setting not in ("on", "off"):
        raise UserError(f"four-eyes must be on or off, not {setting!r}")
    with _session(db, state) as s:
        user = approvals.approver(s, by)
        if user.role != "admin":
            raise UserError(f"user {user.username!r} is not an admin: only an admin sets this")
        approvals.set_four_eyes(s, setting == "on", user.username)
    audit.append(
        _chain(db, state), user.username, user.role, "four eyes", setting, "command line", "cli"
    )
    typer.echo(f"four eyes {setting}")


DEMO_REASON = "synthetic demo edition (no real persons), approved by `traffickingmonitor demo`"


def approve_demo_edition(db: Path, edition_id: str) -> None:
    """The demo publishes its own synthetic edition (audited as the demo's approval)."""
    from traffickingmonitor.publish.web import approvals, audit

    with _session(db, None) as s:
        if edition_id in approvals.approved_ids(s):
            return  # the same demo again: already public
        approvals.approve(s, edition_id, "demo", "admin", source="demo", reason=DEMO_REASON)
    audit.append(
        _chain(db, None), "demo", "admin", "edition approve", edition_id, DEMO_REASON, "cli"
    )
