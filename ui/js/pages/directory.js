// Directory: the synced organization directory. Indexed search (debounced) over pages of 100
// rows with "Load more" (loaded automatically as the end scrolls into view), sortable columns,
// a detail panel for the selected person, and the More ▾ menu (Configure AAD Sync, AAD sync
// history, Export directory (CSV)).

import { invoke, listen } from '../api.js';
import { emptyState, h, pageHeader, sentence } from '../dom.js';
import { openConfigureSync } from '../configure-sync.js';

export const title = 'Directory';

const PAGE_SIZE = 100;
const SEARCH_DELAY_MS = 200;
const BUILTIN_COLUMNS = [
  { key: 'name', label: 'Name' },
  { key: 'phone', label: 'Phone number' },
  { key: 'city', label: 'City' },
];
const PEOPLE_ICON = ['M9 11.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z', 'M2.5 19c.8-3.4 3.4-5 6.5-5s5.7 1.6 6.5 5',
  'M16 4.8a3.5 3.5 0 0 1 0 6.4', 'M18 14.3c1.9.7 3.1 2.3 3.5 4.7'];

const number = (n) => Number(n).toLocaleString('en-US');

// The page's state; one Directory page exists at a time.
let view = null;

export async function render(container) {
  view = {
    container,
    text: '',
    sort: 'name',
    descending: false,
    rows: [],
    total: 0,
    addedFields: [],
    selected: null,
    request: 0,
  };
  const search = h('input', {
    id: 'directory-search', type: 'search', placeholder: 'Search name, UPN, mail, phone, city, department, job title',
    'aria-label': 'Search people', autocomplete: 'off', spellcheck: 'false',
  });
  const header = h('div', { class: 'directory-head' },
    h('div', {}, ...pageHeader('Directory'), h('p', { id: 'directory-count', class: 'lead' })),
    moreMenu());
  const toolbar = h('div', { class: 'directory-toolbar' }, search,
    h('span', { id: 'directory-matches', class: 'directory-matches', 'aria-live': 'polite' }),
    h('span', { id: 'directory-notice', class: 'directory-notice', role: 'status' }));
  const body = h('div', { id: 'directory-body', class: 'directory-body' });
  container.replaceChildren(h('div', { class: 'directory-page' }, header, toolbar, body));

  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      view.text = search.value;
      load({ reset: true });
    }, SEARCH_DELAY_MS);
  });
  await load({ reset: true });
}

// Refresh when a run applied changes while the page is open.
listen('sync://finished', (done) => {
  if (!view || !view.container.isConnected || view.container.dataset.page !== 'directory') return;
  if (done?.run?.status === 'success') load({ reset: true, keepSelection: true });
});

async function load({ reset, keepSelection = false }) {
  const current = view;
  const request = ++current.request;
  const offset = reset ? 0 : current.rows.length;
  let page;
  try {
    page = await invoke('search_users', {
      text: current.text, sort: current.sort, descending: current.descending, offset, limit: PAGE_SIZE,
    });
  } catch (error) {
    showError(error);
    return;
  }
  // A newer search (or a re-render) superseded this one.
  if (current !== view || request !== current.request) return;
  current.rows = reset ? page.items : current.rows.concat(page.items);
  current.total = page.total;
  current.addedFields = page.addedFields;
  const people = { 0: 'No people yet', 1: '1 person' }[page.directoryTotal]
    ?? `${number(page.directoryTotal)} people`;
  document.getElementById('directory-count').textContent = `${people} · ${page.group}`;
  if (page.directoryTotal === 0) {
    showEmpty();
    return;
  }
  document.getElementById('directory-matches').textContent = current.text.trim()
    ? `${number(page.total)} ${page.total === 1 ? 'match' : 'matches'}` : '';
  if (reset) drawTable(); else appendRows(page.items);
  updateLoadMore();
  if (reset && !(keepSelection && current.rows.some((r) => r.id === current.selected))) {
    current.selected = null;
    drawDetail(null);
  } else if (keepSelection && current.selected) {
    select(current.selected, { focus: false });
  }
}

function showError(error) {
  const body = document.getElementById('directory-body');
  if (!body) return;
  body.replaceChildren(h('div', { class: 'panel directory-error', role: 'alert' }, sentence(error.message)));
}

function showEmpty() {
  document.getElementById('directory-matches').textContent = '';
  document.getElementById('directory-search').disabled = true;
  const configure = h('button', { type: 'button', class: 'primary', id: 'directory-empty-configure' },
    'Configure AAD Sync');
  configure.addEventListener('click', () => openConfigureSync({ returnFocus: configure }));
  const panel = emptyState({
    id: 'directory-empty',
    title: 'The organization directory appears here after the first sync.',
    hint: 'Sign in, then More → Configure AAD Sync.',
    iconPaths: PEOPLE_ICON,
  });
  panel.append(h('p', { class: 'actions' }, configure));
  document.getElementById('directory-body').replaceChildren(panel);
}

