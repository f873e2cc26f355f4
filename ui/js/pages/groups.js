// Groups: the Employee network, dynamic groups whose members follow a rule, and static groups
// filled by hand. The list shows member counts; selecting a group opens it beside the list.
//
// A dynamic group's editor checks the rule as you type (rule-editor.js), previews against the
// whole directory who it selects and the difference against the saved rule ("Matches 37 people ·
// +3 −1 against the saved rule"), lists members with search, and explains for a selected person
// which parts of the rule matched. Static groups take members by search. Save; Delete asks first.

import { invoke, listen } from '../api.js';
import { h, pageHeader, sentence } from '../dom.js';
import { ruleEditor } from '../rule-editor.js';

export const title = 'Groups';

const PREVIEW_DELAY_MS = 250;
const SEARCH_DELAY_MS = 200;
const MEMBER_PAGE = 100;
const KIND_LABEL = { builtin: 'Built-in', dynamic: 'Dynamic', static: 'Static' };

const number = (n) => Number(n).toLocaleString('en-US');
const people = (n) => (n === 1 ? '1 person' : `${number(n)} people`);
const members = (n) => (n === 1 ? '1 member' : `${number(n)} members`);

// The page's state; one Groups page exists at a time.
let view = null;

export async function render(container) {
  view = { container, groups: [], open: null, pane: null };
  const newDynamic = h('button', { type: 'button', class: 'primary', id: 'group-new-dynamic' }, 'New dynamic group');
  const newStatic = h('button', { type: 'button', id: 'group-new-static' }, 'New static group');
  newDynamic.addEventListener('click', () => openNew('dynamic'));
  newStatic.addEventListener('click', () => openNew('static'));
  container.replaceChildren(h('div', { class: 'groups-page' },
    h('div', { class: 'groups-head' },
      h('div', {}, ...pageHeader('Groups', 'Who belongs together: by rule, by hand, or everyone.')),
      h('div', { class: 'groups-actions' }, newDynamic, newStatic)),
    h('div', { class: 'groups-body' },
      h('nav', { class: 'panel groups-list', 'aria-label': 'Groups' }, h('ul', { id: 'groups-list' })),
      h('section', { id: 'group-pane', class: 'panel group-pane', 'aria-live': 'polite' },
        h('p', { class: 'hint' }, 'Select a group to see its members, or create a new one.')))));
  await loadList();
}

// Member counts change when a run applies.
listen('sync://finished', (done) => {
  if (!view || !view.container.isConnected || view.container.dataset.page !== 'groups') return;
  if (done?.run?.status === 'success') loadList();
});

async function loadList() {
  const list = document.getElementById('groups-list');
  if (!list) return;
  try {
    view.groups = await invoke('list_groups');
  } catch (error) {
    list.replaceChildren(h('li', { class: 'groups-error', role: 'alert' }, sentence(error.message)));
    return;
  }
  list.replaceChildren(...view.groups.map((g) => {
    const item = h('button', {
      type: 'button', class: 'group-item', 'data-group': g.name,
      'aria-current': view.open === g.name ? 'true' : false,
    },
    h('span', { class: 'group-name' }, g.name),
    h('span', { class: 'group-meta' },
      h('span', { class: `tag kind-${g.kind}` }, KIND_LABEL[g.kind]),
      h('span', { class: 'group-count' }, members(g.memberCount))));
    item.addEventListener('click', () => openGroup(g.name));
    return h('li', {}, item);
  }));
}

function markOpen(name) {
  view.open = name;
  for (const item of document.querySelectorAll('#groups-list .group-item')) {
    if (item.dataset.group === name) item.setAttribute('aria-current', 'true');
    else item.removeAttribute('aria-current');
  }
}

function pane() {
  return document.getElementById('group-pane');
}

async function openGroup(name, status) {
  markOpen(name);
  let group;
  try {
    group = await invoke('get_group', { name });
  } catch (error) {
    pane().replaceChildren(h('p', { class: 'groups-error', role: 'alert' }, sentence(error.message)));
    return;
  }
  if (group.kind === 'dynamic') dynamicEditor(group, status);
  else if (group.kind === 'static') staticEditor(group, status);
  else builtinView(group);
}

