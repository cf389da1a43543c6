// The web app's entry: who is signed in, the hash routes, the navigation.
// Routes live after '#' (#/, #/global, #/post, #/u/7), so the server has
// one page to serve and every view is drawn here from the JSON API.

import { api } from './api.js';
import { authView } from './auth.js';
import { h, replace } from './dom.js';
import { explain } from './errors.js';
import { feedView } from './feed.js';
import { profileView } from './profile.js';
import { uploadView } from './upload.js';

// Only who is signed in ({id, username}) is remembered, for drawing the
// page; the proof of it is the HttpOnly cookie, which script cannot read.
// When the cookie no longer works the API answers 401 and this is dropped.
const USER_KEY = 'minigram.user';

function storedUser() {
  try {
    const user = JSON.parse(localStorage.getItem(USER_KEY) ?? 'null');
    return user && Number.isInteger(user.id) && typeof user.username === 'string' ? user : null;
  } catch {
    return null;
  }
}

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let cleanup = null;

const app = {
  user: storedUser(),
  limits: {},
  limitsKnown: Promise.resolve(),
  signIn(user) {
    this.user = user;
    localStorage.setItem(USER_KEY, JSON.stringify(user));
    go('#/');
  },
  // The API said the session is over (401): back to the sign-in page.
  sessionEnded(notice) {
    this.user = null;
    localStorage.removeItem(USER_KEY);
    go('#/', notice);
  },
  async logOut(button, slot) {
    button.disabled = true;
    try {
      await api.logout();
      this.sessionEnded('You are logged out.');
    } catch (error) {
      if (error.status === 401) {
        this.sessionEnded('You are logged out.');
        return;
      }
      slot.textContent = explain(error);
      button.disabled = false;
    }
  },
  // For views: a failed call that means the session is over ends it.
  failed(error, slot) {
    if (error.status === 401) {
      this.sessionEnded(explain(error));
      return;
    }
    slot.textContent = explain(error, this.limits);
  },
};

let notice = null;

function go(hash, message) {
  notice = message ?? null;
  if (location.hash === hash) {
    render();
  } else {
    location.hash = hash;
  }
}

function drawNav() {
  if (!app.user) {
    replace(nav);
    return;
  }
  const slot = h('span', { class: 'error', role: 'alert', id: 'logout-error' });
  const logout = h('button', { type: 'button', id: 'logout', class: 'link', 'aria-describedby': 'logout-error', onclick: () => app.logOut(logout, slot) }, 'Log out');
  const link = (href, text) => h('a', { href, 'aria-current': location.hash === href ? 'page' : false }, text);
  replace(nav,
    link('#/', 'Home'),
    link('#/global', 'Everyone'),
    link('#/post', 'Post a photo'),
    link(`#/u/${app.user.id}`, app.user.username),
    logout,
    slot);
}

function render() {
  if (cleanup) cleanup();
  cleanup = null;
  const route = location.hash.replace(/^#/, '') || '/';
  drawNav();
  const message = notice;
  notice = null;
  if (!app.user) {
    document.title = 'minigram: sign up or log in';
    authView(app, main, message);
    return;
  }
  const profile = route.match(/^\/u\/(\d+)$/);
  if (route === '/global') {
    document.title = 'minigram: everyone';
    cleanup = feedView(app, main, 'global');
  } else if (route === '/post') {
    document.title = 'minigram: post a photo';
    uploadView(app, main);
  } else if (profile) {
    document.title = 'minigram: profile';
    cleanup = profileView(app, main, Number(profile[1]));
  } else {
    document.title = 'minigram: home';
    cleanup = feedView(app, main, 'home');
  }
}

window.addEventListener('hashchange', () => {
  render();
  main.focus();
});

// The upload limit, for explaining a 413 and checking before sending;
// views that show it wait for `app.limitsKnown`.
app.limitsKnown = api.instance().then((instance) => {
  app.limits.maxUploadBytes = instance.max_upload_bytes;
}).catch(() => {
  // Without it the limit is only named by the server's refusal.
});

render();
