#!/usr/bin/env node
// Reference chat server for the benchmarks: what a competent Node.js team would ship for the
// same subset of the chat contract (docs/benchmarks.md, "What the reference implements").
//
//   node bench/reference/server.js migrate
//   node bench/reference/server.js serve --host 127.0.0.1 --port 8001
//
// It is configured like the service, through the same environment variables:
// DATABASE_URL, REDIS_URL, SOCKETIO_CHANNEL (Redis channel and key prefix), SEND_RATE_LIMIT
// ("<count>/second", burst = 2 x count like the service's default 10/s burst 20),
// BENCH_NO_PERSIST=1 (acknowledge without the INSERT; measurement only), DB_POOL_SIZE.
"use strict";

const crypto = require("node:crypto");
const http = require("node:http");
const { promisify } = require("node:util");

const { Pool } = require("pg");
const { createClient } = require("redis");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");

const scrypt = promisify(crypto.scrypt);

const USERNAME_RE = /^[A-Za-z0-9_.-]{3,32}$/;
const ROOM_RE = /^[a-z0-9-]{1,64}$/;
const BODY_MAX = 4000;
const HISTORY_DEFAULT = 50;
const HISTORY_SINCE = 500;

const STATUS = {
  invalid_payload: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

class ChatError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function fail(code, message) {
  throw new ChatError(code, message);
}

function parseArgs(argv) {
  const args = { command: argv[0] || "serve", host: "127.0.0.1", port: 8001 };
  for (let i = 1; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    if (name === "host") args.host = argv[i + 1];
    else if (name === "port") args.port = Number(argv[i + 1]);
    else {
      process.stderr.write(`unknown option ${argv[i]}\n`);
      process.exit(2);
    }
  }
  return args;
}

function parseRate(text) {
  const m = /^\s*(\d+)\s*\/\s*(second|minute)s?\s*$/.exec(text || "10/second");
  if (!m) {
    process.stderr.write(`SEND_RATE_LIMIT: expected '<count>/second', got ${text}\n`);
    process.exit(2);
  }
  const perSecond = Number(m[1]) / (m[2] === "minute" ? 60 : 1);
  return { perSecond, burst: Math.max(1, Math.round(perSecond * 2)) };
}

function config() {
  const env = process.env;
  for (const name of ["DATABASE_URL", "REDIS_URL"]) {
    if (!env[name]) {
      process.stderr.write(`${name}: required\n`);
      process.exit(2);
    }
  }
  return {
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    channel: env.SOCKETIO_CHANNEL || "chat-ref",
    sendRate: parseRate(env.SEND_RATE_LIMIT),
    persist: !["1", "true", "yes"].includes((env.BENCH_NO_PERSIST || "").toLowerCase()),
    poolSize: Number(env.DB_POOL_SIZE || 10),
  };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id BIGSERIAL PRIMARY KEY,
  username TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_username_lower ON users (lower(username));
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS rooms (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  private BOOLEAN NOT NULL DEFAULT false,
  owner_id BIGINT NOT NULL REFERENCES users (id)
);
CREATE TABLE IF NOT EXISTS room_members (
  room_id BIGINT NOT NULL REFERENCES rooms (id),
  user_id BIGINT NOT NULL REFERENCES users (id),
  PRIMARY KEY (room_id, user_id)
);
CREATE TABLE IF NOT EXISTS messages (
  id BIGSERIAL PRIMARY KEY,
  room_id BIGINT NOT NULL REFERENCES rooms (id),
  user_id BIGINT NOT NULL REFERENCES users (id),
  body TEXT NOT NULL,
  client_id TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  edited_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS messages_room_id ON messages (room_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS messages_client_id ON messages (room_id, user_id, client_id)
  WHERE client_id IS NOT NULL;
`;

// Token bucket in one round trip; the same shape of check the service makes per send.
const RATE_LIMIT_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed
`;

function hashToken(token) {
  return crypto.createHash("sha256").update(token).digest("hex");
}

async function hashPassword(password) {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, 32);
  return `${salt.toString("hex")}:${key.toString("hex")}`;
}

async function checkPassword(password, stored) {
  const [saltHex, keyHex] = stored.split(":");
  const key = await scrypt(password, Buffer.from(saltHex, "hex"), 32);
  return crypto.timingSafeEqual(key, Buffer.from(keyHex, "hex"));
}

function messageObject(row, roomName, username) {
  return {
    id: Number(row.id),
    room: roomName,
    user: username,
    body: row.body,
    created_at: row.created_at.toISOString(),
    edited_at: row.edited_at ? row.edited_at.toISOString() : null,
    client_id: row.client_id ?? null,
    attachment: null,
  };
}

function errorBody(err) {
  return { ok: false, error: { code: err.code, message: err.message } };
}

function asChatError(err) {
  if (err instanceof ChatError) return err;
  // A dependency failure after start is reported, never fatal (contract section 1).
  process.stderr.write(`error: ${err.stack || err}\n`);
  return new ChatError("unavailable", "a dependency is unavailable, try again");
}

class Chat {
  constructor(cfg, pool, redis) {
    this.cfg = cfg;
    this.pool = pool;
    this.redis = redis;
    this.rooms = new Map(); // name -> {id, name, private, owner}; rooms are never renamed
    this.localSeq = 0;
    this.presenceKey = (room) => `${cfg.channel}:presence:${room}`;
  }

  async register(body) {
    const { username, password } = body || {};
    if (typeof username !== "string" || !USERNAME_RE.test(username)) {
      fail("invalid_payload", "username: 3-32 of [A-Za-z0-9_.-]");
    }
    if (typeof password !== "string" || password.length < 8 || password.length > 128) {
      fail("invalid_payload", "password: 8-128 characters");
    }
    const hash = await hashPassword(password);
    let user;
    try {
      const res = await this.pool.query(
        "INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id, username",
        [username, hash],
      );
      user = res.rows[0];
    } catch (err) {
      if (err.code === "23505") fail("conflict", "username taken");
      throw err;
    }
    return { user: { id: Number(user.id), username: user.username }, token: await this.newSession(user.id) };
  }

  async login(body) {
    const { username, password } = body || {};
    if (typeof username !== "string" || typeof password !== "string") {
      fail("invalid_payload", "username and password required");
    }
    const res = await this.pool.query(
      "SELECT id, username, password_hash FROM users WHERE lower(username) = lower($1)",
      [username],
    );
    const user = res.rows[0];
    if (!user || !(await checkPassword(password, user.password_hash))) {
      fail("unauthorized", "wrong username or password");
    }
    return { user: { id: Number(user.id), username: user.username }, token: await this.newSession(user.id) };
  }

  async newSession(userId) {
    const token = crypto.randomBytes(32).toString("base64url");
    await this.pool.query("INSERT INTO sessions (token_hash, user_id) VALUES ($1, $2)", [
      hashToken(token),
      userId,
    ]);
    return token;
  }

  async authenticate(token) {
    if (typeof token !== "string" || token.length > 200) return null;
    const res = await this.pool.query(
      "SELECT u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
      [hashToken(token)],
    );
    const user = res.rows[0];
    return user ? { id: Number(user.id), username: user.username } : null;
  }

  async createRoom(user, body) {
    const { name } = body || {};
    const isPrivate = Boolean(body && body.private);
    if (typeof name !== "string" || !ROOM_RE.test(name)) fail("invalid_payload", "name: 1-64 of [a-z0-9-]");
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const res = await client.query(
        "INSERT INTO rooms (name, private, owner_id) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id",
        [name, isPrivate, user.id],
      );
      if (!res.rows[0]) {
        await client.query("ROLLBACK");
        fail("conflict", "room exists");
      }
      await client.query("INSERT INTO room_members (room_id, user_id) VALUES ($1, $2)", [res.rows[0].id, user.id]);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    return { room: { name, private: isPrivate, owner: user.username } };
  }

  async room(name) {
    if (typeof name !== "string" || !ROOM_RE.test(name)) fail("invalid_payload", "room: 1-64 of [a-z0-9-]");
    let room = this.rooms.get(name);
    if (!room) {
      const res = await this.pool.query(
        "SELECT r.id, r.name, r.private, u.username AS owner FROM rooms r JOIN users u ON u.id = r.owner_id WHERE r.name = $1",
        [name],
      );
      if (!res.rows[0]) fail("not_found", "no such room");
      const row = res.rows[0];
      room = { id: Number(row.id), name: row.name, private: row.private, owner: row.owner };
      this.rooms.set(name, room);
    }
    return room;
  }

  async join(socket, payload) {
    if (!payload || typeof payload !== "object") fail("invalid_payload", "expected an object");
    const room = await this.room(payload.room);
    const user = socket.data.user;
    if (room.private) {
      const res = await this.pool.query("SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2", [
        room.id,
        user.id,
      ]);
      if (!res.rows[0]) fail("forbidden", "private room");
    }
    let rows;
    let more;
    if (payload.since !== undefined && payload.since !== null) {
      if (!Number.isInteger(payload.since) || payload.since < 0) fail("invalid_payload", "since: a message id");
      const res = await this.pool.query(
        `SELECT m.id, m.body, m.client_id, m.created_at, m.edited_at, u.username FROM messages m
         JOIN users u ON u.id = m.user_id WHERE m.room_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`,
        [room.id, payload.since, HISTORY_SINCE + 1],
      );
      more = res.rows.length > HISTORY_SINCE;
      rows = res.rows.slice(0, HISTORY_SINCE);
    } else {
      const res = await this.pool.query(
        `SELECT m.id, m.body, m.client_id, m.created_at, m.edited_at, u.username FROM messages m
         JOIN users u ON u.id = m.user_id WHERE m.room_id = $1 ORDER BY m.id DESC LIMIT $2`,
        [room.id, HISTORY_DEFAULT + 1],
      );
      more = res.rows.length > HISTORY_DEFAULT;
      rows = res.rows.slice(0, HISTORY_DEFAULT).reverse();
    }
    const firstJoin = !socket.data.rooms.has(room.name);
    socket.data.rooms.add(room.name);
    socket.join(room.name);
    const key = this.presenceKey(room.name);
    let online;
    if (firstJoin) {
      const [count, all] = await this.redis.multi().hIncrBy(key, user.username, 1).hGetAll(key).exec();
      online = Object.keys(all).filter((name) => Number(all[name]) > 0);
      if (Number(count) === 1) {
        socket.to(room.name).emit("presence", { room: room.name, user: user.username, status: "online" });
      }
    } else {
      const all = await this.redis.hGetAll(key);
      online = Object.keys(all).filter((name) => Number(all[name]) > 0);
    }
    return {
      ok: true,
      room: { name: room.name, private: room.private, owner: room.owner },
      messages: rows.map((row) => messageObject(row, room.name, row.username)),
      more,
      online,
    };
  }

  async leaveRoom(socket, roomName) {
    if (!socket.data.rooms.delete(roomName)) return;
    socket.leave(roomName);
    const user = socket.data.user.username;
    const left = await this.redis.hIncrBy(this.presenceKey(roomName), user, -1);
    if (Number(left) <= 0) {
      await this.redis.hDel(this.presenceKey(roomName), user);
      socket.to(roomName).emit("presence", { room: roomName, user, status: "offline" });
    }
  }

  async leave(socket, payload) {
    if (!payload || typeof payload !== "object" || typeof payload.room !== "string") {
      fail("invalid_payload", "room required");
    }
    await this.leaveRoom(socket, payload.room);
    return { ok: true };
  }

  async disconnect(socket) {
    for (const name of [...socket.data.rooms]) await this.leaveRoom(socket, name);
  }

  async send(io, socket, payload) {
    if (!payload || typeof payload !== "object") fail("invalid_payload", "expected an object");
    const { body, client_id: clientId } = payload;
    if (typeof body !== "string") fail("invalid_payload", "body: a string");
    const trimmed = body.trim();
    if (trimmed.length === 0) fail("invalid_payload", "body is empty");
    if ([...trimmed].length > BODY_MAX) fail("too_large", `body: at most ${BODY_MAX} characters`);
    if (clientId !== undefined && clientId !== null && (typeof clientId !== "string" || clientId.length > 64)) {
      fail("invalid_payload", "client_id: a string of at most 64 characters");
    }
    const room = await this.room(payload.room);
    if (!socket.data.rooms.has(room.name)) fail("forbidden", "join the room first");
    const user = socket.data.user;
    const rate = this.cfg.sendRate;
    const allowed = await this.redis.eval(RATE_LIMIT_LUA, {
      keys: [`${this.cfg.channel}:rate:send:${user.id}`],
      arguments: [String(rate.perSecond), String(rate.burst), String(Date.now())],
    });
    if (Number(allowed) !== 1) fail("rate_limited", "too many messages, slow down");
    let message;
    let fresh = true;
    if (this.cfg.persist) {
      const res = await this.pool.query(
        `INSERT INTO messages (room_id, user_id, body, client_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (room_id, user_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
         RETURNING id, body, client_id, created_at, edited_at`,
        [room.id, user.id, body, clientId ?? null],
      );
      let row = res.rows[0];
      if (!row) {
        fresh = false;
        const again = await this.pool.query(
          "SELECT id, body, client_id, created_at, edited_at FROM messages WHERE room_id = $1 AND user_id = $2 AND client_id = $3",
          [room.id, user.id, clientId],
        );
        row = again.rows[0];
      }
      message = messageObject(row, room.name, user.username);
    } else {
      // Measurement only: ids stay unique across processes without a database round trip.
      this.localSeq += 1;
      const row = { id: process.pid * 1e7 + this.localSeq, body, client_id: clientId, created_at: new Date() };
      message = messageObject(row, room.name, user.username);
    }
    return { ack: { ok: true, message }, broadcast: fresh ? message : null };
  }
}

function sendJson(res, status, body, headers = {}) {
  const data = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data), ...headers });
  res.end(data);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > 65536) {
        reject(new ChatError("too_large", "body too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {});
      } catch {
        reject(new ChatError("invalid_payload", "body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

function httpHandler(chat) {
  return async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    try {
      if (req.method === "GET" && url.pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (req.method === "GET" && url.pathname === "/readyz") {
        const checks = { database: "ok", redis: "ok" };
        await chat.pool.query("SELECT 1").catch((err) => (checks.database = String(err.message || err)));
        await chat.redis.ping().catch((err) => (checks.redis = String(err.message || err)));
        const ready = checks.database === "ok" && checks.redis === "ok";
        return sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable", checks });
      }
      if (req.method === "POST" && url.pathname === "/api/register") {
        return sendJson(res, 201, await chat.register(await readJson(req)));
      }
      if (req.method === "POST" && url.pathname === "/api/login") {
        return sendJson(res, 200, await chat.login(await readJson(req)));
      }
      if (req.method === "POST" && url.pathname === "/api/rooms") {
        const auth = /^Bearer (.+)$/.exec(req.headers.authorization || "");
        const user = auth && (await chat.authenticate(auth[1]));
        if (!user) fail("unauthorized", "a valid token is required");
        return sendJson(res, 201, await chat.createRoom(user, await readJson(req)));
      }
      fail("not_found", "no such endpoint");
    } catch (err) {
      const e = asChatError(err);
      return sendJson(res, STATUS[e.code], { error: { code: e.code, message: e.message } });
    }
  };
}

// Wraps an event handler so every outcome becomes exactly one ack in the contract's envelope.
function onEvent(socket, handler) {
  return async (payload, ack) => {
    if (typeof ack !== "function") return;
    try {
      ack(await handler(payload));
    } catch (err) {
      ack(errorBody(asChatError(err)));
    }
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cfg = config();
  const pool = new Pool({ connectionString: cfg.databaseUrl, max: cfg.poolSize });
  pool.on("error", (err) => process.stderr.write(`database: ${err.message}\n`));
  if (args.command === "migrate") {
    await pool.query(SCHEMA);
    await pool.end();
    return;
  }
  if (args.command !== "serve") {
    process.stderr.write(`unknown command ${args.command} (migrate or serve)\n`);
    process.exit(2);
  }
  let started = false;
  // Unreachable at start is bad configuration (exit 2); an outage later is retried for ever.
  const reconnectStrategy = (retries) =>
    !started && retries >= 3 ? new Error("REDIS_URL: Redis is unreachable") : Math.min(retries * 100, 2000);
  const redis = createClient({ url: cfg.redisUrl, socket: { reconnectStrategy } });
  const pub = redis.duplicate();
  const sub = redis.duplicate();
  for (const client of [redis, pub, sub]) client.on("error", (err) => process.stderr.write(`redis: ${err.message}\n`));
  await Promise.all([redis.connect(), pub.connect(), sub.connect()]);
  try {
    await pool.query("SELECT 1");
  } catch (err) {
    throw new Error(`DATABASE_URL: ${err.message}`);
  }
  started = true;

  const chat = new Chat(cfg, pool, redis);
  const server = http.createServer(httpHandler(chat));
  const io = new Server(server, {
    adapter: createAdapter(pub, sub, { key: `${cfg.channel}-sio` }),
    perMessageDeflate: false,
    serveClient: false,
  });

  io.use(async (socket, next) => {
    try {
      const user = await chat.authenticate(socket.handshake.auth && socket.handshake.auth.token);
      if (!user) return next(new Error("unauthorized"));
      socket.data.user = user;
      socket.data.rooms = new Set();
      return next();
    } catch (err) {
      asChatError(err);
      return next(new Error("unavailable"));
    }
  });

  io.on("connection", (socket) => {
    socket.on("join", onEvent(socket, (payload) => chat.join(socket, payload)));
    socket.on("leave", onEvent(socket, (payload) => chat.leave(socket, payload)));
    socket.on("send", async (payload, ack) => {
      if (typeof ack !== "function") return;
      let result;
      try {
        result = await chat.send(io, socket, payload);
      } catch (err) {
        ack(errorBody(asChatError(err)));
        return;
      }
      ack(result.ack);
      if (result.broadcast) io.to(result.broadcast.room).emit("message", result.broadcast);
    });
    socket.on("disconnect", () => {
      chat.disconnect(socket).catch((err) => asChatError(err));
    });
  });

  server.listen(args.port, args.host, () => {
    process.stderr.write(`reference server on http://${args.host}:${args.port} (pid ${process.pid})\n`);
  });
  const stop = () => {
    io.close();
    Promise.allSettled([pool.end(), redis.quit(), pub.quit(), sub.quit()]).then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(2);
});
