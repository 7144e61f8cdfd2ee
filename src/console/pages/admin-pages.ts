import type { KeyReport } from '../data/record-reports.js';
import type { ApprovalItem } from '../providers.js';
import { consoleHref, formatTime, type Html, html } from '../render/html.js';

/** Keys: the config's and the store's API keys (never the keys), revoke, and a form that makes one. */
export function keysPage(keys: readonly KeyReport[], views: readonly string[], authOn: boolean): Html {
  return html`${authOn ? '' : html`<p class="note">The config has no <code>auth:</code> keys or tokens, so the MCP endpoints ask for no key; keys made here count once <code>auth:</code> is set (docs/SECURITY.md).</p>`}
${
  keys.length === 0
    ? html`<p>No API keys.</p>`
    : html`<table class="data" id="keys"><thead><tr><th scope="col">Name</th><th scope="col">Source</th><th scope="col">Status</th><th scope="col">Views</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead>
<tbody>${keys.map(
        key => html`<tr><th scope="row">${key.name}</th><td>${key.source}</td><td><span class="badge key-${key.status}">${key.status}</span></td><td>${key.views?.join(', ') ?? '(all)'}</td><td>${key.scopes?.join(', ') ?? '–'}</td><td>${key.createdAt?.slice(0, 16).replace('T', ' ') ?? '–'}</td><td>${key.expiresAt?.slice(0, 16).replace('T', ' ') ?? '–'}</td><td>${
          key.source === 'store' && key.status === 'active' ? html`<button type="button" data-post="${consoleHref('api', 'keys', key.name, 'revoke')}" data-confirm="Revoke ${key.name}?" aria-label="Revoke ${key.name}">Revoke</button>` : ''
        }</td></tr>`
      )}</tbody></table>`
}
<h2>Create a key</h2>
<form id="create-key" data-json-post="/console/api/keys" class="stacked">
<div class="field"><label for="key-name">Name</label><input id="key-name" name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._@\\-]{0,63}"></div>
<div class="field"><label for="key-views">Views (comma-separated; empty: all)</label><input id="key-views" name="views" placeholder="${views.join(',')}"></div>
<div class="field"><label for="key-scopes">Scopes (comma-separated)</label><input id="key-scopes" name="scopes"></div>
<div class="field"><label for="key-expires">Expires (30d, 12h, or a date)</label><input id="key-expires" name="expires"></div>
<button type="submit">Create key</button></form>
<div id="form-result" role="status" aria-live="polite"></div>`;
}

/** Approvals: the queue of calls waiting for an admin, when the gateway has one. */
export function approvalsPage(items: readonly ApprovalItem[] | undefined): Html {
  if (items === undefined) {
    return html`<p class="note" id="not-available">Approvals are not available in this gateway: no approval queue is configured in this build.</p>`;
  }
  if (items.length === 0) return html`<p>No calls wait for approval.</p>`;
  return html`<table class="data" id="approvals"><thead><tr><th scope="col">Requested (UTC)</th><th scope="col">Tool</th><th scope="col">By</th><th scope="col">Why</th><th scope="col">Arguments</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
<tbody>${items.map(
    item => html`<tr><td>${formatTime(item.requestedAt)}</td><th scope="row">${item.tool}</th><td>${item.principal}</td><td>${item.reason ?? ''}</td><td><code>${(item.arguments ?? '').slice(0, 200)}</code></td><td>${item.status}</td><td>${
      item.status === 'pending'
        ? html`<button type="button" data-post="${consoleHref('api', 'approvals', item.id, 'approve')}" aria-label="Approve ${item.tool} for ${item.principal}">Approve</button> <button type="button" data-post="${consoleHref('api', 'approvals', item.id, 'deny')}" aria-label="Deny ${item.tool} for ${item.principal}">Deny</button>`
        : ''
    }</td></tr>`
  )}</tbody></table><p id="action-result" role="status" aria-live="polite"></p>`;
}

/** Sign in: the admin key (or an API key with the admin scope); `#key=` in the address fills it in. */
export function loginPage(error: string | undefined, next: string): Html {
  return html`${error ? html`<div class="error-box" role="alert">${error}</div>` : ''}
<form method="post" action="/console/login" id="login" class="stacked">
<input type="hidden" name="next" value="${next}">
<div class="field"><label for="key">Admin key</label><input id="key" name="key" type="password" autocomplete="current-password" required size="50"></div>
<button type="submit">Sign in</button></form>
<p class="muted">The key is <code>console.adminKey</code> in the config, or the one the gateway keeps beside its store (<code>manifold console</code> prints a sign-in link); an API key with the <code>console:admin</code> scope works too.</p>`;
}
