// The JSON API client. The session is the HttpOnly cookie that register and
// login set: this code never sees the token (the JSON `token` field is
// ignored), so script injected into the page could not steal it either.
// fetch sends the cookie on same-origin requests by itself, and the
// browser adds the Origin header the server's CSRF check wants.

import { ApiError } from './errors.js';

async function request(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.ok) {
    const data = response.status === 204 ? null : await response.json();
    return { data, nextCursor: response.headers.get('x-next-cursor') };
  }
  let payload = {};
  try {
    payload = await response.json();
  } catch {
    // A body that is not the API's error JSON: the status still says enough.
  }
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  throw new ApiError({
    status: response.status,
    code: payload.code ?? 'http_' + response.status,
    field: payload.field,
    message: payload.error ?? response.statusText,
    retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}

// Who signed in, from a register/login answer (not the token).
function signedIn({ data }) {
  return { id: data.user.id, username: data.user.username };
}

// `limit=N&cursor=C` for one page of a list (no cursor: the first page).
function page(cursor, limit) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set('cursor', cursor);
  return query.toString();
}

export const api = {
  register: (username, email, password) =>
    request('POST', '/api/register', { username, email, password }).then(signedIn),
  login: (username, password) =>
    request('POST', '/api/login', { username, password }).then(signedIn),
  logout: () => request('POST', '/api/logout'),
  instance: () => request('GET', '/api/instance').then((r) => r.data),
  // A page of photos: {data: [...], nextCursor}. `cursor` null is the first.
  feed: (scope, cursor, limit = 10) =>
    request('GET', `/api/feed?scope=${scope}&${page(cursor, limit)}`),
  userPhotos: (id, cursor, limit = 10) =>
    request('GET', `/api/users/${id}/photos?${page(cursor, limit)}`),
  user: (id) => request('GET', `/api/users/${id}`).then((r) => r.data),
  like: (photoId) => request('POST', `/api/photos/${photoId}/like`).then((r) => r.data),
  unlike: (photoId) => request('DELETE', `/api/photos/${photoId}/like`).then((r) => r.data),
  follow: (userId) => request('POST', `/api/users/${userId}/follow`).then((r) => r.data),
  unfollow: (userId) => request('DELETE', `/api/users/${userId}/follow`).then((r) => r.data),
  upload: (file, caption) => {
    const form = new FormData();
    form.append('photo', file);
    form.append('caption', caption);
    return request('POST', '/api/photos', form).then((r) => r.data);
  },
};
