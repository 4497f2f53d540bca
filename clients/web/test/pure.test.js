// The pure parts of <byoc-connect> (no DOM): node --test test/
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import {
  ApiError,
  DEFAULT_STRINGS,
  EVENTS,
  apiError,
  buildSaveBody,
  categoriesOf,
  checkedAuthorizeUrl,
  chosenScopes,
  createApi,
  dialogTexts,
  filterProviders,
  format,
  hasCallbackParams,
  initialScopes,
  invalidScope,
  joinUrl,
  mergeCatalogue,
  mergeStrings,
  parseCallback,
  parseProviderList,
  reasonText,
  requestHeaders,
  statusText,
  validateField,
  withoutCallbackParams,
} from '../src/byoc-connect.js';

const HANDLE = 'a'.repeat(43);

const OIDC = {
  id: 'generic_oidc',
  name: 'OpenID Connect (any provider)',
  auth_type: 'oauth2',
  category: 'generic',
  redirect_uri: 'http://127.0.0.1:3000/oauth/callback/generic_oidc',
  docs_url: null,
  fields: [
    { name: 'client_id', label: 'Client ID', type: 'text', required: true, secret: false, max_length: 8 },
    { name: 'client_secret', label: 'Client Secret', type: 'password', required: true, secret: true, max_length: 64 },
    { name: 'issuer', label: 'Issuer URL', type: 'url', required: true, secret: false, max_length: 200 },
    {
      name: 'token_endpoint_auth_method', label: 'Client authentication', type: 'select', required: false,
      secret: false, max_length: 32, options: ['client_secret_basic', 'client_secret_post'], default: 'client_secret_basic',
    },
    { name: 'subdomain', label: 'Subdomain', type: 'text', required: false, secret: false, max_length: 63, pattern: '[a-z0-9-]+', example: 'acme' },
    {
      name: 'scopes', label: 'Scopes', type: 'scopes', required: false, secret: false, default: ['email'],
      required_scopes: ['openid'], allow_unknown: true,
      known_scopes: [{ name: 'openid', description: 'Sign-in' }, { name: 'profile', description: 'Profile' }],
    },
  ],
};
const SLACK = { id: 'slack', name: 'Slack', auth_type: 'oauth2', category: 'chat', fields: [] };
const GITHUB = { id: 'github', name: 'GitHub', auth_type: 'oauth2', category: 'developer', fields: [] };

