// Settings: one panel per section, each from its own module exporting a function that returns
// `{ section, ready }` (`ready` settles when the section shows its data). Adding a section: write
// `ui/js/settings-<name>.js` and add it to SECTIONS in the order the admin should meet it.

import { invoke } from '../api.js';
import { h, pageHeader, sentence } from '../dom.js';
import { tenantSection } from '../settings-tenant.js';
import { scheduleSection } from '../settings-schedule.js';
import { scopeSection } from '../settings-scope.js';

export const title = 'Settings';

const SECTIONS = [
  tenantSection, // Tenant: authority, tenant, client id, Graph URL, the demo tenant (issue 4)
  scheduleSection, // Daily sync (issue 8)
  scopeSection, // Sync scope: who enters the directory (issue 7)
  aboutSection, // Version, data folder, database
];

function fact(label, id, value, extraClass = '') {
  return [h('dt', {}, label), h('dd', { id, class: extraClass }, value)];
}

// What this app is and where its data lives (read from Rust through `app_info`).
function aboutSection() {
  const about = h('dl', { class: 'facts', id: 'about', 'aria-busy': 'true' },
    fact('Version', 'app-version', 'Loading…'));
  const section = h('section', { class: 'panel', 'aria-labelledby': 'about-heading' },
    h('h2', { id: 'about-heading' }, 'About and data'),
    about);
  const ready = (async () => {
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
  })();
  return { section, ready };
}

export async function render(container) {
  const sections = SECTIONS.map((make) => make());
  container.replaceChildren(
    ...pageHeader('Settings', 'How this app connects to your tenant and where it keeps its data.'),
    ...sections.map((s) => s.section),
  );
  await Promise.all(sections.map((s) => s.ready));
}
