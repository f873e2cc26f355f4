// AAD sync history: every run, newest first, with a download icon per row that saves the run's
// log through the native save dialog (Rust opens it), a failed row's error with Reset sync next
// to it, Allow deletes / Reject on a Needs approval run, and the selected run's per-user changes.
//
// `renderHistory(container)` draws the pane into a page (the Sync page); `openHistory()` shows it
// in a dialog (Directory → More → AAD sync history).

import { invoke, listen } from './api.js';
import { h, icon, sentence } from './dom.js';

const RESET_EXPLAINED = 'The stored delta link will be dropped. The next sync reads every user '
  + 'again and removes users that no longer exist in Azure AD, still under the deletion guard.';
const FORMATS = [['text', 'Text log'], ['jsonl', 'JSON Lines'], ['csv', 'CSV']];
const DOWNLOAD_ICON = ['M12 4v11', 'M7 10.5l5 5 5-5', 'M5 19.5h14'];
const CHANGE_PAGE = 100;

// ---- the pane ------------------------------------------------------------------------------

export async function renderHistory(container) {
  const pane = {
    rows: [],
    selected: null,
    format: 'text',
    notice: h('p', { class: 'history-notice', role: 'status', 'aria-live': 'polite' }),
    body: h('div', { class: 'history-body' }),
    detail: h('section', { class: 'history-detail', 'aria-live': 'polite' }),
  };
  const formatSelect = h('select', { id: 'history-format', 'aria-label': 'Log format' },
    FORMATS.map(([value, label]) => h('option', { value }, label)));
  formatSelect.addEventListener('change', () => { pane.format = formatSelect.value; });
  const resetButton = h('button', { type: 'button', id: 'history-reset', class: 'secondary' }, 'Reset sync');
  resetButton.addEventListener('click', () => confirmReset(pane, resetButton));
  const root = h('section', { class: 'history', id: 'history', 'aria-labelledby': 'history-title' },
    h('header', { class: 'history-head' },
      h('h2', { id: 'history-title' }, 'AAD sync history'),
      h('label', { class: 'history-format' }, 'Log format ', formatSelect),
      resetButton),
    pane.notice, pane.body, pane.detail);
  container.append(root);
  pane.root = root;

  const offFinished = await listen('sync://finished', () => refresh(pane));
  let sawProgress = false;
  const offProgress = await listen('sync://progress', () => {
    if (!sawProgress) { sawProgress = true; refresh(pane); }
  });
  pane.stop = () => { offFinished(); offProgress(); };
  await refresh(pane);
  return pane;
}

async function refresh(pane) {
  if (!pane.root.isConnected && pane.rows.length) { pane.stop?.(); return; }
  try {
    pane.rows = await invoke('history_runs', { limit: 100 });
  } catch (error) {
    pane.body.replaceChildren(h('p', { class: 'alert', role: 'alert' }, sentence(error.message)));
    return;
  }
  if (pane.rows.length === 0) {
    pane.body.replaceChildren(h('div', { class: 'panel empty', id: 'history-empty' },
      icon('M20 11a8 8 0 0 0-14.3-4.9L4 8', 'M4 3.5V8h4.5', 'M4 13a8 8 0 0 0 14.3 4.9L20 16', 'M20 20.5V16h-4.5'),
      h('p', { class: 'title' }, 'No sync has run yet.'),
      h('p', { class: 'hint' }, 'Every run appears here, newest first, with its trigger, duration, '
        + 'status and the number of people added, updated and removed.')));
    pane.detail.replaceChildren();
    return;
  }
  const tbody = h('tbody', {});
  for (const run of pane.rows) tbody.append(...runRows(pane, run));
  pane.body.replaceChildren(h('table', { class: 'history-table', id: 'history-table' },
    h('caption', { class: 'visually-hidden' }, 'Sync runs, newest first'),
    h('thead', {}, h('tr', {},
      ['Started', 'Trigger', 'Duration', 'Status', 'Added', 'Updated', 'Removed']
        .map((t) => h('th', { scope: 'col' }, t)),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Log')))),
    tbody));
  const still = pane.rows.find((r) => r.id === pane.selected);
  if (still) showChanges(pane, still);
}

function runRows(pane, run) {
  const download = h('button', {
    type: 'button', class: 'icon-button download', 'aria-label': `Download log of run ${run.id}`,
    title: `Download log of run ${run.id}`,
  }, icon(...DOWNLOAD_ICON));
  download.addEventListener('click', (event) => {
    event.stopPropagation();
    saveLog(pane, run, download);
  });
  const counts = run.kind === 'reset' ? ['–', '–', '–'] : [run.added, run.updated, run.removed];
  const tr = h('tr', {
    'data-run-id': run.id, 'data-status': run.kind === 'reset' ? 'reset' : run.status,
    tabindex: '0', 'aria-selected': String(run.id === pane.selected),
  },
  h('td', {}, h('time', { datetime: run.startedAt }, when(run.startedAt))),
  h('td', {}, triggerLabel(run.trigger)),
  h('td', {}, run.durationSecs == null ? '–' : duration(run.durationSecs)),
  h('td', {}, h('span', { class: `badge badge-${run.kind === 'reset' ? 'reset' : run.status}` }, run.statusLabel)),
  counts.map((n) => h('td', { class: 'num' }, String(n))),
  h('td', { class: 'actions' }, download));
  const select = () => {
    pane.selected = run.id;
    for (const row of pane.body.querySelectorAll('tr[data-run-id]')) {
      row.setAttribute('aria-selected', String(row === tr));
    }
    showChanges(pane, run);
  };
  tr.addEventListener('click', select);
  tr.addEventListener('keydown', (event) => {
    if (event.target !== tr) return;
    if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); select(); }
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const rows = [...pane.body.querySelectorAll('tr[data-run-id]')];
      rows[rows.indexOf(tr) + (event.key === 'ArrowDown' ? 1 : -1)]?.focus();
    }
  });
  const rows = [tr];
  if (run.status === 'failed' && run.error) {
    const reset = h('button', { type: 'button', class: 'link' }, 'Reset sync');
    reset.addEventListener('click', () => confirmReset(pane, reset));
    rows.push(h('tr', { class: 'history-extra failed', 'data-for-run': run.id },
      h('td', { colspan: '8' },
        h('span', { class: 'history-error', title: run.error }, firstLine(run.error)), ' ', reset)));
  }
  if (run.awaitingApproval) rows.push(approvalRow(pane, run));
  return rows;
}

