// The streaming plugin's side-by-side player page (served by vtpd, with its own policy and its own
// hls.js) in Debian's chromium: seeks to `seek` seconds of the recording, plays `play` seconds,
// and reads the picture every source shows, several times while it plays and once paused. Each
// test source carries a stamp: a row of blocks, black or white, giving the frame's own timestamp in
// ms (bit b at block b, 12 to a row; `stamp` gives the geometry in the source's pixels). Prints one
// line of JSON: {ok, offsets (s), frames (s, per source), playing: [[stamp_ms per source]...],
// paused: [stamp_ms per source], clear (every block was plainly black or white), seeks, nudges,
// now, errors}.
// Usage: VTP_ACCESS_TOKEN=TOKEN node sync.mjs '{"chromium":PATH,"page":URL (player.html#recording=ID),"seek":S,"play":S,
//   "stamp":{"width":W,"height":H,"x":X,"y":Y,"block":B,"bits":N}}'
import { run, until } from "./browser.mjs";

const args = JSON.parse(process.argv[2]);

run(args.chromium, async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const log = [];
  page.on("console", (m) => log.push(m.text()));
  page.on("pageerror", (e) => log.push(String(e)));
  // The bearer token comes in the environment (never a URL or an argument a log could show) and
  // reaches the page as an app of vtpd's origin would hand it over: sessionStorage.
  await page.addInitScript((token) => sessionStorage.setItem("vtp.access_token", token), process.env.VTP_ACCESS_TOKEN ?? "");
  await page.goto(args.page);
  await until(page, () => window.vtpPresentation?.ready || window.vtpPresentation?.errors.length > 0, null, 60000);
  const errors = () => page.evaluate(() => window.vtpPresentation.errors);
  if ((await errors()).length) return { errors: await errors(), log };

  await page.evaluate((t) => {
    window.vtpPresentation.seek(t);
    window.vtpPresentation.play();
  }, args.seek);
  await until(page, (t) => {
    const p = window.vtpPresentation;
    return p.errors.length > 0 || (p.now() >= t && !p.sources[0].video.paused);
  }, args.seek + args.play, 90000);

  // Every source's stamp, read from pictures drawn in one task (the same instant for all).
  await page.evaluate((stamp) => {
    window.readStamps = () => {
      let clear = true;
      const values = window.vtpPresentation.sources.map((s) => {
        const v = s.video;
        const c = (s.canvas ??= document.createElement("canvas"));
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        const g = c.getContext("2d", { willReadFrequently: true });
        g.drawImage(v, 0, 0);
        const px = g.getImageData(0, 0, c.width, c.height).data;
        const sx = c.width / stamp.width, sy = c.height / stamp.height;
        let ms = 0;
        for (let b = 0; b < stamp.bits; b++) {
          const x = Math.floor((stamp.x + (b % 12) * stamp.block + stamp.block / 2) * sx);
          const y = Math.floor((stamp.y + Math.floor(b / 12) * stamp.block + stamp.block / 2) * sy);
          const i = (y * c.width + x) * 4;
          const luma = (px[i] + px[i + 1] + px[i + 2]) / 3;
          if (luma > 64 && luma < 192) clear = false;
          if (luma >= 128) ms += 2 ** b;
        }
        return ms;
      });
      return { values, clear };
    };
  }, args.stamp);

  const playing = [];
  let clear = true;
  for (let i = 0; i < 10; i++) {
    // A frame apart from the last reading: after the next animation frame.
    const r = await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done(window.readStamps()))));
    playing.push(r.values);
    clear &&= r.clear;
  }
  // Paused: the page brings every follower to the master's instant.
  await page.evaluate(() => window.vtpPresentation.pause());
  await until(page, () => window.vtpPresentation.sources.every((s) => s.video.paused && !s.video.seeking && s.video.readyState >= 2 &&
    Math.abs(s.video.currentTime - (window.vtpPresentation.now() - s.offset)) <= 0.005), null, 20000);
  // The picture of a finished seek is the one composited after it.
  const paused = await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(window.readStamps())))));
  clear &&= paused.clear;
  return page.evaluate(({ playing, paused, clear, log }) => {
    const p = window.vtpPresentation;
    return {
      offsets: p.sources.map((s) => s.offset),
      kinds: p.sources.map((s) => s.kind),
      frames: p.sources.map((_, i) => p.frameOf(i)),
      adaptive: p.presentation.adaptive,
      playing,
      paused: paused.values,
      clear,
      seeks: p.seeks,
      nudges: p.nudges,
      now: p.now(),
      errors: p.errors,
      log: log.slice(-10),
    };
  }, { playing, paused, clear, log });
});
