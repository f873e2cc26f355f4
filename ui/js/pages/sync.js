// Sync: Sync now, and the AAD sync history (runs, log files, Reset sync).

import { invoke } from '../api.js';
import { h, pageHeader, sentence } from '../dom.js';
import { renderHistory } from '../history.js';

export const title = 'Sync';

export async function render(container) {
  const syncNow = h('button', { type: 'button', class: 'primary', id: 'sync-now' }, 'Sync now');
  const message = h('p', { class: 'sync-message', role: 'status', 'aria-live': 'polite' });
  syncNow.addEventListener('click', async () => {
    syncNow.disabled = true;
    message.textContent = '';
    try {
      await invoke('start_sync', {});
      message.textContent = 'Sync started; its progress is in the status line below.';
    } catch (error) {
      message.textContent = sentence(error.message);
    } finally {
      syncNow.disabled = false;
    }
  });
  container.replaceChildren(
    ...pageHeader('Sync', 'Keeping the directory in step with your Entra ID tenant.'),
    h('div', { class: 'sync-actions' }, syncNow, message),
  );
  await renderHistory(container);
}