test('the module has no dependencies and defines nothing outside a browser', async () => {
  const source = await readFile(new URL('../src/byoc-connect.js', import.meta.url), 'utf8');
  assert.doesNotMatch(source, /^\s*import\s/m);
  assert.doesNotMatch(source, /\bimport\s*\(/);
  assert.doesNotMatch(source, /\brequire\s*\(/);
  assert.equal(typeof globalThis.customElements, 'undefined');
});

test('format fills placeholders and leaves unknown ones', () => {
  assert.equal(format('{name} is connected.', { name: 'Slack' }), 'Slack is connected.');
  assert.equal(format('{a} {b}', { a: 1 }), '1 {b}');
  assert.equal(format('{count} of {total}', { count: 0, total: 3 }), '0 of 3');
});

test('strings: overrides merge over the defaults, reasons too', () => {
  const strings = mergeStrings({ connect: 'Verbinden', reasons: { access_denied: 'abgelehnt.' } });
  assert.equal(strings.connect, 'Verbinden');
  assert.equal(strings.save, DEFAULT_STRINGS.save);
  assert.equal(strings.reasons.access_denied, 'abgelehnt.');
  assert.equal(strings.reasons.invalid_client, DEFAULT_STRINGS.reasons.invalid_client);
  assert.equal(mergeStrings(null).connect, DEFAULT_STRINGS.connect);
  assert.ok(Object.isFrozen(strings));
  for (const [key, value] of Object.entries(DEFAULT_STRINGS)) {
    if (key !== 'reasons') assert.equal(typeof value, 'string', key);
  }
});

test('event names', () => {
  assert.deepEqual(Object.values(EVENTS), ['byoc:saved', 'byoc:connected', 'byoc:error', 'byoc:disconnected']);
});

test('parseProviderList and joinUrl', () => {
  assert.deepEqual(parseProviderList(' slack, github ,,'), ['slack', 'github']);
  assert.deepEqual(parseProviderList(null), []);
  assert.deepEqual(parseProviderList(['a', ' b ']), ['a', 'b']);
  assert.equal(joinUrl('https://api.example.com//', '/providers'), 'https://api.example.com/providers');
  assert.equal(joinUrl('', '/providers'), '/providers');
});

test('parseCallback reads each outcome of the callback', () => {
  assert.equal(parseCallback(''), null);
  assert.equal(parseCallback('?tab=2'), null);
  assert.deepEqual(parseCallback('?integration=slack&status=active'), { provider: 'slack', status: 'active' });
  assert.deepEqual(parseCallback('?integration=slack&status=error&error=access_denied'), {
    provider: 'slack', status: 'error', error: 'access_denied',
  });
  assert.deepEqual(parseCallback(`?integration=slack&status=pending_completion&completion=${HANDLE}`), {
    provider: 'slack', status: 'pending_completion', completion: HANDLE,
  });
});

test('parseCallback refuses what it cannot trust', () => {
  assert.equal(parseCallback('?integration=Bad!&status=active'), null);
  assert.equal(parseCallback('?integration=slack&status=weird'), null);
  assert.equal(parseCallback('?integration=slack&status=pending_completion&completion=short'), null);
  assert.equal(parseCallback('?integration=slack&status=pending_completion'), null);
  // an error code that is not a code is not shown as it came
  assert.equal(parseCallback('?integration=slack&status=error&error=<script>').error, 'authorization_failed');
  assert.equal(parseCallback('?integration=slack&status=error').error, 'authorization_failed');
});

test('the callback parameters are removed, the rest of the address kept', () => {
  assert.ok(hasCallbackParams('?status=active'));
  assert.ok(!hasCallbackParams('?tab=1'));
  assert.equal(
    withoutCallbackParams(`https://app.example.com/settings?tab=1&integration=slack&status=pending_completion&completion=${HANDLE}#top`),
    '/settings?tab=1#top',
  );
  assert.equal(withoutCallbackParams('https://app.example.com/s?integration=x&status=error&error=e'), '/s');
});

test('mergeCatalogue joins the catalogue with the connections', () => {
  const merged = mergeCatalogue([OIDC, SLACK], [{ provider: 'slack', status: 'active', scopes: ['chat:write'] }]);
  assert.equal(merged[0].status, null);
  assert.equal(merged[0].connected, false);
  assert.equal(merged[1].status, 'active');
  assert.equal(merged[1].connected, true);
  assert.deepEqual(merged[1].connection.scopes, ['chat:write']);
  assert.deepEqual(mergeCatalogue(undefined, undefined), []);
});

test('filterProviders: only, query, category', () => {
  const all = [OIDC, SLACK, GITHUB];
  assert.deepEqual(filterProviders(all, { only: ['github', 'slack', 'nope'] }).map((p) => p.id), ['github', 'slack']);
  assert.deepEqual(filterProviders(all, { query: ' git ' }).map((p) => p.id), ['github']);
  assert.deepEqual(filterProviders(all, { query: 'OPENID' }).map((p) => p.id), ['generic_oidc']);
  assert.deepEqual(filterProviders(all, { category: 'chat' }).map((p) => p.id), ['slack']);
  assert.deepEqual(filterProviders(all, { query: 'zzz' }), []);
  assert.deepEqual(categoriesOf(all), ['chat', 'developer', 'generic']);
});

test('statusText and reasonText are words, not colours', () => {
  assert.equal(statusText('active'), 'Connected');
  assert.equal(statusText('pending_setup'), 'Sign-in needed');
  assert.equal(statusText('error'), 'Error');
  assert.equal(statusText(null), 'Not connected');
  assert.equal(reasonText('access_denied'), 'access was declined at the provider. (reason: access_denied)');
  assert.equal(reasonText('something_new'), 'the connection failed. (reason: something_new)');
  assert.equal(reasonText('<b>'), 'the connection failed. (reason: authorization_failed)');
});

test('validateField applies the field rules', () => {
  const [clientId, , issuer, method, subdomain] = OIDC.fields;
  assert.equal(validateField(clientId, ''), 'Client ID is required.');
  assert.equal(validateField(clientId, '  abc  '), null);
  assert.equal(validateField(clientId, '123456789'), 'Client ID must be at most 8 characters.');
  assert.equal(validateField(issuer, 'ftp://x'), 'Issuer URL must be a URL such as https://login.example.com.');
  assert.equal(validateField(issuer, 'not a url'), 'Issuer URL must be a URL such as https://login.example.com.');
  assert.equal(validateField(issuer, 'http://127.0.0.1:4000'), null);
  assert.equal(validateField(method, 'none'), 'Client authentication must be one of: client_secret_basic, client_secret_post.');
  assert.equal(validateField(method, ''), null);
  assert.equal(validateField(subdomain, 'Acme!'), 'Subdomain has an invalid format (example: acme).');
  assert.equal(validateField(subdomain, 'acme'), null);
  assert.equal(validateField(subdomain, ''), null);
  const strings = mergeStrings({ fieldRequired: '{label} fehlt.' });
  assert.equal(validateField(clientId, '', strings), 'Client ID fehlt.');
});

test('scopes: ticked plus typed, checked, initial choice', () => {
  assert.deepEqual(chosenScopes(['profile'], ' email  profile custom:read '), ['profile', 'email', 'custom:read']);
  assert.deepEqual(chosenScopes([], ''), []);
  assert.equal(invalidScope(['ok', 'has"quote']), 'has"quote');
  assert.equal(invalidScope(['a:b', 'c/d']), null);
  const field = OIDC.fields[5];
  assert.deepEqual([...initialScopes(field, undefined)], ['openid', 'email']);
  assert.deepEqual([...initialScopes(field, ['profile'])], ['openid', 'profile']);
  assert.deepEqual([...initialScopes(field, [])], ['openid']);
});

test('buildSaveBody sends only the provider fields, without empty values', () => {
  const body = buildSaveBody(
    OIDC,
    { client_id: ' id ', client_secret: 's3cr3t', issuer: 'http://127.0.0.1:4000', subdomain: '', stray: 'x' },
    { scopes: ['profile'] },
  );
  assert.deepEqual(body, {
    provider: 'generic_oidc',
    credentials: { client_id: 'id', client_secret: 's3cr3t', issuer: 'http://127.0.0.1:4000' },
    scopes: ['profile'],
  });
  assert.deepEqual(buildSaveBody(OIDC, {}, {}), { provider: 'generic_oidc', credentials: {} });
});

test('requestHeaders: Authorization only with a token', () => {
  assert.deepEqual(requestHeaders({}), { Accept: 'application/json' });
  assert.deepEqual(requestHeaders({ token: '' }), { Accept: 'application/json' });
  assert.deepEqual(requestHeaders({ token: 'jwt', json: true }), {
    Accept: 'application/json', Authorization: 'Bearer jwt', 'Content-Type': 'application/json',
  });
  assert.deepEqual(requestHeaders({ extra: { 'X-Org-Id': 'acme', 'X-Org-Role': '' } }), {
    Accept: 'application/json', 'X-Org-Id': 'acme',
  });
});

test('apiError shows the API message and the field reasons', () => {
  const error = apiError(422, {
    error: { code: 'validation_error', message: 'Check these fields: issuer.', details: { fields: { issuer: 'is not reachable' } } },
  });
  assert.ok(error instanceof ApiError);
  assert.equal(error.code, 'validation_error');
  assert.equal(error.message, 'Check these fields: issuer.');
  assert.deepEqual(error.fields, { issuer: 'is not reachable' });
  assert.deepEqual(error.toDetail(), { status: 422, code: 'validation_error', message: 'Check these fields: issuer.', fields: { issuer: 'is not reachable' } });
  const bare = apiError(502, null);
  assert.equal(bare.code, 'http_502');
  assert.equal(bare.message, 'The API answered 502.');
  assert.equal(bare.fields, null);
});

test('checkedAuthorizeUrl follows http(s) only', () => {
  assert.equal(checkedAuthorizeUrl('https://idp.example.com/auth?x=1'), 'https://idp.example.com/auth?x=1');
  assert.throws(() => checkedAuthorizeUrl('javascript:alert(1)'), (error) => error.code === 'bad_authorize_url');
  assert.throws(() => checkedAuthorizeUrl(undefined), ApiError);
});

function fakeFetch(answers) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, ...init });
    const [status, body] = answers.shift();
    return {
      ok: status >= 200 && status < 300,
      status,
      headers: { get: (name) => (name.toLowerCase() === 'content-type' && body !== undefined ? 'application/json' : null) },
      json: async () => body,
    };
  };
  return { fetch, calls };
}

