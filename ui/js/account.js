// The account area, top right. Sign-in is not part of the app yet, so it says so plainly.

import { h, icon } from './dom.js';

export function render(container) {
  const avatar = h('span', { class: 'avatar' },
    icon('M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M4.5 20c1-3.6 4-5.5 7.5-5.5s6.5 1.9 7.5 5.5'));
  container.replaceChildren(avatar, h('span', { id: 'account-state' }, 'Not signed in'));
}