function openNew(kind) {
  markOpen(null);
  const blank = { name: '', description: '', rule: '', kind, memberCount: 0 };
  if (kind === 'dynamic') dynamicEditor(blank, null, true);
  else staticEditor(blank, null, true);
  document.getElementById('group-name')?.focus();
}

// Name and description inputs shared by both editors.
function nameFields(group) {
  const name = h('input', { id: 'group-name', type: 'text', autocomplete: 'off', required: true });
  name.value = group.name;
  const description = h('input', { id: 'group-description', type: 'text', autocomplete: 'off' });
  description.value = group.description ?? '';
  return {
    name,
    description,
    element: h('div', { class: 'group-fields' },
      h('label', { for: 'group-name' }, 'Name'), name,
      h('label', { for: 'group-description' }, 'Description'), description),
  };
}

// Save, Delete (with an inline confirmation) and a status line.
function actions({ isNew, group, onSave }) {
  const save = h('button', { type: 'submit', class: 'primary', id: 'group-save' }, 'Save');
  const status = h('span', { id: 'group-status', class: 'group-status', role: 'status' });
  const row = h('div', { class: 'group-buttons' }, save);
  const confirm = h('div', { id: 'group-delete-confirm', class: 'group-confirm', hidden: true });
  if (!isNew) {
    const del = h('button', { type: 'button', id: 'group-delete', class: 'danger' }, 'Delete');
    row.append(del);
    del.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'danger', id: 'group-delete-yes' }, 'Delete group');
      const no = h('button', { type: 'button', id: 'group-delete-no' }, 'Cancel');
      confirm.replaceChildren(
        h('p', {}, `Delete the group ${group.name}? Its ${members(group.memberCount)} stay in the directory.`),
        yes, no);
      confirm.hidden = false;
      no.addEventListener('click', () => { confirm.hidden = true; del.focus(); });
      yes.addEventListener('click', async () => {
        try {
          await invoke('delete_group', { name: group.name });
        } catch (error) {
          status.textContent = sentence(error.message);
          return;
        }
        view.open = null;
        await loadList();
        pane().replaceChildren(h('p', { class: 'hint', role: 'status' }, `Deleted ${group.name}.`));
      });
      no.focus();
    });
  }
  row.append(status);
  return { save, status, element: h('div', { class: 'group-actions' }, row, confirm), onSave };
}

function savedMessage(saved) {
  let text = `Saved · +${number(saved.joined)} −${number(saved.left)}`;
  if (saved.fullRoundRequired) {
    text += `. The next sync re-reads every user (a full round) to fetch ${saved.untracked.join(', ')}.`;
  }
  return text;
}

// ---- Dynamic groups ------------------------------------------------------------------------

