// Sockets that end with their login, driven by the stock socket.io-client and, for what happens
// on the wire after the end, by a raw Engine.IO WebSocket (ws). One scenario per run:
//   node sessions.mjs SCENARIO CONFIG.json
// Prints PASS and exits 0, or prints what went wrong and exits 1. Every wait is bounded.
//
// CONFIG: url (socket port of the node the victim's sockets are on), http (HTTP port the trigger
// and history requests go to), room, victim {token | email, password}, observer (token of someone
// in the same room) or observerLogin {email, password} (short-lived tokens: it renews), trigger
// {method, path, token, body} (the request that ends the login), reason and cause (expected in
// session:ended), refusal (a regular expression the victim's token must now be refused with at
// CONNECT), grace (the server's renew_grace_seconds); for "removed": tokens.prof and removals.
import { harness } from "./harness.mjs";
import WebSocket from "ws";
import { readFileSync } from "node:fs";

const [scenario, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const TIMEOUT = 15000;
const AFTER = "said after the login ended";
const h = harness({ url: config.url, timeoutMs: TIMEOUT });
const { onEnd, closeAll, fail, check, timeout, connect, request, next, refused } = h;
const connectError = (token) => h.connectError(token, { transports: ["websocket"] });
function sleepUntil(epochMs) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));
}
async function http(method, path, token, body) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(config.http + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}
async function login(who) {
  const r = await http("POST", "/api/v1/auth/login", null, { email: who.email, password: who.password });
  check(r.status === 200, "login: " + JSON.stringify(r));
  return r.json;
}
function expiryOf(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).exp;
}

