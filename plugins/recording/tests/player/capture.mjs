// Records in Debian's headless chromium as a teacher's page would: the fake camera and microphone
// (and, with "screen", the fake screen through getDisplayMedia) recorded with MediaRecorder,
// every piece it hands out uploaded at once with tus-js-client's browser build (a deferred length:
// the page does not know how long the class will be), while it records. The page is served by
// playwright at a path of vtpd's own origin, so tus requests are same-origin.
// Prints one line of JSON: {ok, sources: [{kind, mimeType, url, recordedSeconds, bytes, chunks,
// acknowledgedWhileRecording, width, height}], error, log}.
// Usage: node capture.mjs '{"chromium":PATH,"origin":"http://127.0.0.1:PORT","token":BEARER,
//   "recording":ID,"mimeType":""|"video/mp4","seconds":10,"sources":["camera"]|["camera","screen"],
//   "screenDelayMs":1500,"chunkSize":BYTES}'
import { chromium } from "playwright-core";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = JSON.parse(process.argv[2]);
const here = path.dirname(fileURLToPath(import.meta.url));

// Debian's chromium, never a downloaded browser; playwright gives each launch a fresh temporary
// profile (its --user-data-dir) and adds --headless. The fake UI grants the camera, microphone
// and screen without asking; the fake devices are Chromium's test pattern and beep, and headless
// getDisplayMedia captures a fake screen (1280x720, asked for at 640x360).
const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  timeout: 60000,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
         "--use-fake-device-for-media-stream", "--auto-select-desktop-capture-source=Entire screen"],
});
let result = { ok: false };
const log = [];
try {
  const page = await browser.newPage();
  page.on("console", (m) => log.push(m.text()));
  page.on("pageerror", (e) => log.push(String(e)));
  const pageUrl = `${args.origin}/vtp-test-capture.html`;
  await page.route(pageUrl, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><button id=share>share the screen</button>" }));
  await page.goto(pageUrl);
  await page.addScriptTag({ path: path.join(here, "node_modules/tus-js-client/dist/tus.min.js") });

  // Records one stream and uploads it while it records; resolves when the upload has finished.
  await page.evaluate(({ token, recording, mimeType, chunkSize }) => {
    window.captures = [];
    window.capture = (kind, stream) => {
      const state = { kind, chunks: 0, acknowledgedWhileRecording: 0, recording: true, bytes: 0 };
      window.captures.push(state);
      // Chromium's MP4 writer hands out a fragment per video keyframe, and keyframes come seconds
      // apart by default: a page recording MP4 asks for one every 2 s to upload as it records.
      const recorder = new MediaRecorder(stream, mimeType ? { mimeType, videoKeyFrameIntervalDuration: 2000 } : {});
      const video = stream.getVideoTracks()[0].getSettings();
      Object.assign(state, { width: video.width, height: video.height });
      // MediaRecorder's pieces become a stream of bytes for tus-js-client (a Reader, read in
      // chunkSize pieces); their order is kept by chaining the Blob reads.
      let controller;
      const bytes = new ReadableStream({ start: (c) => { controller = c; } });
      let pending = Promise.resolve();
      recorder.ondataavailable = (e) => {
        pending = pending.then(async () => {
          if (e.data.size === 0) return;
          state.bytes += e.data.size;
          controller.enqueue(new Uint8Array(await e.data.arrayBuffer()));
        });
      };
      recorder.onstop = () => {
        state.recording = false;
        pending.then(() => controller.close());
      };
      let finished;
      state.done = new Promise((resolve, reject) => { finished = { resolve, reject }; });
      // The upload begins with the recording (its server-clock start is the source's), once the
      // recorder says what it writes (its mimeType is empty before it starts, when none was asked).
      recorder.onstart = () => {
        state.mimeType = recorder.mimeType;
        const extension = recorder.mimeType.startsWith("video/mp4") ? "mp4" : "webm";
        const upload = new window.tus.Upload(bytes.getReader(), {
          endpoint: `/api/v1/recordings/${recording}/uploads`,
          headers: { Authorization: `Bearer ${token}` },
          uploadLengthDeferred: true,
          chunkSize,
          retryDelays: [100, 300, 1000, 3000],
          metadata: { source: kind, filetype: recorder.mimeType, filename: `${kind}.${extension}` },
          onChunkComplete: () => {
            state.chunks += 1;
            if (state.recording) state.acknowledgedWhileRecording += 1;
          },
          onSuccess: () => { state.url = upload.url; finished.resolve(); },
          onError: (e) => finished.reject(new Error(`${kind}: ${e}`)),
        });
        upload.start();
      };
      state.recorder = recorder;
      // What was recorded: from the call that starts the recorder to the one that stops it (its
      // events come later, and later still on a loaded machine).
      state.stop = () => {
        recorder.stop();
        state.recordedSeconds = (performance.now() - state.startedAt) / 1000;
      };
      state.startedAt = performance.now();
      recorder.start(1000); // a piece every second, as a capture page hands them to the upload
      return state;
    };
  }, { token: args.token, recording: args.recording, mimeType: args.mimeType || "", chunkSize: args.chunkSize || 32 * 1024 });

  await page.evaluate(async () => {
    // Small pictures keep the encoders up with the clock on a loaded machine: a MediaRecorder
    // that falls behind drops the last video frames at stop.
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240, frameRate: 15 }, audio: true });
    window.capture("camera", stream);
  });
  const began = Date.now();
  if ((args.sources || ["camera"]).includes("screen")) {
    // The screen joins later, as a teacher shares it a while into the class: its upload starts
    // later on the server's clock. getDisplayMedia needs a user's click.
    await page.waitForTimeout(args.screenDelayMs || 1500);
    await page.evaluate(() => {
      document.getElementById("share").onclick = () => {
        window.shared = navigator.mediaDevices.getDisplayMedia({ video: { width: 640, height: 360, frameRate: 5 }, audio: false })
          .then((stream) => { window.capture("screen", stream); return "ok"; }, (e) => `getDisplayMedia: ${e}`);
      };
    });
    await page.click("#share");
    const shared = await page.evaluate(() => window.shared);
    if (shared !== "ok") throw new Error(shared);
  }
  await page.waitForTimeout(Math.max(0, args.seconds * 1000 - (Date.now() - began)));
  const sources = await page.evaluate(async () => {
    for (const c of window.captures) c.stop();
    await Promise.all(window.captures.map((c) => c.done));
    return window.captures.map(({ kind, mimeType, url, recordedSeconds, bytes, chunks, acknowledgedWhileRecording, width, height }) =>
      ({ kind, mimeType, url, recordedSeconds, bytes, chunks, acknowledgedWhileRecording, width, height }));
  });
  result = { ok: true, sources };
} catch (e) {
  result = { ok: false, error: String(e && e.stack || e) };
} finally {
  await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
}
result.log = log.slice(-20);
console.log(JSON.stringify(result));
process.exit(0);
