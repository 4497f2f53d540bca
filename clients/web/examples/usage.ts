// How a TypeScript frontend uses the typed client and the element (compiled by `npm test` under tsc --strict).
import createClient from 'openapi-fetch';
import type { components, paths } from '../src/api';
import type { ByocConnect, ProviderEntry } from '../src/byoc-connect';

type Integration = components['schemas']['Connection'];
type ApiFailure = components['schemas']['ErrorBody'] | components['schemas']['GatewayMessage'];

/** An error answer: ours ({error: {code, message}}) or API Gateway's own ({message}, a 401 from the authorizer). */
function failure(body: ApiFailure): Error {
  return new Error('error' in body ? `${body.error.code}: ${body.error.message}` : body.message);
}

const client = createClient<paths>({ baseUrl: 'https://api.example.com' });

async function bearer(): Promise<string | null> {
  return 'eyJ...';
}

/** The catalogue needs no token. */
export async function catalogue(): Promise<ProviderEntry[]> {
  const { data, error } = await client.GET('/providers');
  if (error) throw new Error('catalogue unavailable');
  return data.providers;
}

/** This org's connections. */
export async function connections(token: string): Promise<Integration[]> {
  const { data, error } = await client.GET('/integrations', { headers: { Authorization: `Bearer ${token}` } });
  if (error) throw failure(error);
  // GET /integrations also has a deprecated ?include=catalog shape: keep the connection items.
  return data.integrations.filter((item): item is Integration => 'provider' in item);
}

/** Save credentials and scopes, then start the flow: the answer names where to send the browser. */
export async function connect(token: string, provider: string, clientId: string, clientSecret: string): Promise<string> {
  const headers = { Authorization: `Bearer ${token}` };
  const saved = await client.POST('/integrations', {
    headers,
    body: { provider, credentials: { client_id: clientId, client_secret: clientSecret }, scopes: ['read'] },
  });
  if (saved.error) throw failure(saved.error);
  const started = await client.GET('/oauth/start', {
    params: { query: { provider, return_to: '/settings/integrations' } },
    headers: { ...headers, Accept: 'application/json' },
  });
  if (started.error) throw failure(started.error);
  return started.data.authorize_url;
}

/** After ?status=pending_completion: complete the parked flow. */
export async function complete(token: string, completion: string): Promise<'active' | 'error'> {
  const { data, error } = await client.POST('/oauth/complete', {
    headers: { Authorization: `Bearer ${token}` },
    body: { completion },
  });
  if (error) throw failure(error);
  return data.status;
}

export async function disconnect(token: string, provider: string): Promise<void> {
  const { error } = await client.DELETE('/integrations/{provider}', {
    params: { path: { provider } },
    headers: { Authorization: `Bearer ${token}` },
  });
  if (error) throw failure(error);
}

/** The element, typed: properties, and events with their detail. */
export function wire(element: ByocConnect): void {
  element.apiBase = 'https://api.example.com';
  element.providers = ['slack', 'github'];
  element.getToken = bearer;
  element.strings = { connect: 'Verbinden', reasons: { access_denied: 'abgelehnt.' } };
  element.addEventListener('byoc:connected', (event) => {
    const provider: string = event.detail.provider;
    console.log(`${provider} connected`);
  });
  element.addEventListener('byoc:error', (event) => {
    console.warn(event.detail.step, event.detail.code, event.detail.message);
  });
  const found: ByocConnect | null = document.querySelector('byoc-connect');
  found?.reload();
}