function dynamicEditor(group, status, isNew = false) {
  const fields = nameFields(group);
  const state = { rule: group.rule ?? '', valid: !!group.rule, previewRequest: 0, selected: null, sample: [] };
  const preview = h('p', { id: 'rule-preview', class: 'rule-preview', 'aria-live': 'polite' });
  const untracked = h('p', { id: 'rule-untracked', class: 'hint', hidden: true });
  const diff = h('div', { id: 'rule-diff', class: 'rule-diff' });
  const explain = h('section', { id: 'rule-explain', class: 'rule-explain', 'aria-live': 'polite' });
  let timer = null;

  const editor = ruleEditor({
    id: 'group-rule',
    value: group.rule ?? '',
    onValid: (text) => {
      state.valid = true;
      state.rule = text;
      clearTimeout(timer);
      timer = setTimeout(runPreview, PREVIEW_DELAY_MS);
    },
    onInvalid: () => {
      state.valid = false;
      state.previewRequest += 1;
      preview.textContent = '';
      untracked.hidden = true;
      diff.replaceChildren();
    },
  });

  async function runPreview() {
    const mine = ++state.previewRequest;
    let p;
    try {
      p = await invoke('preview_rule', { rule: state.rule, group: isNew ? null : group.name });
    } catch (error) {
      if (mine === state.previewRequest) preview.textContent = sentence(error.message);
      return;
    }
    if (mine !== state.previewRequest) return;
    preview.textContent = isNew
      ? `Matches ${people(p.matches)}`
      : `Matches ${people(p.matches)} · +${number(p.added)} −${number(p.removed)} against the saved rule`;
    untracked.hidden = p.untracked.length === 0;
    untracked.textContent = `The directory does not hold ${p.untracked.join(', ')} yet: after you save, `
      + 'the next sync re-reads every user (a full round) to fetch it, and the preview counts it as empty until then.';
    if (isNew) {
      state.sample = p.sample;
      drawMemberList(p.sample, p.matches, 'People the rule selects');
    } else {
      // replaceChildren would print a null as text: pass only the lists there are.
      diff.replaceChildren(...[
        p.addedSample.length ? personList('Would join', p.addedSample, p.added, 'join') : null,
        p.removedSample.length ? personList('Would leave', p.removedSample, p.removed, 'leave') : null,
      ].filter(Boolean));
    }
  }

  const act = actions({ isNew, group });
  const form = h('form', { id: 'group-form', class: 'group-form', novalidate: true },
    fields.element, editor.element, preview, untracked, diff, act.element);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    act.status.textContent = '';
    const name = fields.name.value.trim();
    if (!name) {
      act.status.textContent = 'Type a name for the group.';
      fields.name.focus();
      return;
    }
    const rule = editor.value();
    let saved;
    try {
      saved = isNew
        ? await invoke('create_group', { name, description: fields.description.value, rule })
        : await invoke('update_group', {
          name: group.name,
          newName: name !== group.name ? name : null,
          description: fields.description.value,
          rule: rule !== group.rule ? rule : null,
        });
    } catch (error) {
      act.status.textContent = sentence(error.message);
      if (error.code === 'rule_invalid') editor.textarea.focus();
      return;
    }
    await loadList();
    await openGroup(saved.name, savedMessage(saved));
  });

  // Members: the saved group's members with search, or for a new group the people the rule selects.
  const search = h('input', {
    id: 'group-member-search', type: 'search', placeholder: 'Search members', 'aria-label': 'Search members',
    autocomplete: 'off', spellcheck: 'false',
  });
  const list = h('ul', { id: 'group-members', class: 'member-list' });
  const count = h('p', { id: 'group-member-count', class: 'hint' });
  const membersSection = h('section', { class: 'group-members', 'aria-labelledby': 'group-members-title' },
    h('h3', { id: 'group-members-title' }, isNew ? 'People the rule selects' : 'Members'),
    search, count, list);

  function drawMemberList(items, total, caption) {
    const text = search.value.trim().toLowerCase();
    const shown = isNew && text
      ? items.filter((m) => [m.name, m.upn, m.jobTitle, m.department].some((v) => v?.toLowerCase().includes(text)))
      : items;
    document.getElementById('group-members-title').textContent = caption;
    list.replaceChildren(...shown.map((m) => personItem(m, () => explainFor(m))));
    count.textContent = shown.length < total
      ? `Showing ${number(shown.length)} of ${people(total)}` : '';
  }

  async function loadMembers() {
    if (isNew) {
      drawMemberList(state.sample, state.sample.length, 'People the rule selects');
      return;
    }
    try {
      const page = await invoke('group_members', { name: group.name, search: search.value, limit: MEMBER_PAGE });
      drawMemberList(page.items, page.total, 'Members');
    } catch (error) {
      list.replaceChildren(h('li', { role: 'alert' }, sentence(error.message)));
    }
  }

  async function explainFor(person) {
    state.selected = person;
    for (const b of pane().querySelectorAll('.person')) {
      if (b.dataset.user === person.id) b.setAttribute('aria-pressed', 'true');
      else b.setAttribute('aria-pressed', 'false');
    }
    const rule = state.valid ? editor.value() : group.rule;
    if (!rule) {
      explain.replaceChildren(h('p', { class: 'hint' }, 'Type a valid rule to see which parts match.'));
      return;
    }
    let e;
    try {
      e = await invoke('explain_rule', { rule, user: person.id });
    } catch (error) {
      explain.replaceChildren(h('p', { role: 'alert' }, sentence(error.message)));
      return;
    }
    const who = person.name ?? person.upn ?? person.id;
    explain.replaceChildren(
      h('h3', {}, `Why ${who} ${e.matched ? 'matches' : 'does not match'}`),
      h('ul', { class: 'explain-terms' }, ...e.terms.map((t) => h('li', { class: t.matched ? 'yes' : 'no' },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, t.matched ? '✓' : '✗'),
        h('span', { class: 'visually-hidden' }, t.matched ? 'matched: ' : 'did not match: '),
        h('code', {}, t.text),
        h('span', { class: 'actual' }, t.actual == null ? 'no value' : `value: ${t.actual}`)))));
  }

  function personList(caption, items, total, kind) {
    return h('div', { class: `person-group ${kind}` },
      h('h4', {}, `${caption} (${number(total)})`),
      h('ul', { class: 'member-list' }, ...items.map((m) => personItem(m, () => explainFor(m)))));
  }

  let searchTimer = null;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadMembers, SEARCH_DELAY_MS);
  });

  pane().replaceChildren(...[
    h('h2', {}, isNew ? 'New dynamic group' : group.name),
    isNew ? null : h('p', { class: 'hint', id: 'group-summary' }, `Dynamic group · ${members(group.memberCount)}`),
    form,
    h('div', { class: 'group-lower' }, membersSection, explain),
  ].filter(Boolean));
  if (status) act.status.textContent = status;
  if (!isNew) loadMembers();
  if (group.rule) editor.check();
}

