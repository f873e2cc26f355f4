// Sign-in state shared by the account area, the welcome panel and Settings: one source of
// truth (`auth_status`, then every `auth://changed` event), and the actions they all offer.

import { invoke, listen } from './api.js';

let current = null;
const subscribers = new Set();
let started = null;

function publish(view) {
  current = view;
  for (const fn of subscribers) fn(view);
}

// Calls `fn` with the sign-in view now (once known) and on every change. Returns an unsubscribe.
export function subscribe(fn) {
  subscribers.add(fn);
  if (current) fn(current);
  start();
  return () => subscribers.delete(fn);
}

export function view() {
  return current;
}

function start() {
  if (started) return started;
  started = (async () => {
    await listen('auth://changed', publish);
    // A sync that found the sign-in renewal refused for good marks the account; show it.
    await listen('sync://finished', refresh);
    await refresh();
  })();
  return started;
}

// Reads the state again (e.g. after Settings changed something).
export async function refresh() {
  try {
    publish(await invoke('auth_status'));
  } catch (error) {
    publish({ state: 'unavailable', error: { code: error.code, message: error.message } });
  }
}

// Each action resolves to the new view; failures reject with a CommandError to show.
export async function signIn() {
  const v = await invoke('start_sign_in');
  publish(v);
  return v;
}

export async function cancelSignIn() {
  await invoke('cancel_sign_in');
}

export async function signOut() {
  publish(await invoke('sign_out'));
}

export async function useDemoTenant() {
  publish(await invoke('use_demo_tenant'));
}

export async function leaveDemoTenant() {
  publish(await invoke('leave_demo_tenant'));
}

// Who is signed in, as "Display Name" with the UPN; the application's id in app mode.
export function accountLabel(account) {
  if (!account) return '';
  if (account.mode === 'app') return 'This application (unattended)';
  return account.displayName || account.username || 'Signed in';
}
