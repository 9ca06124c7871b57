#!/usr/bin/env node
// Load generator for the chat benchmarks: one Node.js process, socket.io-client over WebSocket.
//
//   node bench/loadgen.js <plan.json>
//
// The plan (written by bench/orchestrate.py) names the server URLs, how many users, rooms
// and sockets, and either a list of load steps or an idle hold. The result is one JSON
// document on stdout; progress goes to stderr.
//
// Per step it measures what users notice: deliveries per second, acknowledged sends per
// second, send-to-delivery latency (p50/p95/p99) and, checked by every receiver for every
// acknowledged message, deliveries lost, duplicated or seen out of id order. Server CPU and
// RSS come from /proc for the PIDs the plan names (the servers the orchestrator started).
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

function log(...parts) {
  process.stderr.write(`[loadgen] ${parts.join(" ")}\n`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- /proc sampling

function descendants(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i += 1) {
    try {
      const children = fs.readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, "utf8").trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    } catch {
      // the process is gone; what it used so far was sampled before
    }
  }
  return out;
}

function cpuTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command name, which may itself contain spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

function rssBytes(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function sampleServers(pids) {
  const sample = { at: performance.now(), cpuTicks: 0, rss: 0, perProcess: [] };
  for (const root of pids) {
    let ticks = 0;
    let rss = 0;
    for (const pid of descendants(root)) {
      ticks += cpuTicks(pid);
      rss += rssBytes(pid);
    }
    sample.cpuTicks += ticks;
    sample.rss += rss;
    sample.perProcess.push({ pid: root, cpuTicks: ticks, rss });
  }
  return sample;
}

// ---------------------------------------------------------------- statistics

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

class Latencies {
  constructor() {
    this.values = new Float64Array(1 << 16);
    this.count = 0;
  }

  add(value) {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count] = value;
    this.count += 1;
  }

  summary() {
    const sorted = this.values.slice(0, this.count).sort();
    const round = (v) => (v === null ? null : Math.round(v * 100) / 100);
    return {
      count: this.count,
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(this.count ? sorted[this.count - 1] : null),
    };
  }
}

// ---------------------------------------------------------------- HTTP set-up

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
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}

async function userTokens(plan) {
  const cacheFile = plan.tokens_file;
  let cache = {};
  if (cacheFile && fs.existsSync(cacheFile)) cache = JSON.parse(fs.readFileSync(cacheFile, "utf8"));
  const names = Array.from({ length: plan.users }, (_, i) => `${plan.user_prefix}${i}`);
  const missing = names.filter((name) => !cache[name]);
  if (missing.length) log(`registering ${missing.length} users`);
  const base = plan.urls[0];
  await inBatches(missing, plan.register_concurrency || 4, async (username) => {
    const creds = { username, password: plan.password };
    let res = await postJson(base, "/api/register", creds);
    if (res.status === 409) res = await postJson(base, "/api/login", creds);
    if (res.status !== 201 && res.status !== 200) {
      throw new Error(`register/login ${username}: HTTP ${res.status} ${JSON.stringify(res.data)}`);
    }
    cache[username] = res.data.token;
  });
  if (cacheFile && missing.length) fs.writeFileSync(cacheFile, JSON.stringify(cache));
  return names.map((name) => ({ username: name, token: cache[name] }));
}

async function ensureRooms(plan, owner) {
  for (const name of plan.rooms) {
    const res = await postJson(plan.urls[0], "/api/rooms", { name, private: false }, owner.token);
    if (res.status !== 201 && res.status !== 409) {
      throw new Error(`create room ${name}: HTTP ${res.status} ${JSON.stringify(res.data)}`);
    }
  }
}

// ---------------------------------------------------------------- sockets

function connect(url, token, timeoutMs) {
  return new Promise((resolve, reject) => {
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
      reject(new Error(`connect ${url}: timeout`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`connect ${url}: ${err.message}`));
    });
  });
}

function emitWithAck(socket, event, payload, timeoutMs) {
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      resolve(err ? { ok: false, error: { code: "timeout", message: String(err.message || err) } } : ack);
    });
  });
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// The contract's message object (section 3); the timestamp format is checked on a sample to
// keep the load generator's own cost per delivery low.
function wellFormed(m, room, checkTime) {
  return (
    Number.isInteger(m.id) &&
    m.room === room &&
    typeof m.user === "string" &&
    typeof m.body === "string" &&
    typeof m.created_at === "string" &&
    m.edited_at === null &&
    typeof m.client_id === "string" &&
    m.attachment === null &&
    (!checkTime || ISO_UTC.test(m.created_at))
  );
}

