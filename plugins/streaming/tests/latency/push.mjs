// A live encoder standing in for OBS Studio: a generator draws each picture with its capture
// instant burned in (ms since the epoch, as blocks a page reads back exactly from a canvas) and
// pipes it raw to the ffmpeg command, which encodes it with libx264 and AAC and pushes FLV over
// RTMP, until killed. Run by the latency test and bench/streaming/live_latency.sh.
//
// Usage: node push.mjs '{"ffmpeg":PATH,"url":"rtmp://...","width":640,"height":360,"fps":30,
//                        "preset":"veryfast","tune":"","gop_seconds":2,"kbps":1500}'
//
// The code (read by play.mjs): the top eighth of the picture is a grid of 32x4 square cells,
// black (Y 16) or white (Y 235), read row by row from the top left. Cells 0-47 are the capture
// instant in ms since the epoch, least significant bit first; cells 48-63 the frame number modulo
// 65536; cells 64-127 the complements of cells 0-63, so a misread cell is caught, never decoded.
//
// The capture instant is the frame's slot on the generator's schedule (frame n at start + n/fps),
// and a frame is never handed to ffmpeg before it: if the generator or ffmpeg falls behind, the
// delay counts in the measured latency (as a camera's frames queueing would), never against it.
// ffmpeg reads the frames as they come (no -re: it would pace by timestamps, a second clock), and
// numbers them by count at the given rate, so its timestamps follow the same schedule.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

const args = JSON.parse(process.argv[2]);
const width = args.width ?? 640, height = args.height ?? 360, fps = args.fps ?? 30;
const cols = 32, rows = 4, cell = Math.floor(width / cols);
if (cell < 8 || rows * cell > height) throw new Error("the picture is too small for the code");

const ffmpegArgs = [
  "-hide_banner", "-loglevel", "warning", "-nostdin",
  // Raw inputs need no probing: none, so that neither input waits for the other's data.
  "-probesize", "32", "-analyzeduration", "0", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${width}x${height}`,
  "-framerate", String(fps), "-thread_queue_size", "64", "-i", "pipe:0",
  "-probesize", "32", "-analyzeduration", "0", "-f", "s16le", "-ar", "48000", "-ac", "1", "-thread_queue_size", "1024", "-i", "pipe:3",
  "-map", "0:v", "-map", "1:a",
  "-c:v", "libx264", "-preset", args.preset ?? "veryfast", ...(args.tune ? ["-tune", args.tune] : []),
  "-g", String(Math.round((args.gop_seconds ?? 2) * fps)), "-pix_fmt", "yuv420p",
  "-b:v", `${args.kbps ?? 1500}k`, "-maxrate", `${args.kbps ?? 1500}k`, "-bufsize", `${(args.kbps ?? 1500) * 2}k`,
  "-c:a", "aac", "-b:a", "128k",
  // Each packet goes to the socket as it is muxed, as OBS sends it.
  "-flush_packets", "1", "-f", "flv", args.url,
];
const ffmpeg = spawn(args.ffmpeg ?? "ffmpeg", ffmpegArgs, { stdio: ["pipe", "inherit", "inherit", "pipe"] });
const video = ffmpeg.stdin, audio = ffmpeg.stdio[3];
let exiting = false;
ffmpeg.on("exit", (code, signal) => {
  console.error(`ffmpeg exited (${code ?? signal})`);
  exiting = true;
  process.exit(code === 0 ? 0 : 1);
});
for (const s of [video, audio]) s.on("error", () => {}); // ffmpeg gone: its exit ends this process
// The end of its input ends ffmpeg (an input thread blocked on a silent pipe would keep it from
// acting on a signal); a signal follows in case it does not.
const stop = () => {
  exiting = true;
  video.destroy();
  audio.destroy();
  ffmpeg.kill("SIGTERM");
  setTimeout(() => ffmpeg.kill("SIGKILL"), 3000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

// A background with detail and motion, so that the encoder has real work: diagonal stripes that
// scroll, and a bright square crossing the picture.
const ySize = width * height, cSize = (width / 2) * (height / 2);
const frame = Buffer.alloc(ySize + 2 * cSize);
const background = Buffer.alloc(ySize);
for (let y = 0; y < height; ++y)
  for (let x = 0; x < width; ++x) background[y * width + x] = 60 + (((x + y) >> 3) & 7) * 18;
frame.fill(128, ySize); // grey chroma
const samplesPerFrame = Math.round(48000 / fps);
let phase = 0;

function draw(n, capturedMs) {
  const shift = (n * 4) % width;
  for (let y = 0; y < height; ++y) {
    const row = y * width;
    background.copy(frame, row, row + shift, row + width);
    background.copy(frame, row + width - shift, row, row + shift);
  }
  const sq = 40, sx = (n * 6) % (width - sq), sy = height - sq - 20;
  for (let y = sy; y < sy + sq; ++y) frame.fill(235, y * width + sx, y * width + sx + sq);
  const bits = [];
  let t = capturedMs;
  for (let i = 0; i < 48; ++i) { bits.push(t % 2); t = Math.floor(t / 2); }
  for (let i = 0; i < 16; ++i) bits.push((n >> i) & 1);
  for (let i = 0; i < 64; ++i) bits.push(1 - bits[i]);
  for (let i = 0; i < cols * rows; ++i) {
    const cx = (i % cols) * cell, cy = Math.floor(i / cols) * cell, v = bits[i] ? 235 : 16;
    for (let y = cy; y < cy + cell; ++y) frame.fill(v, y * width + cx, y * width + cx + cell);
  }
  // Rows below the code, up to a chroma-aligned line, are left as they are: no bleeding.
}

function tone() {
  const pcm = Buffer.alloc(samplesPerFrame * 2);
  for (let i = 0; i < samplesPerFrame; ++i) {
    pcm.writeInt16LE(Math.round(3000 * Math.sin(phase)), i * 2);
    phase += (2 * Math.PI * 440) / 48000;
  }
  return pcm;
}

const writeAll = (stream, buf) => new Promise((resolve) => {
  if (stream.write(buf)) resolve(); else stream.once("drain", resolve);
});
const until = (t) => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())));

// Two loops on one schedule, each waiting only for its own pipe: ffmpeg opens its inputs one
// after the other, and a loop that waited for both would wait for ever on the first.
const startPerf = performance.now(), startWall = Date.now();
async function videoLoop() {
  let maxLateMs = 0, lastReport = startPerf;
  for (let n = 0; !exiting; ++n) {
    const due = startPerf + (n * 1000) / fps;
    await until(due);
    const late = performance.now() - due;
    maxLateMs = Math.max(maxLateMs, late);
    draw(n, Math.round(startWall + (n * 1000) / fps));
    // A copy: the stream may still hold the buffer when the next frame is drawn into it.
    await writeAll(video, Buffer.from(frame));
    if (performance.now() - lastReport >= 10000) {
      console.error(`push: ${n + 1} frames, latest written ${late.toFixed(1)} ms after its instant, worst ${maxLateMs.toFixed(1)} ms`);
      lastReport = performance.now();
      maxLateMs = 0;
    }
  }
}
async function audioLoop() {
  for (let n = 0; !exiting; ++n) {
    await until(startPerf + (n * 1000) / fps);
    await writeAll(audio, tone());
  }
}
await Promise.all([videoLoop(), audioLoop()]);
