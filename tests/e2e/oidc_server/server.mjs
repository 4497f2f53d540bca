// A real OpenID Connect provider (panva/oidc-provider) for end-to-end tests.
//
// TEST ONLY. Plain http, in-memory storage, built-in "dev interactions"
// (any login is accepted). Never expose it beyond 127.0.0.1.
//
// Environment:
//   PORT                 port to listen on (0 = pick a free one; default 0)
//   REDIRECT_URIS        comma-separated redirect URIs allowed for both clients (required)
//   BASIC_CLIENT_SECRET  secret of "basic-client" (client_secret_basic); default random
//   POST_CLIENT_SECRET   secret of "post-client"  (client_secret_post);  default random
//   ACCESS_TOKEN_TTL     access token lifetime in seconds, client-credentials tokens too (default 3600)
//   EXIT_ON_STDIN_EOF    "1" = exit when stdin closes (used by oidc_peer.py so the
//                        server dies with its parent even if that is SIGKILLed)
//
// Once listening, prints exactly one line to stdout:
//   READY http://127.0.0.1:<port>
// Everything else (oidc-provider notices included) goes to stderr.
//
// Test-only endpoints:
//   GET  /__stats        -> {"authorization_code": n, "refresh_token": m, ...}
//                           (token endpoint requests by grant_type, counted on arrival,
//                            whether or not they succeed)
//   POST /__stats/reset  -> 204

import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as querystring from 'node:querystring';

import Provider from 'oidc-provider';

// Keep stdout for the READY line only.
console.log = console.error;
console.info = console.error;

const HOST = '127.0.0.1';
const port = Number.parseInt(process.env.PORT ?? '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid PORT: ${process.env.PORT}`);
  process.exit(2);
}

const redirectUris = (process.env.REDIRECT_URIS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
if (redirectUris.length === 0) {
  console.error('REDIRECT_URIS must list at least one redirect URI (comma-separated)');
  process.exit(2);
}

const accessTokenTTL = Number.parseInt(process.env.ACCESS_TOKEN_TTL ?? '3600', 10);
if (!Number.isInteger(accessTokenTTL) || accessTokenTTL <= 0) {
  console.error(`invalid ACCESS_TOKEN_TTL: ${process.env.ACCESS_TOKEN_TTL}`);
  process.exit(2);
}

const randomSecret = () => crypto.randomBytes(24).toString('base64url');
const basicSecret = process.env.BASIC_CLIENT_SECRET || `basic-secret-${randomSecret()}`;
const postSecret = process.env.POST_CLIENT_SECRET || `post-secret-${randomSecret()}`;

const SCOPE = 'openid profile email offline_access';
const commonClient = {
  redirect_uris: redirectUris,
  // client_credentials: the generic_client_credentials entry's end-to-end test mints with both.
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  response_types: ['code'],
  scope: SCOPE,
};
const clients = [
  {
    ...commonClient,
    client_id: 'basic-client',
    client_secret: basicSecret,
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    ...commonClient,
    client_id: 'post-client',
    client_secret: postSecret,
    token_endpoint_auth_method: 'client_secret_post',
  },
];
const registeredAuthMethod = new Map(
  clients.map((c) => [c.client_id, c.token_endpoint_auth_method]),
);

// ---------------------------------------------------------------------------
// Listen first: the issuer must contain the actual port, which is only known
// once bound (PORT=0). The request handler is attached before READY.
const server = http.createServer();
server.keepAliveTimeout = 5000;

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, HOST, () => {
    server.off('error', reject);
    resolve();
  });
});

const issuer = `http://${HOST}:${server.address().port}`;

