"""The API reference served at /api/docs (Swagger UI) and the OpenAPI document at
/api/v1/openapi.json, assembled into one folder for a static server behind Envoy."""

from __future__ import annotations

import shutil
from pathlib import Path

SWAGGER_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")

INDEX = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>SpeechFlow API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/swagger-init.js"></script>
</body>
</html>
"""

# A file rather than an inline script, so the page's CSP needs no 'unsafe-inline' scripts
# (envoy/envoy.yaml.tmpl); no validator badge, which would call validator.swagger.io.
INIT = """window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  validatorUrl: null,
});
"""


def assemble_api_docs(root: Path, destination: Path) -> Path:
    """Copies the generated OpenAPI document and Swagger UI's assets (npm swagger-ui-dist)
    into `destination`, laid out as the URLs expect."""
    spec = root / "gen" / "openapi" / "speechflow.swagger.json"
    assets = root / "node_modules" / "swagger-ui-dist"
    if not spec.exists():
        raise FileNotFoundError(f"{spec} is missing: run `make proto`")
    if not assets.exists():
        raise FileNotFoundError(f"{assets} is missing: run `npm ci` (make does)")
    api = destination / "api"
    (api / "v1").mkdir(parents=True, exist_ok=True)
    (api / "docs").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(spec, api / "v1" / "openapi.json")
    for name in SWAGGER_ASSETS:
        shutil.copyfile(assets / name, api / "docs" / name)
    (api / "docs" / "index.html").write_text(INDEX)
    (api / "docs" / "swagger-init.js").write_text(INIT)
    # The static server answers its readiness probe (and any other path) with this page.
    (destination / "index.html").write_text(
        '<!doctype html><meta http-equiv="refresh" content="0; url=/api/docs/">'
    )
    return destination
