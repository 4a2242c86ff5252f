"""Dashboard and API: protected figures for every user, with roles, audit log and self-assessment.

``create_app(db_path, state_url)`` builds the FastAPI application: server-rendered pages (one per
report chapter, from the chapters' own builders), ``/api/v1`` with the same protected tables,
users and roles, the municipal self-assessment and a hash-chained audit log. Only
``ProtectedTable`` objects from ``disclosure.protect_edition`` reach a page or a response.
"""

from traffickingmonitor.publish.web.app import create_app

__all__ = ["create_app"]
