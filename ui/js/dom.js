// Tiny helpers for building DOM without innerHTML (text is always inserted as text).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// An outline icon from path data, decorative (hidden from assistive technology).
export function icon(...paths) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  for (const d of paths) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

// The standard "nothing here yet" panel: what the page will hold, in plain words.
export function emptyState({ id, title, hint, iconPaths }) {
  return h('section', { class: 'panel empty', id },
    iconPaths ? icon(...iconPaths) : null,
    h('p', { class: 'title' }, title),
    hint ? h('p', { class: 'hint' }, hint) : null);
}

export function pageHeader(title, lead) {
  return [
    h('h1', {}, title),
    lead ? h('p', { class: 'lead' }, lead) : null,
  ];
}

// Core error messages are clauses ("the database … was written by …"); show them as sentences.
export function sentence(text) {
  const s = String(text).trim();
  if (!s) return s;
  const capital = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
