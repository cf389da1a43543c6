// A user's page: their name, follower and following counts, the follow
// button (not on your own page) and their photos.

import { api } from './api.js';
import { count, errorSlot, h, replace } from './dom.js';
import { pagedList } from './feed.js';

export function profileView(app, main, id) {
  const heading = h('h1', {}, 'Profile');
  const stats = h('p', { class: 'stats' });
  const actions = h('div', { class: 'actions' });
  const slot = errorSlot('profile-error');
  const { element, stop } = pagedList(app, (cursor) => api.userPhotos(id, cursor), 'No photos yet.');
  replace(main, h('section', { class: 'profile card' }, heading, stats, actions, slot), element);

  function draw(user) {
    heading.textContent = user.username;
    document.title = `minigram: ${user.username}`;
    replace(stats,
      h('span', { class: 'followers' }, count(user.followers, 'follower', 'followers')),
      h('span', {}, `${user.following} following`),
      h('span', {}, count(user.photos, 'photo', 'photos')));
    if (user.id === app.user.id) {
      replace(actions, h('a', { href: '#/post', class: 'button' }, 'Post a photo'));
      return;
    }
    const follow = h('button', {
      type: 'button',
      id: 'follow',
      'aria-pressed': String(user.followed_by_me),
      'aria-describedby': 'profile-error',
    }, user.followed_by_me ? `Unfollow ${user.username}` : `Follow ${user.username}`);
    follow.addEventListener('click', async () => {
      follow.disabled = true;
      slot.textContent = '';
      try {
        await (user.followed_by_me ? api.unfollow(id) : api.follow(id));
        draw(await api.user(id));
        // The button was redrawn: keep keyboard focus on it.
        actions.querySelector('button')?.focus();
      } catch (error) {
        app.failed(error, slot);
        follow.disabled = false;
      }
    });
    replace(actions, follow);
  }

  api.user(id).then(draw).catch((error) => app.failed(error, slot));
  return stop;
}
