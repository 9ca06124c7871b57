// The HTTP half of the contract: JSON over fetch, same origin, bearer token.

const TOKEN_KEY = 'chat.token';
const USER_KEY = 'chat.user';

// sessionStorage is per tab, so two tabs can be signed in as two different people.
export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  get user() {
    const raw = sessionStorage.getItem(USER_KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw);
    } catch {
      return null;
    }
  },
  save(token, user) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const FALLBACK_MESSAGES = {
  400: 'The request was not accepted.',
  401: 'Your session has ended. Please sign in again.',
  403: 'You do not have access to that.',
  404: 'Not found.',
  409: 'That already exists.',
  413: 'That is too large.',
  415: 'That file type is not allowed.',
  429: 'Too many attempts. Please wait a moment.',
  503: 'The service is unavailable. Please try again shortly.',
};

let onUnauthorized = () => {};

/** Called when an authenticated request comes back 401: the token was revoked or expired. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export async function api(method, path, body = undefined, { auth = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && session.token) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.');
  }
  if (response.status === 204) return null;
  let payload;
  try {
    payload = await response.json();
  } catch {
    payload = null; // not JSON: the status alone speaks
  }
  if (!response.ok) {
    const error = payload && payload.error ? payload.error : {};
    const retryAfter = Number(response.headers.get('Retry-After')) || null;
    const err = new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || FALLBACK_MESSAGES[response.status] || `Request failed (${response.status}).`,
      retryAfter,
    );
    if (response.status === 401 && auth) onUnauthorized(err);
    throw err;
  }
  return payload;
}

export function uploadPath(key) {
  return `/api/uploads/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export function roomPath(name, rest = '') {
  return `/api/rooms/${encodeURIComponent(name)}${rest}`;
}
