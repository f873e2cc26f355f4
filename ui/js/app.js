// The app frame: a hash router over one module per page, keyboard navigation, the account area
// and the start-up check that the data store opened.
//
// Adding a page: create `pages/<name>.js` exporting `title` and `render(container)`, add it to
// PAGES below and a link with data-page="<name>" to the nav in index.html.

import { invoke } from './api.js';
import { h, sentence } from './dom.js';
import * as account from './account.js';
import * as welcome from './welcome.js';
import * as statusLine from './status-line.js';
import { nextRunText, watchSchedule } from './settings-schedule.js';
import * as directory from './pages/directory.js';
import * as groups from './pages/groups.js';
import * as sync from './pages/sync.js';
import * as settings from './pages/settings.js';

const PAGES = { directory, groups, sync, settings };
const DEFAULT_PAGE = 'directory';

const pageEl = document.getElementById('page');
const navLinks = () => [...document.querySelectorAll('#nav a[data-page]')];

function currentPage() {
  const name = location.hash.replace(/^#\/?/, '').split('/')[0];
  return name in PAGES ? name : null;
}

let renderCount = 0;

async function show() {
  const name = currentPage();
  if (!name) {
    location.replace(`#/${DEFAULT_PAGE}`);
    return;
  }
  for (const link of navLinks()) {
    if (link.dataset.page === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const render = ++renderCount;
  pageEl.dataset.page = name;
  await PAGES[name].render(pageEl);
  if (render === renderCount) pageEl.dataset.ready = name;
}

// Arrow keys move between navigation links; Ctrl+1..4 jumps straight to a page.
function onNavKey(event) {
  const links = navLinks();
  const index = links.indexOf(document.activeElement);
  if (index < 0) return;
  const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: links.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  links[(moves[event.key] + links.length) % links.length].focus();
}

function onGlobalKey(event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
  const link = navLinks()[Number(event.key) - 1];
  if (!link) return;
  event.preventDefault();
  link.focus();
  location.hash = link.getAttribute('href');
}

// A store that failed to open (e.g. written by a newer version) is explained on every page.
async function checkStore() {
  try {
    await invoke('app_info');
  } catch (error) {
    const alert = document.getElementById('alert');
    alert.replaceChildren(h('strong', {}, 'Directory Sync cannot open its data.'), sentence(error.message));
    alert.hidden = false;
  }
}

document.getElementById('nav').addEventListener('keydown', onNavKey);
document.addEventListener('keydown', onGlobalKey);
window.addEventListener('hashchange', show);
account.render(document.getElementById('account'));
welcome.render(document.querySelector('.content'));
statusLine.render(document.querySelector('.statusbar'));
watchSchedule((schedule) => statusLine.setNextRun(nextRunText(schedule)));
show();
checkStore();