test('createApi: the token is asked for each call, omitted when there is none; the catalogue has none', async () => {
  const { fetch, calls } = fakeFetch([[200, { providers: [] }], [200, { integrations: [] }], [200, { integrations: [] }]]);
  let token = 'jwt-1';
  const api = createApi({ base: 'https://api.example.com/', getToken: async () => token, fetch });
  await api.providers();
  await api.integrations();
  token = null;
  await api.integrations();
  assert.equal(calls[0].url, 'https://api.example.com/providers');
  assert.equal(calls[0].headers.Authorization, undefined);
  assert.equal(calls[1].headers.Authorization, 'Bearer jwt-1');
  assert.equal('Authorization' in calls[2].headers, false);
});

test('createApi: start asks for JSON with return_to; complete and save post JSON; disconnect encodes', async () => {
  const { fetch, calls } = fakeFetch([
    [200, { authorize_url: 'https://idp.example.com/auth' }],
    [200, { integration: 'slack', status: 'active' }],
    [200, { id: 'slack', status: 'pending_setup' }],
    [204, undefined],
  ]);
  const api = createApi({ getHeaders: async () => ({ 'X-Org-Id': 'acme' }), fetch });
  assert.deepEqual(await api.start('slack', '/settings'), { authorize_url: 'https://idp.example.com/auth' });
  assert.equal(calls[0].url, '/oauth/start?provider=slack&return_to=%2Fsettings');
  assert.equal(calls[0].method, 'GET');
  assert.equal(calls[0].headers.Accept, 'application/json');
  assert.equal(calls[0].headers['X-Org-Id'], 'acme');
  assert.equal(calls[0].credentials, 'include');
  await api.complete(HANDLE);
  assert.equal(calls[1].method, 'POST');
  assert.equal(calls[1].body, JSON.stringify({ completion: HANDLE }));
  assert.equal(calls[1].headers['Content-Type'], 'application/json');
  await api.save({ provider: 'slack', credentials: {} });
  assert.equal(calls[2].url, '/integrations');
  assert.equal(await api.disconnect('a/b'), null);
  assert.equal(calls[3].url, '/integrations/a%2Fb');
  assert.equal(calls[3].method, 'DELETE');
});

