// <byoc-connect>: connect an organization's own OAuth app (or API key) to a provider, from any frontend.
//
// One ES module, no dependencies, no build step: a custom element with a shadow root. It talks to the
// BYOC API (docs/api.md) with fetch():
//   GET    /providers                          the catalogue: each provider's form fields and redirect URI
//   GET    /integrations                       this org's connections
//   POST   /integrations                       save {provider, credentials, scopes?, user_scopes?}
//   GET    /oauth/start?provider=&return_to=   with Accept: application/json -> {authorize_url}
//   POST   /oauth/complete                     {completion} after a ?status=pending_completion callback
//   DELETE /integrations/{provider}            disconnect
// and reads what the OAuth callback appends when it sends the browser back
// (?integration=<id>&status=active|error|pending_completion[&error=<code>][&completion=<handle>]),
// shows it, and removes it from the address.
//
// Everything above the "custom element" line is pure (no DOM, no window) and exported for tests and
// for frontends that want the same rules without the element. Nothing typed into a form is kept after
// saving, put in an event or written to storage.

/** Every user-visible string. Override any of them with the element's `strings` property. */
export const DEFAULT_STRINGS = Object.freeze({
  loading: 'Loading integrations…',
  loadFailed: 'Could not load the integrations: {message}',
  searchLabel: 'Find a service',
  searchPlaceholder: 'Slack, GitHub, OpenID…',
  categoryLabel: 'Category',
  allCategories: 'All categories',
  noMatch: 'No service matches your search.',
  countShown: '{count} of {total} services',
  statusActive: 'Connected',
  statusPendingSetup: 'Sign-in needed',
  statusError: 'Error',
  statusNone: 'Not connected',
  connect: 'Connect',
  connectProvider: 'Connect {name}',
  edit: 'Edit',
  editProvider: 'Edit {name}',
  signIn: 'Sign in',
  signInProvider: 'Sign in to {name}',
  reconnect: 'Reconnect',
  reconnectProvider: 'Reconnect {name}',
  disconnect: 'Disconnect',
  disconnectProvider: 'Disconnect {name}',
  confirmDisconnect:
    'Disconnect {name}? Its tokens are revoked at the provider where possible, and the saved credentials are deleted.',
  dialogConnect: 'Connect {name}',
  dialogEdit: 'Update {name}',
  introOAuth:
    "Register an OAuth app at {name} with the redirect URI below, then paste the app's client ID and secret here. " +
    'After saving, you sign in at {name} to approve access.',
  introKey: 'Paste the credentials from {name}. They are checked and encrypted when you save.',
  introClientCredentials:
    "Create a server-to-server app at {name}, then paste its client ID and secret here. " +
    'Saving connects: a token is fetched with them at once, so a wrong secret is caught now.',
  introReplace: 'Saving replaces what is stored: enter the secret fields again.',
  redirectLabel: 'Redirect URI to register in your OAuth app',
  copy: 'Copy',
  copyRedirect: 'Copy the redirect URI',
  copied: 'Copied to the clipboard.',
  copyFailed: 'Select the address and copy it yourself.',
  optional: '(optional)',
  requiredMark: '(required)',
  alwaysAsked: '(always asked)',
  alwaysAskedList: 'Always asked: {scopes}',
  otherScopes: 'Other scopes',
  otherScopesHelp: 'Separated by spaces.',
  notSet: '(not set)',
  showSecret: 'Show',
  hideSecret: 'Hide',
  providerDocs: 'Provider documentation',
  cancel: 'Cancel',
  close: 'Close',
  save: 'Save',
  saveAndConnect: 'Save and sign in',
  saveAndFetch: 'Save and connect',
  saving: 'Saving…',
  opening: 'Opening {name}…',
  checkField: 'Check the highlighted field.',
  checkFields: 'Check the {count} highlighted fields.',
  fieldRequired: '{label} is required.',
  fieldTooLong: '{label} must be at most {max} characters.',
  fieldOption: '{label} must be one of: {options}.',
  fieldPattern: '{label} has an invalid format.',
  fieldPatternExample: '{label} has an invalid format (example: {example}).',
  fieldUrl: '{label} must be a URL such as https://login.example.com.',
  fieldScope: '{label}: "{scope}" is not a valid scope.',
  fieldServer: '{label}: {message}',
  saved: '{name}: credentials saved.',
  connected: '{name} is connected.',
  connectFailed: 'Could not connect {name}: {reason}',
  startFailed: 'Could not start signing in to {name}: {message}',
  disconnected: '{name} is disconnected.',
  disconnectFailed: 'Could not disconnect {name}: {message}',
  networkError: 'The API could not be reached.',
  tokenFailed: 'Your sign-in could not be read: sign in again.',
  httpError: 'The API answered {status}.',
  badAuthorizeUrl: 'The API returned an unusable sign-in address.',
  reasonCode: '(reason: {code})',
  reasons: Object.freeze({
    access_denied: 'access was declined at the provider.',
    invalid_client: 'the provider rejected the client ID or secret.',
    invalid_grant: 'the provider refused the authorization (expired, already used, or a redirect URI mismatch).',
    invalid_scope: 'the provider refused the requested scopes.',
    unauthorized_client: 'the provider does not allow this app to use this flow.',
    server_error: 'the provider had an internal error. Try again.',
    temporarily_unavailable: 'the provider is temporarily unavailable. Try again shortly.',
    browser_binding_failed: 'the sign-in finished in another browser, or its cookie was blocked. Start again.',
    credentials_changed: 'the credentials changed while you were signing in. Sign in again.',
    issuer_mismatch: 'the answer came from another issuer than the one configured.',
    invalid_completion: 'the sign-in took too long or was already completed. Start again.',
    flow_not_yours: 'only the user who started this connection may complete it.',
    provider_unavailable: 'the provider could not be reached.',
    provider_timeout: 'the provider took too long to answer.',
    storage_failed: 'the tokens could not be stored. Sign in again.',
    service_unavailable: 'the service was briefly unavailable. Connect again in a moment.',
  }),
  reasonUnknown: 'the connection failed.',
});

export const EVENTS = Object.freeze({
  saved: 'byoc:saved',
  connected: 'byoc:connected',
  error: 'byoc:error',
  disconnected: 'byoc:disconnected',
});

const CALLBACK_PARAMS = ['integration', 'status', 'error', 'completion'];
const PROVIDER_ID = /^[a-z0-9_-]{1,64}$/;
const COMPLETION = /^[A-Za-z0-9_-]{43}$/;
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3: visible ASCII but " and \

