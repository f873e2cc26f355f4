// Configure AAD Sync: a stepped, modal dialog.
//   1. Manage Mapping: field name | Azure AD attribute | sample value | remove (added rows only),
//      Add New Attribute, errors on the named row, a note when the next sync becomes a full sync.
//   2. Sync Frequency: One-time or Recurring (daily time, Start at login); Preview and Next.
//   3. The run: progress from `sync://progress`, Cancel, then the summary (or what a Preview
//      would change, or who a Needs approval run would remove, with Allow deletes / Reject).
// The dialog traps focus and closes with Esc; a run continues in the background when it closes.

import { invoke, listen } from './api.js';
import { h, sentence } from './dom.js';

const CHECK_DELAY_MS = 250;
const LIST_LIMIT = 50;
const number = (n) => Number(n).toLocaleString('en-US');

let dialog = null; // the open dialog's state

export function openConfigureSync({ returnFocus } = {}) {
  if (dialog) {
    dialog.root.querySelector('[role="dialog"]').focus();
    return;
  }
  const box = h('div', {
    id: 'configure-sync', class: 'dialog', role: 'dialog', 'aria-modal': 'true',
    'aria-labelledby': 'configure-title', tabindex: '-1',
  });
  const root = h('div', { class: 'dialog-backdrop' }, box);
  dialog = { root, box, returnFocus, step: 1, rows: [], samples: [], attributes: [], unlisten: [] };
  root.addEventListener('keydown', onKey);
  document.body.append(root);
  document.querySelector('.frame')?.setAttribute('inert', '');
  showMapping();
}

function close() {
  if (!dialog) return;
  const { root, returnFocus, unlisten } = dialog;
  clearTimeout(dialog.checkTimer);
  for (const off of unlisten) off();
  dialog = null;
  root.remove();
  document.querySelector('.frame')?.removeAttribute('inert');
  returnFocus?.focus();
}

