// The account area, top right: the signed-in admin, then "tenant · UPN" (the tenant first so a
// narrow window keeps it), with Sign out; or Sign in with Microsoft. While the browser is open
// it says so; the welcome panel holds Cancel and the URL to copy.

import { h, icon, sentence } from './dom.js';
import * as auth from './auth.js';

const PERSON = ['M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M4.5 20c1-3.6 4-5.5 7.5-5.5s6.5 1.9 7.5 5.5'];

function avatar() {
  return h('span', { class: 'avatar' }, icon(...PERSON));
}

async function act(container, action) {
  for (const b of container.querySelectorAll('button')) b.disabled = true;
  try {
    await action();
  } catch (error) {
    container.querySelector('#account-error')?.remove();
    container.append(h('span', { id: 'account-error', class: 'account-error', role: 'alert' },
      sentence(error.message)));
    for (const b of container.querySelectorAll('button')) b.disabled = false;
  }
}

// Without a client id there is nothing to sign in to yet: the welcome panel asks for it.
function signInButton(container, configured) {
  const button = h('button', { type: 'button', id: 'sign-in', class: 'primary' }, 'Sign in with Microsoft');
  button.addEventListener('click', () => {
    if (configured) act(container, auth.signIn);
    else document.getElementById('welcome-client-id')?.focus();
  });
  return button;
}

function draw(container, v) {
  const a = v.account;
  switch (v.state) {
    case 'signed_in': {
      const signOut = h('button', { type: 'button', id: 'sign-out' }, 'Sign out');
      signOut.addEventListener('click', () => act(container, auth.signOut));
      container.replaceChildren(
        avatar(),
        h('span', { class: 'who', title: a.username || '' },
          h('span', { id: 'account-name', class: 'name' }, auth.accountLabel(a)),
          h('span', { id: 'account-tenant', class: 'tenant' },
            a.username && a.mode === 'user' ? `${a.tenantName} · ${a.username}` : a.tenantName)),
        signOut);
      container.dataset.state = 'signed_in';
      return;
    }
    case 'signing_in':
      container.replaceChildren(avatar(),
        h('span', { id: 'account-state' }, 'Finish signing in in your browser'));
      break;
    case 'sign_in_required':
      container.replaceChildren(avatar(),
        h('span', { id: 'account-state', class: 'warn', title: v.reason ? sentence(v.reason) : '' },
          a?.username ? `Sign in again (${a.username})` : 'Sign in again'),
        signInButton(container, true));
      break;
    case 'unavailable':
      container.replaceChildren(avatar(), h('span', { id: 'account-state' }, 'Not signed in'));
      break;
    default:
      container.replaceChildren(avatar(), h('span', { id: 'account-state' }, 'Not signed in'),
        signInButton(container, v.tenantConfigured));
  }
  container.dataset.state = v.state;
}

export function render(container) {
  container.replaceChildren(avatar(), h('span', { id: 'account-state' }, 'Not signed in'));
  auth.subscribe((v) => draw(container, v));
}
