#!/usr/bin/env node
// Load generator of the socket-count scenarios (bench/scale_sockets.py): one Node.js process,
// socket.io-client over WebSocket, one server at a time.
//
//   node bench/sockets.js <plan.json>
//
// For each count of the plan's ladder (say 100, 1,000, 5,000, 10,000) it opens idle joined
// sockets up to that count, spread over rooms of `room_size`, lets the server settle and
// records its RSS; then, for `idle_s` seconds with nothing sent, the server's CPU (what
// heartbeats and timers cost); then the latency of messages to a probe room while all of
// them are connected: `probe_receivers` sockets in it, one sender at `probe_rate` messages/s
// for `probe_s` seconds. Latency is send-to-delivery at the receivers (body carries the
// send time).
//
// Then, if `storm` is set, the reconnect storm on the sockets held at the top of the ladder:
// every idle socket is closed at once (a network blip), `gap_per_room` messages are sent to
// each room while they are away, then every client reconnects at the same moment and re-joins
// with `since` (its last seen id). Counted: connects refused (connect_error), connects or
// joins timed out, join errors, and messages missed (a gap message of its room absent from
// the join's catch-up). A refused or timed-out client retries after a back-off, as a real
// client does, so "all back" is measured even when some are refused; the time is from the
// moment of the reconnect to the last join acknowledged.
//
// Server RSS and CPU come from /proc for the PIDs the plan names. One JSON document on
// stdout; progress on stderr. Everything is bounded: `deadline_s` ends the run.
"use strict";

const fs = require("node:fs");
const { execFileSync } = require("node:child_process");
const { performance } = require("node:perf_hooks");
const { io } = require("socket.io-client");

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...parts) => process.stderr.write(`[sockets] ${parts.join(" ")}\n`);
const round = (v, d = 2) => (v === null || v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d);

function serverSample(pids) {
  let ticks = 0;
  let rss = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      rss += m ? Number(m[1]) * 1024 : 0;
    } catch {
      // gone: counted as nothing
    }
  }
  return { at: performance.now(), cpu_s: ticks / CLK_TCK, rss };
}

function percentiles(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
  return {
    count: sorted.length,
    p50: round(at(50)),
    p99: round(at(99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : null),
  };
}

async function postJson(base, path, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { raw: text.slice(0, 200) };
  }
  return { status: res.status, data };
}

async function inBatches(items, width, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

async function users(plan) {
  const out = [];
  await inBatches(
    Array.from({ length: plan.users }, (_, i) => `${plan.user_prefix}${i}`),
    plan.register_concurrency || 4,
    async (username) => {
      const creds = { username, password: plan.password };
      let res = await postJson(plan.url, "/api/register", creds);
      if (res.status === 409) res = await postJson(plan.url, "/api/login", creds);
      if (res.status !== 201 && res.status !== 200) throw new Error(`register ${username}: HTTP ${res.status}`);
      out.push({ username, token: res.data.token });
    },
  );
  return out;
}

// One connect attempt: resolves to the socket, or to an error code (refused / timeout).
function connectOnce(url, token, timeoutMs) {
  return new Promise((resolve) => {
    const socket = io(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
      auth: { token },
      perMessageDeflate: false,
    });
    const timer = setTimeout(() => {
      socket.close();
      resolve({ error: "timeout" });
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve({ socket });
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      socket.close();
      resolve({ error: /timeout/i.test(String(err && err.message)) ? "timeout" : "refused" });
    });
  });
}

function emitWithAck(socket, event, payload, timeoutMs) {
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      resolve(err ? { ok: false, error: { code: "timeout" } } : ack);
    });
  });
}

class Client {
  // `url`: the server process this client keeps to (as a load balancer's stickiness by
  // client address would); the plan's first one when not given
  constructor(user, room, url) {
    this.user = user;
    this.room = room;
    this.url = url;
    this.socket = null;
    this.lastId = 0;
  }

  // Connects and joins (with `since` when given); resolves to the join's ack or throws.
  async open(plan, since) {
    const got = await connectOnce(this.url || plan.url, this.user.token, plan.connect_timeout_ms);
    if (got.error) return { error: got.error };
    this.socket = got.socket;
    const payload = since === undefined ? { room: this.room } : { room: this.room, since };
    const ack = await emitWithAck(this.socket, "join", payload, plan.ack_timeout_ms);
    if (!ack || !ack.ok) {
      this.socket.close();
      this.socket = null;
      const code = ack && ack.error && ack.error.code;
      if (code !== "timeout") log(`join ${this.room} refused: ${JSON.stringify(ack && ack.error)}`);
      return { error: code === "timeout" ? "join_timeout" : "join_error" };
    }
    for (const m of ack.messages || []) this.lastId = Math.max(this.lastId, m.id);
    this.socket.on("message", (m) => {
      if (m && Number.isInteger(m.id)) this.lastId = Math.max(this.lastId, m.id);
    });
    return { ack };
  }
}

