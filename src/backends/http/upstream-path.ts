/** Every contract path starts with this; a backend's base path replaces it. */
export const CONTRACT_PREFIX = '/api/zpe';

/**
 * The fixed part of every upstream path: the base URL's own path, then the base path.
 *
 * The rule, exactly: upstream path = M + B + R + Q, where
 * - M is the path of the backend's base URL without trailing slashes (`http://h:8000` gives ``,
 *   `http://h/svc/` gives `/svc`);
 * - B is the base path with one leading slash and no trailing slash (`v2/zpe/` gives `/v2/zpe`,
 *   `/` gives ``); unset, it is `/api/zpe`, the contract's own prefix;
 * - R is the contract path after `/api/zpe`, each `{param}` replaced by its value percent-encoded
 *   (encodeURIComponent);
 * - Q is the query string exactly as the client sent it.
 *
 * So with base path `/v2/zpe`, `GET /api/zpe/jobs/j%2F1/files?kind=summary` goes to
 * `/v2/zpe/jobs/j%2F1/files?kind=summary`; with no base path it keeps its contract path.
 */
export function upstreamPrefix(baseUrl: string, basePath?: string): string {
  const url = new URL(baseUrl);
  if (url.search || url.hash) throw new Error(`backend base URL must not carry a query or fragment: ${url.origin}`);
  const mount = url.pathname.replace(/\/+$/, '');
  if (basePath === undefined) return mount + CONTRACT_PREFIX;
  if (/[?#\s]/.test(basePath)) throw new Error(`base path must be a plain URL path, got '${basePath}'`);
  const trimmed = basePath.replace(/^\/+|\/+$/g, '');
  return trimmed ? `${mount}/${trimmed}` : mount;
}

type Filler = (params: Record<string, string>) => string;

const fillers = new Map<string, Filler>();

function compile(contractPath: string): Filler {
  if (!contractPath.startsWith(CONTRACT_PREFIX)) throw new Error(`not a contract path: ${contractPath}`);
  const parts = contractPath.slice(CONTRACT_PREFIX.length).split(/\{([^}]+)\}/);
  return (params) => {
    let path = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (i % 2 === 0) {
        path += part;
        continue;
      }
      const value = params[part];
      if (value === undefined) throw new Error(`path parameter '${part}' missing for ${contractPath}`);
      path += encodeURIComponent(value);
    }
    return path;
  };
}

/** R of the rule above: the contract path after `/api/zpe`, its parameters filled in and encoded. */
export function contractRemainder(contractPath: string, params: Record<string, string>): string {
  let fill = fillers.get(contractPath);
  if (!fill) {
    fill = compile(contractPath);
    fillers.set(contractPath, fill);
  }
  return fill(params);
}

/** Q of the rule above: the query string as received, `?` included, or ``. */
export function receivedQuery(requestUrl: string): string {
  const at = requestUrl.indexOf('?');
  return at === -1 ? '' : requestUrl.slice(at);
}