// A client: one socket of one user in one room. It records every delivery it sees.
class Client {
  constructor(index, user, room, url) {
    this.index = index;
    this.user = user;
    this.room = room;
    this.url = url;
    this.socket = null;
    this.seen = new Set(); // client_ids delivered to this socket
    this.lastId = 0;
    this.seq = 0;
  }
}

class Run {
  constructor(plan) {
    this.plan = plan;
    this.clients = [];
    this.roomMembers = new Map(); // room -> Client[]
    this.byClientId = new Map(); // client_id -> sent record of the current step
    this.step = null;
  }

  // Users and rooms exist (registered over HTTP when not yet in the tokens file).
  async prepare() {
    if (!this.users) {
      this.users = await userTokens(this.plan);
      await ensureRooms(this.plan, this.users[0]);
    }
    return this.users;
  }

  async setUp() {
    const plan = this.plan;
    const users = await this.prepare();
    const layout = [];
    for (let i = 0; i < plan.clients; i += 1) {
      const room = plan.rooms[i % plan.rooms.length];
      layout.push(new Client(i, users[i % users.length], room, plan.urls[i % plan.urls.length]));
    }
    const started = performance.now();
    await inBatches(layout, plan.connect_concurrency || 25, async (client) => {
      client.socket = await connect(client.url, client.user.token, plan.connect_timeout_ms || 20000);
      const ack = await emitWithAck(client.socket, "join", { room: client.room }, plan.ack_timeout_ms || 10000);
      if (!ack || !ack.ok) throw new Error(`join ${client.room}: ${JSON.stringify(ack && ack.error)}`);
      for (const m of ack.messages || []) client.lastId = Math.max(client.lastId, m.id);
      client.socket.on("message", (message) => this.onMessage(client, message));
    });
    this.connectSeconds = (performance.now() - started) / 1000;
    this.clients = layout;
    for (const client of layout) {
      if (!this.roomMembers.has(client.room)) this.roomMembers.set(client.room, []);
      this.roomMembers.get(client.room).push(client);
    }
    log(`${layout.length} clients joined ${plan.rooms.length} room(s) in ${this.connectSeconds.toFixed(1)} s`);
  }

  onMessage(client, message) {
    const now = performance.now();
    if (typeof message !== "object" || message === null) return;
    const record = this.byClientId.get(message.client_id);
    const step = record ? record.step : this.step;
    // Without persistence the ids are not a commit order, so there is no order to check.
    if (message.id < client.lastId) {
      if (step && this.plan.check_order !== false) step.reordered += 1;
    } else client.lastId = message.id;
    if (!record) {
      if (step) step.foreign += 1; // not sent by this run
      return;
    }
    const result = step.result; // set once the step's figures are out
    if (client.seen.has(message.client_id)) {
      step.duplicated += 1;
      if (result) result.duplicated += 1;
      return;
    }
    client.seen.add(message.client_id);
    if (result) {
      // Arrived after the step's drain: it was counted lost, it is late instead.
      result.late_deliveries += 1;
      if (record.counted) result.lost -= 1;
      return;
    }
    if (!wellFormed(message, client.room, step.delivered % 50 === 0)) step.malformed += 1;
    step.delivered += 1;
    step.lastDelivery = now;
    const sentAt = Number(message.body.slice(2, message.body.indexOf(" ")));
    step.latency.add(now - sentAt);
  }

  send(client, step) {
    client.seq += 1;
    const clientId = `${this.plan.run_tag}-${client.index}-${client.seq}`;
    const sentAt = performance.now();
    const body = `t=${sentAt.toFixed(3)} ${clientId} ${this.plan.filler}`;
    const record = { clientId, client, sentAt, ack: null, step, counted: false };
    this.byClientId.set(clientId, record);
    step.records.push(record);
    step.sent += 1;
    step.pendingAcks += 1;
    client.socket
      .timeout(this.plan.ack_timeout_ms || 10000)
      .emit("send", { room: client.room, body, client_id: clientId }, (err, ack) => {
        step.pendingAcks -= 1;
        if (step.result) step.result.late_acks += 1;
        if (err) {
          record.ack = "timeout";
          step.ackErrors.timeout = (step.ackErrors.timeout || 0) + 1;
          return;
        }
        if (ack && ack.ok) {
          record.ack = "ok";
          step.acked += 1;
          step.expected += this.roomMembers.get(client.room).length;
          step.ackLatency.add(performance.now() - sentAt);
        } else {
          const code = (ack && ack.error && ack.error.code) || "malformed_ack";
          record.ack = code;
          step.ackErrors[code] = (step.ackErrors[code] || 0) + 1;
        }
      });
  }