// Opens with retries after a back-off, as a client does; each failed attempt is counted in
// `failures` (by kind). Throws after `open_attempts` failures.
async function openOrThrow(plan, client, failures = {}) {
  let backoff = plan.retry_ms;
  for (let attempt = 1; ; attempt += 1) {
    const res = await client.open(plan);
    if (!res.error) return;
    failures[res.error] = (failures[res.error] || 0) + 1;
    if (attempt >= plan.open_attempts) throw new Error(`connect/join ${client.room}: ${res.error}`);
    await sleep(backoff * (0.5 + Math.random()));
    backoff = Math.min(backoff * 2, 5000);
  }
}

async function probe(plan, sender, receivers) {
  const latencies = [];
  const tag = `p${Math.random().toString(36).slice(2, 8)}`;
  const handlers = receivers.map((r) => {
    const h = (m) => {
      if (!m || typeof m.body !== "string" || !m.body.startsWith(`${tag} `)) return;
      latencies.push(performance.now() - Number(m.body.split(" ")[1]));
    };
    r.socket.on("message", h);
    return h;
  });
  let sent = 0;
  let acked = 0;
  const start = performance.now();
  const total = Math.round(plan.probe_rate * plan.probe_s);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * plan.probe_rate) + 1);
    while (sent < due) {
      sent += 1;
      const body = `${tag} ${performance.now().toFixed(3)} ${"x".repeat(60)}`;
      emitWithAck(sender.socket, "send", { room: plan.probe_room, body, client_id: `${tag}-${sent}` }, plan.ack_timeout_ms).then(
        (ack) => {
          if (ack && ack.ok) acked += 1;
        },
      );
    }
    await sleep(Math.max(1, 1000 / plan.probe_rate / 2));
  }
  const expected = () => acked * receivers.length;
  const until = performance.now() + 5000;
  while (performance.now() < until && latencies.length < expected()) await sleep(20);
  receivers.forEach((r, i) => r.socket.off("message", handlers[i]));
  return { sent, acked, expected: expected(), delivered: latencies.length, latency_ms: percentiles(latencies) };
}

async function ladder(plan, userList, idle, out) {
  const rooms = plan.rooms;
  const urls = plan.urls || [plan.url]; // the server processes, the clients spread over them
  for (const count of plan.counts) {
    const started = performance.now();
    const fresh = [];
    for (let i = idle.length; i < count; i += 1) {
      const c = new Client(userList[i % userList.length], rooms[Math.floor(i / plan.room_size) % rooms.length], urls[i % urls.length]);
      idle.push(c);
      fresh.push(c);
    }
    const failures = {};
    await inBatches(fresh, plan.connect_concurrency, (c) => openOrThrow(plan, c, failures));
    const connectS = (performance.now() - started) / 1000;
    await sleep(plan.settle_ms);
    const before = serverSample(plan.pids);
    await sleep(plan.idle_s * 1000);
    const after = serverSample(plan.pids);
    const idleCpu = after.cpu_s - before.cpu_s;
    const idleWall = (after.at - before.at) / 1000;
    const p = await probe(plan, out.sender, out.receivers);
    const row = {
      sockets: idle.length,
      connected_now: idle.filter((c) => c.socket && c.socket.connected).length,
      // the connected sockets of each server process, in the order of plan.urls
      per_process_sockets: urls.map((u) => idle.filter((c) => c.url === u && c.socket && c.socket.connected).length),
      connect_s: round(connectS),
      connect_failures: failures, // attempts refused or timed out, then retried
      rss_bytes: before.rss,
      idle_cpu_percent: round((idleCpu / idleWall) * 100, 1),
      idle_cpu_ms_per_1000_per_s: round(((idleCpu * 1000) / idleWall / Math.max(1, idle.length)) * 1000, 3),
      idle_window_s: round(idleWall, 1),
      probe: p,
      loadavg: require("node:os").loadavg().map((v) => round(v)),
    };
    out.counts.push(row);
    log(
      `${plan.server}: ${row.sockets} sockets, RSS ${(row.rss_bytes / 2 ** 20).toFixed(1)} MiB, idle CPU ${row.idle_cpu_percent}%,`,
      `probe p50 ${p.latency_ms.p50} p99 ${p.latency_ms.p99} ms (${p.delivered}/${p.expected})`,
    );
  }
}

