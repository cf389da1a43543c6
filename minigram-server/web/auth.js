// Signed out: the sign-up and log-in forms. Each error is shown under the
// field the server named (`field`), else under the form's button.

import { api } from './api.js';
import { errorSlot, field, h, replace } from './dom.js';
import { explain } from './errors.js';

function form({ id, title, fields, submit, call, app }) {
  const parts = fields.map(field);
  const button = h('button', { type: 'submit', id: `${id}-submit` }, submit);
  const slot = errorSlot(`${id}-error`, button);
  const clear = () => {
    slot.textContent = '';
    for (const part of parts) part.slot.textContent = '';
  };
  const element = h('form', {
    id,
    class: 'card',
    'aria-labelledby': `${id}-title`,
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      clear();
      button.disabled = true;
      try {
        app.signIn(await call(...parts.map((part) => part.control.value)));
      } catch (error) {
        const at = parts.find((part) => part.control.name === `${id}-${error.field}`);
        (at ? at.slot : slot).textContent = explain(error, app.limits);
        (at ? at.control : button).focus();
        button.disabled = false;
      }
    },
  },
  h('h2', { id: `${id}-title` }, title),
  parts.map((part) => part.element),
  button,
  slot);
  return element;
}

export function authView(app, main, notice) {
  const signup = form({
    app,
    id: 'signup',
    title: 'Create an account',
    submit: 'Sign up',
    call: api.register,
    fields: [
      { id: 'signup-username', label: 'Username', hint: '3 to 50 letters, digits, _ or .', autocomplete: 'username', required: true, maxlength: 50 },
      { id: 'signup-email', label: 'Email', type: 'email', autocomplete: 'email', required: true },
      { id: 'signup-password', label: 'Password', hint: 'At least 8 characters.', type: 'password', autocomplete: 'new-password', required: true },
    ],
  });
  const login = form({
    app,
    id: 'login',
    title: 'Log in',
    submit: 'Log in',
    call: api.login,
    fields: [
      { id: 'login-username', label: 'Username', autocomplete: 'username', required: true },
      { id: 'login-password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true },
    ],
  });
  replace(main,
    h('h1', {}, 'Share your photos'),
    h('p', { class: 'hint' }, 'Post photos, follow people, like what they share.'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    h('div', { class: 'columns' }, signup, login));
}
