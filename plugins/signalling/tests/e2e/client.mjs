// Drives vtpd's signalling plugin with the stock socket.io-client, one scenario per run:
//   node client.mjs SCENARIO CONFIG.json
// CONFIG: {"url": "http://127.0.0.1:WSPORT", "tokens": {...}, "room": "...", ...}. Prints PASS and
// exits 0, or prints what went wrong and exits 1. Every wait is bounded.
import { io } from "socket.io-client";
import { harness } from "./harness.mjs";
import WebSocket from "ws";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import http from "node:http";

const [scenario, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const TIMEOUT = 10000;
const { track, closeAll, fail, check, timeout, connect, connectError, request, next, refused, until } = harness({ url: config.url, timeoutMs: TIMEOUT });

// A raw Engine.IO client: answers pings itself and hands over every other packet ("40...",
// "44/x,...") in order. transport: "websocket" or "polling" (plain HTTP through a keep-alive agent,
// as browsers and Node reuse connections).
async function rawClient(transport) {
  const queue = [];
  let waiters = [];
  let pings = 0;
  let closed = false;
  const wake = () => { for (const w of waiters) w(); waiters = []; };
  const changed = () => new Promise((resolve) => waiters.push(resolve));
  const take = (packet) => {
    if (packet === "2") { pings++; client.send("3"); }
    else if (packet === "1") closed = true;
    else if (packet !== "6") queue.push(packet);
    wake();
  };
  const client = {
    transport,
    async next(what) {
      while (!queue.length) {
        if (closed) throw new Error(`${transport}: closed while waiting for ${what}`);
        await timeout(changed(), `${transport}: ${what}`);
      }
      return queue.shift();
    },
    // Waits for n more pings (answered), failing if the session ends meanwhile.
    async pings(n, what) {
      const target = pings + n;
      while (pings < target) {
        if (closed) throw new Error(`${transport}: closed while ${what}`);
        await timeout(changed(), `${transport}: ${what}`);
      }
    },
    get closed() { return closed; },
  };
  if (transport === "websocket") {
    const ws = new WebSocket(config.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket");
    ws.on("message", (data) => take(data.toString()));
    ws.on("close", () => { closed = true; wake(); });
    await timeout(new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); }), "raw websocket open");
    client.send = (text) => ws.send(text);
    client.close = () => ws.close();
  } else {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const base = config.url + "/socket.io/?EIO=4&transport=polling";
    const open = await httpRequest(agent, "GET", base);
    check(open.status === 200 && open.body.startsWith("0{"), "polling handshake: " + open.status + " " + open.body);
    const url = base + "&sid=" + JSON.parse(open.body.slice(1)).sid;
    (async () => {
      while (!closed) {
        const r = await httpRequest(agent, "GET", url).catch((e) => ({ status: 0, body: String(e) }));
        if (r.status !== 200) { client.failure = `GET ${r.status}: ${r.body}`; closed = true; wake(); break; }
        for (const packet of r.body.split("\x1e")) take(packet);
      }
    })();
    client.send = (text) => httpRequest(agent, "POST", url, text).then((r) => {
      if (r.status !== 200) { client.failure = `POST ${r.status}: ${r.body}`; closed = true; wake(); }
    }, (e) => { client.failure = "POST: " + e; closed = true; wake(); });
    client.close = () => { closed = true; agent.destroy(); };
  }
  if (transport === "websocket") check((await client.next("open packet")).startsWith("0{"), "websocket open packet");
  track(client);
  return client;
}
function httpRequest(agent, method, url, body) {
  return timeout(new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body === undefined ? {} : { "Content-Type": "text/plain;charset=UTF-8" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  }), method + " " + url);
}

