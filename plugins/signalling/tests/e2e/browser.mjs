// Two headless Chromium pages (Debian's /usr/bin/chromium through playwright-core, fake camera and
// microphone) are signalled through vtpd and must decode each other's video:
//   node browser.mjs CONFIG.json
// CONFIG: {"url": "http://127.0.0.1:WSPORT", "tokens": {"a": ..., "b": ...}, "room": "...",
//          "pagePort": N, "policy": "all" | "relay", "turnUrl": "turn:..." (relay only),
//          "timeoutMs": 90000}
// The page (webrtc.html) and the stock socket.io-client browser build are served from
// http://127.0.0.1:pagePort: a secure context for getUserMedia, in the loopback address space
// (Chromium's local network access checks refuse loopback requests from a page of unknown
// address space), and another origin than vtpd's socket port, so long-polling needs CORS.
// Prints PASS and a JSON line of timings, or FAIL and why; every wait is bounded and the whole
// run is bounded by timeoutMs.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const started = Date.now();
const deadline = started + (config.timeoutMs || 90000);
const left = () => Math.max(1000, deadline - Date.now());
const files = {
  "/webrtc.html": { type: "text/html", body: readFileSync(join(here, "webrtc.html")) },
  "/socket.io.min.js": { type: "text/javascript", body: readFileSync(join(here, "node_modules/socket.io-client/dist/socket.io.min.js")) },
};
const logs = [];
let browser;
const server = createServer((req, res) => {
  const f = files[new URL(req.url, "http://x").pathname];
  res.writeHead(f ? 200 : 404, { "Content-Type": f ? f.type : "text/plain" });
  res.end(f ? f.body : "");
});
const origin = `http://127.0.0.1:${config.pagePort}`;

async function fail(message) {
  console.log("FAIL: " + message);
  console.log(logs.slice(-80).join("\n"));
  try { if (browser) await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]); } catch {}
  process.exit(1);
}
const watchdog = setTimeout(() => fail("the whole run took longer than " + config.timeoutMs + " ms"), deadline - Date.now());

async function openPeer(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (m) => logs.push(`[${name} console.${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`[${name} pageerror] ${e.message}`));
  await page.goto(origin + "/webrtc.html", { timeout: left() });
  return page;
}

// Waits for a plain value in the page (waitForFunction with an async predicate would pass at once).
async function until(page, name, predicate, what) {
  try {
    await page.waitForFunction(predicate, null, { timeout: left(), polling: 100 });
  } catch (e) {
    const state = await page.evaluate(() => JSON.stringify(window.vtp)).catch(() => "unavailable");
    throw new Error(`${name}: ${what} did not happen: ${e.message.split("\n")[0]}; state ${state}`);
  }
}

try {
  await new Promise((resolve, reject) => server.once("error", reject).listen(config.pagePort, "127.0.0.1", resolve));
  browser = await chromium.launch({
    // Debian's chromium, never a downloaded browser; playwright gives each launch a fresh
    // temporary profile (its --user-data-dir) and adds --headless.
    executablePath: config.chromium || "/usr/bin/chromium",
    headless: true,
    timeout: left(),
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
           "--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection"],
  });
  const launched = Date.now();
  const a = await openPeer("a");
  const b = await openPeer("b");
  const peer = (token) => ({ url: config.url, token, room: config.room, policy: config.policy, transports: config.transports });
  // a joins first and answers; b finds a in the room and offers.
  await a.evaluate((c) => window.startPeer(c), peer(config.tokens.a));
  await b.evaluate((c) => window.startPeer(c), peer(config.tokens.b));
  const joined = Date.now();
  const pages = [["a", a], ["b", b]];
  for (const [name, page] of pages) {
    const servers = await page.evaluate(() => window.vtp.iceServers);
    if (config.policy === "relay") {
      const turn = (servers || []).find((s) => [].concat(s.urls).includes(config.turnUrl));
      if (!turn || !turn.username || !turn.credential) throw new Error(`${name}: no TURN credentials for ${config.turnUrl} in ${JSON.stringify(servers)}`);
    }
  }
  for (const [name, page] of pages) await until(page, name, () => window.vtp.connectionState === "connected", "connectionState connected");
  const connected = Date.now();
  for (const [name, page] of pages) await until(page, name, () => window.vtp.framesDecoded > 0, "video frames decoded");
  const decoded = Date.now();
  const states = [];
  for (const [name, page] of pages) {
    const s = await page.evaluate(() => window.vtp);
    if (s.errors.length) throw new Error(`${name}: errors in the page: ${s.errors.join("; ")}`);
    if (config.policy === "relay" && s.localCandidateType !== "relay") throw new Error(`${name}: the selected local candidate is ${s.localCandidateType}, not relay`);
    states.push({ name, local: s.localCandidateType, remote: s.remoteCandidateType, frames: s.framesDecoded, signals: s.signals });
  }
  console.log("PASS");
  console.log(JSON.stringify({ launchMs: launched - started, joinMs: joined - launched, connectMs: connected - joined, decodeMs: decoded - connected, peers: states }));
  clearTimeout(watchdog);
  await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
  process.exit(0);
} catch (e) {
  await fail(e.stack || String(e));
}
