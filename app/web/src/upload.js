// Attachments: the file goes straight from the browser to S3 (or the service's own local store,
// the same form) through the presigned POST the
// service signs; the service only ever sees its key. Reading one back goes through the
// service (members only), which answers with a redirect to a short-lived presigned GET.
import { api, ApiError, session, uploadPath } from './api.js';

export class UploadError extends Error {
  constructor(message, code = 'upload_failed') {
    super(message);
    this.name = 'UploadError';
    this.code = code;
  }
}

export function contentTypeOf(file) {
  return file.type || 'application/octet-stream';
}

/** Asks the service for a presigned POST for this file in this room. */
export async function requestUpload(room, file) {
  const payload = await api('POST', '/api/uploads', {
    room,
    filename: file.name,
    content_type: contentTypeOf(file),
    size: file.size,
  });
  return payload.upload;
}

/**
 * Posts the file to S3. XHR rather than fetch because only XHR reports upload progress.
 * Returns {promise, abort}.
 */
export function postToStorage(upload, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    const form = new FormData();
    const fields = upload.fields || {};
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const hasType = Object.keys(fields).some((n) => n.toLowerCase() === 'content-type');
    if (!hasType) form.append('Content-Type', contentTypeOf(file));
    // S3 ignores every field after the file, so it goes last.
    form.append('file', file, file.name);
    xhr.open('POST', upload.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new UploadError(`The storage service refused the file (HTTP ${xhr.status}).`));
      }
    });
    xhr.addEventListener('error', () =>
      reject(new UploadError('The upload failed: the storage service could not be reached.')),
    );
    xhr.addEventListener('abort', () => reject(new UploadError('Upload cancelled.', 'aborted')));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

const objectUrls = new Map(); // key -> Promise<string>

// Image types shown inline. A blob: URL runs with the page's origin when opened in a tab, so
// only types a browser renders as a picture (never a document, as SVG would be) qualify.
const PREVIEWABLE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

export function isPreviewable(contentType) {
  return PREVIEWABLE.has((contentType || '').toLowerCase());
}

/**
 * Fetches an attachment with the bearer token. The service answers 302 to a presigned GET on
 * another origin; fetch follows it (dropping the Authorization header, which S3 must not see)
 * and the bytes become a blob: URL that an <img> or a download link can use without a token.
 */
export function attachmentUrl(key, contentType = '') {
  if (!objectUrls.has(key)) {
    const promise = (async () => {
      let response;
      try {
        response = await fetch(uploadPath(key), {
          headers: { Authorization: `Bearer ${session.token}` },
          redirect: 'follow',
        });
      } catch {
        throw new UploadError('The file could not be loaded.');
      }
      if (!response.ok) {
        let message = `The file could not be loaded (HTTP ${response.status}).`;
        try {
          const body = await response.json();
          if (body && body.error && body.error.message) message = body.error.message;
        } catch {
          // S3's error bodies are XML; the status line is enough.
        }
        throw new ApiError(response.status, 'attachment', message);
      }
      // The blob's type decides how a tab opened on it renders: a picture, or a download.
      const type = isPreviewable(contentType) ? contentType : 'application/octet-stream';
      return URL.createObjectURL(new Blob([await response.blob()], { type }));
    })();
    // A failure is not cached, so the next render can try again.
    promise.catch(() => objectUrls.delete(key));
    objectUrls.set(key, promise);
  }
  return objectUrls.get(key);
}

export function forgetAttachments() {
  for (const promise of objectUrls.values()) {
    promise.then((url) => URL.revokeObjectURL(url)).catch(() => {});
  }
  objectUrls.clear();
}

/** Saves an attachment under its original name. */
export async function downloadAttachment(attachment) {
  const url = await attachmentUrl(attachment.key, attachment.content_type);
  const a = document.createElement('a');
  a.href = url;
  a.download = attachment.filename || 'download';
  document.body.append(a);
  a.click();
  a.remove();
}
