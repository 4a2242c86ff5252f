"""Command-line faces of the web: ``serve``, ``users add/list/disable``, ``audit verify``.

Registered by ``traffickingmonitor.cli``; heavy imports stay inside the functions so the CLI
starts fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from traffickingmonitor.errors import UserError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _state_url(db: Path, state: str | None) -> str:
    from traffickingmonitor.publish.web.state import default_state_url

    return state or default_state_url(db)


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
    threshold: int = typer.Option(10, "--threshold", help="Disclosure threshold."),
    demo_users: bool = typer.Option(
        False, "--demo-users", help="Seed the demo users (demo only, never in production)."
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        help="Server processes (about one per core); each holds the latest edition in memory.",
    ),
) -> None:
    """Dashboard and API of the monitor: protected figures, per role."""
    import uvicorn

    from traffickingmonitor.publish.web.oidc import OIDCSettings

    if not isinstance(workers, int):  # called as a function (``demo --serve``)
        workers = 1
    if not db.exists():
        raise UserError(f"no store at {db}: run `traffickingmonitor run` or `demo` first")
    oidc = OIDCSettings.from_env()  # a configuration error stops here, before any worker
    config = {
        "db": str(db.resolve()),
        "state": _state_url(db, state),
        # Over plain HTTP a Secure cookie is never sent back; on loopback that is acceptable,
        # anywhere else a TLS-terminating proxy is expected in front.
        "secure_cookies": host not in LOOPBACK,
        "threshold": threshold,
    }
    typer.echo(
        f"Serving {db} on http://{host}:{port}/ with {workers} worker(s) (Ctrl+C stops); "
        "the latest edition is built first"
    )
    if workers <= 1:
        app = _create(config, demo_users=demo_users, oidc=oidc)
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)
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
        proxy_headers=True,
    )


_WORKER_ENV = "TRAFFICKINGMONITOR_WEB_WORKER"


def _create(config: dict, demo_users: bool = False, oidc=None):
    from traffickingmonitor.publish.web.app import create_app

    return create_app(
        Path(config["db"]),
        config["state"],
        secure_cookies=config["secure_cookies"],
        threshold=config["threshold"],
        demo_users=demo_users,
        oidc=oidc,
        warm=True,
    )


def worker_app():
    """The app of one ``serve --workers N`` process (uvicorn calls it in each worker)."""
    import json
    import os

    from traffickingmonitor.publish.web.oidc import OIDCSettings

    return _create(json.loads(os.environ[_WORKER_ENV]), oidc=OIDCSettings.from_env())


users_app = typer.Typer(help="Users of the dashboard: add, list, disable.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of the dashboard.", no_args_is_help=True)


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
    from traffickingmonitor.publish.web.state import make_engine, session_factory

    audit.append(
        session_factory(make_engine(_state_url(db, state))),
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
    from traffickingmonitor.publish.web.state import make_engine, session_factory

    with _session(db, state) as s:
        accounts.set_active(s, username, False)
    audit.append(
        session_factory(make_engine(_state_url(db, state))),
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
) -> None:
    """Check the hash chain of the audit log; exit 2 at the first broken link."""
    from traffickingmonitor.publish.web import audit

    with _session(db, state) as s:
        result = audit.verify(s)
    if not result.ok:
        raise UserError(f"audit log broken at entry {result.broken_at}: {result.reason}")
    typer.echo(f"audit log intact: {result.entries} entries")
