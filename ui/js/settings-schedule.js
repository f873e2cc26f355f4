// Settings > Daily sync: Sync frequency (One-time / Recurring), the daily time, Pause daily sync,
// Start at login and success notifications; plus the "next scheduled run" text the status line
// shows. Rust owns the schedule (it runs with the window closed); this module only shows and
// saves it, and follows `schedule://changed` events from the app's scheduler.

import { invoke, listen } from './api.js';
import { h, sentence } from './dom.js';

export const SCHEDULE_EVENT = 'schedule://changed';

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

// "today 02:00", "tomorrow 02:00", "Tue 12 Mar 02:00" in the admin's locale and time zone.
export function whenText(iso, now = new Date()) {
  const at = new Date(iso);
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const days = Math.round((startOfDay(at) - startOfDay(now)) / DAY_MS);
  if (days === 0) return `today ${time}`;
  if (days === 1) return `tomorrow ${time}`;
  const date = at.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' });
  return `${date} ${time}`;
}

// The status line's words for the schedule, or '' in one-time mode.
export function nextRunText(schedule) {
  if (!schedule || schedule.mode !== 'recurring') return '';
  if (schedule.paused) return 'Daily sync paused';
  if (!schedule.nextRun) return 'No daily sync time can be scheduled';
  const next = `Next sync ${whenText(schedule.nextRun)}${schedule.catchUp ? ' (catching up)' : ''}`;
  return schedule.trayAvailable ? next : `${next} · keep this window open`;
}

// Calls `onChange(schedule)` now and whenever the schedule or its next run changes. Returns a
// function that stops listening.
export async function watchSchedule(onChange) {
  const unlisten = await listen(SCHEDULE_EVENT, onChange);
  try {
    onChange(await invoke('get_schedule'));
  } catch {
    // The store could not be opened: the frame's alert already says why.
  }
  return unlisten;
}

function explain(schedule) {
  if (schedule.mode !== 'recurring') {
    return 'Syncs run only when you start them (Sync now, or Next in Configure AAD Sync).';
  }
  if (schedule.paused) return 'The daily sync is paused. Nothing runs until you resume it.';
  return schedule.nextRun ? `${nextRunText({ ...schedule, trayAvailable: true })}.` : '';
}

// The "Daily sync" panel for the Settings page.
export function scheduleSection() {
  const error = h('p', { class: 'schedule-error', id: 'schedule-error', role: 'alert', hidden: true });
  const status = h('p', { class: 'hint', id: 'schedule-status', 'aria-live': 'polite' });
  const stayOpen = h('p', { class: 'schedule-stay-open', id: 'schedule-needs-window', hidden: true },
    h('strong', {}, 'Keep this window open for the daily sync. '),
    'This desktop has no system tray, so Directory Sync cannot keep running in the background: '
    + 'closing the window quits it, and the daily sync runs only while the window is open.');

  const radio = (value, label, hint) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'sync-mode', value, id: `sync-mode-${value}` }),
    h('span', {}, h('strong', {}, label), ' ', h('span', { class: 'hint' }, hint)));
  const check = (id, label, hint) => h('label', { class: 'choice' },
    h('input', { type: 'checkbox', id }),
    h('span', {}, label, hint ? h('span', { class: 'hint' }, ` ${hint}`) : null));

  const time = h('input', { type: 'time', id: 'schedule-time', step: '60', required: true });
  const recurringOnly = h('div', { class: 'schedule-recurring', id: 'schedule-recurring' },
    h('label', { class: 'schedule-time', for: 'schedule-time' }, 'Daily at ', time),
    check('schedule-paused', 'Pause daily sync'),
    check('schedule-login', 'Start at login', 'so the daily sync keeps running after a restart'),
    check('schedule-notify-success', 'Notify after successful daily syncs',
      '(failures, approvals and sign-in problems always notify)'));

  const section = h('section', { class: 'panel', id: 'schedule', 'aria-labelledby': 'schedule-heading', 'aria-busy': 'true' },
    h('h2', { id: 'schedule-heading' }, 'Daily sync'),
    h('fieldset', { class: 'choices' },
      h('legend', {}, 'Sync frequency'),
      radio('one-time', 'One-time', 'sync just once, when you ask'),
      radio('recurring', 'Recurring', 'every day at the time below')),
    recurringOnly, status, stayOpen, error);

  const $ = (id) => section.querySelector(`#${id}`);
  let current = null;

  function show(schedule) {
    current = schedule;
    $(`sync-mode-${schedule.mode}`).checked = true;
    if (document.activeElement !== time) time.value = schedule.dailyAt;
    $('schedule-paused').checked = schedule.paused;
    $('schedule-login').checked = schedule.startAtLogin;
    $('schedule-notify-success').checked = schedule.notifySuccess;
    recurringOnly.hidden = schedule.mode !== 'recurring';
    status.textContent = explain(schedule);
    stayOpen.hidden = !(schedule.mode === 'recurring' && !schedule.paused && !schedule.trayAvailable);
    section.dataset.mode = schedule.mode;
    section.removeAttribute('aria-busy');
  }

  async function save() {
    if (!current) return;
    const mode = section.querySelector('input[name="sync-mode"]:checked')?.value ?? current.mode;
    if (!time.value) return; // half-typed time: wait for a whole one
    try {
      error.hidden = true;
      show(await invoke('save_schedule', {
        mode,
        dailyAt: time.value.slice(0, 5),
        paused: $('schedule-paused').checked,
        notifySuccess: $('schedule-notify-success').checked,
        startAtLogin: $('schedule-login').checked,
      }));
    } catch (e) {
      error.textContent = sentence(e.message);
      error.hidden = false;
      if (current) show(current);
    }
  }

  section.addEventListener('change', save);
  const ready = watchSchedule((schedule) => {
    if (section.isConnected || !current) show(schedule);
  });
  // Stop following events once the page is replaced.
  ready.then((unlisten) => {
    const observer = new MutationObserver(() => {
      if (!section.isConnected) {
        unlisten();
        observer.disconnect();
      }
    });
    observer.observe(document.getElementById('page') ?? document.body, { childList: true });
  });
  return { section, ready };
}
