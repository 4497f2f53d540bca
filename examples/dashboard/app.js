// The reference integrations page: the "Acting as" identity and an event log around <byoc-connect>.
//
// Everything about providers (the catalogue, the forms, saving, signing in, the callback's outcome,
// disconnecting) is the component's: clients/web/src/byoc-connect.js, which the local server serves
// at /byoc-connect.js. This file only
//   - keeps who is acting (org, user, role) and gives it to the component as the local server's
//     X-Org-Id / X-User-Id / X-Org-Role headers (getHeaders; honoured by the local server alone:
//     a deployed frontend sets getToken to its bearer token instead), and
//   - lists the component's events (byoc:saved, byoc:connected, byoc:error, byoc:disconnected)
//     in the page's "Events" log, with the last outcome in a status line.
// Nothing but the three identity values is ever written to localStorage; the events carry no secret.

const IDENTITY_KEY = 'byoc-dashboard:acting-as';
const DEFAULT_IDENTITY = Object.freeze({ org: 'demo-org', user: 'demo-user', role: 'admin' });
const ID_PATTERN = /^[A-Za-z0-9._:@|+=/-]{1,128}$/;
const ROLE_PATTERN = /^[A-Za-z0-9._:@|+=/ -]{0,64}$/;
const EVENTS = ['byoc:saved', 'byoc:connected', 'byoc:error', 'byoc:disconnected'];
const LOG_LIMIT = 10;

const $ = (id) => document.getElementById(id);
const ui = {
  form: $('identity-form'),
  org: $('identity-org'),
  user: $('identity-user'),
  role: $('identity-role'),
  error: $('identity-error'),
  connect: document.querySelector('byoc-connect'),
  status: $('log-status'),
  list: $('log-list'),
  empty: $('log-empty'),
};

// ------------------------------------------------------------------ identity (localStorage)

function loadIdentity() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(IDENTITY_KEY) || 'null');
    if (saved && ID_PATTERN.test(saved.org) && ID_PATTERN.test(saved.user) && ROLE_PATTERN.test(saved.role ?? '')) {
      return { org: saved.org, user: saved.user, role: saved.role ?? '' };
    }
  } catch (_) {
    // unreadable or blocked storage: fall back to the defaults
  }
  return { ...DEFAULT_IDENTITY };
}

function saveIdentity(identity) {
  try {
    // Only these three non-secret values are ever stored.
    window.localStorage.setItem(IDENTITY_KEY, JSON.stringify({ org: identity.org, user: identity.user, role: identity.role }));
  } catch (_) {
    // storage disabled: the choice lasts for this page view
  }
}

let identity = loadIdentity();

function showIdentity() {
  ui.org.value = identity.org;
  ui.user.value = identity.user;
  ui.role.value = identity.role;
}

function identityHeaders() {
  const headers = { 'X-Org-Id': identity.org, 'X-User-Id': identity.user };
  if (identity.role) headers['X-Org-Role'] = identity.role;
  return headers;
}

function onIdentitySubmit(event) {
  event.preventDefault();
  const next = { org: ui.org.value.trim(), user: ui.user.value.trim(), role: ui.role.value.trim() };
  const problems = [];
  let firstBad = null;
  for (const [input, value, label] of [[ui.org, next.org, 'Org'], [ui.user, next.user, 'User']]) {
    const ok = ID_PATTERN.test(value);
    input.setAttribute('aria-invalid', String(!ok));
    if (!ok) {
      problems.push(`${label} must be 1–128 letters, digits or . _ : @ | + = / -`);
      firstBad = firstBad || input;
    }
  }
  const roleOk = ROLE_PATTERN.test(next.role);
  ui.role.setAttribute('aria-invalid', String(!roleOk));
  if (!roleOk) {
    problems.push('Role must be at most 64 letters, digits or . _ : @ | + = / -');
    firstBad = firstBad || ui.role;
  }
  if (problems.length) {
    ui.error.textContent = problems.join('. ') + '.';
    ui.error.hidden = false;
    firstBad.focus();
    return;
  }
  ui.error.hidden = true;
  identity = next;
  saveIdentity(next);
  setStatus('info', `Acting as ${next.user} in ${next.org}${next.role ? ` (role: ${next.role})` : ' (no role)'}.`);
  ui.connect.reload();
}

// ------------------------------------------------------------------ event log

function setStatus(tone, text) {
  ui.status.dataset.tone = tone;
  ui.status.textContent = text;
}

function describe(type, detail) {
  const provider = detail.provider || 'the catalogue';
  switch (type) {
    case 'byoc:saved':
      return { tone: 'info', text: `${provider}: credentials saved (status ${detail.status}).` };
    case 'byoc:connected':
      return { tone: 'ok', text: `${provider}: connected.` };
    case 'byoc:disconnected':
      return { tone: 'info', text: `${provider}: disconnected.` };
    default: {
      const message = detail.message || 'failed';
      const code = detail.code && !message.includes(detail.code) ? ` (${detail.code})` : '';
      return { tone: 'bad', text: `${provider}: error at ${detail.step}${code}: ${message}` };
    }
  }
}

function onEvent(event) {
  const { tone, text } = describe(event.type, event.detail || {});
  setStatus(tone, text);
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${event.type} ${text}`;
  ui.list.prepend(item);
  while (ui.list.children.length > LOG_LIMIT) ui.list.lastElementChild.remove();
  ui.empty.hidden = true;
}

// ------------------------------------------------------------------ start

showIdentity();
ui.form.addEventListener('submit', onIdentitySubmit);
for (const type of EVENTS) ui.connect.addEventListener(type, onEvent);
// Set before the module defines the element: it picks the property up when it upgrades.
ui.connect.getHeaders = async () => identityHeaders();
await import('./byoc-connect.js');