const configuration = {
  clients,
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          name: sub,
          preferred_username: sub,
          email: `${sub}@example.test`,
          email_verified: true,
        };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  // PKCE (S256 only in v9) for every client, confidential ones included.
  pkce: { required: () => true },
  // offline_access is only kept by the provider when the authorization request
  // has prompt=consent (and the client may use the refresh_token grant).
  async issueRefreshToken(ctx, client, code) {
    return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
  },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: accessTokenTTL,
    ClientCredentials: accessTokenTTL,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 60 * 60,
    Interaction: 600,
    Session: 3600,
    Grant: 14 * 24 * 60 * 60,
  },
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
    // secure is derived from ctx.secure, i.e. false over plain http (proxy is off).
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
  clientBasedCORS: () => false,
  renderError(ctx, out) {
    // Machine-readable error page (the default is HTML with a web font import).
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><title>oidc error</title></head><body>${
      Object.entries(out)
        .map(([k, v]) => `<pre class="oidc-error" data-key="${k}">${String(v)
          .replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')}</pre>`)
        .join('')
    }</body></html>`;
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false; // never trust X-Forwarded-* here

// ---------------------------------------------------------------------------
// Test-only middleware (runs before oidc-provider's router).

const stats = new Map();
const resetStats = () => {
  stats.clear();
  stats.set('authorization_code', 0);
  stats.set('refresh_token', 0);
};
resetStats();

const tokenPath = provider.pathFor('token');
const clientAuthPaths = new Set([
  tokenPath,
  provider.pathFor('introspection'),
  provider.pathFor('revocation'),
]);
const BODY_LIMIT = 56 * 1024;

async function readRawBody(req) {
  const chunks = [];
  let received = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    received += chunk.length;
    if (received > BODY_LIMIT) throw new Error('request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received);
}

function basicClientId(authorization) {
  if (typeof authorization !== 'string') return undefined;
  const [scheme, value] = authorization.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i === -1) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, i).replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__stats' && ctx.method === 'GET') {
    ctx.set('cache-control', 'no-store');
    ctx.body = Object.fromEntries(stats);
    return;
  }
  if (ctx.path === '/__stats/reset' && ctx.method === 'POST') {
    resetStats();
    ctx.status = 204;
    return;
  }

  if (
    ctx.method === 'POST'
    && clientAuthPaths.has(ctx.path)
    && ctx.is('application/x-www-form-urlencoded')
  ) {
    // Read the body ourselves and hand it to oidc-provider through its
    // supported "already parsed body" path (req.body), so it is parsed once
    // more there exactly as if it came from the socket.
    let raw;
    try {
      raw = await readRawBody(ctx.req);
    } catch (err) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: err.message };
      return;
    }
    ctx.req.body = raw;
    const params = querystring.parse(raw.toString('utf8'));
    const first = (v) => (Array.isArray(v) ? v[0] : v);

    if (ctx.path === tokenPath) {
      const grantType = first(params.grant_type) ?? '(none)';
      stats.set(grantType, (stats.get(grantType) ?? 0) + 1);
    }

    // oidc-provider treats client_secret_basic and client_secret_post as
    // interchangeable; enforce the registered method like strict providers do.
    const fromHeader = basicClientId(ctx.headers.authorization);
    let used;
    let clientId;
    if (fromHeader !== undefined) {
      used = 'client_secret_basic';
      clientId = fromHeader;
    } else if (first(params.client_secret)) {
      used = 'client_secret_post';
      clientId = first(params.client_id);
    }
    const registered = clientId !== undefined ? registeredAuthMethod.get(clientId) : undefined;
    if (used && registered && used !== registered) {
      ctx.status = 401;
      ctx.set('cache-control', 'no-store');
      if (ctx.headers.authorization !== undefined) {
        ctx.set('www-authenticate', `Basic realm="${issuer}", error="invalid_client"`);
      }
      ctx.body = {
        error: 'invalid_client',
        error_description: `client authentication method ${used} does not match the registered ${registered}`,
      };
      return;
    }
  }

  await next();
});

server.on('request', provider.callback());

// ---------------------------------------------------------------------------

let shuttingDown = false;
function shutdown(reason) {
  if (shuttingDown) return;
  shuttingDown = true;
  console.error(`oidc test server: shutting down (${reason})`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
if (process.env.EXIT_ON_STDIN_EOF === '1') {
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}

console.error(`oidc test server: issuer ${issuer}`);
console.error(`oidc test server: basic-client (client_secret_basic) secret ${basicSecret}`);
console.error(`oidc test server: post-client (client_secret_post) secret ${postSecret}`);
console.error(`oidc test server: redirect_uris ${redirectUris.join(', ')}`);
process.stdout.write(`READY ${issuer}\n`);
