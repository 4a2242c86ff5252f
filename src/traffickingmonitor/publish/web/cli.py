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
) -> None:
    """Dashboard and API of the monitor: protected figures, per role."""
    import uvicorn

    from traffickingmonitor.publish.web.app import create_app
    from traffickingmonitor.publish.web.oidc import OIDCSettings

    if not db.exists():
        raise UserError(f"no store at {db}: run `traffickingmonitor run` or `demo` first")
    # Over plain HTTP a Secure cookie is never sent back; on loopback that is acceptable,
    # anywhere else a TLS-terminating proxy is expected in front.
    app = create_app(
        db,
        _state_url(db, state),
        secure_cookies=host not in LOOPBACK,
        threshold=threshold,
        demo_users=demo_users,
        oidc=OIDCSettings.from_env(),
    )
    typer.echo(f"Serving {db} on http://{host}:{port}/ (Ctrl+C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)


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
