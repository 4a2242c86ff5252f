// Start-up of ReDoc at /api/redoc (a file, not an inline script: the CSP allows 'self').
Redoc.init("/openapi.json", { hideDownloadButton: false }, document.getElementById("redoc"));