  async runStep(spec, pids) {
    const senders = this.senderOrder();
    const step = {
      sent: 0,
      acked: 0,
      pendingAcks: 0,
      expected: 0,
      delivered: 0,
      duplicated: 0,
      reordered: 0,
      foreign: 0,
      malformed: 0,
      ackErrors: {},
      latency: new Latencies(),
      ackLatency: new Latencies(),
      lastDelivery: 0,
      records: [],
      result: null,
    };
    this.step = step;
    const durationMs = spec.duration_s * 1000;
    const cpu0 = process.cpuUsage();
    const before = sampleServers(pids);
    const start = performance.now();
    let next = 0;
    // Sends are spread evenly in time; a late timer catches up so the offered rate holds.
    while (true) {
      const elapsed = performance.now() - start;
      if (elapsed >= durationMs) break;
      const due = Math.floor((elapsed / 1000) * spec.sends_per_s);
      while (step.sent < due) {
        this.send(senders[next % senders.length], step);
        next += 1;
      }
      await sleep(Math.max(1, Math.min(10, 1000 / spec.sends_per_s)));
    }
    const sendEnd = performance.now();
    const atEnd = sampleServers(pids);
    const drainDeadline = sendEnd + (this.plan.drain_ms || 3000);
    while (performance.now() < drainDeadline && (step.pendingAcks > 0 || step.delivered < step.expected)) {
      await sleep(20);
    }
    const after = sampleServers(pids);
    const cpu1 = process.cpuUsage(cpu0);
    this.step = null;
    step.result = this.stepResult(spec, step, { start, sendEnd, before, atEnd, after, cpu1 });
    return step.result;
  }

  senderOrder() {
    // Interleave rooms so every room gets its share of the offered load at every instant.
    const perRoom = [...this.roomMembers.values()].map((members) => members.slice(0, this.plan.senders_per_room || members.length));
    const order = [];
    for (let i = 0; perRoom.some((list) => i < list.length); i += 1) {
      for (const list of perRoom) if (i < list.length) order.push(list[i]);
    }
    return order;
  }

  stepResult(spec, step, t) {
    let lost = 0;
    let lostMessages = 0;
    for (const record of step.records) {
      if (record.ack !== "ok") continue;
      record.counted = true;
      let missing = 0;
      for (const member of this.roomMembers.get(record.client.room)) {
        if (!member.seen.has(record.clientId)) missing += 1;
      }
      lost += missing;
      if (missing) lostMessages += 1;
    }
    const sendSeconds = (t.sendEnd - t.start) / 1000;
    // A server that falls behind stretches the window its deliveries need; count that time.
    // The last sends are delivered after the sending ends; up to the p99 limit that is the
    // normal tail, beyond it the time counts, so a server that only catches up in the drain
    // does not look faster than it is.
    const tail = Math.max(0, (step.lastDelivery - t.sendEnd) / 1000 - this.plan.p99_limit_ms / 1000);
    const deliverySeconds = sendSeconds + tail;
    const serverCpu = (t.after.cpuTicks - t.before.cpuTicks) / CLK_TCK;
    const roomSize = this.clients.length / this.roomMembers.size;
    return {
      offered_sends_per_s: spec.sends_per_s,
      offered_deliveries_per_s: Math.round(spec.sends_per_s * roomSize),
      duration_s: Math.round(sendSeconds * 100) / 100,
      sent: step.sent,
      acked: step.acked,
      ack_errors: step.ackErrors,
      expected_deliveries: step.expected,
      delivered: step.delivered,
      lost,
      lost_messages: lostMessages,
      duplicated: step.duplicated,
      reordered: step.reordered,
      stray: step.foreign,
      malformed: step.malformed,
      late_deliveries: 0,
      late_acks: 0,
      delivered_per_s: Math.round(step.delivered / deliverySeconds),
      acked_per_s: Math.round(step.acked / sendSeconds),
      latency_ms: step.latency.summary(),
      ack_latency_ms: step.ackLatency.summary(),
      server_cpu_s: Math.round(serverCpu * 1000) / 1000,
      server_cpu_percent: Math.round((serverCpu / ((t.after.at - t.before.at) / 1000)) * 1000) / 10,
      server_cpu_us_per_delivery: step.delivered ? Math.round((serverCpu / step.delivered) * 1e7) / 10 : null,
      server_rss_bytes: t.atEnd.rss,
      server_processes: t.after.perProcess.map((p, i) => ({
        pid: p.pid,
        cpu_s: Math.round(((p.cpuTicks - t.before.perProcess[i].cpuTicks) / CLK_TCK) * 1000) / 1000,
        rss_bytes: t.atEnd.perProcess[i].rss,
      })),
      loadgen_cpu_s: Math.round(((t.cpu1.user + t.cpu1.system) / 1e6) * 1000) / 1000,
    };
  }

  async close() {
    for (const client of this.clients) if (client.socket) client.socket.close();
    await sleep(200);
  }
}