test('createApi: errors carry the API code and message; a network failure says so', async () => {
  const { fetch } = fakeFetch([[403, { error: { code: 'forbidden', message: 'Only an org admin may do this.' } }]]);
  const api = createApi({ fetch });
  await assert.rejects(api.integrations(), (error) => error.code === 'forbidden' && error.message === 'Only an org admin may do this.' && error.status === 403);
  const offline = createApi({ fetch: async () => { throw new TypeError('Failed to fetch'); } });
  await assert.rejects(offline.providers(), (error) => error.code === 'network_error' && error.message === DEFAULT_STRINGS.networkError);
  const signedOut = createApi({ getToken: async () => { throw new Error('session expired: secret-ish detail'); }, fetch });
  await assert.rejects(signedOut.integrations(), (error) => error.code === 'token_unavailable' && error.message === DEFAULT_STRINGS.tokenFailed);
});

test('the typings list exactly the strings of DEFAULT_STRINGS', async () => {
  const typings = await readFile(new URL('../src/byoc-connect.d.ts', import.meta.url), 'utf8');
  const block = typings.slice(typings.indexOf('export interface ByocStrings {'), typings.indexOf('export type ByocStringOverrides'));
  const typed = [...block.matchAll(/^\s+readonly (\w+):/gm)].map((match) => match[1]).sort();
  assert.deepEqual(typed, Object.keys(DEFAULT_STRINGS).sort());
});

test('every string the element uses is in DEFAULT_STRINGS', async () => {
  const source = await readFile(new URL('../src/byoc-connect.js', import.meta.url), 'utf8');
  const element = source.slice(source.indexOf('export class ByocConnect'));
  const used = new Set([...element.matchAll(/\b(?:s|this\._strings)\.(\w+)/g)].map((match) => match[1]));
  assert.ok(used.size > 30, `only ${used.size} strings found: the pattern no longer matches the code`);
  for (const key of used) assert.ok(key in DEFAULT_STRINGS, `strings.${key} is used but not defined`);
});

test('the dialog says how each grant connects', () => {
  const cc = dialogTexts({ name: 'Zoom', auth_type: 'oauth2_cc', grant: 'client_credentials' });
  assert.equal(cc.submit, 'Save and connect');
  assert.match(cc.intro, /Saving connects/);
  assert.match(cc.intro, /Zoom/);
  const code = dialogTexts({ name: 'Zendesk', auth_type: 'oauth2', grant: 'authorization_code' });
  assert.equal(code.submit, 'Save and sign in');
  assert.match(code.intro, /redirect URI/);
  const key = dialogTexts({ name: 'SendGrid', auth_type: 'api_key', grant: null });
  assert.equal(key.submit, 'Save');
  assert.match(key.intro, /checked and encrypted/);
  const french = dialogTexts({ name: 'Zoom', grant: 'client_credentials' }, mergeStrings({ saveAndFetch: 'Enregistrer' }));
  assert.equal(french.submit, 'Enregistrer');
});
