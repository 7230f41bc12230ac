/**
 * The interactive API reference at /docs: Swagger UI over /api/openapi.json. `assetBase` is where
 * swagger-ui-dist's files are served from: the gateway itself on Node (works offline), a CDN on
 * Workers, where there is no file system to serve them from.
 */
export function docsPage(assetBase: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ZPE compute API · zpe-gateway</title>
<link rel="stylesheet" href="${assetBase}/swagger-ui.css">
</head>
<body>
<div id="api-reference"></div>
<script src="${assetBase}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#api-reference', deepLinking: true, tryItOutEnabled: true });
</script>
</body>
</html>
`;
}

export const SWAGGER_UI_CDN = 'https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0';
