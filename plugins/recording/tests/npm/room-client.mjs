// The room's recording:* events with the stock socket.io-client, as a class's browsers send and
// receive them. Usage: node room-client.mjs SCENARIO '<json>' with
//   {ws, api, room, tokens: {prof, ada, carl, ...}, ...}
// ws, api: a node's socket URL and REST origin (ws2, api2: a second node's). Prints PASS and exits
// 0, or prints what went wrong and exits 1. Every wait is bounded.
import { io } from 'socket.io-client';

const [scenario, json] = process.argv.slice(2);
const config = JSON.parse(json);
const TIMEOUT = 10000;
const sockets = [];

function fail(message) {
  console.log('FAIL: ' + message);
  for (const s of sockets) s.close();
  process.exit(1);
}
function check(condition, message) {
  if (!condition) fail(message);
}
function timeout(promise, what, ms = TIMEOUT) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timed out: ' + what)), ms))]);
}
function connect(token, url = config.ws) {
  const s = io(url, { auth: { token }, reconnection: false, transports: ['websocket'] });
  sockets.push(s);
  return timeout(new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  }), 'connect');
}
function request(s, event, payload) {
  return timeout(s.emitWithAck(event, payload), 'ack of ' + event);
}
// Every `event` on s is kept from now on; take() waits for the first one that `accept`s.
function recorder(s, event) {
  const seen = [];
  let wake = () => {};
  s.on(event, (arg) => { seen.push(arg); wake(); });
  return {
    seen,
    async take(accept = () => true, what = event, ms = TIMEOUT) {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = seen.findIndex(accept);
        if (i >= 0) return seen.splice(i, 1)[0];
        if (Date.now() > deadline) throw new Error('timed out: ' + what + ' (seen: ' + JSON.stringify(seen) + ')');
        await Promise.race([new Promise((r) => (wake = r)), new Promise((r) => setTimeout(r, 100))]);
      }
    },
  };
}
function refused(ack, code, what) {
  check(ack && ack.error && ack.error.code === code, `${what}: expected error ${code}, got ${JSON.stringify(ack)}`);
}
async function rest(method, path, token, body, api = config.api) {
  const r = await timeout(fetch(api + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }), method + ' ' + path);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
async function joined(token, url) {
  const s = await connect(token, url);
  const rec = { started: recorder(s, 'recording:started'), stopped: recorder(s, 'recording:stopped'), capture: recorder(s, 'recording:capture') };
  const ack = await request(s, 'room:join', { room: config.room });
  check(ack.participant, 'join: ' + JSON.stringify(ack));
  return { s, ...rec, participant: ack.participant };
}

