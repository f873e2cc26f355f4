// The sign-in panel above the page: the first-run welcome (Sign in with Microsoft or Try the
// demo tenant), "Finish signing in in your browser" with Cancel and the URL to copy, what went
// wrong after a failed attempt, and the one-time notices (token file fallback, demo port).

import { invoke } from './api.js';
import { h, sentence } from './dom.js';
import * as auth from './auth.js';

const README_SECTION = 'Using a real tenant: register an application in Entra ID';

let panel;
let lastError = null;
let storageWarned = false;
let busy = false;

function button(label, attrs, onClick) {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', onClick);
  return b;
}

// A read-only field holding text to copy (a URL), selected on focus, with a Copy button.
function copyable(id, label, value) {
  const field = h('input', { type: 'text', id, readonly: true, value, 'aria-label': label, spellcheck: 'false' });
  field.addEventListener('focus', () => field.select());
  const copy = button('Copy', { class: 'copy' }, async () => {
    field.focus();
    field.select();
    try {
      await navigator.clipboard.writeText(value);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Press Ctrl+C';
    }
  });
  return h('div', { class: 'copyable' }, field, copy);
}

async function run(action) {
  if (busy) return;
  busy = true;
  lastError = null;
  for (const b of panel.querySelectorAll('button, input:not([readonly])')) b.disabled = true;
  try {
    await action();
  } catch (error) {
    lastError = { code: error.code, message: error.message };
  } finally {
    busy = false;
    draw(auth.view());
  }
}

function pending(v) {
  const s = v.signIn;
  return [
    h('h2', { id: 'sign-in-pending' }, 'Finish signing in in your browser'),
    h('p', { class: 'hint' }, s.browserError
      ? `The browser did not open (${s.browserError}). Open this address in your browser to sign in:`
      : 'If the browser did not open, copy this address into it:'),
    copyable('sign-in-url', 'Sign-in address', s.url),
    h('div', { class: 'actions' },
      button('Cancel', { id: 'cancel-sign-in' }, () => run(auth.cancelSignIn))),
  ];
}

function problem(error) {
  const parts = [h('p', { id: 'sign-in-error' }, sentence(error.message))];
  if (error.adminConsentUrl) {
    parts.push(h('p', { class: 'hint' }, 'A Global Administrator opens this address and accepts:'),
      copyable('admin-consent-url', 'Admin consent address', error.adminConsentUrl));
  }
  return h('div', { class: 'welcome-problem', role: 'alert' }, ...parts);
}

async function signInToTenant(form) {
  const tenant = form.querySelector('#welcome-tenant').value;
  const clientId = form.querySelector('#welcome-client-id').value;
  if (!clientId.trim()) {
    throw new Error('Enter the application (client) ID of your app registration first.');
  }
  const current = await invoke('get_tenant_settings');
  const saved = await invoke('save_tenant_settings', {
    authority: current.demo ? 'https://login.microsoftonline.com' : current.authority,
    tenant: tenant.trim() || 'organizations',
    clientId,
    graphUrl: current.demo ? 'https://graph.microsoft.com' : current.graphUrl,
  });
  if (!saved.saved) {
    throw new Error(saved.problems.map((p) => `${p.key}: ${sentence(p.message)}`).join(' '));
  }
  await auth.signIn();
}

function welcome() {
  const form = h('form', { class: 'choice-card', id: 'welcome-tenant-form' },
    h('h3', {}, 'Your tenant'),
    h('p', { class: 'hint' },
      'Needs the application (client) ID of an app registration in your tenant. The README section “',
      README_SECTION, '” walks you through it in six steps.'),
    h('label', { for: 'welcome-client-id' }, 'Application (client) ID'),
    h('input', { type: 'text', id: 'welcome-client-id', autocomplete: 'off', spellcheck: 'false',
      placeholder: '00000000-0000-0000-0000-000000000000' }),
    h('label', { for: 'welcome-tenant' }, 'Tenant (directory ID or domain)'),
    h('input', { type: 'text', id: 'welcome-tenant', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'organizations' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', id: 'welcome-sign-in', class: 'primary' }, 'Sign in with Microsoft')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(() => signInToTenant(form));
  });
  const demo = h('div', { class: 'choice-card' },
    h('h3', {}, 'No tenant at hand?'),
    h('p', { class: 'hint' },
      'The demo tenant is a practice organization of 2,431 people that runs inside this app, on '
      + 'this computer only. You sign in to it in your browser just like to Microsoft.'),
    h('div', { class: 'actions' },
      button('Try the demo tenant', { id: 'try-demo' }, () => run(async () => {
        await auth.useDemoTenant();
        await auth.signIn();
      }))));
  return [
    h('h2', { id: 'welcome-heading' }, 'Welcome to Directory Sync'),
    h('p', { class: 'hint' }, 'Connect a tenant to keep its directory on this computer.'),
    h('div', { class: 'choice-cards' }, form, demo),
  ];
}

function notices(v) {
  const out = [];
  if (v.state === 'signed_in' && v.storageWarning && !storageWarned) {
    storageWarned = true;
    out.push(h('p', { id: 'storage-warning' }, v.storageWarning));
  }
  if (v.demoNotice) out.push(h('p', { id: 'demo-notice' }, v.demoNotice));
  return out;
}

function draw(v) {
  if (!panel || !v) return;
  if (v.error) lastError = v.error;
  const error = lastError;
  let body = [];
  if (v.state === 'signing_in' && v.signIn) {
    lastError = null;
    body = pending(v);
  } else if (v.state === 'signed_out' && !v.tenantConfigured) {
    body = welcome();
  }
  if (error && v.state !== 'signing_in') body = [problem(error), ...body];
  const extra = notices(v);
  if (extra.length) {
    const close = button('Dismiss', { class: 'dismiss' }, () => {
      panel.querySelector('.welcome-notices')?.remove();
      if (!panel.querySelector('h2, .welcome-problem')) panel.hidden = true;
    });
    body.push(h('div', { class: 'welcome-notices', role: 'status' }, ...extra, close));
  }
  if (error && !body.some((el) => el.querySelector?.('h2'))) {
    body.push(h('div', { class: 'actions' }, button('Dismiss', { id: 'dismiss-error' }, () => {
      lastError = null;
      draw(auth.view());
    })));
  }
  panel.replaceChildren(...body);
  panel.hidden = body.length === 0;
  panel.dataset.state = v.state;
}

export function render(container) {
  panel = h('section', { id: 'welcome', class: 'panel welcome', 'aria-live': 'polite', hidden: true });
  const page = container.querySelector('#page');
  container.insertBefore(panel, page);
  auth.subscribe(draw);
}
