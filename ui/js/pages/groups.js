// Groups: the Employee network, dynamic groups defined by rules, and static groups.

import { emptyState, pageHeader } from '../dom.js';

export const title = 'Groups';

export function render(container) {
  container.replaceChildren(
    ...pageHeader('Groups', 'Who belongs together, by rule or by hand.'),
    emptyState({
      id: 'groups-empty',
      title: 'Groups appear here once the directory has been synced.',
      hint: 'The Employee network, dynamic groups whose members follow a rule, and static groups '
        + 'you fill by hand, each with its member count.',
      iconPaths: ['M5 3h4.5a2 2 0 0 1 2 2v4.5a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z',
        'M14.5 3H19a2 2 0 0 1 2 2v4.5a2 2 0 0 1-2 2h-4.5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z',
        'M5 12.5h4.5a2 2 0 0 1 2 2V19a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4.5a2 2 0 0 1 2-2z',
        'M14.5 12.5H19a2 2 0 0 1 2 2V19a2 2 0 0 1-2 2h-4.5a2 2 0 0 1-2-2v-4.5a2 2 0 0 1 2-2z'],
    }),
  );
}
