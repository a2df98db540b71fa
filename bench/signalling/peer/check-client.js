// The stock socket.io-client in a room with the load generator's clients, for bench/signalling's
// check that the generator speaks the protocol as the stock client does:
//
//   node check-client.js URL TOKEN ROOM SECONDS READY_FILE PEERS
//
// Connects with the client's default options (long-polling, then the upgrade to WebSocket), joins
// ROOM, writes READY_FILE, waits for PEERS participant:joined events (at most 20 s), then for
// SECONDS sends one chat:send every 250 ms (text "node:N") and
// counts the generator's chat:message events (text "b:<ns>:<client>:<step>:..."), their senders
// and fields, and the participant:joined events. Prints one JSON line and exits.
"use strict";
const fs = require("node:fs");
const { io } = require("socket.io-client");

const [url, token, room, seconds, readyFile, peers] = process.argv.slice(2);
const result = { connected: false, transport: null, joined: false, participants_at_join: 0, generator_chats: 0,
    generator_senders: 0, bad_fields: 0, own_echoes: 0, sent: 0, acked: 0, refused: 0, participant_joined: 0, errors: [] };
const senders = new Set();
const socket = io(url, { auth: { token }, reconnection: false });

socket.on("connect_error", (e) => { result.errors.push("connect_error: " + e.message); finish(); });
let peersJoined = () => {};
socket.on("participant:joined", () => { if (++result.participant_joined >= Number(peers)) peersJoined(); });
socket.on("chat:message", (m) => {
    const fieldsOk = typeof m.id === "string" && m.room === room && typeof m.from === "string" && typeof m.user === "string" &&
        typeof m.text === "string" && typeof m.ts === "number";
    if (!fieldsOk) result.bad_fields++;
    if (m.text.startsWith("node:")) { result.own_echoes++; return; }
    const marker = /^b:(\d+):(\d+):(\d+):x*$/.exec(m.text);
    if (!marker) { result.bad_fields++; return; }
    result.generator_chats++;
    senders.add(marker[2]);
});
socket.on("connect", async () => {
    result.connected = true;
    try {
        const join = await socket.timeout(10000).emitWithAck("room:join", { room });
        if (join.error) throw new Error(join.error.code + ": " + join.error.message);
        result.joined = true;
        result.participants_at_join = join.participants.length;
        fs.writeFileSync(readyFile, "joined\n");
        await new Promise((resolve) => { peersJoined = resolve; setTimeout(resolve, 20000); });
        const started = Date.now();
        const timer = setInterval(async () => {
            if (Date.now() - started > Number(seconds) * 1000) { clearInterval(timer); setTimeout(finish, 1500); return; }
            result.sent++;
            try {
                const ack = await socket.timeout(10000).emitWithAck("chat:send", { room, text: "node:" + result.sent });
                if (ack.error) result.refused++; else if (typeof ack.id === "string" && typeof ack.ts === "number") result.acked++;
            } catch (e) { result.errors.push("chat:send: " + e.message); }
        }, 250);
    } catch (e) { result.errors.push("room:join: " + e.message); finish(); }
});
setTimeout(() => { result.errors.push("timed out"); finish(); }, (Number(seconds) + 60) * 1000);

let finished = false;
function finish() {
    if (finished) return;
    finished = true;
    result.transport = socket.io.engine ? socket.io.engine.transport.name : null;
    result.generator_senders = senders.size;
    console.log(JSON.stringify(result));
    socket.close();
    process.exit(0);
}