// Esc closes; Tab and Shift+Tab stay inside the dialog.
function onKey(event) {
  if (event.key === 'Escape') {
    event.preventDefault();
    close();
    return;
  }
  if (event.key !== 'Tab') return;
  const focusable = [...dialog.box.querySelectorAll(
    'button:not([disabled]), input:not([disabled]), select:not([disabled]), a[href], [tabindex="0"]',
  )].filter((el) => el.offsetParent !== null);
  if (focusable.length === 0) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (event.shiftKey && (document.activeElement === first || document.activeElement === dialog.box)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

// The frame of every step: title, step list, body, footer buttons.
function frame(step, body, buttons) {
  dialog.step = step;
  const steps = ['Manage Mapping', 'Sync Frequency', 'Sync'];
  dialog.box.dataset.step = String(step);
  dialog.box.replaceChildren(
    h('header', { class: 'dialog-head' },
      h('h2', { id: 'configure-title' }, 'Configure AAD Sync'),
      h('ol', { class: 'steps' }, steps.map((label, i) => h('li', {
        'aria-current': i + 1 === step ? 'step' : false, class: i + 1 < step ? 'done' : false,
      }, label))),
      closeButton()),
    h('div', { class: 'dialog-body' }, [body].flat(Infinity)),
    h('footer', { class: 'dialog-foot' }, buttons));
}

function closeButton() {
  const b = h('button', { type: 'button', class: 'icon-button', id: 'configure-close', 'aria-label': 'Close' }, '×');
  b.addEventListener('click', close);
  return b;
}

function button(id, label, onClick, cls) {
  const b = h('button', { type: 'button', id, class: cls }, label);
  b.addEventListener('click', onClick);
  return b;
}

// --- Step 1: Manage Mapping -----------------------------------------------------------------

async function showMapping() {
  const state = dialog;
  if (!state.loaded) {
    try {
      const view = await invoke('get_mapping');
      if (state !== dialog) return;
      state.rows = view.rows.map((r) => ({ ...r }));
      state.samples = view.samples;
      state.attributes = view.attributes;
      state.loaded = true;
    } catch (error) {
      frame(1, h('p', { class: 'dialog-error', role: 'alert' }, sentence(error.message)),
        [button('configure-cancel', 'Close', close)]);
      return;
    }
  }
  const datalist = h('datalist', { id: 'mapping-attributes' },
    state.attributes.map((a) => h('option', { value: a.name }, `${a.description} (${a.type})`)));
  const table = h('table', { id: 'mapping-table', class: 'mapping-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Field name'),
      h('th', { scope: 'col' }, 'Azure AD attribute'),
      h('th', { scope: 'col' }, 'Sample value'),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Remove')))),
    h('tbody', { id: 'mapping-rows' }));
  const add = button('mapping-add', 'Add New Attribute', () => {
    state.rows.push({ field: '', source: '', builtin: false });
    state.samples.push(null);
    drawRows();
    document.querySelector(`#mapping-rows tr[data-row="${state.rows.length}"] input.field`)?.focus();
    scheduleCheck();
  }, 'secondary');
  const body = [
    h('p', { class: 'lead' }, 'Which Azure AD attribute fills each directory field. Name, Phone number and '
      + 'City are always there; add any other attribute, including onPremisesExtensionAttributes and directory '
      + 'extension attributes typed as extension_<appId>_<name>.'),
    table, datalist,
    h('p', {}, add),
    state.samples.every((v) => v == null)
      ? h('p', { class: 'hint' }, 'Sample values appear here after the first sync.') : null,
    h('p', { id: 'mapping-note', class: 'note', hidden: true }),
    h('p', { id: 'mapping-error', class: 'dialog-error', role: 'alert', hidden: true }),
  ];
  frame(1, body, [
    h('span', { class: 'spacer' }),
    button('configure-cancel', 'Cancel', close, 'secondary'),
    button('configure-continue', 'Continue', saveMappingAndContinue, 'primary'),
  ]);
  drawRows();
  scheduleCheck(0);
  document.querySelector('#mapping-rows input.source')?.focus();
}

function drawRows() {
  const state = dialog;
  const tbody = document.getElementById('mapping-rows');
  tbody.replaceChildren(...state.rows.map((row, i) => {
    const n = i + 1;
    const field = row.builtin
      ? h('span', { class: 'field builtin' }, row.field)
      : h('input', {
        class: 'field', type: 'text', value: row.field, 'aria-label': `Field name, row ${n}`,
        placeholder: 'Directory field name', maxlength: '64',
      });
    const source = h('input', {
      class: 'source', type: 'text', value: row.source, list: 'mapping-attributes',
      'aria-label': `Azure AD attribute for ${row.field || `row ${n}`}`, placeholder: 'Pick or type an attribute',
      autocomplete: 'off', spellcheck: 'false',
    });
    if (field instanceof HTMLInputElement) {
      field.addEventListener('input', () => { row.field = field.value; scheduleCheck(); });
    }
    source.addEventListener('input', () => { row.source = source.value; scheduleCheck(); });
    const remove = row.builtin ? null : h('button', {
      type: 'button', class: 'icon-button remove', 'aria-label': `Remove ${row.field || `row ${n}`}`,
    }, '×');
    remove?.addEventListener('click', () => {
      state.rows.splice(i, 1);
      state.samples.splice(i, 1);
      drawRows();
      scheduleCheck();
      document.getElementById('mapping-add')?.focus();
    });
    const sample = state.samples[i];
    return h('tr', { 'data-row': String(n), 'data-field': row.field },
      h('td', {}, field),
      h('td', {}, source),
      h('td', { class: sample == null ? 'sample none' : 'sample' }, sample ?? '—'),
      h('td', {}, remove));
  }));
}

function scheduleCheck(delay = CHECK_DELAY_MS) {
  clearTimeout(dialog.checkTimer);
  dialog.checkTimer = setTimeout(check, delay);
}

// Validates the edited rows in Rust: the row that is wrong, the full-sync note, sample values.
async function check() {
  const state = dialog;
  if (!state || state.step !== 1) return null;
  const rows = state.rows.map(({ field, source, builtin }) => ({ field, source, builtin }));
  let result;
  try {
    result = await invoke('check_mapping', { rows });
  } catch (error) {
    showProblem({ row: null, message: error.message });
    return null;
  }
  if (state !== dialog || state.step !== 1) return null;
  state.samples = result.samples;
  document.querySelectorAll('#mapping-rows tr[data-row]').forEach((tr, i) => {
    const cell = tr.querySelector('.sample');
    const value = result.samples[i];
    cell.textContent = value ?? '—';
    cell.classList.toggle('none', value == null);
  });
  showProblem(result.problem);
  const note = document.getElementById('mapping-note');
  note.hidden = !result.fullRoundRequired;
  note.textContent = result.fullRoundRequired
    ? `The next sync will be a full sync because the mapping needs ${result.untracked.join(', ')}, `
      + 'which the last sync did not read. Every user is read again; nothing is lost.'
    : '';
  return result;
}

// Shows a refused row on that row (and in the message under the table).
function showProblem(problem) {
  document.querySelectorAll('#mapping-rows tr.row-error').forEach((tr) => tr.remove());
  document.querySelectorAll('#mapping-rows tr[data-row]').forEach((tr) => {
    tr.classList.remove('invalid');
    tr.querySelectorAll('input').forEach((i) => i.removeAttribute('aria-invalid'));
  });
  const summary = document.getElementById('mapping-error');
  if (!problem) {
    summary.hidden = true;
    summary.textContent = '';
    return;
  }
  const tr = problem.row ? document.querySelector(`#mapping-rows tr[data-row="${problem.row}"]`) : null;
  if (tr) {
    tr.classList.add('invalid');
    tr.querySelectorAll('input').forEach((i) => i.setAttribute('aria-invalid', 'true'));
    tr.after(h('tr', { class: 'row-error', 'data-error-row': String(problem.row) },
      h('td', { colspan: '4' }, sentence(problem.message))));
  }
  summary.hidden = false;
  summary.textContent = sentence(problem.message);
}

async function saveMappingAndContinue() {
  clearTimeout(dialog.checkTimer);
  const result = await check();
  if (!result || result.problem) {
    document.querySelector('#mapping-rows tr.invalid input')?.focus();
    return;
  }
  const state = dialog;
  try {
    const rows = state.rows.map(({ field, source, builtin }) => ({ field, source, builtin }));
    await invoke('save_mapping', { rows });
  } catch (error) {
    showProblem({ row: null, message: error.message });
    return;
  }
  if (state === dialog) showFrequency();
}

// --- Step 2: Sync Frequency -----------------------------------------------------------------

async function showFrequency() {
  const state = dialog;
  let saved = { mode: 'one-time', dailyAt: '02:00', startAtLogin: false };
  try {
    saved = await invoke('get_sync_frequency');
  } catch { /* the defaults stand; saving reports any problem */ }
  if (state !== dialog) return;
  const radio = (id, value, label, hint) => h('label', { class: 'choice', for: id },
    h('input', { type: 'radio', name: 'frequency', id, value, checked: saved.mode === value }),
    h('span', {}, h('strong', {}, label), h('span', { class: 'hint' }, hint)));
  const time = h('input', { type: 'time', id: 'frequency-time', value: saved.dailyAt || '02:00', required: true });
  const login = h('input', { type: 'checkbox', id: 'frequency-login', checked: saved.startAtLogin });
  const recurringOptions = h('div', { id: 'frequency-recurring-options', class: 'recurring-options' },
    h('label', { for: 'frequency-time' }, 'Every day at '), time,
    h('label', { class: 'check', for: 'frequency-login' }, login, ' Start at login'));
  const body = [
    h('fieldset', { class: 'frequency' },
      h('legend', {}, 'How often should Directory Sync read Azure AD?'),
      radio('frequency-one-time', 'one-time', 'One-time', 'Sync just once, now. Sync again whenever you like.'),
      radio('frequency-recurring', 'recurring', 'Recurring', 'Every day at a set time, only what changed.'),
      recurringOptions),
    h('p', { class: 'hint' }, 'Next starts the sync. Preview shows what would change without applying it.'),
    h('p', { id: 'frequency-error', class: 'dialog-error', role: 'alert', hidden: true }),
  ];
  frame(2, body, [
    button('configure-back', 'Back', () => showMapping(), 'secondary'),
    h('span', { class: 'spacer' }),
    button('configure-preview', 'Preview', () => startRun({ preview: true }), 'secondary'),
    button('configure-next', 'Next', () => startRun({ preview: false }), 'primary'),
  ]);
  const sync = () => {
    recurringOptions.hidden = !document.getElementById('frequency-recurring').checked;
  };
  dialog.box.querySelectorAll('input[name="frequency"]').forEach((r) => r.addEventListener('change', sync));
  sync();
  dialog.box.querySelector('input[name="frequency"]:checked')?.focus();
}

async function saveFrequency() {
  const mode = dialog.box.querySelector('input[name="frequency"]:checked')?.value ?? 'one-time';
  const dailyAt = document.getElementById('frequency-time').value || '02:00';
  const startAtLogin = mode === 'recurring' && document.getElementById('frequency-login').checked;
  await invoke('save_sync_frequency', { mode, dailyAt, startAtLogin });
}

// --- Step 3: the run ------------------------------------------------------------------------

async function startRun({ preview, allowDeletes = false }) {
  const state = dialog;
  const error = document.getElementById('frequency-error') ?? document.getElementById('sync-error');
  try {
    if (state.step === 2) await saveFrequency();
    await subscribe(state);
    await invoke('start_sync', { preview, allowDeletes });
  } catch (e) {
    if (error) {
      error.hidden = false;
      error.textContent = sentence(e.message);
    }
    return;
  }
  if (state !== dialog) return;
  state.running = { preview };
  showProgress({ preview });
}

async function subscribe(state) {
  if (state.unlisten.length) return;
  state.unlisten.push(await listen('sync://progress', (p) => {
    if (state === dialog && state.running) updateProgress(p);
  }));
  state.unlisten.push(await listen('sync://finished', (done) => {
    if (state === dialog && state.running && done.trigger === 'manual') {
      state.running = null;
      showResult(done);
    }
  }));
}

function showProgress({ preview }) {
  const bar = h('progress', { id: 'sync-progress-bar', 'aria-labelledby': 'sync-progress-text' });
  frame(3, [
    h('div', { id: 'sync-progress', class: 'progress-view' },
      h('p', { class: 'title' }, preview ? 'Previewing the sync…' : 'Syncing with Azure AD…'),
      bar,
      h('p', { id: 'sync-progress-text', class: 'hint', 'aria-live': 'polite' }, 'Starting…')),
    h('p', { id: 'sync-error', class: 'dialog-error', role: 'alert', hidden: true }),
  ], [
    h('span', { class: 'spacer' }),
    button('sync-cancel', 'Cancel', async () => {
      document.getElementById('sync-cancel').disabled = true;
      await invoke('cancel_sync').catch(() => {});
    }, 'secondary'),
  ]);
  document.getElementById('sync-cancel').focus();
}

function updateProgress(p) {
  const bar = document.getElementById('sync-progress-bar');
  const text = document.getElementById('sync-progress-text');
  if (!bar || !text) return;
  const line = progressText(p);
  text.textContent = line;
  const done = p.phase === 'applying' ? p.applied : p.users;
  if (p.total) {
    bar.max = p.total;
    bar.value = Math.min(done, p.total);
  } else {
    bar.removeAttribute('value'); // indeterminate
  }
}

// "Fetched 1,800 of 2,431 users · page 9"; shared with the status line.
export function progressText(p) {
  if (p.phase === 'applying') {
    return p.total ? `Applying ${number(p.applied)} of ${number(p.total)} users` : `Applying ${number(p.applied)} users`;
  }
  const of = p.total ? ` of ${number(p.total)}` : '';
  return `Fetched ${number(p.users)}${of} users · page ${number(p.pages)}`;
}

export function countsText(run) {
  return `Added ${number(run.added)} · Updated ${number(run.updated)} · Removed ${number(run.removed)}`;
}

async function showResult(done) {
  const run = done.run;
  if (!run || run.status === 'failed') {
    const signIn = done.errorCode === 'sign_in_required';
    frame(3, [
      h('p', { class: 'title' }, 'The sync failed; nothing was applied.'),
      h('p', { id: 'sync-error', class: 'dialog-error', role: 'alert' }, sentence(done.error ?? run?.error ?? 'Unknown error')),
      signIn ? h('p', { class: 'hint' }, 'Sign in with Microsoft (top right), then try again.') : null,
    ], [
      await logLink(run),
      h('span', { class: 'spacer' }),
      button('configure-back', 'Back', () => showFrequency(), 'secondary'),
      button('configure-done', 'Close', close, 'primary'),
    ]);
    document.getElementById('configure-done').focus();
    return;
  }
  if (run.status === 'cancelled') {
    frame(3, [h('p', { id: 'sync-summary', class: 'title' }, 'Cancelled; nothing was applied.')], [
      h('span', { class: 'spacer' }),
      button('configure-back', 'Back', () => showFrequency(), 'secondary'),
      button('configure-done', 'Close', close, 'primary'),
    ]);
    document.getElementById('configure-done').focus();
    return;
  }
  if (run.status === 'needs_approval') {
    const removals = await changes(run.id, 'removed');
    frame(3, [
      h('p', { class: 'title' }, 'Needs approval: nothing was applied.'),
      h('p', { id: 'sync-summary' }, sentence(run.error ?? `This run would remove ${number(run.removed)} people.`)),
      h('h3', {}, `Who would be removed (${number(run.removed)})`),
      changeList('sync-removals', removals, run.removed),
    ], [
      await logLink(run),
      h('span', { class: 'spacer' }),
      button('sync-reject', 'Reject', close, 'secondary'),
      button('sync-allow-deletes', 'Allow deletes', () => startRun({ preview: false, allowDeletes: true }), 'danger'),
    ]);
    document.getElementById('sync-reject').focus();
    return;
  }
  if (run.status === 'preview') {
    const [added, updated, removed] = await Promise.all(
      ['added', 'updated', 'removed'].map((k) => changes(run.id, k)),
    );
    frame(3, [
      h('p', { class: 'title' }, 'Preview: nothing was applied.'),
      h('p', { id: 'sync-summary' }, `Would add ${number(run.added)} · update ${number(run.updated)} · remove ${number(run.removed)}`),
      run.added ? [h('h3', {}, `Would add (${number(run.added)})`), changeList('preview-added', added, run.added)] : null,
      run.updated ? [h('h3', {}, `Would change (${number(run.updated)})`), changeList('preview-updated', updated, run.updated)] : null,
      run.removed ? [h('h3', {}, `Would remove (${number(run.removed)})`), changeList('preview-removed', removed, run.removed)] : null,
    ], [
      h('span', { class: 'spacer' }),
      button('configure-back', 'Back', () => showFrequency(), 'secondary'),
      button('configure-next', 'Next', () => startRun({ preview: false }), 'primary'),
    ]);
    document.getElementById('configure-next').focus();
    return;
  }
  // Success.
  const toDirectory = button('summary-directory', 'Show the directory', () => {
    close();
    if (location.hash !== '#/directory') location.hash = '#/directory';
  }, 'primary');
  frame(3, [
    h('p', { class: 'title' }, run.fullRound ? 'Sync complete (full sync).' : 'Sync complete.'),
    h('p', { id: 'sync-summary', class: 'summary' }, countsText(run)),
    run.failed ? h('p', { class: 'dialog-error' }, `${number(run.failed)} users could not be applied; the run's log says why.`) : null,
  ], [
    await logLink(run),
    h('span', { class: 'spacer' }),
    toDirectory,
  ]);
  toDirectory.focus();
}

async function changes(runId, kind) {
  try {
    return await invoke('sync_changes', { runId, kind, limit: LIST_LIMIT });
  } catch {
    return [];
  }
}

function changeList(id, items, total) {
  const who = (c) => [c.name, c.upn && `<${c.upn}>`].filter(Boolean).join(' ') || c.userId;
  return h('ul', { id, class: 'change-list' },
    items.map((c) => h('li', {}, who(c),
      c.changes.length ? h('ul', { class: 'field-changes' }, c.changes.map((f) => h('li', {},
        h('span', { class: 'field' }, f.field), ': ', f.old ?? '(empty)', ' → ', f.new ?? '(empty)'))) : null)),
    total > items.length ? h('li', { class: 'hint' }, `and ${number(total - items.length)} more (see the run's log)`) : null);
}

// A link to the run's log in the history pane, when that pane exists.
async function logLink(run) {
  if (!run) return null;
  const history = await import('./history.js').catch(() => null);
  if (!history?.openHistory) return null;
  return button('summary-log', "Open the run's log", () => {
    close();
    history.openHistory({ runId: run.id });
  }, 'link');
}