const scenarios = {
  // A moderator starts and stops over the socket; a student is refused; everyone is told, REST
  // starts and stops reach the sockets too; a late joiner learns the room is being recorded.
  async control() {
    const prof = await joined(config.tokens.prof);
    const ada = await joined(config.tokens.ada);
    check(prof.participant.moderator === true && ada.participant.moderator === false, 'moderators: ' + JSON.stringify([prof.participant, ada.participant]));

    // The protocol's error acks: a student, a room the sender is not in, no room, an unknown event.
    refused(await request(ada.s, 'recording:start', { room: config.room, title: 'Mine' }), 'forbidden', "a student's start");
    refused(await request(prof.s, 'recording:start', { room: 'courses:elsewhere' }), 'not-in-room', 'a room the sender is not in');
    refused(await request(prof.s, 'recording:start', { title: 'x' }), 'invalid', 'no room');
    refused(await request(prof.s, 'recording:rewind', { room: config.room }), 'unknown-event', 'an unknown recording event');
    refused(await request(prof.s, 'recording:start', { room: config.room, title: '' }), 'invalid-title', 'an empty title');
    refused(await request(prof.s, 'recording:stop', { room: config.room }), 'not-recording', 'a stop with nothing recording');

    const started = await request(prof.s, 'recording:start', { room: config.room, title: 'Lecture 1' });
    check(typeof started.id === 'string' && started.state === 'recording' && started.room_id === config.room && started.title === 'Lecture 1',
      'start ack: ' + JSON.stringify(started));
    for (const [who, p] of [['prof', prof], ['ada', ada]]) {
      const e = await p.started.take((x) => x.id === started.id, who + "'s recording:started");
      check(e.room === config.room && e.title === 'Lecture 1' && typeof e.started_at_ms === 'number' && e.upload_url === `/api/v1/recordings/${started.id}/uploads`,
        who + ' recording:started: ' + JSON.stringify(e));
    }
    refused(await request(prof.s, 'recording:start', { room: config.room }), 'recording-in-progress', 'a second start');

    // A late joiner sees the indicator.
    const carl = await joined(config.tokens.carl);
    const late = await carl.started.take((x) => x.id === started.id, "the late joiner's recording:started");
    check(late.title === 'Lecture 1', 'late joiner: ' + JSON.stringify(late));

    refused(await request(ada.s, 'recording:stop', { room: config.room }), 'forbidden', "a student's stop");
    const stopped = await request(prof.s, 'recording:stop', { room: config.room });
    check(stopped.id === started.id && stopped.state !== 'recording', 'stop ack: ' + JSON.stringify(stopped));
    for (const [who, p] of [['prof', prof], ['ada', ada], ['carl', carl]]) {
      const e = await p.stopped.take((x) => x.id === started.id, who + "'s recording:stopped");
      check(typeof e.stopped_at_ms === 'number' && typeof e.duration_s === 'number', who + ' recording:stopped: ' + JSON.stringify(e));
    }
    refused(await request(prof.s, 'recording:stop', { room: config.room, id: started.id }), 'not-recording', 'a second stop');

    // Over REST: the sockets hear of it all the same.
    const viaRest = await rest('POST', '/api/v1/recordings', config.tokens.prof, { room_id: config.room, title: 'From REST' });
    check(viaRest.status === 201, 'REST start: ' + JSON.stringify(viaRest));
    for (const [who, p] of [['prof', prof], ['ada', ada], ['carl', carl]])
      await p.started.take((x) => x.id === viaRest.body.id && x.title === 'From REST', who + ' hears the REST start');
    const restStop = await rest('POST', `/api/v1/recordings/${viaRest.body.id}/stop`, config.tokens.prof);
    check(restStop.status === 200, 'REST stop: ' + JSON.stringify(restStop));
    for (const [who, p] of [['prof', prof], ['ada', ada], ['carl', carl]])
      await p.stopped.take((x) => x.id === viaRest.body.id, who + ' hears the REST stop');
    // Started on the socket, stopped over REST (and the other way round is the part above).
    const again = await request(prof.s, 'recording:start', { room: config.room });
    check(again.state === 'recording' && again.title.length > 0, 'a start without a title gets one: ' + JSON.stringify(again));
    await ada.started.take((x) => x.id === again.id, "ada's recording:started of the untitled recording");
    check((await rest('POST', `/api/v1/recordings/${again.id}/stop`, config.tokens.prof)).status === 200, 'REST stop of a socket start');
    await ada.stopped.take((x) => x.id === again.id, "ada's recording:stopped of it");
  },

  // A recorded class session: the instructor and a student wait in the room before the class;
  // when it begins the recording starts by itself, everyone is told and the instructor's client is
  // told to capture; a second instructor who joins later is told too; when the session ends
  // (moved to have ended) the recording stops.
  async scheduled() {
    const prof = await joined(config.tokens.prof);
    const ada = await joined(config.tokens.ada);
    const begins = config.beginsInMs + 15000; // the next minute, and a look at the schedule after it
    const started = await prof.started.take(() => true, "the instructor's recording:started", begins);
    check(started.room === config.room && started.session_id === config.session && started.title.length > 0, 'started: ' + JSON.stringify(started));
    const capture = await prof.capture.take((x) => x.recording_id === started.id, "the instructor's recording:capture");
    check(capture.upload_url === `/api/v1/recordings/${started.id}/uploads` && capture.room === config.room, 'capture: ' + JSON.stringify(capture));
    await ada.started.take((x) => x.id === started.id, "the student's recording:started");
    // Joining later: the indicator, and (an instructor) the capture.
    const prof2 = await joined(config.tokens.prof2);
    await prof2.started.take((x) => x.id === started.id, "the late instructor's recording:started");
    await prof2.capture.take((x) => x.recording_id === started.id, "the late instructor's recording:capture");
    const carl = await joined(config.tokens.carl);
    await carl.started.take((x) => x.id === started.id, "the late student's recording:started");
    check(ada.capture.seen.length === 0 && carl.capture.seen.length === 0, 'students are never told to capture');
    // The class ends: the recording stops by itself.
    const moved = await rest('PATCH', `/api/v1/sessions/${config.session}`, config.tokens.prof, config.end);
    check(moved.status === 200, 'ending the session: ' + JSON.stringify(moved));
    for (const [who, p] of [['prof', prof], ['ada', ada], ['carl', carl]]) {
      const e = await p.stopped.take((x) => x.id === started.id, who + "'s recording:stopped");
      check(typeof e.stopped_at_ms === 'number', 'stopped: ' + JSON.stringify(e));
    }
  },

  // Two nodes: the moderator on one, a student on the other; start and stop cross.
  async cluster() {
    const prof = await joined(config.tokens.prof, config.ws);
    const ada = await joined(config.tokens.ada, config.ws2);
    // Each node knows the other's participant once it has replicated the join.
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
      const r = await request(ada.s, 'room:join', { room: config.room });
      if (r.participants && r.participants.length === 2) break;
      if (Date.now() > deadline) fail('the nodes never saw each other\'s participants: ' + JSON.stringify(r));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const started = await request(prof.s, 'recording:start', { room: config.room, title: 'Two nodes' });
    check(started.state === 'recording', 'start: ' + JSON.stringify(started));
    await ada.started.take((x) => x.id === started.id, 'recording:started on the other node');
    const viaRest = await rest('POST', `/api/v1/recordings/${started.id}/stop`, config.tokens.prof, undefined, config.api2);
    check(viaRest.status === 200, 'REST stop on the second node: ' + JSON.stringify(viaRest));
    await prof.stopped.take((x) => x.id === started.id, 'recording:stopped on the first node');
    await ada.stopped.take((x) => x.id === started.id, 'recording:stopped on the second node');
    // A late joiner on the node that did not start it.
    const again = await request(prof.s, 'recording:start', { room: config.room, title: 'Again' });
    const carl = await joined(config.tokens.carl, config.ws2);
    await carl.started.take((x) => x.id === again.id, 'the late joiner on the other node');
  },
};

const run = scenarios[scenario];
if (!run) fail('no scenario ' + scenario);
try {
  await run();
  console.log('PASS');
  for (const s of sockets) s.close();
  process.exit(0);
} catch (e) {
  fail(e && e.stack ? e.stack : String(e));
}
