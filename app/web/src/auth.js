// Sign in / create account screen.
import { api, ApiError, session } from './api.js';
import { h } from './dom.js';

const USERNAME_RE = /^[A-Za-z0-9_.-]{3,32}$/;

function describe(err, mode) {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  if (err.status === 401) return 'Wrong username or password.';
  if (err.status === 409) return 'That username is taken. Pick another one.';
  if (err.status === 429) {
    const wait = err.retryAfter ? ` Try again in ${err.retryAfter} seconds.` : '';
    return `Too many attempts.${wait}`;
  }
  if (err.status === 400 && mode === 'register') {
    return err.message || 'Check the username and password.';
  }
  return err.message;
}

/** Renders the screen into `root`; resolves `onSignedIn(user)` once a token is saved. */
export function renderAuth(root, onSignedIn, notice = '') {
  let mode = 'login';

  const username = h('input', {
    id: 'auth-username',
    name: 'username',
    autocomplete: 'username',
    autocapitalize: 'none',
    spellcheck: 'false',
    required: true,
    minlength: 3,
    maxlength: 32,
  });
  const password = h('input', {
    id: 'auth-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    minlength: 8,
    maxlength: 128,
  });
  const hint = h('p', { class: 'field-hint', id: 'auth-hint', hidden: true });
  const error = h('p', { class: 'form-error', role: 'alert', id: 'auth-error' });
  if (notice) error.textContent = notice;
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  const title = h('h1', { id: 'auth-title' }, 'Sign in to Chat');
  const switchText = h('span', {}, 'New here?');
  const switchButton = h('button', { type: 'button', class: 'link-button' }, 'Create an account');

  function setMode(next) {
    mode = next;
    const register = mode === 'register';
    title.textContent = register ? 'Create your account' : 'Sign in to Chat';
    submit.textContent = register ? 'Create account' : 'Sign in';
    switchText.textContent = register ? 'Already have an account?' : 'New here?';
    switchButton.textContent = register ? 'Sign in' : 'Create an account';
    password.setAttribute('autocomplete', register ? 'new-password' : 'current-password');
    hint.hidden = !register;
    hint.textContent = '3-32 letters, digits, dots, dashes or underscores; password 8+ characters.';
    error.textContent = '';
  }

  switchButton.addEventListener('click', () => setMode(mode === 'login' ? 'register' : 'login'));

  const form = h(
    'form',
    { class: 'auth-card', 'aria-labelledby': 'auth-title', novalidate: true },
    h('div', { class: 'brand brand-large', 'aria-hidden': 'true' }, h('span', { class: 'logo' }), 'Chat'),
    title,
    h('label', { for: 'auth-username' }, 'Username'),
    username,
    h('label', { for: 'auth-password' }, 'Password'),
    password,
    hint,
    error,
    submit,
    h('p', { class: 'auth-switch' }, switchText, ' ', switchButton),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const name = username.value.trim();
    if (mode === 'register' && !USERNAME_RE.test(name)) {
      error.textContent = 'Usernames are 3-32 letters, digits, dots, dashes or underscores.';
      username.focus();
      return;
    }
    if (password.value.length < 8 && mode === 'register') {
      error.textContent = 'Passwords need at least 8 characters.';
      password.focus();
      return;
    }
    if (!name || !password.value) {
      error.textContent = 'Enter your username and password.';
      return;
    }
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const path = mode === 'register' ? '/api/register' : '/api/login';
      const result = await api(
        'POST',
        path,
        { username: name, password: password.value },
        { auth: false },
      );
      session.save(result.token, result.user);
      onSignedIn(result.user);
    } catch (err) {
      error.textContent = describe(err, mode);
      password.select();
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });

  root.replaceChildren(h('main', { class: 'auth-screen' }, form));
  setMode('login');
  if (notice) error.textContent = notice;
  username.focus();
}
