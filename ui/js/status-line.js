// The status line at the bottom of the frame: the last sync's result and time, or a spinner,
// the progress and Cancel while a run is in progress (whoever started it: the dialog, the tray,
// the schedule). The schedule adds "next run" text through `setNextRun`.

import { invoke, listen } from './api.js';
import { h, sentence } from './dom.js';
import { countsText, progressText } from './configure-sync.js';

let parts = null;
let nextRun = '';

const STATUS_WORDS = {
  success: 'Last sync',
  preview: 'Last preview',
  needs_approval: 'Last sync needs approval',
  cancelled: 'Last sync cancelled',
  failed: 'Last sync failed',
};

export async function render(footer) {
  const text = document.getElementById('status') ?? h('span', { id: 'status', role: 'status' });
  const spinner = h('span', { class: 'spinner', 'aria-hidden': 'true', hidden: true });
  const cancel = h('button', { type: 'button', id: 'status-cancel', class: 'status-cancel', hidden: true }, 'Cancel');
  const next = h('span', { id: 'status-next', class: 'status-next' });
  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    await invoke('cancel_sync').catch(() => {});
  });
  footer.replaceChildren(h('span', { class: 'status-main' }, spinner, text, cancel), next);
  parts = { text, spinner, cancel, next };
  showNext();

  await listen('sync://progress', (p) => showRunning(p));
  await listen('sync://finished', () => refresh());
  await refresh();
}

// Re-reads the last run (and any run in progress) from Rust.
export async function refresh() {
  if (!parts) return;
  try {
    const status = await invoke('sync_status');
    if (status.progress) showRunning(status.progress);
    else if (status.runningElsewhere) showRunning(null);
    else showIdle(status.lastRun);
  } catch (error) {
    showIdle(null, sentence(error.message));
  }
}

// For the schedule: the "next scheduled run" text ("Next sync today 02:00"), or '' to hide it.
export function setNextRun(text) {
  nextRun = text ?? '';
  showNext();
}

function showNext() {
  if (!parts) return;
  parts.next.textContent = nextRun;
  parts.next.hidden = !nextRun;
}

function showRunning(p) {
  parts.spinner.hidden = false;
  parts.cancel.hidden = !p; // a CLI run cannot be cancelled from here
  if (!p) parts.cancel.disabled = false;
  const what = p?.preview ? 'Previewing' : 'Syncing';
  parts.text.textContent = p ? `${what}: ${progressText(p)}` : 'A sync started from the command line is in progress.';
}

function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? `today ${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function showIdle(run, problem) {
  parts.spinner.hidden = true;
  parts.cancel.hidden = true;
  parts.cancel.disabled = false;
  if (problem) {
    parts.text.textContent = problem;
  } else if (!run) {
    parts.text.textContent = 'No sync has run yet.';
  } else if (run.status === 'running') {
    // Recorded as running but nobody holds the lock: the process that ran it was stopped.
    parts.text.textContent = `Last sync was interrupted (${clock(run.startedAt)}).`;
  } else {
    const words = STATUS_WORDS[run.status] ?? 'Last sync';
    const at = clock(run.endedAt ?? run.startedAt);
    let detail = `${countsText(run)}.`;
    if (run.status === 'failed') detail = sentence(run.error ?? 'unknown error');
    if (run.status === 'cancelled') detail = 'Nothing was applied.';
    if (run.status === 'preview' || run.status === 'needs_approval') {
      detail = `would add ${run.added.toLocaleString('en-US')} · update ${run.updated.toLocaleString('en-US')} `
        + `· remove ${run.removed.toLocaleString('en-US')}; nothing was applied.`;
    }
    parts.text.textContent = `${words} ${at}: ${detail}`;
  }
}
