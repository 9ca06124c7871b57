// Limits, timings and error texts the client modules share.
export const MAX_BODY = 4000;
export const ACK_TIMEOUT_MS = 15000;
export const TYPING_SEND_EVERY_MS = 2500;
export const TYPING_SHOW_MS = 4000;
export const GROUP_WINDOW_MS = 5 * 60 * 1000;
export const GAP_PAGES_MAX = 20;
export const ROOM_NAME_RE = /^[a-z0-9-]{1,64}$/;

export const ERROR_TEXT = {
  rate_limited: 'You are sending messages too fast. Wait a moment and retry.',
  too_large: 'That is too large.',
  unsupported_type: 'That file type is not allowed.',
  forbidden: 'You are not allowed to do that here.',
  not_found: 'That no longer exists.',
  invalid_payload: 'That was not accepted.',
  unavailable: 'The service is busy. Try again shortly.',
  timeout: 'No answer from the server.',
  unauthorized: 'Your session has ended.',
};

export function errorText(error) {
  if (!error) return 'Something went wrong.';
  if (error.message && error.code !== 'timeout') return error.message;
  return ERROR_TEXT[error.code] || 'Something went wrong.';
}

export function codePoints(text) {
  return [...text].length;
}
