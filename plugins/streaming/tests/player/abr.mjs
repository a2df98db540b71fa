// Adaptive bitrate in Debian's chromium under throttled network: plays a recording's ladder with
// the npm build of hls.js or dash.js in a page of vtpd's origin while Chrome DevTools Protocol
// network conditions (Network.emulateNetworkConditions) hold the download rate low at the start,
// raise it, then drop it. Prints one line of JSON:
// {ok, kind, startupMs, startHeight, heights (the rungs' heights, highest first), switches:
//  [{atMs, height, phase}], phases: {low, high, drop} (ms since play when each began),
//  stalls: [{atMs, ms}], currentTime, errors}.
// Usage: node abr.mjs '{"chromium":PATH,"origin":"http://127.0.0.1:PORT","url":PATH,"kind":"hls"|"dash",
//   "lowKbps":N,"highKbps":N,"dropKbps":N}'
//
// Player settings, chosen so that a 90 s recording shows all three phases within the test:
// - small buffer targets (hls.js maxBufferLength 6 s, dash.js bufferTimeDefault 6 s): the player
//   keeps fetching, so every change of the network shows in its bandwidth estimate within a segment
//   or two instead of after a 30 s buffer has drained;
// - a low starting estimate (hls.js abrEwmaDefaultEstimate, dash.js initialBitrate: 300 kbit/s):
//   without one the player guesses its default (500 kbit/s for hls.js) before measuring anything;
// - no bandwidth test download at start for hls.js (testBandwidth false): it would load the lowest
//   rung's first segment once only to measure it, then again to play, doubling the start-up time
//   on a slow network; the starting estimate above already picks the lowest rung;
// - faster estimates for hls.js (abrEwmaFastVoD 0.5, abrEwmaSlowVoD 1.5; defaults 3 and 9): it
//   weighs each bandwidth sample by its load time, so its half-lives are seconds of loading, not of
//   playback; the low rung's segments (about 30 KB) load in milliseconds once the network is fast,
//   and with the defaults hundreds of them would be needed before it trusted the new rate.
// Everything else is the players' defaults, emergency down-switching (abandoning a segment that
// would arrive too late) included.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { run, until } from "./browser.mjs";

const args = JSON.parse(process.argv[2]);
const here = path.dirname(fileURLToPath(import.meta.url));
const library = {
  hls: path.join(here, "node_modules/hls.js/dist/hls.min.js"),
  dash: path.join(here, "node_modules/dashjs/dist/modern/umd/dash.all.min.js"),
}[args.kind];
if (!library) throw new Error(`unknown kind ${args.kind}`);

