// The reference integrations page: plain DOM, no framework, no build step.
//
// It talks to the API with fetch():
//   GET    /integrations                       the providers, their form fields and this org's status
//   POST   /integrations                       save credentials (422: details.fields names the bad fields)
//   GET    /oauth/start?provider=&return_to=   with Accept: application/json -> {authorize_url}
//   DELETE /integrations/{provider}            disconnect
// and reads what the OAuth callback appends when it sends the browser back:
//   ?integration=<id>&status=active|error[&error=<code>]
//   ?integration=<id>&status=pending_completion&completion=<handle>  (completed with POST /oauth/complete)
//
// Local use only: who is calling is sent as X-Org-Id / X-User-Id / X-Org-Role headers (honoured by
// the local server alone); a deployed frontend sends "Authorization: Bearer <token>" instead.
// Nothing but those three values is ever written to localStorage; secrets live only in the form
// until it is submitted, and the form is cleared afterwards.
'use strict';

(() => {
  const API_BASE = (document.querySelector('meta[name="byoc-api-base"]')?.content || '').replace(/\/+$/, '');
  const IDENTITY_KEY = 'byoc-dashboard:acting-as';
  const DEFAULT_IDENTITY = Object.freeze({ org: 'demo-org', user: 'demo-user', role: 'admin' });
  const ID_PATTERN = /^[A-Za-z0-9._:@|+=/-]{1,128}$/;
  const ROLE_PATTERN = /^[A-Za-z0-9._:@|+=/ -]{0,64}$/;
  const CODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

  const AUTH_TYPES = { oauth2: 'OAuth 2.0', api_key: 'API key', basic: 'Username & password' };

  const STATUS = {
    active: { label: 'Connected', tone: 'ok' },
    pending_setup: { label: 'Sign-in needed', tone: 'warn' },
    error: { label: 'Error', tone: 'bad' },
  };

  // Why a connection failed, in words. Unknown codes are shown as they are.
  const REASONS = {
    flow_not_yours: 'Only the user who started this connection may complete it: sign in as that user, or start again.',
    invalid_completion: 'This sign-in took too long or was already completed. Start the connection again.',
    issuer_missing: 'The provider did not say who it is (no iss), though its discovery document promises it.',
    access_denied: 'Access was declined at the provider.',
    invalid_client: 'The provider rejected the client ID or secret. Check them, and the client authentication method.',
    unauthorized_client: 'The provider does not allow this OAuth app to use the authorization code flow.',
    invalid_grant: 'The provider refused the authorization (expired, already used, or the redirect URI does not match).',
    invalid_scope: 'The provider refused the requested scopes.',
    invalid_request: 'The provider refused the request as malformed.',
    server_error: 'The provider had an internal error. Try again.',
    temporarily_unavailable: 'The provider is temporarily unavailable. Try again shortly.',
    authorization_failed: 'The provider did not authorize the connection.',
    browser_binding_failed: 'The sign-in finished in a different browser (or its cookie was blocked). Start again from this page.',
    credentials_changed: 'The credentials changed while you were signing in. Sign in again.',
    issuer_mismatch: 'The answer came from a different issuer than the one configured.',
    invalid_callback: 'The provider sent the browser back without an authorization code.',
    provider_unavailable: 'The provider could not be reached.',
    provider_timeout: 'The provider took too long to answer.',
    provider_error: 'The provider answered with an error.',
    storage_failed: 'The tokens could not be stored. Sign in again.',
    reconnect_required: 'The provider no longer accepts the stored authorization. Reconnect.',
    invalid_state: 'The sign-in link was invalid or has expired. Start again.',
  };

  const $ = (id) => document.getElementById(id);

  const ui = {
    identityForm: $('identity-form'),
    identityOrg: $('identity-org'),
    identityUser: $('identity-user'),
    identityRole: $('identity-role'),
    identityError: $('identity-error'),
    filter: $('filter'),
    lists: $('lists'),
    loading: $('loading'),
    loadError: $('load-error'),
    groupYours: $('group-yours'),
    groupAvailable: $('group-available'),
    listYours: $('list-yours'),
    listAvailable: $('list-available'),
    countYours: $('count-yours'),
    countAvailable: $('count-available'),
    empty: $('empty'),
    banner: $('banner'),
    bannerTitle: $('banner-title'),
    bannerText: $('banner-text'),
    bannerClose: $('banner-close'),
    dialog: $('connect-dialog'),
    form: $('connect-form'),
    dialogKicker: $('dialog-kicker'),
    dialogTitle: $('dialog-title'),
    dialogIntro: $('dialog-intro'),
    dialogClose: $('dialog-close'),
    dialogCancel: $('dialog-cancel'),
    dialogSubmit: $('dialog-submit'),
    redirectBox: $('redirect-box'),
    redirectUri: $('redirect-uri'),
    copyRedirect: $('copy-redirect'),
    copyStatus: $('copy-status'),
    formError: $('form-error'),
    fields: $('fields'),
    docsLink: $('docs-link'),
  };

  const state = {
    identity: loadIdentity(),
    integrations: [],
    loaded: false,
    dialogProvider: null,
    dialogTrigger: null,
    busy: false,
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

  function showIdentity() {
    ui.identityOrg.value = state.identity.org;
    ui.identityUser.value = state.identity.user;
    ui.identityRole.value = state.identity.role;
  }

  function onIdentitySubmit(event) {
    event.preventDefault();
    const next = {
      org: ui.identityOrg.value.trim(),
      user: ui.identityUser.value.trim(),
      role: ui.identityRole.value.trim(),
    };
    const problems = [];
    for (const [input, value, label] of [[ui.identityOrg, next.org, 'Org'], [ui.identityUser, next.user, 'User']]) {
      const ok = ID_PATTERN.test(value);
      input.setAttribute('aria-invalid', String(!ok));
      if (!ok) problems.push(`${label} must be 1–128 letters, digits or . _ : @ | + = / -`);
    }
    const roleOk = ROLE_PATTERN.test(next.role);
    ui.identityRole.setAttribute('aria-invalid', String(!roleOk));
    if (!roleOk) problems.push('Role must be at most 64 letters, digits or . _ : @ | + = / -');
    if (problems.length) {
      ui.identityError.textContent = problems.join('. ') + '.';
      ui.identityError.hidden = false;
      (ID_PATTERN.test(next.org) ? (ID_PATTERN.test(next.user) ? ui.identityRole : ui.identityUser) : ui.identityOrg).focus();
      return;
    }
    ui.identityError.hidden = true;
    state.identity = next;
    saveIdentity(next);
    showBanner('info', `Acting as ${next.user} in ${next.org}`, next.role ? `Role: ${next.role}.` : 'No role.');
    loadIntegrations();
  }

  // ------------------------------------------------------------------ API

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || {};
    }
  }

  async function api(method, path, body) {
    const headers = {
      Accept: 'application/json',
      'X-Org-Id': state.identity.org,
      'X-User-Id': state.identity.user,
    };
    if (state.identity.role) headers['X-Org-Role'] = state.identity.role;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(API_BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'include', // the start answer sets the browser-binding cookie for the callback
        cache: 'no-store',
      });
    } catch (_) {
      throw new ApiError(0, 'network_error', 'The API could not be reached. Is the local server running?');
    }
    let data = null;
    if ((response.headers.get('content-type') || '').includes('application/json')) {
      try {
        data = await response.json();
      } catch (_) {
        data = null;
      }
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(
        response.status,
        error.code || `http_${response.status}`,
        error.message || `The API answered ${response.status}.`,
        error.details,
      );
    }
    return data;
  }

  // ------------------------------------------------------------------ banner (aria-live)

  function bannerShown() {
    return Boolean(ui.banner.dataset.tone);
  }

  function showBanner(tone, title, text, { focus = false } = {}) {
    ui.banner.dataset.tone = tone;
    ui.bannerTitle.textContent = title;
    ui.bannerText.textContent = text || '';
    ui.bannerText.hidden = !text;
    ui.bannerClose.hidden = false;
    if (focus) ui.banner.focus();
  }

  function hideBanner() {
    const hadFocus = ui.banner.contains(document.activeElement);
    delete ui.banner.dataset.tone;
    ui.bannerTitle.textContent = '';
    ui.bannerText.textContent = '';
    ui.bannerClose.hidden = true;
    if (hadFocus) document.getElementById('main').focus();
  }

  function reasonText(code) {
    return REASONS[code] || 'The connection failed.';
  }

  // What the OAuth callback appended to this page's address; shown once, then removed from the URL.
  function readCallbackResult() {
    const params = new URLSearchParams(window.location.search);
    const provider = params.get('integration');
    const status = params.get('status');
    const error = params.get('error');
    const completion = params.get('completion');
    if (provider === null && status === null) return null;
    for (const name of ['integration', 'status', 'error', 'completion']) params.delete(name);
    const rest = params.toString();
    window.history.replaceState(null, '', window.location.pathname + (rest ? `?${rest}` : '') + window.location.hash);
    if (!provider || !/^[a-z0-9_-]{1,64}$/.test(provider)) return null;
    if (status === 'pending_completion' && completion && /^[A-Za-z0-9_-]{43}$/.test(completion)) {
      return { provider, status, completion };
    }
    if (!['active', 'error'].includes(status)) return null;
    return { provider, status, error };
  }

  // An unbound flow: the code waits for the user who started it, who completes it signed in.
  async function completeFlow(result) {
    try {
      const answer = await api('POST', '/oauth/complete', { completion: result.completion });
      return { provider: result.provider, status: answer.status, error: answer.error };
    } catch (error) {
      return { provider: result.provider, status: 'error', error: error.code || 'invalid_completion' };
    }
  }

  function showCallbackResult(result) {
    const name = providerName(result.provider);
    if (result.status === 'active') {
      showBanner('ok', 'Connected', `${name} is connected with your organization's OAuth app.`, { focus: true });
      return;
    }
    const code = result.error && CODE_PATTERN.test(result.error) ? result.error : 'authorization_failed';
    showBanner('bad', `Could not connect ${name}`, `${reasonText(code)} (reason: ${code})`, { focus: true });
  }

  function providerName(id) {
    return state.integrations.find((item) => item.id === id)?.name || id;
  }

  // ------------------------------------------------------------------ list

  async function loadIntegrations() {
    ui.lists.setAttribute('aria-busy', 'true');
    ui.loadError.hidden = true;
    try {
      // The catalogue is the same for everyone and cached (ETag); the org's connections are small.
      const [catalogue, mine] = await Promise.all([loadCatalogue(), api('GET', '/integrations')]);
      const byProvider = new Map((mine?.integrations || []).map((c) => [c.provider, c]));
      state.integrations = (catalogue?.providers || []).map((entry) => ({
        ...entry, status: null, connected: false, ...(byProvider.get(entry.id) || {}),
      }));
      state.loaded = true;
    } catch (error) {
      state.integrations = [];
      state.loaded = false;
      ui.loadError.textContent = loadErrorText(error);
      ui.loadError.hidden = false;
    } finally {
      ui.loading.hidden = true;
      ui.lists.setAttribute('aria-busy', 'false');
    }
    render();
  }

  // GET /providers, revalidated with the ETag of the copy already held (304: keep it).
  async function loadCatalogue() {
    if (state.catalogue) {
      const answer = await fetch(`${API_BASE}/providers`, { headers: { 'If-None-Match': state.catalogue.etag } });
      if (answer.status === 304) return state.catalogue.body;
      if (answer.ok) return keepCatalogue(answer);
    }
    const answer = await fetch(`${API_BASE}/providers`);
    if (!answer.ok) throw Object.assign(new Error('The catalogue could not be read.'), { status: answer.status, code: 'catalogue_unavailable' });
    return keepCatalogue(answer);
  }

  async function keepCatalogue(answer) {
    const body = await answer.json();
    state.catalogue = { etag: answer.headers.get('ETag') || '', body };
    return body;
  }

  function loadErrorText(error) {
    if (error.status === 401 || error.status === 403) {
      return `The API refused this identity (${error.code}): ${error.message} Check “Acting as” above.`;
    }
    return `Could not load the integrations (${error.code}): ${error.message}`;
  }

  function render() {
    const query = ui.filter.value.trim().toLowerCase();
    const matches = state.integrations.filter(
      (item) => !query || item.name.toLowerCase().includes(query) || item.id.toLowerCase().includes(query),
    );
    const yours = matches.filter((item) => item.status);
    const available = matches.filter((item) => !item.status);
    fillList(ui.listYours, yours);
    fillList(ui.listAvailable, available);
    ui.countYours.textContent = `(${yours.length})`;
    ui.countAvailable.textContent = `(${available.length})`;
    ui.groupYours.hidden = yours.length === 0;
    ui.groupAvailable.hidden = available.length === 0;
    ui.empty.hidden = !state.loaded || matches.length > 0;
  }

  function fillList(list, items) {
    list.replaceChildren(...items.map(card));
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : value);
    }
    node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
    return node;
  }

  // A button whose accessible name includes the provider ("Connect Slack"), visible text the verb.
  function actionButton(verb, item, action, tone) {
    return el(
      'button',
      { type: 'button', class: `button button--${tone}`, dataset: { action, provider: item.id }, onclick: onAction },
      verb,
      el('span', { class: 'visually-hidden', text: ` ${item.name}` }),
    );
  }

  function hueOf(text) {
    let hash = 0;
    for (const ch of text) hash = (hash * 31 + ch.codePointAt(0)) % 360;
    return hash;
  }

  function initials(name) {
    const words = name.replace(/\(.*?\)/g, '').split(/[\s\-_.]+/).filter(Boolean);
    return ((words[0]?.[0] || '?') + (words[1]?.[0] || '')).toUpperCase();
  }

  function formatTime(value) {
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return null;
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
  }

  function card(item) {
    const isOAuth = item.auth_type === 'oauth2';
    const status = STATUS[item.status] || { label: 'Not connected', tone: 'none' };
    const titleId = `card-${item.id}-title`;

    const avatar = el('span', { class: 'avatar', 'aria-hidden': 'true', text: initials(item.name) });
    avatar.style.setProperty('--hue', String(hueOf(item.id)));

    const meta = [];
    if (item.client_id_masked) meta.push(el('li', {}, 'Client ID ', el('code', { text: item.client_id_masked })));
    const when = item.updated_at && formatTime(item.updated_at);
    if (when) meta.push(el('li', { text: `Updated ${when}` }));

    let note = null;
    if (item.status === 'error') {
      const code = item.status_reason || 'authorization_failed';
      note = el('p', { class: 'card__note card__note--bad' }, reasonText(code) + ' ', el('code', { text: code }));
    } else if (item.status === 'pending_setup' && isOAuth) {
      note = el('p', { class: 'card__note' }, `Credentials saved. Sign in at ${item.name} to finish.`);
    }

    const actions = [];
    if (!item.status) {
      actions.push(actionButton('Connect', item, 'connect', 'primary'));
    } else {
      if (isOAuth && item.status !== 'active') {
        actions.push(actionButton(item.status === 'error' ? 'Reconnect' : 'Sign in', item, 'start', 'primary'));
      }
      actions.push(actionButton('Edit', item, 'connect', 'quiet'));
      actions.push(actionButton('Disconnect', item, 'disconnect', 'danger'));
    }

    return el(
      'li',
      { class: 'card', dataset: { provider: item.id, status: item.status || 'none' }, 'aria-labelledby': titleId },
      el(
        'div',
        { class: 'card__head' },
        avatar,
        el(
          'div',
          { class: 'card__title' },
          el('h3', { id: titleId, text: item.name }),
          el(
            'p',
            { class: 'card__sub' },
            el('span', { class: `badge badge--${status.tone}`, text: status.label }),
            el('span', {}, `${AUTH_TYPES[item.auth_type] || item.auth_type} · `, el('code', { text: item.id })),
          ),
        ),
      ),
      note,
      meta.length ? el('ul', { class: 'card__meta' }, ...meta) : null,
      el('div', { class: 'card__actions' }, ...actions),
    );
  }

  function findItem(id) {
    return state.integrations.find((item) => item.id === id) || null;
  }

  function onAction(event) {
    const button = event.currentTarget;
    const item = findItem(button.dataset.provider);
    if (!item || state.busy) return;
    if (button.dataset.action === 'connect') openDialog(item, button);
    else if (button.dataset.action === 'start') startOAuth(item, button);
    else if (button.dataset.action === 'disconnect') disconnect(item, button);
  }

  // After the list is drawn again, put focus back on the same kind of button, or on the banner.
  function refocus(providerId, preferred) {
    for (const action of preferred) {
      const target = document.querySelector(`button[data-provider="${CSS.escape(providerId)}"][data-action="${action}"]`);
      if (target) {
        target.focus();
        return;
      }
    }
    if (bannerShown()) ui.banner.focus();
  }

  // ------------------------------------------------------------------ OAuth start

  async function startOAuth(item, button) {
    setBusy(true, button);
    try {
      const returnTo = window.location.pathname || '/';
      const query = new URLSearchParams({ provider: item.id, return_to: returnTo });
      const data = await api('GET', `/oauth/start?${query}`);
      const target = new URL(data.authorize_url);
      if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new ApiError(0, 'bad_authorize_url', 'The API returned an unusable sign-in address.');
      showBanner('info', `Opening ${item.name}…`, 'Sign in there and approve access; you will come back here.');
      window.location.assign(target.href);
      return true;
    } catch (error) {
      setBusy(false, button);
      showBanner('bad', `Could not start signing in to ${item.name}`, `${error.message} (${error.code})`);
      return false;
    }
  }

  // ------------------------------------------------------------------ disconnect

  async function disconnect(item, button) {
    const sure = window.confirm(
      `Disconnect ${item.name}?\n\nThe tokens are revoked at the provider where possible, and the saved credentials are deleted.`,
    );
    if (!sure) return;
    setBusy(true, button);
    try {
      await api('DELETE', `/integrations/${encodeURIComponent(item.id)}`);
      showBanner('ok', `Disconnected ${item.name}`, 'Its tokens and credentials are gone.');
    } catch (error) {
      if (error.code === 'integration_not_configured') {
        showBanner('info', `${item.name} was not connected`, 'Nothing to disconnect.');
      } else if (['not_found', 'method_not_allowed', 'handler_unavailable'].includes(error.code)) {
        showBanner('bad', 'Disconnect is not available', 'This API has no DELETE /integrations/{provider} route yet.');
      } else {
        showBanner('bad', `Could not disconnect ${item.name}`, `${error.message} (${error.code})`);
      }
    } finally {
      setBusy(false, button);
    }
    await loadIntegrations();
    refocus(item.id, ['disconnect', 'connect']);
  }

  function setBusy(busy, button) {
    state.busy = busy;
    if (button) {
      button.disabled = busy;
      button.setAttribute('aria-busy', String(busy));
    }
  }

  // ------------------------------------------------------------------ the Connect dialog

  function openDialog(item, trigger) {
    const isOAuth = item.auth_type === 'oauth2';
    state.dialogProvider = item;
    state.dialogTrigger = trigger;
    ui.dialogKicker.textContent = item.status ? 'Update credentials' : 'Connect';
    ui.dialogTitle.textContent = item.name;
    ui.dialogIntro.textContent = isOAuth
      ? "Register an OAuth app with the provider, using the redirect URI below, then paste the app's client ID " +
        'and secret here. After saving, you sign in at the provider to approve access.'
      : `Paste the credentials from ${item.name}. They are checked and encrypted when you save.`;
    if (item.status) ui.dialogIntro.textContent += ' Saving replaces what is stored; enter secret fields again.';
    ui.dialogSubmit.textContent = isOAuth ? 'Save and sign in' : 'Save';

    ui.redirectBox.hidden = !item.redirect_uri;
    ui.redirectUri.value = item.redirect_uri || '';
    ui.copyStatus.textContent = '';

    if (item.docs_url && /^https:\/\//.test(item.docs_url)) {
      ui.docsLink.href = item.docs_url;
      ui.docsLink.textContent = 'Provider docs';
      ui.docsLink.hidden = false;
    } else {
      ui.docsLink.hidden = true;
      ui.docsLink.removeAttribute('href');
    }

    clearFormErrors();
    ui.fields.replaceChildren(...(item.fields || []).map((field) => fieldRow(field, item)));
    setSubmitting(false);
    ui.dialog.showModal();
    const first = ui.fields.querySelector('input, select');
    (first || ui.dialogClose).focus();
  }

  function closeDialog() {
    if (ui.dialog.open) ui.dialog.close();
  }

  // When the dialog closes (Esc, Cancel, ×, or after saving): wipe what was typed, return focus.
  function onDialogClosed() {
    ui.fields.replaceChildren();
    clearFormErrors();
    const trigger = state.dialogTrigger;
    state.dialogProvider = null;
    state.dialogTrigger = null;
    if (trigger && trigger.isConnected) trigger.focus();
  }

  function fieldId(field) {
    return `field-${field.name}`;
  }

  // A scope set: the provider's known scopes as checkboxes (required ones fixed), and others typed.
  function scopesRow(field, current) {
    const id = fieldId(field);
    const errorId = `${id}-error`;
    const chosen = new Set(current || field.default || []);
    const fixed = new Set(field.required_scopes || []);
    const known = field.known_scopes || [];
    const knownNames = new Set(known.map((scope) => scope.name));
    const boxes = known.map((scope, index) => {
      const boxId = `${id}-${index}`;
      const descId = `${boxId}-desc`;
      return el('li', { class: 'scope' },
        el('input', {
          type: 'checkbox', id: boxId, name: field.name, value: scope.name,
          checked: chosen.has(scope.name) || fixed.has(scope.name), disabled: fixed.has(scope.name),
          'aria-describedby': descId,
        }),
        el('label', { for: boxId }, el('code', { text: scope.name })),
        el('span', { class: 'scope__desc', id: descId, text: fixed.has(scope.name) ? `${scope.description} (always asked)` : scope.description }),
      );
    });
    const others = [...chosen].filter((name) => !knownNames.has(name) && !fixed.has(name));
    const otherId = `${id}-other`;
    const other = field.allow_unknown
      ? el('div', { class: 'field' },
          el('label', { for: otherId }, known.length ? `Other ${field.label.toLowerCase()}` : field.label, el('span', { class: 'field__opt', text: ' (optional)' })),
          el('input', { id: otherId, type: 'text', value: others.join(' '), spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', 'aria-describedby': errorId, dataset: { scopesOther: field.name } }),
          el('p', { class: 'field__help', text: 'Separated by spaces.' }))
      : null;
    const fixedLine = fixed.size && !known.some((scope) => fixed.has(scope.name))
      ? el('p', { class: 'field__help', text: `Always asked: ${[...fixed].join(' ')}` })
      : null;
    return el('fieldset', { class: 'field scopes', dataset: { field: field.name }, 'aria-describedby': errorId },
      el('legend', { text: field.label }),
      fixedLine,
      boxes.length ? el('ul', { class: 'scopes__list' }, ...boxes) : null,
      other,
      el('p', { class: 'field__error', id: errorId, hidden: true }),
    );
  }

  function chosenScopes(field) {
    const checked = [...ui.fields.querySelectorAll(`input[type=checkbox][name="${CSS.escape(field.name)}"]`)]
      .filter((box) => box.checked && !box.disabled).map((box) => box.value);
    const other = ui.fields.querySelector(`input[data-scopes-other="${CSS.escape(field.name)}"]`);
    const typed = other ? other.value.split(/\s+/).filter(Boolean) : [];
    return [...new Set([...checked, ...typed])];
  }

  function fieldRow(field, item) {
    if (field.type === 'scopes') return scopesRow(field, item && item[field.name]);
    const id = fieldId(field);
    const helpId = `${id}-help`;
    const errorId = `${id}-error`;
    const required = Boolean(field.required);
    const describedBy = [field.help ? helpId : null, errorId].filter(Boolean).join(' ');

    let control;
    if (field.type === 'select') {
      const options = (field.options || []).map((option) =>
        el('option', { value: option, selected: option === field.default, text: option }),
      );
      if (!required && field.default == null) options.unshift(el('option', { value: '', text: '(not set)' }));
      control = el('select', { id, name: field.name, required, 'aria-describedby': describedBy }, ...options);
      control.addEventListener('change', () => setFieldError(field.name, null));
    } else {
      const type = field.type === 'password' ? 'password' : field.type === 'url' ? 'url' : 'text';
      control = el('input', {
        id,
        name: field.name,
        type,
        required,
        maxlength: field.max_length || undefined,
        placeholder: field.example || undefined,
        autocomplete: type === 'password' ? 'new-password' : 'off',
        spellcheck: 'false',
        autocapitalize: 'off',
        inputmode: type === 'url' ? 'url' : undefined,
        'aria-describedby': describedBy,
      });
      control.addEventListener('input', () => setFieldError(field.name, null));
    }

    let controlRow = control;
    if (field.type === 'password') {
      const toggle = el('button', {
        type: 'button',
        class: 'reveal',
        'aria-controls': id,
        'aria-pressed': 'false',
        onclick: () => {
          const showing = control.type === 'text';
          control.type = showing ? 'password' : 'text';
          toggle.setAttribute('aria-pressed', String(!showing));
          toggle.firstChild.textContent = showing ? 'Show' : 'Hide';
        },
      }, 'Show', el('span', { class: 'visually-hidden', text: ` ${field.label}` }));
      controlRow = el('div', { class: 'field__secret' }, control, toggle);
    }

    return el(
      'div',
      { class: 'field', dataset: { field: field.name } },
      el(
        'label',
        { for: id },
        field.label,
        required ? el('span', { class: 'field__req', 'aria-hidden': 'true', text: ' *' }) : el('span', { class: 'field__opt', text: ' (optional)' }),
      ),
      controlRow,
      field.help ? el('p', { class: 'field__help', id: helpId, text: field.help }) : null,
      el('p', { class: 'field__error', id: errorId, hidden: true }),
    );
  }

  function compilePattern(source) {
    for (const flags of ['v', 'u', '']) {
      try {
        return new RegExp(`^(?:${source})$`, flags);
      } catch (_) {
        // try the next flavour; a pattern no flavour accepts is left to the server
      }
    }
    return null;
  }

  // The same rules the API applies, checked first so that most mistakes need no round trip.
  function checkField(field, raw) {
    const value = raw.trim();
    if (!value) return field.required && field.default == null ? 'is required' : null;
    if (field.max_length && value.length > field.max_length) return `must be at most ${field.max_length} characters`;
    if (field.options && !field.options.includes(value)) return `must be one of: ${field.options.join(', ')}`;
    if (field.pattern) {
      const pattern = compilePattern(field.pattern);
      if (pattern && !pattern.test(value)) {
        return 'has an invalid format' + (field.example ? ` (example: ${field.example})` : '');
      }
    }
    if (field.type === 'url') {
      let url = null;
      try {
        url = new URL(value);
      } catch (_) {
        url = null;
      }
      if (!url || !['https:', 'http:'].includes(url.protocol)) return 'must be a URL such as https://login.example.com';
    }
    return null;
  }

  function clearFormErrors() {
    ui.formError.hidden = true;
    ui.formError.replaceChildren();
    for (const row of ui.fields.querySelectorAll('.field')) setFieldError(row.dataset.field, null);
  }

  function setFieldError(name, message) {
    const row = ui.fields.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
    if (!row) return false;
    const control = row.querySelector('input, select');
    const error = row.querySelector('.field__error');
    const legend = row.querySelector('legend');
    const label = legend ? legend.textContent : row.querySelector('label').firstChild.textContent;
    row.classList.toggle('field--invalid', Boolean(message));
    control.setAttribute('aria-invalid', String(Boolean(message)));
    error.textContent = message ? fieldMessage(label, message) : '';
    error.hidden = !message;
    return true;
  }

  // "Client ID" + "is required" -> "Client ID is required."; other reasons follow a colon.
  function fieldMessage(label, message) {
    const text = String(message).trim().replace(/\.$/, '');
    if (/^(is|are|must|has|contains|should|cannot|does)\b/.test(text)) return `${label} ${text}.`;
    return `${label}: ${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  }

  function invalidSummary(count) {
    return count === 1 ? 'Check the highlighted field.' : `Check the ${count} highlighted fields.`;
  }

  function showFormError(title, lines = []) {
    ui.formError.replaceChildren(
      el('p', { class: 'form-error__title', text: title }),
      ...(lines.length ? [el('ul', {}, ...lines.map((line) => el('li', { text: line })))] : []),
    );
    ui.formError.hidden = false;
  }

  function focusFirstInvalid() {
    const first = ui.fields.querySelector('[aria-invalid="true"]');
    (first || ui.formError).focus();
  }

  function setSubmitting(submitting, label) {
    ui.dialogSubmit.disabled = submitting;
    ui.dialogCancel.disabled = submitting;
    ui.form.setAttribute('aria-busy', String(submitting));
    if (label) ui.dialogSubmit.textContent = label;
  }

  async function onSubmit(event) {
    event.preventDefault();
    const item = state.dialogProvider;
    if (!item || ui.dialogSubmit.disabled) return;
    clearFormErrors();

    const credentials = {};
    const choices = {};
    let invalid = 0;
    for (const field of item.fields || []) {
      if (field.type === 'scopes') {
        choices[field.name] = chosenScopes(field);
        continue;
      }
      const control = ui.form.elements.namedItem(field.name);
      const value = control ? control.value.trim() : '';
      const problem = checkField(field, value);
      if (problem) {
        setFieldError(field.name, problem);
        invalid += 1;
      } else if (value) {
        credentials[field.name] = value;
      }
    }
    if (invalid) {
      showFormError(invalidSummary(invalid));
      focusFirstInvalid();
      return;
    }

    const submitLabel = ui.dialogSubmit.textContent;
    setSubmitting(true, 'Saving…');
    let saved;
    try {
      saved = await api('POST', '/integrations', { provider: item.id, credentials, ...choices });
    } catch (error) {
      setSubmitting(false, submitLabel);
      showSaveError(error);
      return;
    }

    // Saved: nothing typed stays in the page.
    ui.form.reset();
    if (item.auth_type === 'oauth2') {
      setSubmitting(true, `Opening ${item.name}…`);
      const started = await startOAuth(saved || item, null);
      if (!started) {
        closeDialog();
        await loadIntegrations();
        refocus(item.id, ['start', 'connect']);
      }
      return;
    }
    closeDialog();
    showBanner('ok', saved?.connected ? 'Connected' : 'Saved', `${item.name}: credentials saved.`);
    await loadIntegrations();
    refocus(item.id, ['connect']);
  }

  function showSaveError(error) {
    const fields = error.details && typeof error.details.fields === 'object' ? error.details.fields : null;
    if (fields) {
      const elsewhere = [];
      let shown = 0;
      for (const [name, message] of Object.entries(fields)) {
        if (setFieldError(name, String(message))) shown += 1;
        else elsewhere.push(fieldMessage(name, message));
      }
      showFormError(elsewhere.length ? error.message : invalidSummary(shown), elsewhere);
      focusFirstInvalid();
      return;
    }
    if (error.status === 401 || error.status === 403) {
      showFormError(`${error.message} (${error.code})`, ['Check “Acting as” at the top of the page: saving needs an org admin.']);
    } else {
      showFormError(`${error.message} (${error.code})`);
    }
    ui.formError.focus();
  }

  async function copyRedirect() {
    const value = ui.redirectUri.value;
    let copied = false;
    try {
      await navigator.clipboard.writeText(value);
      copied = true;
    } catch (_) {
      ui.redirectUri.select();
      try {
        copied = document.execCommand('copy');
      } catch (__) {
        copied = false;
      }
    }
    ui.copyStatus.textContent = copied ? 'Copied to the clipboard.' : 'Select the address and copy it (Ctrl+C).';
    ui.copyRedirect.textContent = copied ? 'Copied' : 'Copy';
    window.setTimeout(() => {
      ui.copyRedirect.textContent = 'Copy';
    }, 2000);
  }

  // ------------------------------------------------------------------ wiring

  function init() {
    showIdentity();
    ui.identityForm.addEventListener('submit', onIdentitySubmit);
    ui.filter.addEventListener('input', render);
    ui.bannerClose.addEventListener('click', hideBanner);
    ui.form.addEventListener('submit', onSubmit);
    ui.dialogClose.addEventListener('click', closeDialog);
    ui.dialogCancel.addEventListener('click', closeDialog);
    ui.dialog.addEventListener('close', onDialogClosed);
    ui.dialog.addEventListener('cancel', (event) => {
      if (ui.dialogSubmit.disabled) event.preventDefault(); // do not drop a save in flight
    });
    ui.dialog.addEventListener('click', (event) => {
      if (event.target === ui.dialog && !ui.dialogSubmit.disabled) closeDialog(); // click on the backdrop
    });
    ui.copyRedirect.addEventListener('click', copyRedirect);

    const read = readCallbackResult();
    const completed = read && read.status === 'pending_completion' ? completeFlow(read) : Promise.resolve(read);
    completed.then((result) => loadIntegrations().then(() => {
      if (result) showCallbackResult(result);
    }));
  }

  init();
})();
