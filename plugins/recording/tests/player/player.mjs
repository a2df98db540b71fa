// Plays a recording's signed HLS or DASH URL in Debian's chromium with the npm build of hls.js or
// dash.js, as a page on vtpd's own origin would: the page is served by playwright at a path of that
// origin, every playlist and segment comes from vtpd. Prints one line of JSON:
// {ok, currentTime, decodedFrames, duration, videoWidth, videoHeight, error}. dash.js runs with its
// defaults: of several video adaptation sets it picks the one whose Role is main.
// Usage: node player.mjs '{"chromium":PATH,"origin":"http://127.0.0.1:PORT","url":PATH,"kind":"hls"|"dash","until":SECONDS}'
import { chromium } from "playwright-core";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = JSON.parse(process.argv[2]);
const here = path.dirname(fileURLToPath(import.meta.url));
const library = {
  hls: path.join(here, "node_modules/hls.js/dist/hls.min.js"),
  dash: path.join(here, "node_modules/dashjs/dist/modern/umd/dash.all.min.js"),
}[args.kind];
if (!library) throw new Error(`unknown kind ${args.kind}`);

// Debian's chromium, never a downloaded browser; playwright gives each launch a fresh temporary
// profile (its --user-data-dir) and adds --headless.
const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  timeout: 60000,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
});
let result = { ok: false };
try {
  const page = await browser.newPage();
  const log = [];
  page.on("console", (m) => log.push(m.text()));
  page.on("pageerror", (e) => log.push(String(e)));
  const pageUrl = `${args.origin}/vtp-test-player.html`;
  await page.route(pageUrl, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><video id=v muted playsinline width=320 height=180></video>" }));
  await page.goto(pageUrl);
  await page.addScriptTag({ path: library });
  await page.evaluate(({ kind, url }) => {
    const video = document.getElementById("v");
    window.playerErrors = [];
    if (kind === "hls") {
      if (!window.Hls.isSupported()) throw new Error("hls.js: MSE not supported");
      const hls = new window.Hls();
      hls.on(window.Hls.Events.ERROR, (_, d) => { if (d.fatal) window.playerErrors.push(`${d.type}: ${d.details}`); });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else {
      const player = window.dashjs.MediaPlayer().create();
      player.on(window.dashjs.MediaPlayer.events.ERROR, (e) => window.playerErrors.push(JSON.stringify(e.error ?? e)));
      player.initialize(video, url, true);
    }
    video.play().catch((e) => window.playerErrors.push(`play: ${e}`));
  }, { kind: args.kind, url: new URL(args.url, args.origin).href });
  // Poll plain values (an async predicate would pass at once).
  await page.waitForFunction((until) => {
    const v = document.getElementById("v");
    return v.currentTime >= until || window.playerErrors.length > 0;
  }, args.until, { timeout: 60000, polling: 100 });
  const state = await page.evaluate(() => {
    const v = document.getElementById("v");
    return {
      currentTime: v.currentTime,
      decodedFrames: v.getVideoPlaybackQuality().totalVideoFrames,
      duration: v.duration,
      videoWidth: v.videoWidth,
      videoHeight: v.videoHeight,
      errors: window.playerErrors,
    };
  });
  result = { ok: state.errors.length === 0, ...state, log: log.slice(-20) };
} catch (e) {
  result = { ok: false, error: String(e) };
} finally {
  await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
}
console.log(JSON.stringify(result));
process.exit(0);
