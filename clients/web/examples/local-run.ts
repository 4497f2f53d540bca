// A real program on the typed client: it runs against the local server (python -m devserver).
// `npm run build:usage` compiles it (tsc --strict) to build/examples/local-run.js; run it with
//   BYOC_API_BASE=http://127.0.0.1:3000 BYOC_ORG_ID=acme BYOC_USER_ID=alice BYOC_ORG_ROLE=admin \
//   node build/examples/local-run.js
// It prints one JSON line per step with what the API answered (tests/integration/test_typed_client.py reads them).
// Locally the identity travels in X-Org-Id / X-User-Id / X-Org-Role; a deployment takes `Authorization: Bearer <JWT>`.
import createClient from 'openapi-fetch';
import type { components, paths } from '../src/api';

// Node's globals without @types/node: only what this program uses.
declare const process: { env: Record<string, string | undefined>; exitCode?: number };

type ErrorCode = components['schemas']['ErrorCode'];
type ApiFailure = components['schemas']['ErrorBody'] | components['schemas']['GatewayMessage'];
type Field = components['schemas']['Catalogue']['providers'][number]['fields'][number];

/** What a frontend tells its user for each error code: exhaustive, so a new code in the API fails tsc here. */
function advice(code: ErrorCode): string {
  switch (code) {
    case 'invalid_request':
    case 'validation_error':
    case 'unsafe_url':
    case 'payload_too_large':
      return 'fix the input';
    case 'unknown_provider':
      return 'no such provider in the catalogue';
    case 'integration_not_configured':
      return 'save credentials first';
    case 'unauthorized':
      return 'sign in again';
    case 'forbidden':
      return 'ask an org admin';
    case 'flow_not_yours':
    case 'invalid_state':
    case 'invalid_completion':
      return 'start the connection again';
    case 'conflict':
      return 'reload and retry';
    case 'provider_unavailable':
    case 'service_unavailable':
      return 'try again later';
    case 'misconfigured':
    case 'credentials_unreadable':
    case 'internal_error':
      return 'contact support';
    default: {
      const unhandled: never = code;
      return unhandled;
    }
  }
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | null,
    message: string,
  ) {
    super(message);
  }
}

/** An error answer: ours ({error: {code, message}}) or API Gateway's own ({message}). */
function failure(response: Response, body: ApiFailure | undefined): ApiError {
  if (body && 'error' in body) return new ApiError(response.status, body.error.code, body.error.message);
  return new ApiError(response.status, null, body?.message ?? `HTTP ${response.status}`);
}

function emit(step: string, facts: Record<string, unknown>): void {
  console.log(JSON.stringify({ step, ...facts }));
}

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Example values for the fields this program fills in (a real frontend asks its user). */
const VALUES: Record<string, string> = {
  client_id: 'typed-client-0001',
  client_secret: 'typed-client-secret',
  subdomain: 'acme',
};

function credentialsFor(fields: Field[]): Record<string, string> {
  const credentials: Record<string, string> = {};
  for (const field of fields) {
    if (field.type === 'scopes' || !field.required) continue;
    const value = VALUES[field.name];
    if (value === undefined) throw new Error(`no example value for the required field ${field.name}`);
    credentials[field.name] = value;
  }
  return credentials;
}