// One person in a list: a toggle button showing the explanation when `onSelect` is given,
// plain text otherwise; `extra` is an action beside it (Add, Remove).
function personItem(m, onSelect, extra = null) {
  const parts = [
    h('span', { class: 'primary' }, m.name ?? m.upn ?? m.id),
    h('span', { class: 'secondary' }, [m.jobTitle, m.department].filter(Boolean).join(', ') || (m.upn ?? '')),
  ];
  if (!onSelect) return h('li', {}, h('div', { class: 'person', 'data-user': m.id }, ...parts), extra);
  const button = h('button', { type: 'button', class: 'person', 'data-user': m.id, 'aria-pressed': 'false' }, ...parts);
  button.addEventListener('click', onSelect);
  return h('li', {}, button, extra);
}

// ---- Static groups -------------------------------------------------------------------------

function staticEditor(group, status, isNew = false) {
  const fields = nameFields(group);
  const act = actions({ isNew, group });
  const form = h('form', { id: 'group-form', class: 'group-form', novalidate: true }, fields.element, act.element);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = fields.name.value.trim();
    if (!name) {
      act.status.textContent = 'Type a name for the group.';
      fields.name.focus();
      return;
    }
    try {
      const saved = isNew
        ? await invoke('create_group', { name, description: fields.description.value, rule: null })
        : await invoke('update_group', {
          name: group.name, newName: name !== group.name ? name : null, description: fields.description.value, rule: null,
        });
      await loadList();
      await openGroup(saved.name, 'Saved');
    } catch (error) {
      act.status.textContent = sentence(error.message);
    }
  });

  const lower = h('div', { class: 'group-lower' });
  pane().replaceChildren(...[
    h('h2', {}, isNew ? 'New static group' : group.name),
    isNew ? null : h('p', { class: 'hint', id: 'group-summary' }, `Static group · ${members(group.memberCount)}`),
    form, lower,
  ].filter(Boolean));
  if (status) act.status.textContent = status;
  if (isNew) {
    lower.append(h('p', { class: 'hint' }, 'Save the group, then add people to it by search.'));
    return;
  }

  const search = h('input', {
    id: 'group-member-search', type: 'search', placeholder: 'Search members', 'aria-label': 'Search members',
    autocomplete: 'off',
  });
  const list = h('ul', { id: 'group-members', class: 'member-list' });
  const count = h('p', { id: 'group-member-count', class: 'hint' });
  const find = h('input', {
    id: 'static-add-search', type: 'search', placeholder: 'Find people to add', 'aria-label': 'Find people to add',
    autocomplete: 'off',
  });
  const found = h('ul', { id: 'static-add-results', class: 'member-list' });

  async function refreshCount() {
    const g = await invoke('get_group', { name: group.name });
    document.getElementById('group-summary').textContent = `Static group · ${members(g.memberCount)}`;
    group.memberCount = g.memberCount;
    loadList();
  }

  async function loadMembers() {
    try {
      const page = await invoke('group_members', { name: group.name, search: search.value, limit: MEMBER_PAGE });
      list.replaceChildren(...page.items.map((m) => {
        const remove = h('button', { type: 'button', class: 'small', 'aria-label': `Remove ${m.name ?? m.id}` }, 'Remove');
        remove.addEventListener('click', async () => {
          await invoke('remove_group_members', { name: group.name, userIds: [m.id] });
          await loadMembers();
          await refreshCount();
          search.focus();
        });
        return personItem(m, null, remove);
      }));
      count.textContent = page.total > page.items.length ? `Showing ${number(page.items.length)} of ${people(page.total)}` : '';
    } catch (error) {
      list.replaceChildren(h('li', { role: 'alert' }, sentence(error.message)));
    }
  }

  async function findPeople() {
    const text = find.value.trim();
    if (!text) {
      found.replaceChildren();
      return;
    }
    const page = await invoke('search_users', { text, limit: 10 });
    found.replaceChildren(...page.items.map((u) => {
      const person = { id: u.id, name: u.name, upn: u.upn, jobTitle: u.jobTitle, department: u.department };
      const add = h('button', { type: 'button', class: 'small', 'aria-label': `Add ${u.name ?? u.id}` }, 'Add');
      add.addEventListener('click', async () => {
        await invoke('add_group_members', { name: group.name, userIds: [u.id] });
        add.disabled = true;
        add.textContent = 'Added';
        await loadMembers();
        await refreshCount();
      });
      return personItem(person, null, add);
    }));
  }

  let timer = null;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(loadMembers, SEARCH_DELAY_MS); });
  let findTimer = null;
  find.addEventListener('input', () => { clearTimeout(findTimer); findTimer = setTimeout(findPeople, SEARCH_DELAY_MS); });
  lower.append(
    h('section', { class: 'group-members' }, h('h3', {}, 'Members'), search, count, list),
    h('section', { class: 'group-members' }, h('h3', {}, 'Add people'), find, found));
  loadMembers();
}

// ---- Employee network ----------------------------------------------------------------------

function builtinView(group) {
  const search = h('input', {
    id: 'group-member-search', type: 'search', placeholder: 'Search members', 'aria-label': 'Search members',
    autocomplete: 'off',
  });
  const list = h('ul', { id: 'group-members', class: 'member-list' });
  const count = h('p', { id: 'group-member-count', class: 'hint' });
  async function loadMembers() {
    try {
      const page = await invoke('group_members', { name: group.name, search: search.value, limit: MEMBER_PAGE });
      list.replaceChildren(...page.items.map((m) => personItem(m, null)));
      count.textContent = page.total > page.items.length ? `Showing ${number(page.items.length)} of ${people(page.total)}` : '';
    } catch (error) {
      list.replaceChildren(h('li', { role: 'alert' }, sentence(error.message)));
    }
  }
  let timer = null;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(loadMembers, SEARCH_DELAY_MS); });
  pane().replaceChildren(
    h('h2', {}, group.name),
    h('p', { class: 'hint', id: 'group-summary' },
      `Built-in · ${members(group.memberCount)} · ${group.description || 'Every synced user'}`),
    h('section', { class: 'group-members' }, h('h3', {}, 'Members'), search, count, list));
  loadMembers();
}
