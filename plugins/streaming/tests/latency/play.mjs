// Plays a live HLS URL in Debian's chromium with the npm build of hls.js and measures the
// glass-to-glass delay of every rendered frame: the instant the frame is shown (the
// requestVideoFrameCallback's expectedDisplayTime, on the wall clock) less the capture instant
// push.mjs burned into it (read back from a canvas). Same machine, same clock. Prints one line of
// JSON: {ok, startupMs, samples [ms...], p50, p95, min, max, misread, frames, waiting,
// maxFrameGapMs, hlsLatency, targetLatency, level, errors, log}.
//
// Usage: node play.mjs '{"chromium":PATH,"origin":"http://127.0.0.1:PORT","url":PATH-OR-URL,
//                        "lowLatency":true,"hlsConfig":{},"warmupSeconds":5,"sampleSeconds":20}'
//
// The first warmupSeconds after the first frame are not sampled (hls.js settles on its live edge);
// then every frame shown for sampleSeconds is. `waiting` counts the video's waiting events (a
// stall) and maxFrameGapMs the longest time between two frames shown, both within the window.
import { chromium } from "playwright-core";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = JSON.parse(process.argv[2]);
const here = path.dirname(fileURLToPath(import.meta.url));
const warmupMs = (args.warmupSeconds ?? 5) * 1000, sampleMs = (args.sampleSeconds ?? 20) * 1000;

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  timeout: 60000,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
         // A page in the background must not be throttled: its frames are what is measured.
         "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"],
});
let result = { ok: false };
const log = [];
try {
  const page = await browser.newPage();
  page.on("console", (m) => log.push(m.text()));
  page.on("pageerror", (e) => log.push(String(e)));
  const pageUrl = `${args.origin}/vtp-latency-player.html`;
  await page.route(pageUrl, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><video id=v muted playsinline width=640 height=360></video>" }));
  await page.goto(pageUrl);
  await page.addScriptTag({ path: path.join(here, "node_modules/hls.js/dist/hls.min.js") });
  await page.evaluate(({ url, lowLatency, hlsConfig, warmupMs, sampleMs }) => {
    const video = document.getElementById("v");
    const m = (window.measure = { errors: [], samples: [], misread: 0, frames: 0, waiting: 0, maxGap: 0, first: 0, start: 0, end: 0,
                                  lastShown: 0, stalls: 0 });
    if (!window.Hls.isSupported()) throw new Error("hls.js: MSE not supported");
    const hls = (window.hls = new window.Hls({ lowLatencyMode: lowLatency, ...hlsConfig }));
    hls.on(window.Hls.Events.ERROR, (_, d) => {
      if (d.fatal) m.errors.push(`${d.type}: ${d.details}`);
      else if (d.details === "bufferStalledError" && m.start && Date.now() >= m.start && Date.now() < m.end) ++m.stalls;
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    video.addEventListener("waiting", () => { if (m.start && Date.now() >= m.start && Date.now() < m.end) ++m.waiting; });
    video.play().catch((e) => m.errors.push(`play: ${e}`));

    // The code's 32x4 cells are read from the top eighth of the picture drawn 8 pixels a cell;
    // each cell's value is the mean of its middle 4x4 pixels (away from the edges the encoder blurs).
    const canvas = document.createElement("canvas");
    canvas.width = 256;
    canvas.height = 32;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const read = () => {
      const w = video.videoWidth, h = video.videoHeight;
      if (!w || !h) return null;
      ctx.drawImage(video, 0, 0, w, w / 8, 0, 0, 256, 32);
      const px = ctx.getImageData(0, 0, 256, 32).data;
      const bits = [];
      for (let i = 0; i < 128; ++i) {
        const cx = (i % 32) * 8, cy = Math.floor(i / 32) * 8;
        let sum = 0;
        for (let y = cy + 2; y < cy + 6; ++y)
          for (let x = cx + 2; x < cx + 6; ++x) sum += px[(y * 256 + x) * 4 + 1]; // green follows luma
        const mean = sum / 16;
        if (mean > 96 && mean < 160) return null; // neither black nor white
        bits.push(mean >= 128 ? 1 : 0);
      }
      for (let i = 0; i < 64; ++i) if (bits[i] === bits[i + 64]) return null;
      let t = 0;
      for (let i = 47; i >= 0; --i) t = t * 2 + bits[i];
      return t;
    };
    const onFrame = (_, meta) => {
      const shown = performance.timeOrigin + meta.expectedDisplayTime;
      if (!m.first) {
        m.first = Date.now();
        m.start = m.first + warmupMs;
        m.end = m.start + sampleMs;
      }
      if (shown >= m.start && shown < m.end) {
        ++m.frames;
        if (m.lastShown) m.maxGap = Math.max(m.maxGap, shown - m.lastShown);
        m.lastShown = shown;
        const captured = read();
        if (captured === null) ++m.misread;
        else m.samples.push(Math.round(shown - captured));
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    window.startedAt = Date.now();
  }, { url: new URL(args.url, args.origin).href, lowLatency: args.lowLatency ?? true, hlsConfig: args.hlsConfig ?? {}, warmupMs, sampleMs });

  // Poll plain values (an async predicate would pass at once): the first frame, then the window's end.
  await page.waitForFunction(() => window.measure.first > 0 || window.measure.errors.length > 0, null,
                             { timeout: (args.startupTimeoutSeconds ?? 60) * 1000, polling: 100 });
  await page.waitForFunction(() => Date.now() >= window.measure.end + 200 || window.measure.errors.length > 0, null,
                             { timeout: warmupMs + sampleMs + 30000, polling: 200 });
  const m = await page.evaluate(() => ({
    ...window.measure, startupMs: window.measure.first - window.startedAt,
    hlsLatency: window.hls.latency, targetLatency: window.hls.targetLatency,
    level: window.hls.currentLevel >= 0 ? window.hls.levels[window.hls.currentLevel]?.height ?? null : null,
  }));
  const sorted = [...m.samples].sort((a, b) => a - b);
  const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
  result = {
    ok: m.errors.length === 0 && sorted.length > 0, startupMs: m.startupMs, samples: m.samples,
    p50: pct(50), p95: pct(95), min: sorted[0] ?? null, max: sorted[sorted.length - 1] ?? null,
    misread: m.misread, frames: m.frames, waiting: m.waiting, stalls: m.stalls, maxFrameGapMs: Math.round(m.maxGap),
    hlsLatency: m.hlsLatency, targetLatency: m.targetLatency, level: m.level, errors: m.errors, log: log.slice(-20),
  };
} catch (e) {
  result = { ok: false, error: String(e), log: log.slice(-20) };
} finally {
  await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
}
console.log(JSON.stringify(result));
process.exit(0);
