// Posting a photo: pick a file (or drop one on the drop zone), see it, add
// a caption, post. The type and size are checked here first, to say so
// before sending megabytes; the server checks again (it sniffs the bytes)
// and its refusal is shown the same way, next to the file control.

import { api } from './api.js';
import { field, h, replace } from './dom.js';
import { size } from './errors.js';

const TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];
const CAPTION_MAX = 2200;

export function uploadView(app, main) {
  const limit = () => app.limits.maxUploadBytes;
  const rules = () => `JPEG, PNG, WebP or GIF${limit() ? `, at most ${size(limit())}` : ''}.`;
  const file = field({ id: 'photo-file', label: 'Photo', hint: rules(), type: 'file', accept: TYPES.join(',') });
  app.limitsKnown.then(() => {
    file.hint.textContent = rules();
  });
  const caption = field({ id: 'photo-caption', label: 'Caption', type: 'textarea', rows: 3, maxlength: CAPTION_MAX });
  const preview = h('img', { class: 'preview', alt: '', hidden: true });
  const button = h('button', { type: 'submit', id: 'photo-submit' }, 'Post');
  const drop = h('div', { class: 'drop' }, h('p', { class: 'lead', 'aria-hidden': 'true' }, 'Drop a photo here, or choose one:'), file.element, preview);
  let previewUrl = null;

  function chosen() {
    return file.control.files && file.control.files[0];
  }

  // Shows the chosen file, or says why it will not do.
  function show() {
    file.slot.textContent = '';
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    preview.hidden = true;
    const picked = chosen();
    if (!picked) return;
    if (picked.type && !TYPES.includes(picked.type)) {
      file.slot.textContent = `“${picked.name}” is not a picture this site takes. Use a ${rules()}`;
      return;
    }
    if (limit() && picked.size > limit()) {
      file.slot.textContent = `“${picked.name}” is ${size(picked.size)}: photos can be at most ${size(limit())}.`;
      return;
    }
    // Decoded first, so a file that only claims to be a picture is
    // explained rather than shown as a broken image.
    createImageBitmap(picked).then((bitmap) => {
      bitmap.close();
      if (chosen() !== picked) return;
      previewUrl = URL.createObjectURL(picked);
      preview.src = previewUrl;
      preview.alt = `Preview of ${picked.name}`;
      preview.hidden = false;
    }).catch(() => {
      if (chosen() !== picked) return;
      file.slot.textContent = `“${picked.name}” is not an image this site can read. Use a ${rules()}`;
    });
  }

  file.control.addEventListener('change', show);
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (event.dataTransfer.files.length > 0) {
      file.control.files = event.dataTransfer.files;
      show();
    }
  });

  const form = h('form', {
    id: 'upload',
    class: 'card',
    'aria-labelledby': 'upload-title',
    onsubmit: async (event) => {
      event.preventDefault();
      file.slot.textContent = '';
      caption.slot.textContent = '';
      const picked = chosen();
      if (!picked) {
        file.slot.textContent = 'Choose a photo first.';
        file.control.focus();
        return;
      }
      button.disabled = true;
      try {
        await api.upload(picked, caption.control.value);
        location.hash = '#/';
      } catch (error) {
        const at = error.field === 'caption' ? caption : file;
        app.failed(error, at.slot);
        at.control.focus();
      } finally {
        button.disabled = false;
      }
    },
  },
  h('h1', { id: 'upload-title' }, 'Post a photo'),
  drop,
  caption.element,
  button);
  replace(main, form);
}
