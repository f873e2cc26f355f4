// Sync: runs against the tenant and their history.

import { emptyState, pageHeader } from '../dom.js';

export const title = 'Sync';

export function render(container) {
  container.replaceChildren(
    ...pageHeader('Sync', 'Keeping the directory in step with your Entra ID tenant.'),
    emptyState({
      id: 'sync-empty',
      title: 'No sync has run yet.',
      hint: 'Every run appears here, newest first, with its trigger, duration, status and the '
        + 'number of people added, updated and removed.',
      iconPaths: ['M20 11a8 8 0 0 0-14.3-4.9L4 8', 'M4 3.5V8h4.5', 'M4 13a8 8 0 0 0 14.3 4.9L20 16',
        'M20 20.5V16h-4.5'],
    }),
  );
}