// --- The table -------------------------------------------------------------------------------

function columns() {
  return BUILTIN_COLUMNS.concat(view.addedFields.map((f) => ({ key: f, label: f, added: true })));
}

function drawTable() {
  document.getElementById('directory-search').disabled = false;
  const headRow = h('tr', {}, columns().map((col) => {
    const active = view.sort === col.key;
    const button = h('button', { type: 'button', class: 'sort', 'data-sort': col.key }, col.label,
      h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (view.descending ? '▾' : '▴') : ''));
    button.addEventListener('click', () => {
      view.descending = view.sort === col.key ? !view.descending : false;
      view.sort = col.key;
      load({ reset: true, keepSelection: true }).then(() => {
        document.querySelector(`#directory-table th button[data-sort="${CSS.escape(col.key)}"]`)?.focus();
      });
    });
    return h('th', { scope: 'col', 'aria-sort': active ? (view.descending ? 'descending' : 'ascending') : 'none' },
      button);
  }));
  const tbody = h('tbody', { id: 'directory-rows' });
  tbody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-id]');
    if (tr) select(tr.dataset.id, { focus: true });
  });
  tbody.addEventListener('keydown', onRowKey);
  const table = h('table', { id: 'directory-table', class: 'directory-table', 'aria-label': 'People' },
    h('thead', {}, headRow), tbody);
  const more = h('button', { type: 'button', id: 'directory-load-more', class: 'load-more' }, 'Load more');
  more.addEventListener('click', () => load({ reset: false }));
  const list = h('div', { class: 'directory-list' }, table, more,
    view.rows.length === 0 ? h('p', { id: 'directory-no-match', class: 'hint' },
      'Nobody matches this search. Search looks at the start of words in name, UPN, mail, phone, '
      + 'city, department and job title.') : null);
  const detail = h('aside', { id: 'directory-detail', class: 'directory-detail', 'aria-label': 'Selected person' });
  document.getElementById('directory-body').replaceChildren(list, detail);
  appendRows(view.rows);
  // Load the next page when "Load more" scrolls into view, so scrolling feels continuous.
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && !more.hidden && view.rows.length < view.total) {
      load({ reset: false });
    }
  }, { root: document.querySelector('.content'), rootMargin: '200px' }).observe(more);
}

function appendRows(items) {
  const tbody = document.getElementById('directory-rows');
  if (!tbody) return;
  const fragment = document.createDocumentFragment();
  for (const user of items) {
    const secondary = [user.jobTitle, user.department].filter(Boolean).join(' · ');
    const nameCell = h('td', { class: 'name' },
      h('span', { class: 'primary' }, user.name ?? user.upn ?? user.id,
        user.guest ? h('span', { class: 'tag' }, 'Guest') : null,
        user.accountEnabled === false ? h('span', { class: 'tag' }, 'Disabled') : null),
      secondary ? h('span', { class: 'secondary' }, secondary) : null);
    fragment.append(h('tr', { 'data-id': user.id, tabindex: '-1', 'aria-selected': String(user.id === view.selected) },
      nameCell,
      h('td', { class: 'phone' }, user.phone ?? ''),
      h('td', {}, user.city ?? ''),
      user.added.map((v) => h('td', {}, v ?? ''))));
  }
  tbody.append(fragment);
  // One row is in the tab order: the selected one, else the first.
  const rows = [...tbody.rows];
  const focusable = rows.find((r) => r.dataset.id === view.selected) ?? rows[0];
  for (const r of rows) r.tabIndex = r === focusable ? 0 : -1;
}

function updateLoadMore() {
  const more = document.getElementById('directory-load-more');
  if (!more) return;
  const left = view.total - view.rows.length;
  more.hidden = left <= 0;
  more.textContent = `Load more (${number(left)} left)`;
}

function onRowKey(event) {
  const tr = event.target.closest('tr[data-id]');
  if (!tr) return;
  const rows = [...tr.parentElement.rows];
  const index = rows.indexOf(tr);
  const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: rows.length - 1 };
  if (event.key in moves) {
    event.preventDefault();
    const next = rows[Math.max(0, Math.min(rows.length - 1, moves[event.key]))];
    select(next.dataset.id, { focus: true });
    if (event.key === 'ArrowDown' && index === rows.length - 1 && view.rows.length < view.total) {
      load({ reset: false });
    }
  } else if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    select(tr.dataset.id, { focus: true });
  }
}

