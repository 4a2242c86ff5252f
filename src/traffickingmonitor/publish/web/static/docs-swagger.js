// Start-up of Swagger UI at /api/docs (a file, not an inline script: the CSP allows 'self').
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  // No calls to the public validator service: the page must work offline.
  validatorUrl: null,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
