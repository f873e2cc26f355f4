// Settings: the tenant and sync options as they land; for now, what this app is and where its
// data lives (read from Rust through the `app_info` command).

import { invoke } from '../api.js';
import { h, pageHeader, sentence } from '../dom.js';
import { scheduleSection } from '../settings-schedule.js';

export const title = 'Settings';

function fact(label, id, value, extraClass = '') {
  return [h('dt', {}, label), h('dd', { id, class: extraClass }, value)];
}

export async function render(container) {
  const about = h('dl', { class: 'facts', id: 'about', 'aria-busy': 'true' },
    fact('Version', 'app-version', 'Loading…'));
  container.replaceChildren(
    ...pageHeader('Settings', 'How this app connects to your tenant and where it keeps its data.'),
    h('section', { class: 'panel', 'aria-labelledby': 'about-heading' },
      h('h2', { id: 'about-heading' }, 'About and data'),
      about),
    h('section', { class: 'panel', 'aria-labelledby': 'tenant-heading' },
      h('h2', { id: 'tenant-heading' }, 'Tenant and sync'),
      h('p', { class: 'hint', id: 'tenant-note' },
        'The tenant, sync scope, daily time and deletion guard are set here once sign-in and sync '
        + 'are part of the app. Until then, the command line sets them: ',
        h('code', {}, 'dirsync config set tenant contoso.onmicrosoft.com'), '.')),
  );

  try {
    const info = await invoke('app_info');
    about.replaceChildren(
      ...fact('Version', 'app-version', info.version),
      ...fact('Data folder', 'data-dir', info.dataDir, 'path'),
      ...fact('Database', 'database-path', info.databasePath, 'path'),
      ...fact('Schema version', 'schema-version', String(info.schemaVersion)),
    );
  } catch (error) {
    about.replaceChildren(...fact('Problem', 'app-info-error', sentence(error.message)));
  } finally {
    about.removeAttribute('aria-busy');
  }

  // Daily sync (issue 8) lives in its own module.
  const schedule = scheduleSection();
  container.append(schedule.section);
  await schedule.ready;
}
