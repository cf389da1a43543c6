// Photo cards and the paged lists of them: the home and global feeds here,
// a user's photos on their profile. Pages follow the API's cursors
// (`x-next-cursor`): the next page loads when the "More photos" button at
// the end scrolls into view, or when it is pressed (keyboard users).

import { api } from './api.js';
import { count, errorSlot, h, replace } from './dom.js';

// One photo: who posted it, the image (alt text from the caption), the
// caption as text, and the like button whose count updates in place.
export function photoCard(app, photo) {
  const likes = h('span', { class: 'likes', 'aria-live': 'polite' }, count(photo.like_count, 'like', 'likes'));
  const like = h('button', { type: 'button', class: 'like', 'aria-pressed': String(photo.user_liked) }, photo.user_liked ? '♥ Liked' : '♡ Like');
  const slot = errorSlot(`like-error-${photo.id}`, like);
  like.addEventListener('click', async () => {
    const liked = like.getAttribute('aria-pressed') === 'true';
    like.disabled = true;
    slot.textContent = '';
    try {
      const answer = liked ? await api.unlike(photo.id) : await api.like(photo.id);
      like.setAttribute('aria-pressed', String(answer.liked));
      like.textContent = answer.liked ? '♥ Liked' : '♡ Like';
      likes.textContent = count(answer.like_count, 'like', 'likes');
    } catch (error) {
      app.failed(error, slot);
    } finally {
      like.disabled = false;
    }
  });
  const posted = new Date(photo.created_at);
  const alt = photo.caption ? photo.caption : `A photo by ${photo.username}`;
  return h('article', { class: 'photo', 'data-photo-id': photo.id },
    h('header', {},
      h('a', { href: `#/u/${photo.user_id}`, class: 'author' }, photo.username),
      h('time', { datetime: photo.created_at }, posted.toLocaleString())),
    h('img', { src: photo.url, alt, width: photo.width, height: photo.height, loading: 'lazy', decoding: 'async' }),
    photo.caption ? h('p', { class: 'caption' }, photo.caption) : null,
    h('div', { class: 'actions' }, like, likes, slot));
}

// A list that fetches `load(cursor)` page by page into `list`. Returns the
// element holding it and a function that stops it.
export function pagedList(app, load, empty) {
  const list = h('div', { class: 'photos' });
  const more = h('button', { type: 'button', class: 'more' }, 'More photos');
  const slot = errorSlot('list-error', more);
  const end = h('div', { class: 'end' }, more, slot);
  let cursor = null;
  let loading = false;
  let first = true;
  async function next() {
    if (loading) return;
    loading = true;
    more.disabled = true;
    slot.textContent = '';
    try {
      const page = await load(cursor);
      list.append(...page.data.map((photo) => photoCard(app, photo)));
      if (first && page.data.length === 0) list.append(h('p', { class: 'empty' }, empty));
      first = false;
      cursor = page.nextCursor;
      more.hidden = !cursor;
    } catch (error) {
      app.failed(error, slot);
    } finally {
      loading = false;
      more.disabled = false;
    }
  }
  more.addEventListener('click', next);
  // Infinite scroll: the button coming into view (with a margin) loads on.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting) && cursor) next();
  }, { rootMargin: '400px' });
  observer.observe(more);
  next();
  return { element: h('div', {}, list, end), stop: () => observer.disconnect() };
}

export function feedView(app, main, scope) {
  const home = scope === 'home';
  const { element, stop } = pagedList(
    app,
    (cursor) => api.feed(scope, cursor),
    home ? 'Nothing here yet. Post a photo, or follow people from the Everyone feed.' : 'No one has posted a photo yet.',
  );
  replace(main,
    h('h1', {}, home ? 'Your feed' : 'Everyone'),
    home ? h('p', { class: 'hint' }, 'Your photos and those of the people you follow, newest first.') : null,
    element);
  return stop;
}
