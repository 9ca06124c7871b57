// Uploads from the composer (two steps: a grant, then the browser posts to storage) and the
// attachments shown in messages.
import { uploadPath } from './api.js';
import { clear, h } from './dom.js';
import { icon } from './icons.js';
import { formatBytes } from './timeline.js';
import { attachmentUrl, downloadAttachment, isPreviewable, postToStorage, requestUpload } from './upload.js';
import { setComposerError } from './composer.js';
import { announce, toast } from './status.js';

export async function attachFile(ctx, file) {
  const { state, ui } = ctx;
  const r = state.active && state.rooms.get(state.active);
  if (!r || !file) return;
  cancelUpload(ctx);
  const upload = { room: r.name, file, status: 'requesting', progress: 0, abort: null };
  state.upload = upload;
  setComposerError(ctx, '');
  renderUpload(ctx);
  try {
    const presigned = await requestUpload(r.name, file);
    if (state.upload !== upload) return;
    upload.key = presigned.key;
    upload.status = 'uploading';
    const transfer = postToStorage(presigned, file, (fraction) => {
      upload.progress = fraction;
      renderUploadProgress(ctx);
    });
    upload.abort = transfer.abort;
    renderUpload(ctx);
    await transfer.promise;
    if (state.upload !== upload) return;
    upload.status = 'ready';
    renderUpload(ctx);
    announce(ctx, `${file.name} is uploaded. Press Enter to send it.`);
    ui.input.focus();
  } catch (err) {
    if (state.upload !== upload || err.code === 'aborted') return;
    upload.status = 'failed';
    upload.error = err.message;
    renderUpload(ctx);
  }
}

export function cancelUpload(ctx) {
  const { state } = ctx;
  const upload = state.upload;
  state.upload = null;
  if (upload && upload.abort && upload.status === 'uploading') upload.abort();
  renderUpload(ctx);
}

export function renderUpload(ctx) {
  const { state, ui } = ctx;
  const upload = state.upload;
  ui.uploadArea.hidden = !upload;
  if (!upload) {
    clear(ui.uploadArea);
    ui.sendButton.disabled = false;
    return;
  }
  const size = formatBytes(upload.file.size);
  const label = `Upload progress for ${upload.file.name}`;
  let status;
  if (upload.status === 'failed') status = h('span', { class: 'form-error' }, upload.error);
  else if (upload.status === 'ready') status = h('span', { class: 'ok' }, 'Ready to send');
  else status = h('span', { class: 'upload-percent' }, `${Math.round(upload.progress * 100)}%`);
  ui.uploadArea.replaceChildren(
    h(
      'div',
      { class: `upload-chip ${upload.status}` },
      h('span', { class: 'file-icon' }, icon('attach')),
      h(
        'div',
        { class: 'upload-text' },
        h('span', { class: 'file-name' }, `${upload.file.name} · ${size}`),
        h('progress', {
          class: 'upload-progress',
          max: '100',
          value: String(Math.round(upload.progress * 100)),
          'aria-label': label,
        }),
        status,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'icon-button',
          'aria-label': `Remove attachment ${upload.file.name}`,
          onclick: () => {
            cancelUpload(ctx);
            ui.input.focus();
          },
        },
        icon('close'),
      ),
    ),
  );
  ui.sendButton.disabled = upload.status !== 'ready';
}

export function renderUploadProgress(ctx) {
  const { state, ui } = ctx;
  const upload = state.upload;
  const bar = ui.uploadArea.querySelector('progress');
  const text = ui.uploadArea.querySelector('.upload-percent');
  if (!upload || !bar) return;
  bar.value = Math.round(upload.progress * 100);
  if (text) text.textContent = `${Math.round(upload.progress * 100)}%`;
}

export function attachmentElement(ctx, attachment) {
  const size = formatBytes(attachment.size);
  if (isPreviewable(attachment.content_type)) {
    const img = h('img', { alt: attachment.filename, class: 'preview', decoding: 'async' });
    const link = h(
      'a',
      {
        class: 'image-link',
        href: uploadPath(attachment.key),
        target: '_blank',
        rel: 'noopener',
        'aria-label': `Open image ${attachment.filename}`,
      },
      img,
    );
    const figure = h(
      'figure',
      { class: 'attachment image loading' },
      link,
      h('figcaption', {}, `${attachment.filename} · ${size}`),
    );
    attachmentUrl(attachment.key, attachment.content_type)
      .then((url) => {
        img.src = url;
        link.href = url;
        figure.classList.remove('loading');
      })
      .catch((err) => {
        figure.classList.remove('loading');
        figure.classList.add('broken');
        link.replaceWith(h('p', { class: 'attachment-error' }, `Image unavailable: ${err.message}`));
      });
    return figure;
  }
  const link = h(
    'a',
    {
      class: 'attachment file',
      href: uploadPath(attachment.key),
      download: attachment.filename,
      'aria-label': `Download ${attachment.filename}, ${size}`,
    },
    h('span', { class: 'file-icon' }, icon('file')),
    h(
      'span',
      { class: 'file-text' },
      h('span', { class: 'file-name' }, attachment.filename),
      h('span', { class: 'file-size' }, `${size} · Download`),
    ),
  );
  link.addEventListener('click', async (event) => {
    // The endpoint needs the bearer token, which a plain link cannot carry.
    event.preventDefault();
    try {
      await downloadAttachment(attachment);
    } catch (err) {
      toast(ctx, `Download failed: ${err.message}`, 'error');
    }
  });
  return link;
}
