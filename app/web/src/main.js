// Entry point: restore the tab's session if there is one, otherwise ask the user to sign in.
import './styles.css';
import './people.css';
import { api, ApiError, session, setUnauthorizedHandler } from './api.js';
import { renderAuth } from './auth.js';
import { startChat } from './chat.js';

const root = document.getElementById('app');
let current = null;

function signedOut(notice = '') {
  current = null;
  renderAuth(root, signedIn, notice);
}

function signedIn(user) {
  current = startChat(root, user, signedOut);
}

setUnauthorizedHandler(() => {
  if (current) current.endSession('Your session has ended. Please sign in again.');
});

async function boot() {
  if (!session.token) {
    signedOut();
    return;
  }
  try {
    const { user } = await api('GET', '/api/me');
    session.save(session.token, user);
    signedIn(user);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      session.clear();
      signedOut('Your session has ended. Please sign in again.');
    } else {
      signedOut(err.message);
    }
  }
}

boot();