/** The strings with `overrides` on top (nested `reasons` merged too); unknown keys are kept. */
/**
 * The dialog's intro and submit label for an entry: a browser grant signs in after saving, a
 * client-credentials app is connected by the save itself, a key entry is just saved.
 */
export function dialogTexts(item, strings = DEFAULT_STRINGS) {
  if (item.grant === 'client_credentials') {
    return { intro: format(strings.introClientCredentials, { name: item.name }), submit: strings.saveAndFetch };
  }
  if (item.auth_type === 'oauth2') {
    return { intro: format(strings.introOAuth, { name: item.name }), submit: strings.saveAndConnect };
  }
  return { intro: format(strings.introKey, { name: item.name }), submit: strings.save };
}

export function mergeStrings(overrides) {
  const extra = overrides && typeof overrides === 'object' ? overrides : {};
  return Object.freeze({
    ...DEFAULT_STRINGS,
    ...extra,
    reasons: Object.freeze({ ...DEFAULT_STRINGS.reasons, ...(extra.reasons || {}) }),
  });
}

/** "{name} is connected." with {name: "Slack"} -> "Slack is connected."; unknown placeholders stay. */
export function format(template, values = {}) {
  return String(template).replace(/\{(\w+)\}/g, (whole, key) =>
    Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole,
  );
}

