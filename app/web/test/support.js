// A browser-like world for the client's modules under Node's test runner: happy-dom's window,
// document and storage, a socket that records what is emitted and answers from a script, and
// a fetch that answers from a table. The modules under test are the real ones.
import { GlobalRegistrator } from '@happy-dom/global-registrator';

GlobalRegistrator.register({ url: 'https://chat.example.com/' });

/** Records every acknowledged emit; `answer(event, payload)` returns the ack, or 'timeout'. */
export class FakeSocket {
  constructor(answer) {
    this.answer = answer;
    this.emitted = [];
    this.connected = true;
  }

  timeout() {
    return {
      emit: (event, payload, callback) => {
        this.emitted.push([event, payload]);
        const ack = this.answer(event, payload);
        queueMicrotask(() => (ack === 'timeout' ? callback(new Error('timeout')) : callback(null, ack)));
      },
    };
  }
}

/** fetch answering GET/POST paths from `routes` ({'GET /api/x': body}); records the calls. */
export function fakeFetch(routes) {
  const calls = [];
  globalThis.fetch = async (url, init = {}) => {
    const key = `${init.method || 'GET'} ${url}`;
    calls.push(key);
    if (!(key in routes)) return new Response(JSON.stringify({ error: { code: 'not_found' } }), { status: 404 });
    return new Response(JSON.stringify(routes[key]), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return calls;
}

export const message = (id, extra = {}) => ({
  id,
  room: 'general',
  user: 'bob',
  body: `m${id}`,
  created_at: '2026-12-03T10:00:00Z',
  edited_at: null,
  client_id: null,
  attachment: null,
  ...extra,
});