// ---- Needs approval ------------------------------------------------------------------------

function approvalRow(pane, run) {
  const who = h('span', { class: 'history-who' }, `Would remove ${run.removed} people.`);
  const allow = h('button', { type: 'button', class: 'danger' }, 'Allow deletes');
  const reject = h('button', { type: 'button' }, 'Reject');
  allow.addEventListener('click', async () => {
    allow.disabled = true;
    try {
      await invoke('start_sync', { allowDeletes: true });
      say(pane, 'Sync started with deletes allowed; the history updates when it ends.');
    } catch (error) {
      say(pane, sentence(error.message), true);
      allow.disabled = false;
    }
  });
  reject.addEventListener('click', async () => {
    try {
      await invoke('reject_deletes', { runId: run.id });
      say(pane, 'Deletes rejected: nobody was removed.');
      await refresh(pane);
    } catch (error) {
      say(pane, sentence(error.message), true);
    }
  });
  invoke('history_changes', { runId: run.id, limit: 1000 }).then((changes) => {
    const names = changes.filter((c) => c.kind === 'removed').map(person);
    const shown = names.slice(0, 10).join(', ');
    const more = names.length > 10 ? ` and ${names.length - 10} more` : '';
    who.textContent = `Would remove ${names.length} people: ${shown}${more}.`;
  }).catch(() => {});
  return h('tr', { class: 'history-extra approval', 'data-for-run': run.id },
    h('td', { colspan: '8' }, who, ' ', allow, ' ', reject));
}

// ---- per-user changes ----------------------------------------------------------------------

async function showChanges(pane, run, offset = 0) {
  if (offset === 0) {
    pane.detail.replaceChildren(h('h3', {}, `Changes in run ${run.id}`));
  }
  pane.detail.querySelector('.history-more')?.remove();
  let changes;
  try {
    changes = await invoke('history_changes', { runId: run.id, offset, limit: CHANGE_PAGE });
  } catch (error) {
    pane.detail.append(h('p', { class: 'alert', role: 'alert' }, sentence(error.message)));
    return;
  }
  if (offset === 0 && changes.length === 0) {
    pane.detail.append(h('p', { class: 'hint' }, run.kind === 'reset'
      ? 'Reset sync changes no person; the next sync reads every user again.'
      : 'No person changed in this run.'));
    return;
  }
  let list = pane.detail.querySelector('ul.history-changes');
  if (!list) {
    list = h('ul', { class: 'history-changes' });
    pane.detail.append(list);
  }
  for (const c of changes) list.append(changeItem(c));
  if (changes.length === CHANGE_PAGE) {
    const more = h('button', { type: 'button', class: 'history-more' }, 'Show more changes');
    more.addEventListener('click', () => showChanges(pane, run, offset + CHANGE_PAGE));
    pane.detail.append(more);
  }
}

const REASONS = {
  soft: 'deleted in Azure AD (soft delete)',
  hard: 'permanently deleted in Azure AD',
  swept: 'no longer in Azure AD (found by a full round)',
};