/** "slack, github ,," -> ["slack", "github"] (a `providers` attribute). */
export function parseProviderList(value) {
  if (Array.isArray(value)) return value.map((id) => String(id).trim()).filter(Boolean);
  return String(value || '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
}

/** The API base without trailing slashes joined with an absolute path ("" base: the page's origin). */
export function joinUrl(base, path) {
  return String(base || '').replace(/\/+$/, '') + path;
}

/**
 * What the OAuth callback appended to the address (`location.search`), checked: null when there is
 * nothing, or nothing usable. {provider, status: "active"|"error"|"pending_completion", error?, completion?}
 */
export function parseCallback(search) {
  const params = new URLSearchParams(search || '');
  const provider = params.get('integration');
  const status = params.get('status');
  if (provider === null && status === null) return null;
  if (!provider || !PROVIDER_ID.test(provider)) return null;
  if (status === 'pending_completion') {
    const completion = params.get('completion');
    return completion && COMPLETION.test(completion) ? { provider, status, completion } : null;
  }
  if (status === 'active') return { provider, status };
  if (status === 'error') {
    const error = params.get('error');
    return { provider, status, error: error && CODE.test(error) ? error : 'authorization_failed' };
  }
  return null;
}

/** True when `search` carries any of the callback's parameters. */
export function hasCallbackParams(search) {
  const params = new URLSearchParams(search || '');
  return CALLBACK_PARAMS.some((name) => params.has(name));
}

/** `href` without the callback's parameters (the rest of the query and the fragment kept). */
export function withoutCallbackParams(href) {
  const url = new URL(href);
  for (const name of CALLBACK_PARAMS) url.searchParams.delete(name);
  const query = url.searchParams.toString();
  return url.pathname + (query ? `?${query}` : '') + url.hash;
}

/** The catalogue joined with this org's connections (by provider id); never-saved ones get status null. */
export function mergeCatalogue(providers, integrations) {
  const byProvider = new Map((integrations || []).map((item) => [item.provider, item]));
  return (providers || []).map((entry) => {
    const connection = byProvider.get(entry.id) || null;
    return {
      ...entry,
      connection,
      status: connection ? connection.status : null,
      connected: Boolean(connection && connection.status === 'active'),
    };
  });
}

/** The sorted distinct categories of `providers`. */
export function categoriesOf(providers) {
  return [...new Set((providers || []).map((item) => item.category).filter(Boolean))].sort();
}

/** Providers limited to `only` (ids, in that order when given), matching `query` (name or id) and `category`. */
export function filterProviders(providers, { only = [], query = '', category = '' } = {}) {
  let list = providers || [];
  if (only.length) {
    const byId = new Map(list.map((item) => [item.id, item]));
    list = only.map((id) => byId.get(id)).filter(Boolean);
  }
  const needle = String(query).trim().toLowerCase();
  return list.filter(
    (item) =>
      (!category || item.category === category) &&
      (!needle || item.name.toLowerCase().includes(needle) || item.id.toLowerCase().includes(needle)),
  );
}

/** The label of a connection status (text, so that it is never colour alone). */
export function statusText(status, strings = DEFAULT_STRINGS) {
  if (status === 'active') return strings.statusActive;
  if (status === 'pending_setup') return strings.statusPendingSetup;
  if (status === 'error') return strings.statusError;
  return strings.statusNone;
}

/** Why a flow failed, in words, with its code. */
export function reasonText(code, strings = DEFAULT_STRINGS) {
  const safe = code && CODE.test(code) ? code : 'authorization_failed';
  const words = (strings.reasons && strings.reasons[safe]) || strings.reasonUnknown;
  return `${words} ${format(strings.reasonCode, { code: safe })}`;
}

function compilePattern(source) {
  for (const flags of ['v', 'u', '']) {
    try {
      return new RegExp(`^(?:${source})$`, flags);
    } catch {
      // try the next flavour; a pattern none accepts is left to the server
    }
  }
  return null;
}

/** The API's own rules for one (non-scopes) field, checked first: an error message, or null. */
export function validateField(field, raw, strings = DEFAULT_STRINGS) {
  const value = String(raw ?? '').trim();
  const label = field.label || field.name;
  if (!value) return field.required && field.default == null ? format(strings.fieldRequired, { label }) : null;
  if (field.max_length && value.length > field.max_length) {
    return format(strings.fieldTooLong, { label, max: field.max_length });
  }
  if (Array.isArray(field.options) && field.options.length && !field.options.includes(value)) {
    return format(strings.fieldOption, { label, options: field.options.join(', ') });
  }
  if (field.pattern) {
    const pattern = compilePattern(field.pattern);
    if (pattern && !pattern.test(value)) {
      return field.example
        ? format(strings.fieldPatternExample, { label, example: field.example })
        : format(strings.fieldPattern, { label });
    }
  }
  if (field.type === 'url') {
    let url = null;
    try {
      url = new URL(value);
    } catch {
      url = null;
    }
    if (!url || !['https:', 'http:'].includes(url.protocol)) return format(strings.fieldUrl, { label });
  }
  return null;
}

/** The scopes picked for a scopes field: ticked known ones plus typed ones, without duplicates. */
export function chosenScopes(checked, typed) {
  const extra = String(typed || '')
    .split(/\s+/)
    .filter(Boolean);
  return [...new Set([...(checked || []), ...extra])];
}

/** The first typed scope that is not a scope token, or null. */
export function invalidScope(scopes) {
  return (scopes || []).find((scope) => !SCOPE_TOKEN.test(scope)) || null;
}

/** The initial choice of a scopes field: the saved one, else the entry's default, plus required ones. */
export function initialScopes(field, saved) {
  const chosen = Array.isArray(saved) ? saved : field.default || [];
  return new Set([...(field.required_scopes || []), ...chosen]);
}

/**
 * The POST /integrations body: `values` maps field names to strings (empty ones left out), `scopes`
 * maps scopes-field names (scopes, user_scopes) to lists; only the provider's own fields are sent.
 */
export function buildSaveBody(provider, values, scopes = {}) {
  const credentials = {};
  const body = { provider: provider.id, credentials };
  for (const field of provider.fields || []) {
    if (field.type === 'scopes') {
      if (Array.isArray(scopes[field.name])) body[field.name] = [...scopes[field.name]];
      continue;
    }
    const value = String(values[field.name] ?? '').trim();
    if (value) credentials[field.name] = value;
  }
  return body;
}

/** The request headers: Authorization only when there is a token; `extra` ones (local development) added. */
export function requestHeaders({ token, extra, json = false } = {}) {
  const headers = { Accept: 'application/json' };
  for (const [name, value] of Object.entries(extra || {})) {
    if (value !== undefined && value !== null && value !== '') headers[name] = String(value);
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json) headers['Content-Type'] = 'application/json';
  return headers;
}

/** An error of the API, by its {"error": {code, message, details}} body; `fields` from a validation_error. */
export class ApiError extends Error {
  constructor(status, code, message, fields = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** What an event may carry: never a value the user typed (the API never echoes them either). */
  toDetail() {
    return { status: this.status, code: this.code, message: this.message, fields: this.fields };
  }
}

/** The ApiError for a failed answer: its message shown as the API wrote it, or a generic one. */
export function apiError(status, body, strings = DEFAULT_STRINGS) {
  const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : {};
  const code = typeof error.code === 'string' && CODE.test(error.code) ? error.code : `http_${status}`;
  const message =
    typeof error.message === 'string' && error.message ? error.message : format(strings.httpError, { status });
  const raw = error.details && typeof error.details.fields === 'object' ? error.details.fields : null;
  const fields = raw ? Object.fromEntries(Object.entries(raw).map(([name, text]) => [name, String(text)])) : null;
  return new ApiError(status, code, message, fields);
}

/** Only http(s) sign-in addresses are followed. */
export function checkedAuthorizeUrl(value, strings = DEFAULT_STRINGS) {
  let url = null;
  try {
    url = new URL(String(value));
  } catch {
    url = null;
  }
  if (!url || !['https:', 'http:'].includes(url.protocol)) throw new ApiError(0, 'bad_authorize_url', strings.badAuthorizeUrl);
  return url.href;
}

/**
 * A small client for the API. `getToken` (async, may return nothing: no Authorization header),
 * `getHeaders` (async, extra headers such as the local server's X-Org-Id), `fetch` (for tests).
 */
export function createApi({ base = '', getToken, getHeaders, fetch: fetchImpl, strings = DEFAULT_STRINGS } = {}) {
  const doFetch = fetchImpl || ((...args) => globalThis.fetch(...args));

  async function call(method, path, { body, auth = true } = {}) {
    let token = null;
    let extra = null;
    try {
      token = auth && typeof getToken === 'function' ? await getToken() : null;
      extra = auth && typeof getHeaders === 'function' ? await getHeaders() : null;
    } catch {
      throw new ApiError(0, 'token_unavailable', strings.tokenFailed); // the page's own sign-in failed
    }
    let response;
    try {
      response = await doFetch(joinUrl(base, path), {
        method,
        headers: requestHeaders({ token, extra, json: body !== undefined }),
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'include', // the start answer may set the browser-binding cookie for the callback
      });
    } catch {
      throw new ApiError(0, 'network_error', strings.networkError);
    }
    let data = null;
    if ((response.headers.get('content-type') || '').includes('json')) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
    if (!response.ok) throw apiError(response.status, data, strings);
    return data;
  }

  return {
    providers: () => call('GET', '/providers', { auth: false }),
    integrations: () => call('GET', '/integrations'),
    save: (body) => call('POST', '/integrations', { body }),
    start: (provider, returnTo) => {
      const query = new URLSearchParams({ provider });
      if (returnTo) query.set('return_to', returnTo);
      return call('GET', `/oauth/start?${query}`);
    },
    complete: (completion) => call('POST', '/oauth/complete', { body: { completion } }),
    disconnect: (provider) => call('DELETE', `/integrations/${encodeURIComponent(provider)}`),
  };
}

// ---------------------------------------------------------------------------------- custom element

const STYLE = `
:host {
  --_font: var(--byoc-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --_text: var(--byoc-color-text, #1b1f24);
  --_muted: var(--byoc-color-muted, #57606a);
  --_bg: var(--byoc-color-bg, #ffffff);
  --_surface: var(--byoc-color-surface, #f6f8fa);
  --_border: var(--byoc-color-border, #8c959f);
  --_accent: var(--byoc-color-accent, #0b5cad);
  --_accent-text: var(--byoc-color-accent-text, #ffffff);
  --_ok: var(--byoc-color-ok, #116329);
  --_warn: var(--byoc-color-warn, #7d4e00);
  --_bad: var(--byoc-color-bad, #a40e26);
  --_focus: var(--byoc-color-focus, #0969da);
  --_radius: var(--byoc-radius, 8px);
  --_space: var(--byoc-space, 1rem);
  display: block;
  font-family: var(--_font);
  color: var(--_text);
  line-height: 1.45;
}
[hidden] { display: none !important; }
* { box-sizing: border-box; }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
button, input, select { font: inherit; color: inherit; }
:focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }
.button { border: 1px solid var(--_border); background: var(--_bg); color: var(--_text); border-radius: var(--_radius);
  padding: .4em .9em; cursor: pointer; }
.button--primary { background: var(--_accent); border-color: var(--_accent); color: var(--_accent-text); }
.button--danger { color: var(--_bad); border-color: var(--_bad); }
.button[disabled] { opacity: .65; cursor: progress; }
.status { margin: 0 0 var(--_space); padding: .6em .9em; border-radius: var(--_radius); border-left: 4px solid var(--_border);
  background: var(--_surface); }
/* Collapsed, not display:none, while empty: a live region must stay in the accessibility tree to be announced. */
.status:empty { padding: 0; margin: 0; border: 0; }
.status[data-tone="ok"] { border-left-color: var(--_ok); }
.status[data-tone="bad"] { border-left-color: var(--_bad); }
.status[data-tone="ok"]::before { content: "✓ "; color: var(--_ok); }
.status[data-tone="bad"]::before { content: "✕ "; color: var(--_bad); }
.toolbar { display: flex; flex-wrap: wrap; gap: var(--_space); align-items: end; margin-bottom: var(--_space); }
.toolbar label, .field > label, legend { display: block; font-weight: 600; margin-bottom: .25em; }
.toolbar input, .toolbar select, .field input, .field select { border: 1px solid var(--_border); border-radius: var(--_radius);
  padding: .4em .6em; background: var(--_bg); min-width: 14em; }
.field input[type=checkbox] { min-width: 0; }
.count { color: var(--_muted); margin: 0 0 .5em; }
.list { list-style: none; margin: 0; padding: 0; display: grid; gap: calc(var(--_space) / 2);
  grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
.card { border: 1px solid var(--_border); border-radius: var(--_radius); padding: calc(var(--_space) * .75); background: var(--_bg);
  display: flex; flex-direction: column; gap: .5em; }
.card h3 { margin: 0; font-size: 1.05em; }
.card__meta { color: var(--_muted); margin: 0; font-size: .9em; }
.card__actions { display: flex; flex-wrap: wrap; gap: .5em; margin-top: auto; }
.badge { display: inline-block; font-size: .85em; border: 1px solid currentColor; border-radius: 999px; padding: 0 .6em; }
.badge[data-status="active"] { color: var(--_ok); }
.badge[data-status="pending_setup"] { color: var(--_warn); }
.badge[data-status="error"] { color: var(--_bad); }
.badge[data-status="none"] { color: var(--_muted); }
.badge[data-status="active"]::before { content: "✓ "; }
.badge[data-status="error"]::before { content: "! "; }
.note { margin: 0; font-size: .9em; color: var(--_bad); }
dialog { border: 1px solid var(--_border); border-radius: var(--_radius); padding: 0; max-width: min(40rem, 95vw); width: 100%;
  color: var(--_text); background: var(--_bg); }
dialog::backdrop { background: rgb(0 0 0 / .45); }
form { display: flex; flex-direction: column; }
.dialog__head, .dialog__body, .dialog__foot { padding: var(--_space); }
.dialog__head { display: flex; justify-content: space-between; align-items: start; border-bottom: 1px solid var(--_border); }
.dialog__head h2 { margin: 0; font-size: 1.2em; }
.dialog__foot { display: flex; gap: .5em; justify-content: end; align-items: center; border-top: 1px solid var(--_border); }
.dialog__foot a { margin-right: auto; color: var(--_accent); }
.field { margin: 0 0 var(--_space); border: 0; padding: 0; }
.field input:not([type=checkbox]), .field select { width: 100%; }
.field__help { margin: .25em 0 0; color: var(--_muted); font-size: .9em; }
.field__error, .form-error { color: var(--_bad); margin: .25em 0 0; font-weight: 600; }
.form-error { margin: 0 0 var(--_space); }
.field__row { display: flex; gap: .5em; }
[aria-invalid="true"] { border-color: var(--_bad) !important; border-width: 2px !important; }
.scopes__list { list-style: none; margin: 0; padding: 0; display: grid; gap: .35em; }
.scope { display: grid; grid-template-columns: auto 1fr; gap: 0 .5em; align-items: baseline; }
.scope__desc { grid-column: 2; color: var(--_muted); font-size: .9em; }
.redirect { margin: 0 0 var(--_space); padding: .75em; background: var(--_surface); border-radius: var(--_radius); }
.redirect__row { display: flex; gap: .5em; }
.redirect__row input { flex: 1; font-family: ui-monospace, monospace; font-size: .9em; }
.redirect__status { margin: .25em 0 0; font-size: .9em; color: var(--_muted); min-height: 1em; }
`;

const Base = typeof HTMLElement === 'undefined' ? class {} : HTMLElement;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked') node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

const PROPERTIES = ['apiBase', 'getToken', 'getHeaders', 'providers', 'provider', 'strings', 'returnTo', 'confirmDisconnect'];

export class ByocConnect extends Base {
  static get observedAttributes() {
    return ['api-base', 'providers', 'provider', 'return-to'];
  }

  constructor() {
    super();
    this._strings = DEFAULT_STRINGS;
    this._getToken = null;
    this._getHeaders = null;
    this._confirm = null;
    this._items = [];
    this._loaded = false;
    this._busy = false;
    this._dialogItem = null;
    this._trigger = null;
    this._started = false;
    this._reloadQueued = false;
    this._loadSeq = 0;
  }

  // ------------------------------------------------------------------ properties

  get apiBase() {
    return this.getAttribute('api-base') || '';
  }
  set apiBase(value) {
    this.setAttribute('api-base', value == null ? '' : String(value));
  }
  get providers() {
    return parseProviderList(this.getAttribute('providers'));
  }
  set providers(value) {
    this.setAttribute('providers', parseProviderList(value).join(','));
  }
  get provider() {
    return (this.getAttribute('provider') || '').trim();
  }
  set provider(value) {
    if (value) this.setAttribute('provider', String(value));
    else this.removeAttribute('provider');
  }
  get returnTo() {
    return this.getAttribute('return-to') || '';
  }
  set returnTo(value) {
    if (value) this.setAttribute('return-to', String(value));
    else this.removeAttribute('return-to');
  }
  /** async () => token | null: the bearer token for each request (no Authorization header without one). */
  get getToken() {
    return this._getToken;
  }
  set getToken(fn) {
    this._getToken = typeof fn === 'function' ? fn : null;
  }
  /** async () => {header: value}: extra headers (the local server's X-Org-Id, X-User-Id, X-Org-Role). */
  get getHeaders() {
    return this._getHeaders;
  }
  set getHeaders(fn) {
    this._getHeaders = typeof fn === 'function' ? fn : null;
  }
  /** async (provider) => boolean: asked before disconnecting (default: window.confirm). */
  get confirmDisconnect() {
    return this._confirm;
  }
  set confirmDisconnect(fn) {
    this._confirm = typeof fn === 'function' ? fn : null;
  }
  get strings() {
    return this._strings;
  }
  set strings(value) {
    this._strings = mergeStrings(value);
    if (this._root) this._renderShell();
  }

  /** Only these providers: the `provider` attribute, else the `providers` list (empty: all). */
  get _only() {
    return this.provider ? [this.provider] : this.providers;
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (oldValue === newValue || !this._started) return;
    if (name === 'api-base') this._queueReload();
    else if (name === 'provider') this._renderShell();
    else if (name === 'providers') this._render();
  }

  connectedCallback() {
    // Properties set before the element was defined sit on the instance and hide the accessors.
    for (const name of PROPERTIES) {
      if (Object.prototype.hasOwnProperty.call(this, name)) {
        const value = this[name];
        delete this[name];
        this[name] = value;
      }
    }
    if (!this._root) {
      this._root = this.attachShadow({ mode: 'open' });
      this._renderShell();
    }
    if (!this._started) {
      this._started = true;
      // Deferred to a microtask: the page may still set getToken or strings right after adding the element.
      queueMicrotask(() => this._boot());
    }
  }

  /** Load again (after the page changed who is signed in, for example). */
  reload() {
    return this._load();
  }

  _api() {
    return createApi({
      base: this.apiBase,
      getToken: this._getToken,
      getHeaders: this._getHeaders,
      strings: this._strings,
    });
  }

  _queueReload() {
    if (this._reloadQueued) return;
    this._reloadQueued = true;
    queueMicrotask(() => {
      this._reloadQueued = false;
      this._load();
    });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  _emitError(step, provider, error) {
    const detail = error instanceof ApiError ? error.toDetail() : { status: 0, code: 'error', message: String(error?.message || error) };
    this._emit(EVENTS.error, { step, provider, ...detail });
  }

  // ------------------------------------------------------------------ boot: the callback, then the list

  async _boot() {
    const outcome = await this._readCallback();
    await this._load();
    if (outcome) this._showOutcome(outcome);
  }

  // The callback's parameters, when they are for one of this element's providers: read once, removed.
  async _readCallback() {
    const { location, history } = window;
    if (!hasCallbackParams(location.search)) return null;
    const result = parseCallback(location.search);
    const only = this._only;
    if (result && only.length && !only.includes(result.provider)) return null; // another element's
    history.replaceState(history.state, '', withoutCallbackParams(location.href));
    if (!result) return null;
    if (result.status !== 'pending_completion') return result;
    try {
      const answer = await this._api().complete(result.completion);
      return { provider: result.provider, status: answer.status, error: answer.error };
    } catch (error) {
      return { provider: result.provider, status: 'error', error: error.code, message: error.message };
    }
  }

  _showOutcome(outcome) {
    const name = this._nameOf(outcome.provider);
    if (outcome.status === 'active') {
      this._say('ok', format(this._strings.connected, { name }), true);
      this._emit(EVENTS.connected, { provider: outcome.provider, status: 'active' });
      return;
    }
    const reason = reasonText(outcome.error, this._strings);
    this._say('bad', format(this._strings.connectFailed, { name, reason }), true);
    this._emit(EVENTS.error, {
      step: 'callback',
      provider: outcome.provider,
      status: 0,
      code: outcome.error || 'authorization_failed',
      message: reason,
      fields: null,
    });
  }

  async _load() {
    const api = this._api();
    // Only the latest load is drawn: a reload (another user or org, say) may answer before an earlier one.
    const seq = ++this._loadSeq;
    this._list?.setAttribute('aria-busy', 'true');
    try {
      const [catalogue, mine] = await Promise.all([api.providers(), api.integrations()]);
      if (seq !== this._loadSeq) return;
      this._items = mergeCatalogue(catalogue?.providers, mine?.integrations);
      this._loaded = true;
      this._loadError = null;
    } catch (error) {
      if (seq !== this._loadSeq) return;
      this._items = [];
      this._loaded = false;
      this._loadError = format(this._strings.loadFailed, { message: error.message });
      this._emitError('load', null, error);
    }
    this._list?.setAttribute('aria-busy', 'false');
    this._render();
  }

  _nameOf(id) {
    return this._items.find((item) => item.id === id)?.name || id;
  }

  _find(id) {
    return this._items.find((item) => item.id === id) || null;
  }

  // ------------------------------------------------------------------ rendering

  _renderShell() {
    if (!this._root) return;
    const s = this._strings;
    const previousStatus = this._status ? { tone: this._status.dataset.tone, text: this._status.textContent } : null;
    this._status = el('div', { class: 'status', part: 'status', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true', tabindex: '-1' });
    if (previousStatus && previousStatus.text) {
      this._status.dataset.tone = previousStatus.tone || '';
      this._status.textContent = previousStatus.text;
    }
    this._list = el('div', { class: 'body', part: 'body', 'aria-busy': String(!this._loaded && !this._loadError) });
    const parts = [el('style', { text: STYLE }), this._status];
    if (!this.provider) {
      this._search = el('input', {
        id: 'byoc-search', type: 'search', part: 'search', autocomplete: 'off', placeholder: s.searchPlaceholder,
        value: this._search?.value || '', oninput: () => this._render(),
      });
      this._category = el('select', { id: 'byoc-category', part: 'category', onchange: () => this._render() });
      this._categoryBox = el('div', { hidden: true }, el('label', { for: 'byoc-category', text: s.categoryLabel }), this._category);
      this._categoryKey = null;
      this._count = el('p', { class: 'count', part: 'count', 'aria-live': 'polite' });
      parts.push(
        el('div', { class: 'toolbar', part: 'toolbar', role: 'search' },
          el('div', {}, el('label', { for: 'byoc-search', text: s.searchLabel }), this._search),
          this._categoryBox,
        ),
        this._count,
      );
    } else {
      this._search = null;
      this._category = null;
      this._count = null;
    }
    parts.push(this._list, this._buildDialog());
    this._root.replaceChildren(...parts);
    this._render();
  }

  _render() {
    if (!this._list) return;
    const s = this._strings;
    if (this._loadError) {
      this._list.replaceChildren(el('p', { class: 'form-error', part: 'error', role: 'alert', text: this._loadError }));
      return;
    }
    if (!this._loaded) {
      this._list.replaceChildren(el('p', { class: 'loading', text: s.loading }));
      return;
    }
    if (this.provider) {
      const item = this._find(this.provider);
      this._list.replaceChildren(item ? this._single(item) : el('p', { text: s.noMatch }));
      return;
    }
    const all = filterProviders(this._items, { only: this._only });
    this._fillCategories(categoriesOf(all));
    const shown = filterProviders(all, { query: this._search?.value || '', category: this._category?.value || '' });
    if (this._count) this._count.textContent = format(s.countShown, { count: shown.length, total: all.length });
    this._list.replaceChildren(
      shown.length
        ? el('ul', { class: 'list', part: 'list' }, ...shown.map((item) => this._card(item)))
        : el('p', { text: s.noMatch }),
    );
  }

  // The category choices of the providers shown (kept as they are while they do not change).
  _fillCategories(categories) {
    if (!this._category) return;
    const key = categories.join('\n');
    if (key === this._categoryKey) return;
    const current = this._category.value;
    this._categoryKey = key;
    this._category.replaceChildren(
      el('option', { value: '', text: this._strings.allCategories }),
      ...categories.map((name) => el('option', { value: name, text: name })),
    );
    this._category.value = categories.includes(current) ? current : '';
    this._categoryBox.hidden = categories.length < 2;
  }

  _badge(item) {
    const status = item.status || 'none';
    return el('span', { class: 'badge', part: `badge badge-${status}`, dataset: { status }, text: statusText(item.status, this._strings) });
  }

  _button(label, accessible, tone, action, item) {
    return el('button', {
      type: 'button',
      class: `button button--${tone}`,
      part: `button button-${tone}`,
      dataset: { action, provider: item.id },
      'aria-label': accessible === label ? undefined : accessible,
      text: label,
      onclick: (event) => this._onAction(event),
    });
  }

  _actions(item) {
    const s = this._strings;
    const name = item.name;
    const actions = [];
    if (!item.status) {
      actions.push(this._button(this.provider ? format(s.connectProvider, { name }) : s.connect, format(s.connectProvider, { name }), 'primary', 'connect', item));
      return actions;
    }
    if (item.auth_type === 'oauth2' && item.status !== 'active') {
      const again = item.status === 'error';
      actions.push(this._button(again ? s.reconnect : s.signIn, format(again ? s.reconnectProvider : s.signInProvider, { name }), 'primary', 'start', item));
    }
    actions.push(this._button(s.edit, format(s.editProvider, { name }), 'quiet', 'connect', item));
    actions.push(this._button(s.disconnect, format(s.disconnectProvider, { name }), 'danger', 'disconnect', item));
    return actions;
  }

  _note(item) {
    if (item.status !== 'error') return null;
    return el('p', { class: 'note', part: 'note', text: reasonText(item.connection?.status_reason, this._strings) });
  }

  _card(item) {
    const titleId = `byoc-card-${item.id}`;
    return el('li', { class: 'card', part: 'card', dataset: { provider: item.id, status: item.status || 'none' }, 'aria-labelledby': titleId },
      el('h3', { id: titleId, part: 'card-name', text: item.name }),
      el('p', { class: 'card__meta' }, this._badge(item), item.category ? ` · ${item.category}` : ''),
      this._note(item),
      el('div', { class: 'card__actions' }, ...this._actions(item)),
    );
  }

  _single(item) {
    return el('div', { class: 'single', part: 'single', dataset: { provider: item.id, status: item.status || 'none' } },
      item.status ? el('p', { class: 'card__meta' }, el('span', { text: `${item.name}: ` }), this._badge(item)) : null,
      this._note(item),
      el('div', { class: 'card__actions' }, ...this._actions(item)),
    );
  }

  _say(tone, text, focus = false) {
    if (!this._status) return;
    this._status.dataset.tone = tone;
    this._status.textContent = text;
    if (focus) this._status.focus();
  }

  _onAction(event) {
    const button = event.currentTarget;
    const item = this._find(button.dataset.provider);
    if (!item || this._busy) return;
    if (button.dataset.action === 'connect') this._openDialog(item, button);
    else if (button.dataset.action === 'start') this._start(item, button);
    else if (button.dataset.action === 'disconnect') this._disconnect(item, button);
  }

  _setBusy(busy, button) {
    this._busy = busy;
    if (button) {
      button.disabled = busy;
      button.setAttribute('aria-busy', String(busy));
    }
  }

  _refocus(providerId, actions) {
    for (const action of actions) {
      const target = this._root.querySelector(`button[data-provider="${CSS.escape(providerId)}"][data-action="${action}"]`);
      if (target) {
        target.focus();
        return;
      }
    }
    this._status?.focus();
  }

  // ------------------------------------------------------------------ start and disconnect

  async _start(item, button) {
    this._setBusy(true, button);
    try {
      const returnTo = this.returnTo || window.location.pathname || '/';
      const answer = await this._api().start(item.id, returnTo);
      const target = checkedAuthorizeUrl(answer?.authorize_url, this._strings);
      this._say('info', format(this._strings.opening, { name: item.name }));
      window.location.assign(target);
      return true;
    } catch (error) {
      this._setBusy(false, button);
      this._say('bad', format(this._strings.startFailed, { name: item.name, message: error.message }), !button);
      this._emitError('start', item.id, error);
      return false;
    }
  }

  async _disconnect(item, button) {
    const question = format(this._strings.confirmDisconnect, { name: item.name });
    const sure = this._confirm ? await this._confirm(item.id) : window.confirm(question);
    if (!sure) return;
    this._setBusy(true, button);
    try {
      await this._api().disconnect(item.id);
      this._say('ok', format(this._strings.disconnected, { name: item.name }));
      this._emit(EVENTS.disconnected, { provider: item.id });
    } catch (error) {
      this._say('bad', format(this._strings.disconnectFailed, { name: item.name, message: error.message }));
      this._emitError('disconnect', item.id, error);
    } finally {
      this._setBusy(false, button);
    }
    await this._load();
    this._refocus(item.id, ['connect', 'disconnect']);
  }

  // ------------------------------------------------------------------ the form

  _buildDialog() {
    const s = this._strings;
    this._dialogTitle = el('h2', { id: 'byoc-dialog-title' });
    this._dialogIntro = el('p', { id: 'byoc-dialog-intro', class: 'field__help' });
    this._redirectInput = el('input', { id: 'byoc-redirect', readonly: true, spellcheck: 'false', 'aria-labelledby': 'byoc-redirect-label', part: 'input redirect-uri' });
    this._copyButton = el('button', { type: 'button', class: 'button', part: 'button copy-button', 'aria-label': s.copyRedirect, text: s.copy, onclick: () => this._copy() });
    this._copyStatus = el('p', { class: 'redirect__status', role: 'status', 'aria-live': 'polite' });
    this._redirectBox = el('div', { class: 'redirect', part: 'redirect' },
      el('p', { id: 'byoc-redirect-label', class: 'field__help', text: s.redirectLabel }),
      el('div', { class: 'redirect__row' }, this._redirectInput, this._copyButton),
      this._copyStatus);
    this._formError = el('div', { class: 'form-error', part: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    this._fields = el('div', { class: 'fields' });
    this._docsLink = el('a', { target: '_blank', rel: 'noopener noreferrer', part: 'docs-link', hidden: true, text: s.providerDocs });
    this._cancel = el('button', { type: 'button', class: 'button', part: 'button button-quiet', text: s.cancel, onclick: () => this._closeDialog() });
    this._submit = el('button', { type: 'submit', class: 'button button--primary', part: 'button button-primary submit' });
    this._form = el('form', { part: 'form', novalidate: true, 'aria-labelledby': 'byoc-dialog-title', onsubmit: (event) => this._onSubmit(event) },
      el('div', { class: 'dialog__head' }, this._dialogTitle,
        el('button', { type: 'button', class: 'button', 'aria-label': s.close, text: '×', onclick: () => this._closeDialog() })),
      el('div', { class: 'dialog__body' }, this._dialogIntro, this._redirectBox, this._formError, this._fields),
      el('div', { class: 'dialog__foot' }, this._docsLink, this._cancel, this._submit),
    );
    this._dialog = el('dialog', { part: 'dialog', 'aria-labelledby': 'byoc-dialog-title', 'aria-describedby': 'byoc-dialog-intro' }, this._form);
    this._dialog.addEventListener('close', () => this._onDialogClosed());
    this._dialog.addEventListener('cancel', (event) => {
      if (this._submit.disabled) event.preventDefault(); // never drop a save in flight
    });
    return this._dialog;
  }

  _openDialog(item, trigger) {
    const s = this._strings;
    const texts = dialogTexts(item, s);
    this._dialogItem = item;
    this._trigger = trigger;
    this._dialogTitle.textContent = format(item.status ? s.dialogEdit : s.dialogConnect, { name: item.name });
    this._dialogIntro.textContent =
      texts.intro + (item.status ? ` ${s.introReplace}` : '');
    this._redirectBox.hidden = !item.redirect_uri;
    this._redirectInput.value = item.redirect_uri || '';
    this._copyStatus.textContent = '';
    if (item.docs_url && /^https:\/\//.test(item.docs_url)) {
      this._docsLink.href = item.docs_url;
      this._docsLink.hidden = false;
    } else {
      this._docsLink.hidden = true;
      this._docsLink.removeAttribute('href');
    }
    this._submitLabel = texts.submit;
    this._setSubmitting(false, this._submitLabel);
    this._clearErrors();
    this._fields.replaceChildren(...(item.fields || []).map((field) => this._fieldRow(field, item)));
    this._dialog.showModal();
    const first = this._fields.querySelector('input:not([disabled]), select');
    (first || this._cancel).focus();
  }

  _closeDialog() {
    if (this._dialog.open) this._dialog.close();
  }

  _onDialogClosed() {
    // "close" comes a task after the dialog closed (the browser has already put focus back on the
    // button): when the form was opened again meanwhile, this event is not about the open one.
    if (this._dialog.open) return;
    this._fields.replaceChildren(); // nothing typed stays in the page
    this._clearErrors();
    const trigger = this._trigger;
    this._dialogItem = null;
    this._trigger = null;
    if (trigger && trigger.isConnected) trigger.focus();
    else if (trigger) this._refocus(trigger.dataset.provider, [trigger.dataset.action, 'connect', 'disconnect']);
  }

  _fieldRow(field, item) {
    if (field.type === 'scopes') return this._scopesRow(field, item.connection?.[field.name]);
    const s = this._strings;
    const id = `byoc-field-${field.name}`;
    const helpId = `${id}-help`;
    const errorId = `${id}-error`;
    const required = Boolean(field.required);
    const describedBy = [field.help ? helpId : null, errorId].filter(Boolean).join(' ');
    let control;
    if (field.type === 'select') {
      const options = (field.options || []).map((option) => el('option', { value: option, text: option }));
      if (!required && field.default == null) options.unshift(el('option', { value: '', text: s.notSet }));
      control = el('select', { id, name: field.name, part: 'input', required, 'aria-describedby': describedBy }, ...options);
      if (field.default != null) control.value = field.default;
    } else {
      const secret = field.secret || field.type === 'password';
      const type = secret ? 'password' : field.type === 'url' ? 'url' : 'text';
      control = el('input', {
        id, name: field.name, type, part: 'input', required,
        maxlength: field.max_length || undefined,
        placeholder: field.example || undefined,
        autocomplete: secret ? 'new-password' : 'off',
        spellcheck: 'false', autocapitalize: 'off',
        'aria-describedby': describedBy,
      });
    }
    control.addEventListener(field.type === 'select' ? 'change' : 'input', () => this._setFieldError(field.name, null));
    let row = control;
    if (control.type === 'password') {
      // Its name is its text plus the field's (visually hidden): "Show Client Secret".
      const verb = el('span', { text: s.showSecret });
      const toggle = el('button', { type: 'button', class: 'button', part: 'button reveal', 'aria-controls': id, 'aria-pressed': 'false' },
        verb, el('span', { class: 'visually-hidden', text: ` ${field.label}` }));
      toggle.addEventListener('click', () => {
        const showing = control.type === 'text';
        control.type = showing ? 'password' : 'text';
        toggle.setAttribute('aria-pressed', String(!showing));
        verb.textContent = showing ? s.showSecret : s.hideSecret;
      });
      row = el('div', { class: 'field__row' }, control, toggle);
    }
    return el('div', { class: 'field', part: 'field', dataset: { field: field.name } },
      el('label', { for: id, part: 'label' }, field.label,
        el('span', { class: 'visually-hidden', text: ` ${required ? s.requiredMark : s.optional}` }),
        required ? el('span', { 'aria-hidden': 'true', text: ' *' }) : el('span', { 'aria-hidden': 'true', class: 'field__help', text: ` ${s.optional}` })),
      row,
      field.help ? el('p', { class: 'field__help', part: 'help', id: helpId, text: field.help }) : null,
      el('p', { class: 'field__error', part: 'field-error', id: errorId, hidden: true }),
    );
  }

  _scopesRow(field, saved) {
    const s = this._strings;
    const id = `byoc-field-${field.name}`;
    const errorId = `${id}-error`;
    const chosen = initialScopes(field, saved);
    const fixed = new Set(field.required_scopes || []);
    const known = field.known_scopes || [];
    const knownNames = new Set(known.map((scope) => scope.name));
    const boxes = known.map((scope, index) => {
      const boxId = `${id}-${index}`;
      const descId = `${boxId}-desc`;
      const always = fixed.has(scope.name);
      return el('li', { class: 'scope' },
        el('input', { type: 'checkbox', id: boxId, name: field.name, value: scope.name, checked: chosen.has(scope.name), disabled: always, 'aria-describedby': descId }),
        el('label', { for: boxId, text: scope.name }),
        el('span', { class: 'scope__desc', id: descId, text: [scope.description, always ? s.alwaysAsked : ''].filter(Boolean).join(' ') }),
      );
    });
    const otherId = `${id}-other`;
    const others = [...chosen].filter((name) => !knownNames.has(name) && !fixed.has(name));
    const other = field.allow_unknown
      ? el('div', { class: 'field' },
          el('label', { for: otherId, text: known.length ? s.otherScopes : field.label }),
          el('input', { id: otherId, type: 'text', part: 'input', value: others.join(' '), spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', 'aria-describedby': `${otherId}-help ${errorId}`, dataset: { scopesOther: field.name } }),
          el('p', { class: 'field__help', id: `${otherId}-help`, text: s.otherScopesHelp }))
      : null;
    const unlisted = [...fixed].filter((name) => !knownNames.has(name));
    return el('fieldset', { class: 'field scopes', part: 'field scopes', dataset: { field: field.name }, 'aria-describedby': errorId },
      el('legend', { part: 'label', text: field.label }),
      unlisted.length ? el('p', { class: 'field__help', text: format(s.alwaysAskedList, { scopes: unlisted.join(' ') }) }) : null,
      boxes.length ? el('ul', { class: 'scopes__list' }, ...boxes) : null,
      other,
      el('p', { class: 'field__error', part: 'field-error', id: errorId, hidden: true }),
    );
  }

  _scopesOf(field) {
    const checked = [...this._fields.querySelectorAll(`input[type=checkbox][name="${CSS.escape(field.name)}"]`)]
      .filter((box) => box.checked && !box.disabled)
      .map((box) => box.value);
    const other = this._fields.querySelector(`input[data-scopes-other="${CSS.escape(field.name)}"]`);
    return chosenScopes(checked, other ? other.value : '');
  }

  _clearErrors() {
    this._formError.hidden = true;
    this._formError.replaceChildren();
    for (const row of this._fields.querySelectorAll('.field[data-field]')) this._setFieldError(row.dataset.field, null);
  }

  _setFieldError(name, message) {
    const row = this._fields.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
    if (!row) return false;
    const error = row.querySelector(':scope > .field__error');
    for (const control of row.querySelectorAll('input:not([type=checkbox]), select')) control.setAttribute('aria-invalid', String(Boolean(message)));
    error.textContent = message || '';
    error.hidden = !message;
    return true;
  }

  _showFormError(text) {
    this._formError.textContent = text;
    this._formError.hidden = false;
  }

  _focusFirstInvalid() {
    const first = this._fields.querySelector('[aria-invalid="true"]');
    (first || this._formError).focus();
  }

  _setSubmitting(submitting, label) {
    this._submit.disabled = submitting;
    this._cancel.disabled = submitting;
    this._form.setAttribute('aria-busy', String(submitting));
    if (label) this._submit.textContent = label;
  }

  async _onSubmit(event) {
    event.preventDefault();
    const item = this._dialogItem;
    const s = this._strings;
    if (!item || this._submit.disabled) return;
    this._clearErrors();
    const values = {};
    const scopes = {};
    let invalid = 0;
    for (const field of item.fields || []) {
      if (field.type === 'scopes') {
        scopes[field.name] = this._scopesOf(field);
        const bad = invalidScope(scopes[field.name]);
        if (bad) {
          this._setFieldError(field.name, format(s.fieldScope, { label: field.label, scope: bad }));
          invalid += 1;
        }
        continue;
      }
      const control = this._form.elements.namedItem(field.name);
      values[field.name] = control ? control.value : '';
      const problem = validateField(field, values[field.name], s);
      if (problem) {
        this._setFieldError(field.name, problem);
        invalid += 1;
      }
    }
    if (invalid) {
      this._showFormError(invalid === 1 ? s.checkField : format(s.checkFields, { count: invalid }));
      this._focusFirstInvalid();
      return;
    }
    this._setSubmitting(true, s.saving);
    let saved;
    try {
      saved = await this._api().save(buildSaveBody(item, values, scopes));
    } catch (error) {
      this._setSubmitting(false, this._submitLabel);
      this._showSaveError(item, error);
      this._emitError('save', item.id, error);
      return;
    }
    this._form.reset();
    this._emit(EVENTS.saved, { provider: item.id, status: saved?.status ?? null, integration: saved });
    if (item.auth_type === 'oauth2') {
      this._setSubmitting(true, format(s.opening, { name: item.name }));
      if (await this._start(item, null)) return;
      this._closeDialog();
      await this._load();
      return;
    }
    this._closeDialog();
    this._say('ok', format(s.saved, { name: item.name }));
    if (saved?.status === 'active') this._emit(EVENTS.connected, { provider: item.id, status: 'active' });
    await this._load();
    this._refocus(item.id, ['disconnect', 'connect']);
  }

  _showSaveError(item, error) {
    const s = this._strings;
    if (error.fields) {
      const elsewhere = [];
      let shown = 0;
      for (const [name, message] of Object.entries(error.fields)) {
        const field = (item.fields || []).find((candidate) => candidate.name === name);
        const text = format(s.fieldServer, { label: field?.label || name, message });
        if (this._setFieldError(name, text)) shown += 1;
        else elsewhere.push(text);
      }
      this._showFormError([error.message, ...elsewhere].join(' '));
      if (shown) {
        this._focusFirstInvalid();
        return;
      }
    } else {
      this._showFormError(error.message);
    }
    this._formError.focus();
  }

  async _copy() {
    const value = this._redirectInput.value;
    let copied = false;
    try {
      await navigator.clipboard.writeText(value);
      copied = true;
    } catch {
      this._redirectInput.select();
      try {
        copied = document.execCommand('copy');
      } catch {
        copied = false;
      }
    }
    this._copyStatus.textContent = copied ? this._strings.copied : this._strings.copyFailed;
  }
}

/** Define <byoc-connect> (or another tag name); does nothing outside a browser or when already defined. */
export function define(tag = 'byoc-connect') {
  if (typeof customElements === 'undefined' || customElements.get(tag)) return;
  customElements.define(tag, tag === 'byoc-connect' ? ByocConnect : class extends ByocConnect {});
}

define();
