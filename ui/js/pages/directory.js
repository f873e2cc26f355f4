// Directory: the synced organization directory. Until sync lands, it says what will be here.

import { emptyState, pageHeader } from '../dom.js';

export const title = 'Directory';

export function render(container) {
  container.replaceChildren(
    ...pageHeader('Directory', 'Everyone in your organization, as synced from Entra ID.'),
    emptyState({
      id: 'directory-empty',
      title: 'The organization directory appears here after the first sync.',
      hint: 'Each person is listed with name, phone number and city, searchable and sortable, '
        + 'with every mapped field and the groups they belong to.',
      iconPaths: ['M9 11.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z', 'M2.5 19c.8-3.4 3.4-5 6.5-5s5.7 1.6 6.5 5',
        'M16 4.8a3.5 3.5 0 0 1 0 6.4', 'M18 14.3c1.9.7 3.1 2.3 3.5 4.7'],
    }),
  );
}