async function storm(plan, idle) {
  // The blip: every idle socket goes at once.
  const since = idle.map((c) => c.lastId);
  for (const c of idle) {
    c.socket.close();
    c.socket = null;
  }
  await sleep(plan.storm_pause_ms);
  // While they are away: a few messages to every room, from a client of its own.
  const sender = new Client({ token: plan.sender_token }, plan.rooms[0]);
  await openOrThrow(plan, sender, {});
  const gap = new Map(); // room -> acked ids
  const roomsInUse = [...new Set(idle.map((c) => c.room))];
  let gapSendErrors = 0;
  await inBatches(roomsInUse, 8, async (room) => {
    gap.set(room, []);
    let joined = null;
    for (let attempt = 0; attempt < plan.open_attempts && !(joined && joined.ok); attempt += 1) {
      if (attempt) await sleep(Math.min(plan.retry_ms * 2 ** attempt, 5000));
      joined = await emitWithAck(sender.socket, "join", { room }, plan.ack_timeout_ms);
    }
    if (!joined || !joined.ok) {
      gapSendErrors += plan.gap_per_room;
      return;
    }
    for (let i = 0; i < plan.gap_per_room; i += 1) {
      const ack = await emitWithAck(sender.socket, "send", { room, body: `gap ${i}`, client_id: `gap-${room}-${i}` }, plan.ack_timeout_ms);
      if (ack && ack.ok && ack.message) gap.get(room).push(ack.message.id);
      else gapSendErrors += 1;
    }
  });
  sender.socket.close();
  // Everyone back at the same moment.
  const counts = { refused: 0, timeout: 0, join_timeout: 0, join_error: 0 };
  const backAt = new Array(idle.length).fill(null);
  let missed = 0;
  let clientsMissing = 0;
  log(`${plan.server}: storm: ${idle.length} clients reconnect now`);
  const start = performance.now();
  const deadline = start + plan.storm_deadline_s * 1000;
  await inBatches(idle, plan.storm_concurrency, async (c, i) => {
    let backoff = plan.retry_ms;
    while (performance.now() < deadline) {
      const res = await c.open(plan, since[i]);
      if (res.ack) {
        backAt[i] = (performance.now() - start) / 1000;
        const got = new Set((res.ack.messages || []).map((m) => m.id));
        const lost = gap.get(c.room).filter((id) => id > since[i] && !got.has(id)).length;
        missed += lost;
        if (lost) clientsMissing += 1;
        return;
      }
      counts[res.error] += 1;
      await sleep(backoff * (0.5 + Math.random()));
      backoff = Math.min(backoff * 2, 5000);
    }
  });
  const back = backAt.filter((v) => v !== null);
  return {
    clients: idle.length,
    rejoined: back.length,
    all_back_s: back.length === idle.length ? round(Math.max(...back)) : null,
    rejoin_s: percentiles(back),
    ...counts,
    gap_messages: [...gap.values()].reduce((n, ids) => n + ids.length, 0),
    gap_send_errors: gapSendErrors,
    missed_messages: missed,
    clients_missing_messages: clientsMissing,
    rss_after_bytes: serverSample(plan.pids).rss,
    loadavg: require("node:os").loadavg().map((v) => round(v)),
  };
}

async function main() {
  const plan = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const defaults = {
    connect_timeout_ms: 20000,
    ack_timeout_ms: 10000,
    connect_concurrency: 50,
    settle_ms: 2000,
    idle_s: 10,
    room_size: 100,
    probe_room: "probe",
    probe_receivers: 10,
    probe_rate: 20,
    probe_s: 5,
    storm_pause_ms: 1000,
    gap_per_room: 2,
    storm_concurrency: 100000,
    storm_deadline_s: 120,
    retry_ms: 1000, // socket.io-client's reconnection delay: 1 s doubling to 5 s, +-50 %
    deadline_s: 900,
    open_attempts: 5,
  };
  for (const [k, v] of Object.entries(defaults)) if (plan[k] === undefined) plan[k] = v;
  setTimeout(() => {
    log(`deadline of ${plan.deadline_s} s reached`);
    process.stdout.write(`${JSON.stringify({ error: "deadline" })}\n`);
    process.exit(2);
  }, plan.deadline_s * 1000).unref();
  const top = Math.max(...plan.counts);
  plan.rooms = Array.from({ length: Math.ceil(top / plan.room_size) }, (_, i) => `${plan.room_prefix}${i}`);
  const userList = await users(plan);
  plan.sender_token = userList[0].token;
  for (const name of [plan.probe_room, ...plan.rooms]) {
    const res = await postJson(plan.url, "/api/rooms", { name, private: false }, userList[0].token);
    if (res.status !== 201 && res.status !== 409) throw new Error(`create room ${name}: HTTP ${res.status}`);
  }
  const out = { server: plan.server, counts: [] };
  out.sender = new Client(userList[0], plan.probe_room);
  out.receivers = Array.from({ length: plan.probe_receivers }, (_, i) => new Client(userList[(i + 1) % userList.length], plan.probe_room));
  for (const c of [out.sender, ...out.receivers]) await openOrThrow(plan, c);
  const idle = [];
  try {
    await ladder(plan, userList, idle, out);
    if (plan.storm) {
      out.storm = await storm(plan, idle);
      log(`${plan.server}: storm of ${out.storm.clients}: all back in ${out.storm.all_back_s} s, refused ${out.storm.refused}, missed ${out.storm.missed_messages}`);
    }
  } finally {
    for (const c of [out.sender, ...out.receivers, ...idle]) if (c.socket) c.socket.close();
  }
  delete out.sender;
  delete out.receivers;
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await sleep(200);
  process.exit(0);
}

main().catch((err) => {
  log(`error: ${err.stack || err}`);
  process.stdout.write(`${JSON.stringify({ error: String(err.message || err) })}\n`);
  process.exit(1);
});