function passes(plan, result) {
  const p99 = result.latency_ms.p99;
  return (
    result.acked === result.sent &&
    result.lost === 0 &&
    result.duplicated === 0 &&
    result.malformed === 0 &&
    p99 !== null &&
    p99 <= plan.p99_limit_ms &&
    result.delivered_per_s >= 0.9 * result.offered_deliveries_per_s
  );
}

async function idle(run, plan) {
  // The marginal cost of connections: a first set is opened and kept (it absorbs one-time
  // growth: registration's heap, pools, compiled code, allocator arenas), then a second set
  // of the same size; the RSS between the two settled states is what the second set costs.
  // (A baseline taken before any connection let a garbage-collected runtime come out
  // negative.)
  const pids = plan.pids;
  await run.setUp();
  await sleep(plan.settle_ms || 2000);
  const baseline = sampleServers(pids);
  const second = new Run(plan);
  second.users = run.users;
  await second.setUp();
  await sleep(plan.settle_ms || 2000);
  const loaded = sampleServers(pids);
  run.clients = run.clients.concat(second.clients);
  return {
    clients: second.clients.length,
    connections_held: run.clients.length,
    connect_s: Math.round(second.connectSeconds * 100) / 100,
    rss_before_bytes: baseline.rss,
    rss_after_bytes: loaded.rss,
    rss_per_1000_bytes: Math.round(((loaded.rss - baseline.rss) / second.clients.length) * 1000),
  };
}

// One server's ramp: climbs until its first failing step (past saturation each step only
// queues more), then bisects between the last passing and the first failing load.
class Ramp {
  constructor(plan) {
    this.plan = plan;
    this.run = new Run(plan);
    this.queue = [...(plan.steps || [])];
    this.low = null;
    this.high = null;
    this.refinements = plan.refine || 0;
    this.out = { scenario: plan.scenario, server: plan.server, clients: plan.clients, rooms: plan.rooms.length };
  }

  async step() {
    const plan = this.plan;
    const spec = this.queue.shift();
    const result = await this.run.runStep(spec, plan.pids);
    result.pass = passes(plan, result);
    this.out.steps.push(result);
    log(
      `${plan.server} ${plan.scenario}: offered ${result.offered_deliveries_per_s}/s delivered ${result.delivered_per_s}/s`,
      `p99 ${result.latency_ms.p99} ms lost ${result.lost} dup ${result.duplicated} cpu ${result.server_cpu_percent}%`,
      result.pass ? "ok" : "FAIL",
    );
    if (result.pass) this.low = spec;
    else this.high = spec;
    if (!plan.stop_on_fail) return;
    if (!result.pass) {
      this.queue.length = 0;
      // Let the backlog of the failed step drain so it does not load the next step.
      await sleep(plan.recover_ms || 2000);
    }
    if (this.high && this.low && this.refinements > 0 && this.low.sends_per_s < this.high.sends_per_s) {
      this.refinements -= 1;
      this.queue.push({ ...this.high, sends_per_s: (this.low.sends_per_s + this.high.sends_per_s) / 2 });
    }
  }
}

async function main() {
  const plan = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  plan.filler = plan.filler || "x".repeat(plan.body_filler || 60);
  plan.p99_limit_ms = plan.p99_limit_ms || 500;
  // With several targets (servers), their steps alternate so a noisy machine hits all alike.
  const ramps = (plan.targets || [{}]).map((target) => new Ramp({ ...plan, ...target }));
  try {
    for (const ramp of ramps) {
      if (plan.mode === "idle") {
        Object.assign(ramp.out, await idle(ramp.run, ramp.plan));
        await ramp.run.close();
      } else {
        await ramp.run.setUp();
        ramp.out.connect_s = Math.round(ramp.run.connectSeconds * 100) / 100;
        ramp.out.steps = [];
      }
    }
    while (ramps.some((ramp) => ramp.queue.length && plan.mode !== "idle")) {
      for (const ramp of ramps) {
        if (ramp.queue.length) await ramp.step();
        if (plan.pause_ms) await sleep(plan.pause_ms);
      }
    }
    // Deliveries still in flight turn from lost into late if they arrive by now.
    if (plan.mode !== "idle") await sleep(plan.final_drain_ms || 2000);
  } finally {
    for (const ramp of ramps) await ramp.run.close();
  }
  const outs = ramps.map((ramp) => ramp.out);
  process.stdout.write(`${JSON.stringify(plan.targets ? { runs: outs } : outs[0])}\n`);
  process.exit(0);
}

main().catch((err) => {
  log(`error: ${err.stack || err}`);
  process.stdout.write(`${JSON.stringify({ error: String(err.message || err) })}\n`);
  process.exit(1);
});
