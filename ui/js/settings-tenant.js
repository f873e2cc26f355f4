// Settings › Tenant: authority, tenant, client id and Graph URL (saved together, each problem
// shown under its field), the demo tenant, and where the sign-in is kept.

import { invoke } from './api.js';
import { h, sentence } from './dom.js';
import * as auth from './auth.js';

const FIELDS = [
  { key: 'authority', prop: 'authority', label: 'Authority host',
    hint: 'https://login.microsoftonline.com, or your national cloud’s sign-in host.' },
  { key: 'tenant', prop: 'tenant', label: 'Tenant',
    hint: 'Directory (tenant) ID, a domain such as contoso.onmicrosoft.com, or organizations.' },
  { key: 'client_id', prop: 'clientId', label: 'Client ID',
    hint: 'Application (client) ID of your app registration (see the README).' },
  { key: 'graph_url', prop: 'graphUrl', label: 'Graph URL',
    hint: 'https://graph.microsoft.com, or your national cloud’s Graph host.' },
];

const fieldId = (key) => `setting-${key.replace('_', '-')}`;

function button(label, attrs, onClick) {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', onClick);
  return b;
}

function storageFacts(v) {
  const where = v.tokenStorage === 'keychain'
    ? 'The operating system’s keychain'
    : 'A file in the data folder that only you can read';
  return h('dl', { class: 'facts' },
    h('dt', {}, 'Sign-in kept in'), h('dd', { id: 'token-storage' }, where),
    v.storageWarning ? [h('dt', {}, 'Note'), h('dd', { id: 'token-storage-warning' }, v.storageWarning)] : null);
}

function signedInLine(v) {
  const a = v.account;
  if (v.state === 'signed_in' && a) {
    return `Signed in to ${a.tenantName}${a.username ? ` as ${a.username}` : ''}.`;
  }
  if (v.state === 'sign_in_required') return sentence(v.reason || 'Sign in again.');
  if (v.state === 'signing_in') return 'Finish signing in in your browser.';
  return 'Not signed in.';
}

function demoBody(section, v) {
  return [
    h('p', { id: 'tenant-demo' },
      'You are using the demo tenant: a practice organization of 2,431 people that runs inside '
      + 'this app. Changes you make to it last until the app closes.'),
    v.demoNotice ? h('p', { class: 'hint' }, v.demoNotice) : null,
    h('div', { class: 'actions' },
      button('Leave the demo tenant', { id: 'leave-demo' }, () => act(section, auth.leaveDemoTenant))),
  ];
}

function formBody(section, settings) {
  const form = h('form', { id: 'tenant-form', class: 'tenant-form', novalidate: true });
  for (const f of FIELDS) {
    const id = fieldId(f.key);
    form.append(h('div', { class: 'field' },
      h('label', { for: id }, f.label),
      h('input', { type: 'text', id, name: f.key, value: settings[f.prop], spellcheck: 'false',
        autocomplete: 'off', 'aria-describedby': `${id}-hint ${id}-error` }),
      h('p', { class: 'hint', id: `${id}-hint` }, f.hint),
      h('p', { class: 'field-error', id: `${id}-error`, hidden: true })));
  }
  form.append(h('div', { class: 'actions' },
    h('button', { type: 'submit', id: 'save-tenant', class: 'primary' }, 'Save'),
    h('span', { id: 'tenant-saved', class: 'hint', role: 'status' }),
    button('Use the demo tenant', { id: 'use-demo' }, () => act(section, auth.useDemoTenant))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save(form);
  });
  return [form];
}

async function save(form) {
  const values = Object.fromEntries(FIELDS.map((f) => [f.prop, form.elements[f.key].value]));
  const saved = form.querySelector('#tenant-saved');
  saved.textContent = '';
  for (const f of FIELDS) {
    const error = form.querySelector(`#${fieldId(f.key)}-error`);
    error.hidden = true;
    error.textContent = '';
    form.elements[f.key].removeAttribute('aria-invalid');
  }
  try {
    const outcome = await invoke('save_tenant_settings', values);
    for (const p of outcome.problems) {
      const id = fieldId(p.key);
      const error = form.querySelector(`#${id}-error`);
      if (!error) continue;
      error.textContent = p.message;
      error.hidden = false;
      form.elements[p.key].setAttribute('aria-invalid', 'true');
    }
    if (outcome.problems.length) {
      form.elements[outcome.problems[0].key]?.focus();
    } else {
      saved.textContent = auth.view()?.account ? 'Saved. Sign in again to use the new settings.' : 'Saved.';
    }
  } catch (error) {
    saved.textContent = sentence(error.message);
  }
}

async function act(section, action) {
  for (const b of section.querySelectorAll('button')) b.disabled = true;
  try {
    await action();
  } catch (error) {
    section.querySelector('#tenant-error')?.remove();
    section.append(h('p', { id: 'tenant-error', class: 'field-error', role: 'alert' }, sentence(error.message)));
  } finally {
    for (const b of section.querySelectorAll('button')) b.disabled = false;
  }
}

// Returns { section, ready }: `ready` settles once the section shows the stored settings.
export function tenantSection() {
  const section = h('section', { class: 'panel tenant-settings', id: 'tenant-settings',
    'aria-labelledby': 'tenant-heading', 'aria-busy': 'true' },
  h('h2', { id: 'tenant-heading' }, 'Tenant'));
  let shownDemo = null;
  let unsubscribe = null;

  async function draw(v) {
    if (!section.isConnected && unsubscribe) {
      unsubscribe();
      return;
    }
    const status = h('p', { id: 'tenant-status' }, signedInLine(v));
    // Redraw the form only when the demo choice flips, so typing is never thrown away.
    if (shownDemo === v.demo && section.querySelector('#tenant-status')) {
      section.querySelector('#tenant-status').replaceWith(status);
      section.querySelector('.facts')?.replaceWith(storageFacts(v));
      return;
    }
    shownDemo = v.demo;
    const settings = await invoke('get_tenant_settings');
    const body = v.demo ? demoBody(section, v) : formBody(section, settings);
    section.replaceChildren(h('h2', { id: 'tenant-heading' }, 'Tenant'), status,
      ...body.filter(Boolean), storageFacts(v));
  }

  const ready = new Promise((resolve) => {
    unsubscribe = auth.subscribe(async (v) => {
      if (v.state === 'unavailable') {
        section.replaceChildren(h('h2', { id: 'tenant-heading' }, 'Tenant'),
          h('p', { id: 'tenant-error' }, sentence(v.error?.message || 'Unavailable.')));
      } else {
        try {
          await draw(v);
        } catch (error) {
          section.append(h('p', { id: 'tenant-error', class: 'field-error' }, sentence(error.message)));
        }
      }
      section.removeAttribute('aria-busy');
      resolve();
    });
  });
  return { section, ready };
}