run(args.chromium, async (browser) => {
  const page = await browser.newPage();
  const log = [];
  page.on("console", (m) => log.push(m.text()));
  page.on("pageerror", (e) => log.push(String(e)));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  // CDP throughputs are bytes per second.
  const throttle = (kbps) =>
    cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0, // loopback: the rate alone is emulated, so that small segments measure it rather than round trips
      downloadThroughput: (kbps * 1000) / 8,
      uploadThroughput: -1,
    });
  await throttle(args.lowKbps);

  const pageUrl = `${args.origin}/vtp-test-abr.html`;
  await page.route(pageUrl, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><video id=v muted playsinline width=1280 height=720></video>" }));
  await page.goto(pageUrl);
  await page.addScriptTag({ path: library });
  await page.evaluate(({ kind, url }) => {
    const video = document.getElementById("v");
    const s = (window.abr = { errors: [], switches: [], stalls: [], heights: [], phase: "low", startupMs: null, startHeight: null });
    const now = () => performance.now() - s.t0;
    let current = () => null;
    let estimate = () => null; // the player's bandwidth estimate, kbit/s
    const switched = (height) => s.switches.push({ atMs: now(), height, phase: s.phase, estimateKbps: estimate(), buffered: ahead() });
    const ahead = () => {
      const b = video.buffered;
      return b.length ? Math.round((b.end(b.length - 1) - video.currentTime) * 10) / 10 : 0;
    };
    if (kind === "hls") {
      const hls = new window.Hls({
        maxBufferLength: 6,
        maxMaxBufferLength: 8,
        abrEwmaDefaultEstimate: 300000,
        testBandwidth: false,
        abrEwmaFastVoD: 0.5,
        abrEwmaSlowVoD: 1.5,
      });
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => (s.heights = hls.levels.map((l) => l.height).sort((a, b) => b - a)));
      hls.on(window.Hls.Events.LEVEL_SWITCHED, (_, d) => switched(hls.levels[d.level].height));
      hls.on(window.Hls.Events.ERROR, (_, d) => { if (d.fatal) s.errors.push(`${d.type}: ${d.details}`); });
      current = () => (hls.currentLevel >= 0 ? hls.levels[hls.currentLevel].height : null);
      estimate = () => Math.round(hls.bandwidthEstimate / 1000);
      hls.loadSource(url);
      hls.attachMedia(video);
    } else {
      const player = window.dashjs.MediaPlayer().create();
      player.updateSettings({
        streaming: {
          buffer: { bufferTimeDefault: 6, bufferTimeAtTopQuality: 8, bufferTimeAtTopQualityLongForm: 8 },
          abr: { initialBitrate: { video: 300 } },
        },
      });
      const E = window.dashjs.MediaPlayer.events;
      player.on(E.STREAM_INITIALIZED, () => {
        s.heights = player.getRepresentationsByType("video").map((r) => r.height).sort((a, b) => b - a);
      });
      player.on(E.QUALITY_CHANGE_RENDERED, (e) => { if (e.mediaType === "video") switched(e.newRepresentation.height); });
      player.on(E.ERROR, (e) => s.errors.push(JSON.stringify(e.error ?? e)));
      current = () => player.getCurrentRepresentationForType("video")?.height ?? null;
      estimate = () => Math.round(player.getAverageThroughput?.("video") ?? -1);
      player.initialize(video, url, false);
    }
    // Stalls: from "waiting" to the next "playing" once playback has begun.
    let stalledAt = null;
    video.addEventListener("waiting", () => { if (s.startupMs !== null && stalledAt === null) stalledAt = now(); });
    video.addEventListener("playing", () => {
      if (s.startupMs === null) {
        s.startupMs = now();
        // The rung on screen: the first one rendered (the player may be fetching another already).
        s.startHeight = s.switches.length ? s.switches[0].height : current();
      } else if (stalledAt !== null) {
        s.stalls.push({ atMs: stalledAt, ms: now() - stalledAt });
        stalledAt = null;
      }
    });
    s.stalledNow = () => (stalledAt === null ? 0 : now() - stalledAt);
    s.t0 = performance.now();
    video.play().catch((e) => s.errors.push(`play: ${e}`));
  }, { kind: args.kind, url: new URL(args.url, args.origin).href });

  const failed = () => page.evaluate(() => window.abr.errors.length > 0);
  // A phase that does not come within its time is reported (timedOut), not thrown: the test shows
  // what the player did instead.
  const timedOut = [];
  const phase = async (name, predicate, arg, timeout) => {
    try {
      await until(page, predicate, arg, timeout);
      return true;
    } catch (e) {
      timedOut.push(name);
      return false;
    }
  };
  // Low: playing on a low rung, for a few seconds.
  const going = (await phase("start", () => window.abr.startupMs !== null || window.abr.errors.length > 0, null, 15000)) &&
    !(await failed()) &&
    (await phase("low", () => document.getElementById("v").currentTime >= 6 || window.abr.errors.length > 0, null, 30000));
  // High: until the top rung is on screen.
  const phases = { low: 0 };
  phases.high = await page.evaluate(() => ((window.abr.phase = "high"), performance.now() - window.abr.t0));
  await throttle(args.highKbps);
  const upped = going && await phase("high", () => {
    const s = window.abr;
    return s.errors.length > 0 || s.switches.some((w) => w.phase === "high" && w.height === s.heights[0]);
  }, null, 45000);
  // Let the top rung play a little, so that the drop begins from a full (small) buffer of it.
  const settled = upped && await phase("top", () => {
    const s = window.abr;
    const up = s.switches.filter((w) => w.phase === "high").pop();
    return s.errors.length > 0 || performance.now() - s.t0 >= up.atMs + 4000;
  }, null, 20000);
  // Drop: until a lower rung is on screen.
  phases.drop = await page.evaluate(() => ((window.abr.phase = "drop"), performance.now() - window.abr.t0));
  await throttle(args.dropKbps);
  const dropped = settled && await phase("drop", () => {
    const s = window.abr;
    const top = Math.max(...s.switches.filter((w) => w.phase === "high").map((w) => w.height));
    return s.errors.length > 0 || s.switches.some((w) => w.phase === "drop" && w.height < top);
  }, null, 40000);
  // A few more seconds at the lower rung: a stall right after the switch would show here.
  const after = await page.evaluate(() => performance.now() - window.abr.t0);
  if (dropped) await phase("after", (t) => performance.now() - window.abr.t0 >= t + 3000 || document.getElementById("v").ended, after, 10000);
  const state = await page.evaluate(() => {
    const s = window.abr, v = document.getElementById("v");
    if (s.stalledNow() > 0) s.stalls.push({ atMs: -1, ms: s.stalledNow() }); // one still going on
    const { errors, switches, stalls, heights, startupMs, startHeight } = s;
    return { errors, switches, stalls, heights, startupMs, startHeight, currentTime: v.currentTime };
  });
  return { kind: args.kind, ...state, phases, timedOut, log: log.slice(-10) };
});
