// The rule editor: a monospace text area that checks an Entra-style membership rule as you type
// (debounced `rules_check`), underlines the character where the rule goes wrong and says why,
// with the rule line and a caret under the position.
//
// The underline is drawn on a backdrop behind the transparent text area that mirrors its text,
// so the admin keeps a plain, fully editable text area (no contenteditable).

import { invoke } from './api.js';
import { h } from './dom.js';

const CHECK_DELAY_MS = 150;
export const EXAMPLE = '(user.jobTitle -eq "Senior Manager") -and (user.department -eq "Finance")';

// `onValid(text)` runs after a successful check of a non-empty rule; `onInvalid(check)` after a
// failed one (and with null for an empty rule).
export function ruleEditor({ id, value = '', label = 'Rule', onValid, onInvalid }) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const backdrop = h('div', { class: 'rule-backdrop', 'aria-hidden': 'true' });
  const textarea = h('textarea', {
    id, class: 'rule-input', rows: 4, spellcheck: 'false', autocomplete: 'off',
    autocapitalize: 'off', 'aria-describedby': `${hintId} ${errorId}`,
    placeholder: EXAMPLE,
  });
  textarea.value = value;
  const message = h('p', { class: 'rule-message' });
  const caret = h('pre', { class: 'rule-caret', 'aria-hidden': 'true' });
  const error = h('div', { id: errorId, class: 'rule-error', role: 'status', hidden: true }, message, caret);
  const element = h('div', { class: 'rule-editor' },
    h('label', { for: id }, label),
    h('p', { id: hintId, class: 'hint' },
      'Entra ID dynamic membership syntax, e.g. user.department -eq "Sales" -and user.accountEnabled -eq true'),
    h('div', { class: 'rule-field' }, backdrop, textarea),
    error);

  let timer = null;
  let request = 0;
  let lastMark = null;

  function mirror() {
    // The backdrop holds the same text; the error character (or a space at the end) is marked.
    const text = textarea.value;
    if (lastMark == null) {
      backdrop.replaceChildren(text, '\n');
    } else {
      const chars = [...text];
      const at = Math.min(lastMark, chars.length);
      const bad = chars[at] && chars[at] !== '\n' ? chars[at] : ' ';
      const after = chars[at] && chars[at] !== '\n' ? chars.slice(at + 1) : chars.slice(at);
      backdrop.replaceChildren(chars.slice(0, at).join(''),
        h('mark', { class: 'rule-mark' }, bad), after.join(''), '\n');
    }
    backdrop.scrollTop = textarea.scrollTop;
  }

  function showError(check) {
    lastMark = check.position;
    textarea.setAttribute('aria-invalid', 'true');
    const expected = check.expected ? `; expected ${check.expected}` : '';
    message.textContent = `${check.message} at position ${check.position}${expected}`;
    // The line holding the error, and a caret under the position.
    const chars = [...textarea.value];
    const pos = Math.min(check.position, chars.length);
    const start = chars.lastIndexOf('\n', pos - 1) + 1;
    let end = chars.indexOf('\n', pos);
    if (end < 0) end = chars.length;
    caret.textContent = `${chars.slice(start, end).join('')}\n${' '.repeat(pos - start)}^`;
    error.hidden = false;
    mirror();
  }

  function clearError() {
    lastMark = null;
    textarea.removeAttribute('aria-invalid');
    error.hidden = true;
    mirror();
  }

  async function check() {
    const text = textarea.value;
    const mine = ++request;
    if (!text.trim()) {
      clearError();
      onInvalid?.(null);
      return;
    }
    let result;
    try {
      result = await invoke('rules_check', { rule: text });
    } catch (e) {
      result = { valid: false, position: 0, message: e.message, expected: null };
    }
    if (mine !== request) return;
    if (result.valid) {
      clearError();
      onValid?.(text);
    } else {
      showError(result);
      onInvalid?.(result);
    }
  }

  textarea.addEventListener('input', () => {
    // Keep the underline where the text is while the check is pending.
    mirror();
    clearTimeout(timer);
    timer = setTimeout(check, CHECK_DELAY_MS);
  });
  textarea.addEventListener('scroll', () => { backdrop.scrollTop = textarea.scrollTop; });
  mirror();

  return {
    element,
    textarea,
    value: () => textarea.value,
    check,
  };
}
