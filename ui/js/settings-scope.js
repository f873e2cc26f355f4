// Settings › Sync scope: the membership rule deciding which Azure AD users enter the directory at
// all (default: members, no guests). The rule editor checks it as you type; Preview shows who in
// the directory it would keep and who would leave, and what the next sync then does (a full round
// whose removals pass the deletion guard); Save asks first, saying exactly that.
//
// Who a wider scope admits only Azure AD knows (people outside the scope are never stored): the
// full round reads them, and Preview on the Sync page shows them before anything is applied.

import { invoke } from './api.js';
import { h, sentence } from './dom.js';
import { ruleEditor } from './rule-editor.js';

const SAMPLE_SHOWN = 10;

const number = (n) => Number(n).toLocaleString('en-US');
const people = (n) => (n === 1 ? '1 person' : `${number(n)} people`);

function button(label, attrs, onClick) {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', onClick);
  return b;
}

// What the next sync does with these removals, in the admin's words.
function guardText(p) {
  if (p.removed === 0) return 'Nobody in the directory leaves.';
  return p.guardStops
    ? `${people(p.removed)} would leave: more than the deletion guard allows (${number(p.guardThreshold)}), `
      + 'so that sync stops as Needs approval and removes nobody until you choose Allow deletes in AAD sync history.'
    : `${people(p.removed)} would leave: within the deletion guard (${number(p.guardThreshold)}), `
      + 'so that sync removes them (plus anyone deleted in Azure AD meanwhile, still under the guard).';
}

function previewBody(p) {
  const shown = p.removedSample.slice(0, SAMPLE_SHOWN);
  const more = p.removed - shown.length;
  return [
    h('p', { id: 'scope-counts', class: 'rule-preview' },
      `Keeps ${people(p.kept)} · ${number(p.removed)} leave the directory`),
    shown.length ? h('div', { class: 'person-group leave' },
      h('h4', {}, 'Would leave'),
      h('ul', { id: 'scope-leaving', class: 'scope-people' },
        ...shown.map((m) => h('li', { 'data-user': m.id },
          h('span', { class: 'primary' }, m.name ?? m.upn ?? m.id),
          m.upn && m.name ? h('span', { class: 'secondary' }, ` ${m.upn}`) : null)),
        more > 0 ? h('li', { class: 'secondary' }, `and ${people(more)} more`) : null)) : null,
    h('p', { id: 'scope-entering', class: 'hint' },
      'Would enter: people in Azure AD this rule admits who are not in the directory yet. Only Azure AD '
      + 'knows them; the next sync reads them, and Preview on the Sync page lists them before anything changes.'),
    h('p', { id: 'scope-next-sync' }, p.changed
      ? `The next sync reads every user again (a full round) under this scope. ${guardText(p)}`
      : 'This is the scope the directory was last synced under: the next sync changes nothing because of it.'),
  ].filter(Boolean);
}

// Returns { section, ready }: `ready` settles once the section shows the scope in force.
export function scopeSection() {
  const current = h('p', { id: 'scope-current' });
  const status = h('p', { id: 'scope-status', class: 'hint', role: 'status' });
  const result = h('div', { id: 'scope-preview', class: 'scope-preview', 'aria-live': 'polite' });
  const confirm = h('div', { id: 'scope-confirm', class: 'group-confirm', hidden: true });
  let scope = null;
  let valid = false;

  const editor = ruleEditor({
    id: 'scope-rule',
    label: 'Who is synced',
    onValid: () => { valid = true; refreshButtons(); },
    onInvalid: () => { valid = false; refreshButtons(); },
  });
  editor.textarea.addEventListener('input', () => {
    // Anything shown is about the previous text.
    result.replaceChildren();
    confirm.hidden = true;
    status.textContent = '';
    valid = false;
    refreshButtons();
  });

  const previewButton = button('Preview', { id: 'scope-preview-button' }, () => preview());
  const saveButton = button('Save', { id: 'scope-save', class: 'primary' }, () => askToSave());
  const defaultButton = button('Use the default', { id: 'scope-default' }, async () => {
    editor.textarea.value = scope.defaultRule;
    editor.textarea.dispatchEvent(new Event('input'));
    await editor.check();
    await preview();
  });

  function refreshButtons() {
    const text = editor.value().trim();
    previewButton.disabled = !valid;
    saveButton.disabled = !valid || !scope || text === scope.rule;
    defaultButton.disabled = !scope || text === scope.defaultRule;
  }

  function showCurrent(s) {
    scope = s;
    current.replaceChildren('In force: ', h('code', {}, s.rule),
      s.isDefault ? ' (the default: members, no guests)' : '',
      s.pending ? '. Not applied yet: the next sync is a full round under it.' : '');
  }

  async function preview() {
    status.textContent = '';
    confirm.hidden = true;
    try {
      const p = await invoke('preview_sync_scope', { rule: editor.value() });
      result.replaceChildren(...previewBody(p));
      return p;
    } catch (error) {
      result.replaceChildren(h('p', { class: 'field-error', role: 'alert' }, sentence(error.message)));
      return null;
    }
  }

  async function askToSave() {
    const p = await preview();
    if (!p) return;
    const guard = p.removed === 0
      ? 'Nobody in the directory leaves.'
      : `It removes the ${people(p.removed)} this rule no longer selects, under the deletion guard`
        + (p.guardStops
          ? ` (over its limit of ${number(p.guardThreshold)}: that sync stops as Needs approval until you allow the deletes).`
          : ` (within its limit of ${number(p.guardThreshold)}).`);
    const yes = button('Save scope', { id: 'scope-confirm-save', class: 'primary' }, () => save());
    const no = button('Cancel', { id: 'scope-confirm-cancel' }, () => {
      confirm.hidden = true;
      saveButton.focus();
    });
    confirm.replaceChildren(
      h('p', { id: 'scope-confirm-text' },
        'Save this sync scope? Nothing changes now. The next sync reads every user again (a full round) '
        + `and keeps only the people this rule selects. ${guard}`),
      yes, no);
    confirm.hidden = false;
    yes.focus();
  }

  async function save() {
    confirm.hidden = true;
    try {
      const p = await invoke('save_sync_scope', { rule: editor.value() });
      showCurrent(await invoke('get_sync_scope'));
      editor.textarea.value = scope.rule;
      status.textContent = p.changed
        ? 'Saved. The next sync is a full round under this scope.'
        : 'Saved. The directory was already synced under this scope.';
    } catch (error) {
      status.textContent = sentence(error.message);
      if (error.code === 'rule_invalid') editor.textarea.focus();
    }
    refreshButtons();
  }

  const section = h('section', { class: 'panel scope-settings', id: 'sync-scope',
    'aria-labelledby': 'scope-heading', 'aria-busy': 'true' },
  h('h2', { id: 'scope-heading' }, 'Sync scope'),
  h('p', { class: 'hint' }, 'Which Azure AD users enter the directory at all. '
    + 'Changing it makes the next sync re-read everyone; people it no longer selects are removed under the deletion guard.'),
  current, editor.element,
  h('div', { class: 'actions' }, previewButton, saveButton, defaultButton),
  result, confirm, status);

  const ready = (async () => {
    try {
      showCurrent(await invoke('get_sync_scope'));
      editor.textarea.value = scope.rule;
      editor.textarea.dispatchEvent(new Event('input'));
      await editor.check();
    } catch (error) {
      current.replaceChildren(sentence(error.message));
    } finally {
      refreshButtons();
      section.removeAttribute('aria-busy');
    }
  })();
  return { section, ready };
}
