"""Dashboard and API: protected figures for every user, with roles, audit log and self-assessment.

``create_app(db_path, state_url)`` builds the FastAPI application: server-rendered pages (one per
report chapter, from the chapters' own builders), ``/api/v1`` with the same protected tables,
users and roles, the municipal self-assessment and a hash-chained audit log. Only
``ProtectedTable`` objects from ``disclosure.protect_edition`` reach a page or a response.
"""

__all__ = ["create_app"]


def __getattr__(name: str):
    # Lazy: the CLI imports this package at every start, FastAPI and SQLAlchemy cost seconds.
    if name == "create_app":
        from traffickingmonitor.publish.web.app import create_app

        return create_app
    raise AttributeError(name)
