"""The API's documentation pages: Swagger UI (``/api/docs``) and ReDoc (``/api/redoc``).

Served from the package (``static/vendor``: swagger-ui-dist and redoc, with their licences),
not from a CDN: the app's Content-Security-Policy allows scripts from its own origin only,
and an offline deployment reaches no CDN. The pages have no inline script; the start-up code
is a static file too.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Trafficking victim monitor API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<link rel="icon" href="/static/vendor/swagger-ui/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs-swagger.js"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Trafficking victim monitor API</title>
</head>
<body>
<div id="redoc"></div>
<script src="/static/vendor/redoc/redoc.standalone.js"></script>
<script src="/static/docs-redoc.js"></script>
</body>
</html>
"""


@router.get("/api/docs", response_class=HTMLResponse)
async def swagger_ui():
    return HTMLResponse(_SWAGGER)


@router.get("/api/redoc", response_class=HTMLResponse)
async def redoc():
    return HTMLResponse(_REDOC)
