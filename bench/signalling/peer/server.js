// The reference server for bench/signalling: stock socket.io 4.8 serving the room events the load
// generator uses, as vtpd's signalling plugin does but without storage or authentication (the
// token in the CONNECT auth payload must be present; its value is not checked).
//
//   node server.js PORT_FILE        listens on a free 127.0.0.1 port and writes it to PORT_FILE
//
// room:join {room} -> ack {participant, participants, ice_servers}; chat:send {room, text} -> ack
// {id, ts} and io.to(room).emit("chat:message", {id, room, from, user, text, ts}) (the sender too,
// as vtpd does). Rooms hold at most MAX_PARTICIPANTS (25) participants.
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const crypto = require("node:crypto");
const { Server } = require("socket.io");

const portFile = process.argv[2];
const maxParticipants = Number(process.env.MAX_PARTICIPANTS || 25);
const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false }); // engine.io defaults: ping 25 s / 20 s, 1 MB

const participants = new Map(); // room -> Map(socket id -> participant)
const participant = (socket) => ({ id: socket.id, user: socket.data.user, moderator: false,
    presence: { audio: false, video: false, hand: false, screen: false }, joined_at: socket.data.joinedAt });

io.use((socket, next) => {
    const token = socket.handshake.auth && socket.handshake.auth.token;
    if (typeof token !== "string" || token.length === 0) return next(new Error("a token is required"));
    socket.data.user = token.slice(0, 32);
    next();
});

io.on("connection", (socket) => {
    socket.on("room:join", (body, ack) => {
        if (typeof ack !== "function") return;
        const room = body && body.room;
        if (typeof room !== "string" || room.length === 0) return ack({ error: { code: "invalid", message: "'room' must be a room id" } });
        let members = participants.get(room);
        if (!members) participants.set(room, (members = new Map()));
        if (!members.has(socket.id)) {
            if (members.size >= maxParticipants) return ack({ error: { code: "room-full", message: "the room is full" } });
            socket.data.joinedAt = Date.now();
            members.set(socket.id, participant(socket));
            socket.join(room);
            socket.to(room).emit("participant:joined", { room, participant: members.get(socket.id) });
        }
        ack({ participant: members.get(socket.id), participants: [...members.values()], ice_servers: [] });
    });
    socket.on("chat:send", (body, ack) => {
        if (typeof ack !== "function") return;
        const room = body && body.room;
        if (!socket.rooms.has(room)) return ack({ error: { code: "not-in-room", message: "join the room before chatting in it" } });
        if (typeof body.text !== "string" || body.text.length === 0) return ack({ error: { code: "invalid", message: "'text' must be a string" } });
        const message = { id: crypto.randomUUID(), room, from: socket.id, user: socket.data.user, text: body.text, ts: Date.now() };
        ack({ id: message.id, ts: message.ts });
        io.to(room).emit("chat:message", message);
    });
    socket.on("disconnecting", () => {
        for (const room of socket.rooms) {
            const members = participants.get(room);
            if (!members || !members.delete(socket.id)) continue;
            if (members.size === 0) participants.delete(room);
            else socket.to(room).emit("participant:left", { room, participant: socket.id, reason: "left" });
        }
    });
});

httpServer.listen(0, "127.0.0.1", () => {
    const tmp = portFile + ".tmp";
    fs.writeFileSync(tmp, JSON.stringify({ port: httpServer.address().port, pid: process.pid }));
    fs.renameSync(tmp, portFile);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