function changeItem(c) {
  const head = h('span', { class: 'who' }, person(c));
  const value = (v) => (v == null || v === '' ? '(empty)' : v);
  switch (c.kind) {
    case 'updated':
      return h('li', { class: 'updated' }, head, ' updated',
        h('ul', {}, c.fields.map((f) => h('li', {},
          h('span', { class: 'field' }, f.field), ': ',
          h('span', { class: 'old' }, value(f.old)), ' → ',
          h('span', { class: 'new' }, value(f.new))))));
    case 'added':
      return h('li', { class: 'added' }, head, ' added',
        h('ul', {}, c.fields.map((f) => h('li', {},
          h('span', { class: 'field' }, f.field), ': ', h('span', { class: 'new' }, value(f.new))))));
    case 'removed':
      return h('li', { class: 'removed' }, head, ` removed: ${REASONS[c.reason] ?? c.reason ?? ''}`);
    case 'joined':
      return h('li', { class: 'joined' }, head, ` joined ${c.group ?? 'a group'}`);
    case 'left':
      return h('li', { class: 'left' }, head, ` left ${c.group ?? 'a group'}`);
    default:
      return h('li', { class: 'failed' }, head, ` could not be applied: ${c.reason ?? ''}`);
  }
}

function person(c) {
  if (c.name && c.upn) return `${c.name} (${c.upn})`;
  return c.name || c.upn || c.userId;
}

// ---- download ------------------------------------------------------------------------------

async function saveLog(pane, run, button) {
  button.disabled = true;
  try {
    const saved = await invoke('export_run_log', { runId: run.id, format: pane.format });
    if (saved) say(pane, `Saved the log of run ${run.id} to ${saved.path}.`);
  } catch (error) {
    say(pane, sentence(error.message), true);
  } finally {
    button.disabled = false;
    button.focus();
  }
}

// ---- Reset sync ----------------------------------------------------------------------------

function confirmReset(pane, returnFocus) {
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const confirm = h('button', { type: 'button', class: 'danger', id: 'history-reset-confirm' }, 'Reset sync');
  const box = h('div', {
    class: 'dialog history-confirm', role: 'alertdialog', 'aria-modal': 'true',
    'aria-labelledby': 'reset-title', 'aria-describedby': 'reset-text', tabindex: '-1',
  },
  h('header', { class: 'dialog-head' }, h('h2', { id: 'reset-title' }, 'Reset sync?')),
  h('div', { class: 'dialog-body' }, h('p', { id: 'reset-text' }, RESET_EXPLAINED)),
  h('footer', { class: 'dialog-foot' }, h('span', { class: 'spacer' }), cancel, confirm));
  const closeDialog = modal(box, returnFocus);
  cancel.addEventListener('click', closeDialog);
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      await invoke('reset_sync');
      closeDialog();
      say(pane, 'Reset sync done: the stored delta link was dropped. The next sync reads every user again.');
      await refresh(pane);
    } catch (error) {
      closeDialog();
      say(pane, sentence(error.message), true);
    }
  });
  cancel.focus();
}

// Shows `box` over the window: Esc closes, Tab stays inside. Returns the close function.
function modal(box, returnFocus) {
  const root = h('div', { class: 'dialog-backdrop' }, box);
  const frameEl = document.querySelector('.frame');
  const hadInert = frameEl?.hasAttribute('inert');
  const close = () => {
    root.remove();
    if (!hadInert) frameEl?.removeAttribute('inert');
    returnFocus?.focus();
  };
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { event.preventDefault(); event.stopPropagation(); close(); return; }
    if (event.key !== 'Tab') return;
    const focusable = [...box.querySelectorAll('button:not([disabled]), select, [tabindex="0"]')]
      .filter((el) => el.offsetParent !== null);
    if (focusable.length === 0) return;
    const [first, last] = [focusable[0], focusable[focusable.length - 1]];
    if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  });
  document.body.append(root);
  frameEl?.setAttribute('inert', '');
  return close;
}

// ---- the dialog (Directory → More) ---------------------------------------------------------

let open = null;

export async function openHistory({ returnFocus } = {}) {
  if (open) { open.focus(); return; }
  const closeButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close' }, '×');
  const body = h('div', { class: 'dialog-body' });
  const box = h('div', {
    class: 'dialog history-dialog', id: 'history-dialog', role: 'dialog', 'aria-modal': 'true',
    'aria-label': 'AAD sync history', tabindex: '-1',
  },
  h('header', { class: 'dialog-head' }, h('h2', {}, 'AAD sync history'), closeButton), body);
  const close = modal(box, returnFocus ?? document.activeElement);
  open = box;
  const pane = await renderHistory(body);
  pane.root.querySelector('#history-title')?.classList.add('visually-hidden');
  const done = () => { pane.stop?.(); open = null; close(); };
  closeButton.addEventListener('click', done);
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !document.querySelector('.history-confirm')) { pane.stop?.(); open = null; }
  });
  box.focus();
}

// ---- wording -------------------------------------------------------------------------------

function say(pane, text, isError = false) {
  pane.notice.textContent = text;
  pane.notice.classList.toggle('error', isError);
}

function firstLine(text) {
  return String(text).split('\n')[0];
}

function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function duration(secs) {
  if (secs < 60) return `${secs} s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ${secs % 60} s`;
  return `${Math.floor(secs / 3600)} h ${Math.floor((secs % 3600) / 60)} min`;
}

function triggerLabel(trigger) {
  return { manual: 'Manual', schedule: 'Schedule', cli: 'Command line', reset: 'After Reset sync' }[trigger]
    ?? trigger;
}
