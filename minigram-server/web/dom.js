// Building the page from data. Every piece of text — above all what users
// wrote: captions, usernames — goes in through textContent, never as HTML,
// so a caption like `<img onerror=...>` stays words on the screen.

// h('p', {class: 'x', onclick: f}, 'text', child, ...): an element with
// attributes (functions under on* become listeners; false/null are left
// out) and children (strings become text nodes).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces everything inside `element` with `children`.
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

// A message slot next to a control: role=alert so screen readers announce
// it, tied to the control by aria-describedby.
export function errorSlot(id, control) {
  const slot = h('p', { class: 'error', id, role: 'alert' });
  if (control) control.setAttribute('aria-describedby', id);
  return slot;
}

// A labelled form field: <label> above the input, its error slot below.
export function field({ id, label, hint, ...input }) {
  const control = input.type === 'textarea'
    ? h('textarea', { id, name: id, ...input, type: null })
    : h('input', { id, name: id, ...input });
  const slot = errorSlot(`${id}-error`, control);
  const note = hint ? h('p', { class: 'hint' }, hint) : null;
  return {
    control,
    slot,
    hint: note,
    element: h('div', { class: 'field' }, h('label', { for: id }, label), note, control, slot),
  };
}

// "3 likes", "1 like".
export function count(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
