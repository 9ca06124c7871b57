// A deliberately faulty chat server for the load generator's own tests: it acknowledges every
// send and then delivers the message twice, so every receiver must report duplicates.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

let nextId = 1;
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const body = req.url === "/api/rooms" ? { room: {} } : { user: {}, token: `t${nextId++}` };
    res.writeHead(req.url === "/api/login" ? 200 : 201, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  });
});
const io = new Server(server);
io.on("connection", (socket) => {
  socket.on("join", (payload, ack) => {
    socket.join(payload.room);
    ack({ ok: true, messages: [], more: false, online: [] });
  });
  socket.on("send", (payload, ack) => {
    const message = { id: nextId++, room: payload.room, body: payload.body, client_id: payload.client_id };
    ack({ ok: true, message });
    io.to(payload.room).emit("message", message);
    io.to(payload.room).emit("message", message);
  });
});
server.listen(Number(process.argv[2]), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
