// Sync: Sync now, Preview, and the AAD sync history (runs, log files, Reset sync).

import { invoke } from '../api.js';
import { h, pageHeader, sentence } from '../dom.js';
import { renderHistory } from '../history.js';

export const title = 'Sync';

export async function render(container) {
  const message = h('p', { class: 'sync-message', role: 'status', 'aria-live': 'polite' });
  // Preview runs the same round without applying it; its history entry lists what it would do.
  const start = (label, id, preview, started) => {
    const b = h('button', { type: 'button', class: preview ? '' : 'primary', id }, label);
    b.addEventListener('click', async () => {
      b.disabled = true;
      message.textContent = '';
      try {
        await invoke('start_sync', preview ? { preview: true } : {});
        message.textContent = started;
      } catch (error) {
        message.textContent = sentence(error.message);
      } finally {
        b.disabled = false;
      }
    });
    return b;
  };
  const syncNow = start('Sync now', 'sync-now', false, 'Sync started; its progress is in the status line below.');
  const preview = start('Preview', 'sync-preview', true,
    'Preview started: nothing will be applied. When it ends, its entry in the history below lists what a sync would add, change and remove.');
  container.replaceChildren(
    ...pageHeader('Sync', 'Keeping the directory in step with your Entra ID tenant.'),
    h('div', { class: 'sync-actions' }, syncNow, preview, message),
  );
  await renderHistory(container);
}