async function select(id, { focus }) {
  view.selected = id;
  for (const tr of document.querySelectorAll('#directory-rows tr')) {
    const on = tr.dataset.id === id;
    tr.setAttribute('aria-selected', String(on));
    tr.tabIndex = on ? 0 : -1;
    if (on && focus) tr.focus();
  }
  const current = view;
  try {
    const user = await invoke('get_user', { id });
    if (current === view && current.selected === id) drawDetail(user);
  } catch (error) {
    if (current === view && current.selected === id) {
      document.getElementById('directory-detail')?.replaceChildren(
        h('p', { class: 'hint', role: 'alert' }, sentence(error.message)));
    }
  }
}

// --- The detail panel ----------------------------------------------------------------------

function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function drawDetail(user) {
  const panel = document.getElementById('directory-detail');
  if (!panel) return;
  if (!user) {
    panel.replaceChildren(h('p', { class: 'hint' }, 'Select a person to see every mapped field and their groups.'));
    return;
  }
  const fact = (label, value, cls) => [h('dt', {}, label), h('dd', { class: cls }, value ?? '—')];
  const mapped = user.fields.flatMap((f) => fact(f.name, f.value));
  panel.replaceChildren(
    h('h2', { id: 'detail-name' }, user.displayName ?? user.upn ?? user.id),
    [user.jobTitle, user.department].some(Boolean)
      ? h('p', { class: 'secondary' }, [user.jobTitle, user.department].filter(Boolean).join(' · ')) : null,
    h('h3', {}, 'Mapped fields'),
    h('dl', { class: 'facts', id: 'detail-fields' }, mapped),
    h('h3', {}, 'Azure AD'),
    h('dl', { class: 'facts' },
      fact('Object id', user.id, 'path'),
      fact('UPN', user.upn),
      fact('Mail', user.mail),
      fact('Account state', user.accountState),
      fact('Type', user.guest ? 'Guest' : 'Member'),
      fact('Added', when(user.addedAt)),
      fact('Changed', when(user.changedAt))),
    h('h3', {}, 'Groups'),
    user.groups.length
      ? h('ul', { id: 'detail-groups', class: 'groups' }, user.groups.map((g) => h('li', {}, g)))
      : h('p', { class: 'hint' }, 'No groups.'),
  );
}

// --- More ▾ ---------------------------------------------------------------------------------

let historyModule;
// The history pane is another feature's module; offer it only when it is there.
async function loadHistory() {
  if (historyModule === undefined) {
    historyModule = await import('../history.js').catch(() => null);
  }
  return historyModule?.openHistory ? historyModule : null;
}

function moreMenu() {
  const button = h('button', {
    type: 'button', id: 'directory-more', class: 'more', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
    'aria-controls': 'directory-more-menu',
  }, 'More', h('span', { 'aria-hidden': 'true' }, ' ▾'));
  const item = (action, label) => h('li', { role: 'none' },
    h('button', { type: 'button', role: 'menuitem', tabindex: '-1', 'data-action': action }, label));
  const menu = h('ul', { id: 'directory-more-menu', class: 'menu', role: 'menu', 'aria-label': 'More', hidden: true },
    item('configure', 'Configure AAD Sync'),
    item('history', 'AAD sync history'),
    item('export', 'Export directory (CSV)'));
  const historyItem = menu.querySelector('[data-action="history"]').parentElement;
  historyItem.hidden = true;
  loadHistory().then((m) => { historyItem.hidden = !m; });

  const items = () => [...menu.querySelectorAll('[role="menuitem"]')].filter((b) => !b.parentElement.hidden);
  const open = (focusIndex = 0) => {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    items().at(focusIndex)?.focus();
  };
  const close = (refocus = true) => {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (refocus) button.focus();
  };
  button.addEventListener('click', () => (menu.hidden ? open() : close()));
  button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); open(0); }
    if (e.key === 'ArrowUp') { e.preventDefault(); open(-1); }
  });
  menu.addEventListener('keydown', (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    const moves = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: list.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      list[(moves[e.key] + list.length) % list.length].focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    } else if (e.key === 'Tab') {
      close(false);
    }
  });
  menu.addEventListener('focusout', (e) => {
    if (!menu.contains(e.relatedTarget) && e.relatedTarget !== button) close(false);
  });
  menu.addEventListener('click', async (e) => {
    const action = e.target.closest('[data-action]')?.dataset.action;
    if (!action) return;
    close(action !== 'configure');
    if (action === 'configure') openConfigureSync({ returnFocus: button });
    if (action === 'history') (await loadHistory())?.openHistory();
    if (action === 'export') exportCsv();
  });
  return h('div', { class: 'more-wrap' }, button, menu);
}

async function exportCsv() {
  const notice = document.getElementById('directory-notice');
  try {
    const done = await invoke('export_directory', { search: '' });
    if (done) {
      notice.textContent = `Exported ${number(done.users)} ${done.users === 1 ? 'person' : 'people'} to ${done.path}`;
    }
  } catch (error) {
    notice.textContent = sentence(error.message);
  }
}