const scenarios = {
  // Auth in the CONNECT payload: bad, expired-looking and missing tokens get CONNECT_ERROR with
  // a message; a good one connects, over the default transports (polling, then the upgrade) and
  // over WebSocket only.
  async auth() {
    const bad = await connectError("not-a-token");
    check(/token/i.test(bad.message), "bad token message: " + bad.message);
    const none = await connectError(undefined);
    check(/auth/i.test(none.message), "missing token message: " + none.message);
    const ws = await connect(config.tokens.a, { transports: ["websocket"] });
    check(ws.io.engine.transport.name === "websocket", "websocket-only transport: " + ws.io.engine.transport.name);
    const upgraded = await connect(config.tokens.a);
    await timeout(new Promise((resolve) => {
      if (upgraded.io.engine.transport.name === "websocket") resolve();
      upgraded.io.engine.once("upgrade", resolve);
    }), "upgrade to websocket");
    const polling = await connect(config.tokens.b, { transports: ["polling"] });
    check(polling.io.engine.transport.name === "polling", "polling-only");
    const unknown = io(config.url + "/no-such-namespace", { auth: { token: config.tokens.a }, reconnection: false });
    track(unknown);
    const e = await timeout(new Promise((resolve) => unknown.once("connect_error", resolve)), "namespace error");
    check(e.message === "Invalid namespace", "unknown namespace: " + e.message);
  },

  // Every room event between an instructor (a, the room's creator) and a student (b), over the
  // transport given in config.transports.
  async rooms() {
    const options = config.transports ? { transports: config.transports } : {};
    const a = await connect(config.tokens.a, options);
    const b = await connect(config.tokens.b, options);
    const c = await connect(config.tokens.c, options);
    refused(await request(a, "room:join", { room: "no-such-room" }), "not-found", "unknown room");
    const joinA = await request(a, "room:join", { room: config.room });
    check(joinA.participant && joinA.participant.moderator === true, "creator moderates: " + JSON.stringify(joinA));
    check(Array.isArray(joinA.ice_servers), "ice_servers");
    const joinedSeen = next(a, "participant:joined");
    const joinB = await request(b, "room:join", { room: config.room });
    check(joinB.participants.length === 2, "two participants: " + JSON.stringify(joinB.participants));
    check(joinB.participant.moderator === false, "a student does not moderate");
    const joined = await joinedSeen;
    check(joined.participant.id === joinB.participant.id, "participant:joined names b: " + JSON.stringify(joined) + " b=" + JSON.stringify(joinB.participant));
    const pa = joinA.participant.id, pb = joinB.participant.id;

    // signal: relayed to that participant only, with who sent it.
    const signalled = next(b, "signal");
    check((await request(a, "signal", { to: pb, data: { type: "offer", sdp: "v=0" } })).ok === true, "signal ack");
    const sig = await signalled;
    check(sig.from === pa && sig.data.sdp === "v=0", "signal relayed: " + JSON.stringify(sig));
    refused(await request(c, "signal", { to: pb, data: {} }), "not-in-room", "signal from outside the room");

    // chat: acknowledged with id and ts, delivered to the room, stored.
    const chatSeen = next(a, "chat:message", (m) => m.text === "hello class");
    const ack = await request(b, "chat:send", { room: config.room, text: "hello class" });
    check(typeof ack.id === "string" && typeof ack.ts === "number", "chat ack: " + JSON.stringify(ack));
    const m = await chatSeen;
    check(m.id === ack.id && m.from === pb && m.room === config.room, "chat:message: " + JSON.stringify(m));
    const privateSeen = next(b, "chat:message", (x) => x.text === "see me after class");
    await request(a, "chat:send", { room: config.room, text: "see me after class", to: pb });
    check((await privateSeen).to === pb, "private message");
    refused(await request(b, "chat:send", { room: config.room, text: "x".repeat(config.chatMax + 1) }), "too-long", "long chat");
    refused(await request(c, "chat:send", { room: config.room, text: "hi" }), "not-in-room", "chat from outside");
    refused(await request(b, "no:such:event", {}), "unknown-event", "unknown event");

    // presence and moderation.
    const updated = next(a, "participant:updated", (x) => x.participant.id === pb && x.participant.presence.hand);
    await request(b, "presence:update", { audio: true, video: true, hand: true });
    check((await updated).participant.presence.audio === true, "presence");
    refused(await request(b, "moderate:mute", { room: config.room, participant: pa }), "forbidden", "student moderating");
    const muted = next(b, "moderate:mute");
    const mutedUpdate = next(a, "participant:updated", (x) => x.participant.id === pb && !x.participant.presence.audio);
    await request(a, "moderate:mute", { room: config.room, participant: pb });
    await muted;
    await mutedUpdate;
    const locked = next(b, "room:updated");
    await request(a, "moderate:lock", { room: config.room, locked: true });
    check((await locked).locked === true, "room:updated locked");
    refused(await request(c, "room:join", { room: config.room }), "room-locked", "joining a locked room");
    await request(a, "moderate:lock", { room: config.room, locked: false });
    const kicked = next(b, "participant:left", (x) => x.participant === pb);
    const kickSeen = next(a, "participant:left", (x) => x.participant === pb);
    await request(a, "moderate:kick", { room: config.room, participant: pb });
    check((await kicked).reason === "kicked", "kicked");
    await kickSeen;
    refused(await request(b, "chat:send", { room: config.room, text: "still here?" }), "not-in-room", "kicked participant chats");

    // A full room, then the end of it.
    const cJoin = await request(c, "room:join", { room: config.room });
    check(!cJoin.error, "c joins: " + JSON.stringify(cJoin));
    const ended = next(c, "room:ended");
    check((await request(a, "room:end", { room: config.room })).ended === config.room, "room:end ack");
    await ended;
    refused(await request(c, "room:join", { room: config.room }), "room-ended", "joining an ended room");
  },

  // A room whose max_participants is 1 refuses the second participant.
  async full() {
    const a = await connect(config.tokens.a);
    const b = await connect(config.tokens.b);
    check(!(await request(a, "room:join", { room: config.room })).error, "first joins");
    refused(await request(b, "room:join", { room: config.room }), "room-full", "second joins a full room");
  },

  // Chat floods are rate-limited per connection; other clients are served meanwhile.
  async flood() {
    const a = await connect(config.tokens.a, { transports: ["websocket"] });
    const b = await connect(config.tokens.b, { transports: ["websocket"] });
    await request(a, "room:join", { room: config.room });
    await request(b, "room:join", { room: config.room });
    const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => request(a, "chat:send", { room: config.room, text: "spam " + i })));
    const limited = acks.filter((x) => x.error && x.error.code === "rate-limited").length;
    check(limited > 0, "no chat was rate-limited");
    check(acks.filter((x) => x.id).length > 0, "some chat went through");
    const ok = await request(b, "chat:send", { room: config.room, text: "I can still talk" });
    check(typeof ok.id === "string", "another client is still served: " + JSON.stringify(ok));
  },

  // Connection state recovery: a client whose connection drops comes back with the same id and
  // rooms, and receives what was said while it was away.
  async recovery() {
    const a = io(config.url, { auth: { token: config.tokens.a }, transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 200 });
    track(a);
    await timeout(new Promise((resolve) => a.once("connect", resolve)), "connect a");
    const b = await connect(config.tokens.b, { transports: ["websocket"] });
    await request(a, "room:join", { room: config.room });
    const joinB = await request(b, "room:join", { room: config.room });
    const firstId = a.id;
    check(a.recovered === false, "a fresh connection is not recovered");
    // Drop a's connection as a network failure would (not a disconnect()). a comes back only
    // once b's message has been said, or it could be back in time to hear it live.
    a.io.reconnection(false);
    const disconnected = new Promise((resolve) => a.once("disconnect", resolve));
    a.io.engine.transport.ws.terminate();
    const reason = await timeout(disconnected, "a disconnects");
    check(reason === "transport close" || reason === "transport error", "disconnect reason " + reason);
    const missed = "said while a was away";
    await request(b, "chat:send", { room: config.room, text: missed });
    const got = next(a, "chat:message", (m) => m.text === missed);
    const back = new Promise((resolve) => a.once("connect", resolve));
    a.connect();
    await timeout(back, "reconnect");
    check(a.recovered === true, "the reconnection recovered the session");
    check(a.id === firstId, "same socket id after recovery");
    await got;
    // Still in the room: b's next message arrives without joining again.
    const after = next(a, "chat:message", (m) => m.text === "welcome back");
    await request(b, "chat:send", { room: config.room, text: "welcome back" });
    await after;
    check(joinB.participants.length === 2, "two in the room");
  },

  // Two vtpd nodes on one Redis: a (the room's creator) on node A at config.url, b and c on node
  // B at config.urlB. Everything crosses nodes; then the test kills node A when config.killFile
  // appears, and b must see a leave with reason "node lost" (printed as LOST_AT <epoch ms>).
  async cluster() {
    const onB = (token) => connect(token, { url: config.urlB });
    const a = await connect(config.tokens.a);
    const b = await onB(config.tokens.b);
    const c = await onB(config.tokens.c);
    const joinA = await request(a, "room:join", { room: config.room });
    check(joinA.participant && joinA.participant.moderator === true, "a moderates: " + JSON.stringify(joinA));
    const pa = joinA.participant.id;
    // Node B learns of a's participant (replicated, or in a snapshot once the nodes greet).
    await until(async () => {
      const r = await fetch(`${config.httpB}/api/v1/rooms/${config.room}`, { headers: { Authorization: "Bearer " + config.tokens.b } });
      return r.status === 200 && (await r.json()).participants.some((p) => p.id === pa);
    }, "node B lists a's participant");

    const joinedOnA = next(a, "participant:joined");
    const joinB = await request(b, "room:join", { room: config.room });
    check(joinB.participants.length === 2 && joinB.participants.some((p) => p.id === pa), "b's join lists a: " + JSON.stringify(joinB));
    const pb = joinB.participant.id;
    check((await joinedOnA).participant.id === pb, "participant:joined crossed to node A");
    const bothJoinedC = [next(a, "participant:joined", (x) => x.participant.user !== joinB.participant.user), next(b, "participant:joined")];
    const joinC = await request(c, "room:join", { room: config.room });
    check(joinC.participants.length === 3, "c's join lists three: " + JSON.stringify(joinC));
    const pc = joinC.participant.id;
    for (const j of await Promise.all(bothJoinedC)) check(j.participant.id === pc, "participant:joined for c: " + JSON.stringify(j));

    // Signals both ways, to that participant only.
    const cSignals = [];
    c.on("signal", (x) => cSignals.push(x));
    const toB = next(b, "signal");
    check((await request(a, "signal", { to: pb, data: { type: "offer", sdp: "v=0 from A" } })).ok === true, "a signals b");
    const sb = await toB;
    check(sb.from === pa && sb.data.sdp === "v=0 from A", "signal A to B: " + JSON.stringify(sb));
    const toA = next(a, "signal");
    check((await request(b, "signal", { to: pa, data: { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host" } })).ok === true, "b signals a");
    const sa = await toA;
    check(sa.from === pb && /typ host/.test(sa.data.candidate), "signal B to A: " + JSON.stringify(sa));

    // Chat both ways, public and private.
    const onA = next(a, "chat:message", (m) => m.text === "hello from node B");
    const onC = next(c, "chat:message", (m) => m.text === "hello from node B");
    const ackB = await request(b, "chat:send", { room: config.room, text: "hello from node B" });
    check(typeof ackB.id === "string", "chat ack on B: " + JSON.stringify(ackB));
    const m = await onA;
    check(m.id === ackB.id && m.from === pb && m.room === config.room, "chat crossed to A: " + JSON.stringify(m));
    await onC;
    const onB2 = next(b, "chat:message", (x) => x.text === "hello from node A");
    check(typeof (await request(a, "chat:send", { room: config.room, text: "hello from node A" })).id === "string", "chat ack on A");
    check((await onB2).from === pa, "chat crossed to B");
    const cChats = [];
    c.on("chat:message", (x) => cChats.push(x));
    const privateOnB = next(b, "chat:message", (x) => x.text === "private, across nodes");
    const privateAck = await request(a, "chat:send", { room: config.room, text: "private, across nodes", to: pb });
    check(typeof privateAck.id === "string", "private chat ack: " + JSON.stringify(privateAck));
    check((await privateOnB).to === pb, "private message crossed to B");

    // Presence crosses nodes.
    const updatedOnA = next(a, "participant:updated", (x) => x.participant.id === pb && x.participant.presence.hand);
    await request(b, "presence:update", { audio: true, video: true, hand: true });
    check((await updatedOnA).participant.presence.audio === true, "presence crossed to A");

    // Moderation from node A of participants on node B: mute, lock, kick.
    refused(await request(b, "moderate:mute", { room: config.room, participant: pa }), "forbidden", "a student moderating across nodes");
    const muted = next(b, "moderate:mute");
    const mutedSeenByC = next(c, "participant:updated", (x) => x.participant.id === pb && !x.participant.presence.audio);
    check((await request(a, "moderate:mute", { room: config.room, participant: pb })).muted === pb, "mute ack");
    check((await muted).room === config.room, "b was muted from node A");
    await mutedSeenByC;
    const locked = next(c, "room:updated");
    await request(a, "moderate:lock", { room: config.room, locked: true });
    check((await locked).locked === true, "lock crossed to B");
    const late = await onB(config.tokens.c);
    refused(await request(late, "room:join", { room: config.room }), "room-locked", "joining on B a room locked on A");
    await request(a, "moderate:lock", { room: config.room, locked: false });
    const kicked = next(b, "participant:left", (x) => x.participant === pb);
    const kickSeenByC = next(c, "participant:left", (x) => x.participant === pb);
    const kickSeenByA = next(a, "participant:left", (x) => x.participant === pb);
    check((await request(a, "moderate:kick", { room: config.room, participant: pb })).kicked === pb, "kick ack");
    check((await kicked).reason === "kicked", "b was kicked from node A");
    check((await kickSeenByC).reason === "kicked", "c saw the kick");
    await kickSeenByA;
    refused(await request(b, "chat:send", { room: config.room, text: "still here?" }), "not-in-room", "a kicked participant chats");
    refused(await request(b, "signal", { to: pa, data: {} }), "not-in-room", "a kicked participant signals");
    const cLeft = next(a, "participant:left", (x) => x.participant === pc);
    await request(c, "room:leave", { room: config.room });
    const leftOnA = await cLeft;
    // The same fields as on the participant's own node (user included).
    check(leftOnA.reason === "left" && leftOnA.user === joinC.participant.user && leftOnA.room === config.room, "room:leave crossed to A: " + JSON.stringify(leftOnA));
    check(cSignals.length === 0, "c received signals meant for others: " + JSON.stringify(cSignals));
    check(!cChats.some((x) => x.text === "private, across nodes"), "c received a private message for b");

    // b comes back; then node A dies and b must see a leave.
    const rejoin = await request(b, "room:join", { room: config.room });
    check(rejoin.participants.some((p) => p.id === pa) && !rejoin.participants.some((p) => p.id === pc), "rejoin: " + JSON.stringify(rejoin));
    const lost = next(b, "participant:left", (x) => x.participant === pa, config.lostTimeoutMs);
    writeFileSync(config.killFile + ".tmp", "ready");
    renameSync(config.killFile + ".tmp", config.killFile);
    const l = await lost;
    console.log("LOST_AT " + Date.now());
    check(l.reason === "node lost", "participant:left after node A died: " + JSON.stringify(l));
    const r = await fetch(`${config.httpB}/api/v1/rooms/${config.room}`, { headers: { Authorization: "Bearer " + config.tokens.b } });
    const live = (await r.json()).participants.map((p) => p.id);
    check(live.length === 1 && live[0] === rejoin.participant.id, "node B's room after the loss of A: " + JSON.stringify(live));
  },

  // A third party's namespace (the out-of-tree poll plugin): an instructor opens a question with a
  // picture (binary), each student is asked with an event it acknowledges with its answer (a
  // server-to-client ack), and everyone sees the tally.
  async poll() {
    const url = config.url + "/poll";
    const connectTo = (token) => {
      const s = io(url, { auth: { token }, reconnection: false, transports: ["websocket"] });
      track(s);
      return timeout(new Promise((resolve, reject) => { s.once("connect", () => resolve(s)); s.once("connect_error", reject); }), "poll connect");
    };
    const anonymous = io(url, { auth: {}, reconnection: false });
    track(anonymous);
    const refusal = await timeout(new Promise((resolve) => anonymous.once("connect_error", resolve)), "anonymous refused");
    check(/auth/i.test(refusal.message), "the namespace needs a user: " + refusal.message);
    // The namespace sees the auth payload as sent but for the token: pid and offset included.
    const sent = io(url, { auth: { token: config.tokens.a, pid: "not-a-session", offset: "7", lang: "fr" }, reconnection: false, transports: ["websocket"] });
    track(sent);
    await timeout(new Promise((resolve, reject) => { sent.once("connect", resolve); sent.once("connect_error", reject); }), "poll connect with extra auth");
    const seen = JSON.parse((await timeout(sent.emitWithAck("poll:auth"), "poll:auth")) ?? "null");
    check(seen && seen.token === undefined && seen.pid === "not-a-session" && seen.offset === "7" && seen.lang === "fr",
      "the namespace's view of the auth payload: " + JSON.stringify(seen));
    sent.close();
    const prof = await connectTo(config.tokens.a);
    const ada = await connectTo(config.tokens.b);
    const bob = await connectTo(config.tokens.c);
    ada.on("poll:question", (q, answer) => answer({ option: 0 }));
    bob.on("poll:question", (q, answer) => answer({ option: 1 }));
    const picture = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const pictures = [next(ada, "poll:picture"), next(bob, "poll:picture")];
    const final = next(prof, "poll:tally", (t) => t.counts[0] + t.counts[1] === 2);
    const opened = await timeout(prof.emitWithAck("poll:open", { question: "Which is a prime?", options: ["7", "9"] }, picture), "poll:open ack");
    check(opened.poll >= 1 && opened.asked === 2, "poll:open ack: " + JSON.stringify(opened));
    for (const p of pictures) {
      const q = await p;
      check(Buffer.isBuffer(q.picture) && Buffer.compare(q.picture, picture) === 0, "the picture arrives as the same bytes");
    }
    const tally = await final;
    check(tally.counts[0] === 1 && tally.counts[1] === 1, "tally: " + JSON.stringify(tally));
    const lastPoll = opened.poll;
    const denied = await timeout(ada.emitWithAck("poll:open", { question: "mine?", options: ["a"] }), "student poll:open");
    check(denied && denied.error, "a student cannot open a poll: " + JSON.stringify(denied));
    // A student whose network loses what the server writes, then drops, gets the picture sent
    // meanwhile when the session recovers. The server wrote it to a transport it still took for
    // alive, so only the recovery offset that binary events carry like text ones can replay it.
    const away = io(url, { auth: { token: config.tokens.b }, transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 200 });
    track(away);
    await timeout(new Promise((resolve) => away.once("connect", resolve)), "recoverable poll connect");
    const awayId = away.id;
    const missedPicture = next(away, "poll:picture", (q) => q.question === "Which is even?");
    away.io.engine.transport.ws.onmessage = () => {}; // from here on, what arrives is lost
    const answered = next(prof, "poll:tally", (t) => t.poll === lastPoll + 1 && t.counts[0] + t.counts[1] === 2);
    const second = await timeout(prof.emitWithAck("poll:open", { question: "Which is even?", options: ["4", "5"] }, picture), "second poll:open");
    check(second.asked === 3 && second.poll === lastPoll + 1, "the stalled student is asked too: " + JSON.stringify(second));
    await answered; // the other two answered, so the server has long since written the stalled one's picture
    const back = new Promise((resolve) => away.once("connect", resolve));
    away.io.engine.transport.ws.terminate();
    await timeout(back, "poll socket reconnects");
    check(away.recovered === true && away.id === awayId, "the poll socket recovered its session");
    const q2 = await missedPicture;
    check(Buffer.isBuffer(q2.picture) && Buffer.compare(q2.picture, picture) === 0, "the missed picture arrives as the same bytes");
    // The room events' namespace is unaffected.
    const main = await connect(config.tokens.b, { transports: ["websocket"] });
    refused(await request(main, "room:join", { room: "no-such-room" }), "not-found", "room namespace still served");
  },

  // a joins on node A before node B runs; the test then starts B and writes its address to
  // CONFIG.nodeb. B learns a's participant from A's snapshot, b joins on B, and a ends the room.
  async late() {
    const a = await connect(config.tokens.a);
    const joinA = await request(a, "room:join", { room: config.room });
    const pa = joinA.participant.id;
    writeFileSync(configPath + ".joined", pa);
    await until(() => existsSync(configPath + ".nodeb"), "node B started", 60000);
    const nodeB = JSON.parse(readFileSync(configPath + ".nodeb", "utf8"));
    const b = await connect(config.tokens.b, { url: nodeB.urlB });
    await until(async () => {
      const r = await fetch(`${nodeB.httpB}/api/v1/rooms/${config.room}`, { headers: { Authorization: "Bearer " + config.tokens.b } });
      return r.status === 200 && (await r.json()).participants.some((p) => p.id === pa);
    }, "node B learns a's participant from A's snapshot");
    const joinedOnA = next(a, "participant:joined");
    const joinB = await request(b, "room:join", { room: config.room });
    check(joinB.participants.length === 2 && joinB.participants.some((p) => p.id === pa), "b's join on B lists a: " + JSON.stringify(joinB));
    check((await joinedOnA).participant.id === joinB.participant.id, "participant:joined crossed from the new node");
    const ended = next(b, "room:ended");
    check((await request(a, "room:end", { room: config.room })).ended === config.room, "room:end ack");
    check((await ended).room === config.room, "room:ended crossed to B");
    refused(await request(b, "chat:send", { room: config.room, text: "anyone?" }), "not-in-room", "chat in an ended room");
    refused(await request(b, "room:join", { room: config.room }), "room-ended", "joining on B a room ended on A");
  },

  // A class session's room: the courses plugin decides who may join (roster) and who moderates.
  async classroom() {
    const prof = await connect(config.tokens.a, { transports: ["websocket"] });
    const ada = await connect(config.tokens.b, { transports: ["websocket"] });
    const bob = await connect(config.tokens.c, { transports: ["websocket"] });
    const p = await request(prof, "room:join", { room: config.room });
    check(p.participant && p.participant.moderator === true, "the section's instructor moderates: " + JSON.stringify(p));
    const a = await request(ada, "room:join", { room: config.room });
    check(a.participant && a.participant.moderator === false, "an enrolled student joins: " + JSON.stringify(a));
    const b = await request(bob, "room:join", { room: config.room });
    check(b.error && b.error.code === "forbidden" && /enrol/i.test(b.error.message), "someone not enrolled is refused: " + JSON.stringify(b));
    refused(await request(ada, "room:join", { room: "courses:no-such-session" }), "not-found", "unknown session");
    const said = next(prof, "chat:message", (m) => m.text === "present");
    await request(ada, "chat:send", { room: config.room, text: "present" });
    await said;
  },

  // Raw packets as socket.io-parser reads them, over WebSocket and long-polling, with the room
  // namespace at config.nsp: a namespace may end the packet ("40/x", "41/x", "44/x"), an unknown
  // one gets CONNECT_ERROR and the session stays, a client leaves a namespace and its session
  // outlives the connect timeout (config.connectTimeoutMs), and a CONNECT_ERROR from a client is
  // ignored. Each step fails on a server that closes the session instead.
  async rawpackets() {
    const nsp = config.nsp;
    const auth = JSON.stringify({ token: config.tokens.a });
    const notFound = (reply, id, what) => check(reply.startsWith(`43${nsp},${id}[`) && reply.includes('"not-found"'), what + ": " + reply);
    for (const transport of ["websocket", "polling"]) {
      const c = await rawClient(transport);
      c.send("40/custom");
      const unknown = await c.next("CONNECT_ERROR for an unknown namespace").catch((e) => fail(e.message + " " + (c.failure || "")));
      check(unknown === '44/custom,{"message":"Invalid namespace"}', transport + ": unknown namespace: " + unknown);
      c.send(`40${nsp},${auth}`);
      const first = await c.next("CONNECT");
      check(first.startsWith(`40${nsp},{"sid":`), transport + ": connect: " + first);
      c.send(`42${nsp},1["room:join",{"room":"no-such-room"}]`);
      notFound(await c.next("ack 1"), 1, transport + ": served after an unknown namespace");
      c.send(`41${nsp}`); // leaves its only namespace
      const started = Date.now();
      await c.pings(2, "pinged after leaving the namespace").catch((e) => fail(e.message + " " + (c.failure || "")));
      while (Date.now() - started < config.connectTimeoutMs * 1.5)
        await c.pings(1, "outliving the connect timeout").catch((e) => fail(e.message + " " + (c.failure || "")));
      c.send(`40${nsp},${auth}`);
      const again = await c.next("CONNECT again");
      check(again.startsWith(`40${nsp},{"sid":`) && !again.includes(first.slice(first.indexOf('"sid"'))), transport + ": a new socket after 41: " + again);
      c.send("44/x");
      c.send(`42${nsp},2["room:join",{"room":"no-such-room"}]`);
      notFound(await c.next("ack 2"), 2, transport + ": served after a CONNECT_ERROR from the client");
      check(!c.closed, transport + ": still open");
      c.close();
    }
    // Long-polling responses say when vtpd ends their connection (RFC 9112 section 9.6): after a
    // request with Connection: close (Node sends it without a keep-alive agent), Connection: close;
    // otherwise how long an idle connection is kept, so that a client retires it before vtpd closes
    // it instead of sending on it as it closes ("socket hang up").
    const handshake = config.url + "/socket.io/?EIO=4&transport=polling";
    const kept = await httpRequest(new http.Agent({ keepAlive: true }), "GET", handshake);
    check(kept.status === 200 && kept.headers["keep-alive"] === "timeout=5" && kept.headers.connection !== "close",
      "a kept-alive poll: " + JSON.stringify(kept.headers));
    const last = await httpRequest(new http.Agent({ keepAlive: false }), "GET", handshake);
    check(last.status === 200 && last.headers.connection === "close", "a poll after Connection: close: " + JSON.stringify(last.headers));
  },

  // The stock client with short heartbeats (config: ping_interval_ms 300, ping_timeout_ms 200, as
  // client test suites use): it stays connected over many pings, which come about every interval.
  async heartbeat() {
    const s = await connect(config.tokens.a, { url: config.url + config.nsp, transports: ["websocket"] });
    const engine = s.io.engine;
    check(engine._pingInterval === 300 && engine._pingTimeout === 200, `handshake: ${engine._pingInterval}/${engine._pingTimeout}`);
    let disconnected = null;
    s.on("disconnect", (reason) => (disconnected = reason));
    const times = [];
    await timeout(new Promise((resolve) => {
      engine.on("ping", () => {
        times.push(Date.now());
        if (times.length === 12) resolve();
      });
    }), "12 pings");
    check(disconnected === null, "disconnected: " + disconnected);
    const mean = (times[times.length - 1] - times[0]) / (times.length - 1);
    check(mean < 375, "mean ping gap " + mean + " ms for a 300 ms interval");
    console.log("MEAN_PING_GAP_MS " + mean.toFixed(1));
  },

  // Malformed input gets the protocol's error or a disconnect, and the server keeps serving.
  async badinput() {
    const good = await connect(config.tokens.a, { transports: ["websocket"] });
    const base = config.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket";
    async function rawClose(frames) {
      const ws = new WebSocket(base);
      await timeout(new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); }), "raw open");
      const closed = new Promise((resolve) => ws.once("close", (code) => resolve(code)));
      for (const f of frames) ws.send(f);
      return timeout(closed, "server closes after " + JSON.stringify(frames).slice(0, 60));
    }
    await rawClose(["not an engine.io packet"]);
    await rawClose(["40", "42[unclosed"]);
    await rawClose(["40", "4" + "9"]);
    await rawClose(["40", "452-[\"x\",{\"_placeholder\":true,\"num\":7}]"]);
    // Engine.IO's HTTP errors for polling requests.
    const http = config.url + "/socket.io/";
    let r = await fetch(http + "?EIO=3&transport=polling");
    check(r.status === 400 && (await r.json()).code === 5, "EIO=3 answered code 5");
    r = await fetch(http + "?EIO=4&transport=carrier-pigeon");
    check(r.status === 400 && (await r.json()).code === 0, "unknown transport answered code 0");
    r = await fetch(http + "?EIO=4&transport=polling&sid=nosuchsession");
    check(r.status === 400 && (await r.json()).code === 1, "unknown sid answered code 1");
    r = await fetch(http + "?EIO=4&transport=polling", { method: "POST", body: "x" });
    check(r.status === 400 && (await r.json()).code === 2, "handshake POST answered code 2");
    // An oversized frame closes that connection only.
    const big = new WebSocket(base);
    await timeout(new Promise((resolve) => big.once("open", resolve)), "big open");
    const bigClosed = new Promise((resolve) => big.once("close", resolve));
    big.send("4" + "x".repeat(config.maxPayload + 10));
    await timeout(bigClosed, "oversized frame closes");
    const ack = await request(good, "room:join", { room: "no-such-room" });
    check(ack.error && ack.error.code === "not-found", "the server still serves: " + JSON.stringify(ack));
  },
};

if (!scenarios[scenario]) fail("no scenario " + scenario);
try {
  await scenarios[scenario]();
} catch (e) {
  fail(e.stack || String(e));
}
closeAll();
console.log("PASS");
process.exit(0);