async function main(): Promise<void> {
  const provider = process.env.BYOC_PROVIDER ?? 'zendesk';
  const client = createClient<paths>({
    baseUrl: setting('BYOC_API_BASE'),
    headers: {
      'X-Org-Id': setting('BYOC_ORG_ID'),
      'X-User-Id': setting('BYOC_USER_ID'),
      'X-Org-Role': process.env.BYOC_ORG_ROLE ?? 'admin',
    },
  });

  // 1. The catalogue, then revalidated with its ETag: 304, no body.
  const listed = await client.GET('/providers');
  if (listed.error !== undefined || listed.data === undefined) throw failure(listed.response, listed.error);
  const etag = listed.response.headers.get('ETag');
  const entry = listed.data.providers.find((item) => item.id === provider);
  emit('providers', {
    status: listed.response.status,
    etag,
    count: listed.data.providers.length,
    fields: entry?.fields.map((field) => field.name) ?? null,
  });
  if (!entry || !etag) throw new Error(`${provider} is not in the catalogue, or it came without an ETag`);
  const again = await client.GET('/providers', { params: { header: { 'If-None-Match': etag } } });
  emit('providers_revalidated', {
    status: again.response.status,
    etag: again.response.headers.get('ETag'),
    body: again.data ?? null,
  });

  // 2. Save the org's credentials: the entry's required fields, from the catalogue.
  const saved = await client.POST('/integrations', {
    body: { provider, credentials: credentialsFor(entry.fields), scopes: ['read'] },
  });
  if (saved.error !== undefined) throw failure(saved.response, saved.error);
  emit('save', {
    status: saved.response.status,
    provider: saved.data.id,
    integration_status: saved.data.status,
    client_id_masked: saved.data.client_id_masked,
    scopes: saved.data.scopes,
  });

  // 3. This org's connections.
  const integrations = async (): Promise<Array<{ provider: string; status: string }>> => {
    const { data, error, response } = await client.GET('/integrations');
    if (error !== undefined) throw failure(response, error);
    return data.integrations.flatMap((item) => ('provider' in item ? [{ provider: item.provider, status: item.status }] : []));
  };
  emit('integrations', { integrations: await integrations() });

  // 4. Start the flow: with Accept: application/json the answer names where to send the browser.
  const started = await client.GET('/oauth/start', {
    params: { query: { provider, return_to: '/settings/integrations' } },
    headers: { Accept: 'application/json' },
  });
  if (started.error !== undefined) throw failure(started.response, started.error);
  const authorize = new URL(started.data.authorize_url);
  emit('start', {
    status: started.response.status,
    authorize_url: started.data.authorize_url,
    origin: authorize.origin,
    client_id: authorize.searchParams.get('client_id'),
    redirect_uri: authorize.searchParams.get('redirect_uri'),
    has_state: authorize.searchParams.has('state'),
  });

  // A typed error: error.code is the ErrorCode enum (advice() switches over it exhaustively).
  const report = (attempt: string, problem: ApiError): void =>
    emit('error', { attempt, status: problem.status, code: problem.code, advice: problem.code ? advice(problem.code) : null });

  const elsewhere = await client.GET('/oauth/start', {
    params: { query: { provider, return_to: 'https://elsewhere.example/' } },
    headers: { Accept: 'application/json' },
  });
  if (elsewhere.error === undefined) throw new Error('a return_to off the frontend was accepted');
  report('return_to off the frontend', failure(elsewhere.response, elsewhere.error));

  // 5. Disconnect: 204, and the connection is gone.
  const dropped = await client.DELETE('/integrations/{provider}', { params: { path: { provider } } });
  if (dropped.error !== undefined) throw failure(dropped.response, dropped.error);
  emit('disconnect', { status: dropped.response.status, integrations: await integrations() });

  // 6. More typed errors.
  const unknown = await client.GET('/oauth/start', {
    params: { query: { provider: 'no_such_provider' } },
    headers: { Accept: 'application/json' },
  });
  if (unknown.error === undefined) throw new Error('an unknown provider was accepted');
  report('unknown provider', failure(unknown.response, unknown.error));

  const after = await client.GET('/oauth/start', {
    params: { query: { provider } },
    headers: { Accept: 'application/json' },
  });
  if (after.error === undefined) throw new Error('a disconnected provider started a flow');
  report('start after disconnect', failure(after.response, after.error));

  const empty = await client.POST('/integrations', { body: { provider, credentials: {} } });
  if (empty.error === undefined) throw new Error('empty credentials were accepted');
  report('empty credentials', failure(empty.response, empty.error));
}

main().catch((error: unknown) => {
  const facts = error instanceof ApiError ? { status: error.status, code: error.code } : {};
  emit('failed', { message: error instanceof Error ? error.message : String(error), ...facts });
  process.exitCode = 1;
});