// Engine.IO and Socket.IO packet by packet over one WebSocket: what a client that ignores the
// server's DISCONNECT could still send.
class Raw {
  constructor() {
    this.packets = [];
    this.waiters = [];
  }
  async open(token) {
    this.ws = new WebSocket(config.url.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket");
    onEnd(() => this.ws.terminate());
    this.ws.on("message", (data) => {
      const text = data.toString();
      if (text === "2") return this.ws.send("3"); // ping
      this.packets.push(text);
      for (const w of [...this.waiters]) w();
    });
    await timeout(new Promise((resolve, reject) => { this.ws.once("open", resolve); this.ws.once("error", reject); }), "raw open");
    await this.take((p) => p.startsWith("0{"), "engine open");
    this.ws.send("40" + JSON.stringify({ token }));
    const hello = await this.take((p) => p.startsWith("40") || p.startsWith("44"), "raw CONNECT answer");
    check(hello.startsWith("40{"), "raw CONNECT: " + hello);
  }
  send(text) {
    this.ws.send(text);
  }
  // The first packet (in arrival order) that `accept` takes, waiting for it; it and the packets
  // before it are consumed.
  take(accept, what, ms = TIMEOUT) {
    return timeout(new Promise((resolve) => {
      const look = () => {
        const i = this.packets.findIndex(accept);
        if (i < 0) return false;
        const p = this.packets[i];
        this.packets.splice(0, i + 1);
        this.waiters = this.waiters.filter((w) => w !== look);
        resolve(p);
        return true;
      };
      if (!look()) this.waiters.push(look);
    }), "raw " + what, ms);
  }
  // The next packet, whatever it is.
  nextPacket(what) {
    return this.take(() => true, what);
  }
  // The payload of a Socket.IO EVENT packet `42[...]` named `event`, or null.
  static event(packet, event) {
    if (!packet.startsWith("42")) return null;
    const args = JSON.parse(packet.slice(packet.indexOf("[")));
    return args[0] === event ? args[1] : null;
  }
}

// Someone who stays: a socket in the room, and a token for REST.
async function stayingObserver() {
  const socket = await connect(config.observer, { transports: ["websocket"] });
  check(!(await request(socket, "room:join", { room: config.room })).error, "observer joins");
  return { socket, token: () => config.observer };
}

// The same when tokens are short-lived: it logs in, then every two seconds refreshes its token
// and renews its socket with it, as a long-lived client should.
async function renewingObserver(who) {
  let tokens = await login(who);
  const socket = await connect(tokens.access_token, { transports: ["websocket"] });
  check(!(await request(socket, "room:join", { room: config.room })).error, "observer joins");
  const timer = setInterval(async () => {
    const r = await http("POST", "/api/v1/auth/refresh", null, { refresh_token: tokens.refresh_token });
    if (r.status !== 200) return fail("observer refresh: " + JSON.stringify(r));
    tokens = r.json;
    const ack = await socket.emitWithAck("auth:renew", { token: tokens.access_token });
    if (!ack.expires_at) fail("observer renew: " + JSON.stringify(ack));
  }, 2000);
  onEnd(() => clearInterval(timer));
  return { socket, token: () => tokens.access_token };
}

// The victim's stock socket and raw socket are in the room with the observer; `end` ends the
// login. Both sockets must get session:ended with the reason and then DISCONNECT; afterwards
// neither joins nor chats, and the token is refused. `endMs`: how long `end` may take.
async function endsEverywhere(victimToken, obs, end, endMs = 0) {
  const observer = obs.socket;
  const v = await connect(victimToken, config.transports ? { transports: config.transports } : {});
  const joined = await request(v, "room:join", { room: config.room });
  check(joined.participant, "victim joins: " + JSON.stringify(joined));
  const raw = new Raw();
  await raw.open(victimToken);
  raw.send('421["room:join",' + JSON.stringify({ room: config.room }) + "]");
  const rawJoin = await raw.take((p) => p.startsWith("431["), "join ack");
  const rawParticipant = JSON.parse(rawJoin.slice(3))[0].participant;
  check(rawParticipant, "raw join: " + rawJoin);

  const wait = TIMEOUT + endMs;
  const ended = next(v, "session:ended", () => true, wait).then((x) => ({ ...x, at: Date.now() }));
  const disconnected = timeout(new Promise((resolve) => v.once("disconnect", resolve)), "disconnect", wait);
  const left = next(observer, "participant:left", (x) => x.participant === joined.participant.id, wait);
  const rawLeft = next(observer, "participant:left", (x) => x.participant === rawParticipant.id, wait);
  const startedAt = Date.now();
  await end();

  const { at: endedAt, ...why } = await ended;
  check(why.reason === config.reason, `session:ended reason: expected ${config.reason}, got ${JSON.stringify(why)}`);
  if (config.cause) check(why.cause === config.cause, `session:ended cause: expected ${config.cause}, got ${JSON.stringify(why)}`);
  check((await disconnected) === "io server disconnect", "the stock client's disconnect reason");
  check(!v.connected, "the stock socket is disconnected");
  check((await left).reason === config.reason, "the observer sees the victim leave with the reason");
  check((await rawLeft).reason === config.reason, "the observer sees the raw socket leave with the reason");
  const rawEnded = await raw.take((p) => Raw.event(p, "session:ended"), "session:ended");
  check(Raw.event(rawEnded, "session:ended").reason === config.reason, "raw session:ended: " + rawEnded);
  check((await raw.nextPacket("DISCONNECT")) === "41", "raw DISCONNECT after session:ended");
  console.log("ENDED_AFTER_MS " + (Date.now() - startedAt));

  // The raw client carries on as if nothing happened: its chat and join get no answer (the
  // server no longer knows the socket), and a new CONNECT with the same token is refused. The
  // server answers in order, so an ack would arrive before the CONNECT_ERROR.
  raw.send('4250["chat:send",' + JSON.stringify({ room: config.room, text: AFTER }) + "]");
  raw.send('4251["room:join",' + JSON.stringify({ room: config.room }) + "]");
  raw.send("40" + JSON.stringify({ token: victimToken }));
  const answer = await raw.nextPacket("CONNECT_ERROR");
  check(answer.startsWith("44"), "after the end, the raw socket got " + answer + " (an ack or a connection)");
  check(new RegExp(config.refusal, "i").test(JSON.parse(answer.slice(2)).message), "raw CONNECT refusal: " + answer);
  const again = await connectError(victimToken);
  check(new RegExp(config.refusal, "i").test(again.message), "stock CONNECT refusal: " + again.message);

  // Nothing the victim sent afterwards was stored.
  const history = await http("GET", `/api/v1/rooms/${encodeURIComponent(config.room)}/chat?limit=200`, obs.token());
  check(history.status === 200, "history: " + JSON.stringify(history));
  check(!history.json.messages.some((m) => m.text === AFTER), "a message sent after the end was stored");
  // The room goes on for the others.
  check(typeof (await request(observer, "chat:send", { room: config.room, text: "still here" })).id === "string", "observer chats");
  return endedAt;
}

const scenarios = {
  // The trigger (logout, an admin disabling the account, a password change from another
  // session) ends the victim's sockets.
  async revoked() {
    await endsEverywhere(config.victim.token, await stayingObserver(), async () => {
      const t = config.trigger;
      const r = await http(t.method, t.path, t.token, t.body);
      check(r.status >= 200 && r.status < 300, "trigger: " + JSON.stringify(r));
    });
  },

  // A socket whose token expires without a renewal is ended with token-expired once the grace
  // (config.grace seconds) has passed, and not before.
  async expired() {
    const observer = await renewingObserver(config.observerLogin);
    const token = (await login(config.victim)).access_token;
    const deadlineMs = (expiryOf(token) + config.grace) * 1000;
    const endedAt = await endsEverywhere(token, observer, () => sleepUntil(deadlineMs - 500), deadlineMs - Date.now());
    check(endedAt >= deadlineMs, `ended ${deadlineMs - endedAt} ms before the deadline`);
  },

  // auth:renew with a fresh token of the same user moves the deadline: the socket stays past the
  // first token's, still in its room; bad renewals are refused and change nothing. Once the
  // renewed token runs out too, it ends.
  async renew() {
    const first = await login(config.victim);
    const v = await connect(first.access_token, { transports: ["websocket"] });
    check(!(await request(v, "room:join", { room: config.room })).error, "victim joins");
    refused(await request(v, "auth:renew", {}), "invalid", "renew without a token");
    refused(await request(v, "auth:renew", { token: "not-a-token" }), "unauthorized", "renew with garbage");
    const other = (await login(config.observerLogin)).access_token;
    refused(await request(v, "auth:renew", { token: other }), "forbidden", "renew with another user's token");
    const ended = [];
    v.on("session:ended", (x) => ended.push(x));
    // A refreshed token, issued two seconds before the first expires, so that it expires later.
    await sleepUntil((expiryOf(first.access_token) - 2) * 1000);
    const refreshed = await http("POST", "/api/v1/auth/refresh", null, { refresh_token: first.refresh_token });
    check(refreshed.status === 200, "refresh: " + JSON.stringify(refreshed));
    const second = refreshed.json.access_token;
    check(expiryOf(second) > expiryOf(first.access_token), "the refreshed token expires later");
    const ack = await request(v, "auth:renew", { token: second });
    check(ack.expires_at === expiryOf(second), "renew ack: " + JSON.stringify(ack));
    // Past the first token's deadline (and the server's one-second check) the socket is still
    // there and in its room.
    await sleepUntil((expiryOf(first.access_token) + config.grace + 2) * 1000);
    check(v.connected && ended.length === 0, "ended despite the renewal: " + JSON.stringify(ended));
    const said = await request(v, "chat:send", { room: config.room, text: "renewed in time" });
    check(typeof said.id === "string", "chat after the renewal: " + JSON.stringify(said));
    // The renewed token's own deadline ends it.
    const why = await next(v, "session:ended", () => true, (expiryOf(second) + config.grace + 10) * 1000 - Date.now());
    check(why.reason === "token-expired", "the renewed token expired: " + JSON.stringify(why));
    check(Date.now() >= (expiryOf(second) + config.grace) * 1000 - 500, "ended before the renewed deadline");
  },

  // Removal from a section (config.removals: the instructor removes one student, another drops
  // themselves, an assistant is taken off the staff): that member leaves the section's class room
  // at once with reason access-revoked, stays connected, and can neither chat there nor join again.
  // Then (config.deletion) the section is deleted: the instructor still in the room leaves it too.
  async removed() {
    const prof = await connect(config.tokens.prof, { transports: ["websocket"] });
    const profJoined = await request(prof, "room:join", { room: config.room });
    check(!profJoined.error, "the instructor joins");
    for (const removal of config.removals) {
      const s = await connect(removal.student, config.transports ? { transports: config.transports } : {});
      const joined = await request(s, "room:join", { room: config.room });
      check(joined.participant, "student joins: " + JSON.stringify(joined));
      const toStudent = next(s, "participant:left", (x) => x.participant === joined.participant.id);
      const toProf = next(prof, "participant:left", (x) => x.participant === joined.participant.id);
      const r = await http(removal.method, removal.path, removal.token, removal.body);
      check(r.status >= 200 && r.status < 300, "removal: " + JSON.stringify(r));
      const told = await toStudent;
      check(told.reason === "access-revoked" && /enrol/i.test(told.message || ""), "the member is told: " + JSON.stringify(told));
      check((await toProf).reason === "access-revoked", "the instructor sees the student leave");
      check(s.connected, "the student's socket stays connected (the login did not end)");
      refused(await request(s, "chat:send", { room: config.room, text: AFTER }), "not-in-room", "chat after removal");
      const rejoin = await request(s, "room:join", { room: config.room });
      check(rejoin.error && rejoin.error.code === "forbidden", "rejoin after removal: " + JSON.stringify(rejoin));
    }
    const history = await http("GET", `/api/v1/rooms/${encodeURIComponent(config.room)}/chat?limit=200`, config.tokens.prof);
    check(history.status === 200, "history: " + JSON.stringify(history));
    check(!history.json.messages.some((m) => m.text === AFTER), "a message sent after the removal was stored");
    if (config.deletion) {
      // The section itself is deleted: its room is gone for whoever is still in it.
      const toProf = next(prof, "participant:left", (x) => x.participant === profJoined.participant.id);
      const r = await http(config.deletion.method, config.deletion.path, config.deletion.token);
      check(r.status === 204, "deletion: " + JSON.stringify(r));
      const told = await toProf;
      check(told.reason === "access-revoked", "the instructor is told: " + JSON.stringify(told));
      check(prof.connected, "the instructor's socket stays connected");
      const rejoin = await request(prof, "room:join", { room: config.room });
      check(rejoin.error && rejoin.error.code === "not-found", "rejoin after deletion: " + JSON.stringify(rejoin));
    }
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
