// The side-by-side player: a recording's sources (camera, screen, a second camera), each with its
// own hls.js into its own <video>, on ONE clock. The main source (the camera, first in the
// presentation) is the master: the recording's time is its currentTime plus its offset. Every
// other source follows: its target is that time minus its own offset (its media time 0 is where it
// starts on the recording's timeline); a drift over one frame is corrected by a seek, a smaller one
// by nudging its playbackRate, so followers stay within a frame without a visible jump. Seeking
// seeks all; the master waits while a follower buffers; paused, every follower shows the master's
// instant exactly.
//
// Opened as player.html#recording=ID&token=ACCESS_TOKEN (a fragment never reaches a server, a log
// or a Referer; the token is dropped from the address at once), or with the token in
// sessionStorage "vtp.access_token" by an app of the same origin.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const statusLine = $("status");
  const api = {
    ready: false,
    errors: [],
    sources: [],
    // Corrections made so far: seeks (a drift over a frame) and nudges (playbackRate changes).
    seeks: 0,
    nudges: 0,
  };
  window.vtpPresentation = api; // for scripts and tests: the clock, the sources, seek/play/pause

  const fragment = new URLSearchParams(location.hash.slice(1));
  const recordingId = fragment.get("recording");
  const token = fragment.get("token") || sessionStorage.getItem("vtp.access_token");
  if (fragment.has("token")) {
    fragment.delete("token");
    history.replaceState(null, "", `${location.pathname}${location.search}#${fragment}`);
  }

  let intent = "paused"; // what the viewer asked for; the master may be paused meanwhile to wait for a follower
  let dragging = false;
  let start = 0, end = 0; // the master's span on the recording's timeline, in seconds

  const fail = (message) => {
    api.errors.push(message);
    statusLine.textContent = message;
  };
  const clock = (t) => {
    const s = Math.max(0, Math.floor(t));
    const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
    return (hms[0] ? `${hms[0]}:${String(hms[1]).padStart(2, "0")}` : `${hms[1]}`) + `:${String(hms[2]).padStart(2, "0")}`;
  };

  const master = () => api.sources[0];
  // The recording's time now: the master's clock.
  api.now = () => master().video.currentTime + master().offset;

  // Where a follower belongs at recording time t, clamped to its own media.
  const targetOf = (s, t) => {
    const d = Number.isFinite(s.video.duration) ? s.video.duration : Infinity;
    return Math.min(Math.max(t - s.offset, 0), d);
  };

  api.seek = (t) => {
    if (!api.ready) return;
    const to = Math.min(Math.max(t, start), end);
    master().video.currentTime = to - master().offset;
    for (const s of api.sources.slice(1)) s.video.currentTime = targetOf(s, to);
    tick();
  };
  api.play = () => {
    if (!api.ready) return;
    intent = "playing";
    tick();
  };
  api.pause = () => {
    intent = "paused";
    for (const s of api.sources) s.video.pause();
    tick();
  };

  // One frame of a source, in seconds (its fastest rung's frame rate; 30 fps when unknown).
  const frameOf = (s) => {
    const rates = (s.hls?.levels ?? []).map((l) => l.frameRate).filter((r) => r > 0);
    return 1 / (rates.length ? Math.max(...rates) : 30);
  };

  function tick() {
    if (!api.ready) return;
    const m = master();
    const t = api.now();
    const playing = intent === "playing";
    let followersReady = true;
    for (const s of api.sources.slice(1)) {
      const target = t - s.offset;
      const duration = Number.isFinite(s.video.duration) ? s.video.duration : Infinity;
      const inside = target >= 0 && target < duration;
      s.figure.dataset.state = target < 0 ? "not-started" : inside ? "on" : "ended";
      if (!inside) {
        // Before its start or after its end: it shows its first or last picture, paused.
        if (!s.video.paused) s.video.pause();
        const at = targetOf(s, t);
        if (!s.video.seeking && Math.abs(s.video.currentTime - at) > 0.05) s.video.currentTime = at;
        continue;
      }
      if (s.video.seeking) {
        followersReady = false;
        continue;
      }
      const drift = s.video.currentTime - target;
      const frame = Math.min(frameOf(s), frameOf(m));
      s.drift = drift;
      if (Math.abs(drift) > frame) {
        s.video.currentTime = target; // more than a frame apart: jump
        api.seeks++;
        followersReady = false;
        continue;
      }
      if (playing && !m.video.paused && !m.video.seeking) {
        if (s.video.paused) s.video.play().catch(() => {});
        // Closes the drift over about half a second, at most 10 % off the master's rate; within
        // 10 ms (under a frame at 60 fps) it runs at the master's rate.
        const rate = Math.abs(drift) > 0.01 ? Math.min(1.1, Math.max(0.9, 1 - 2 * drift)) : 1;
        if (s.video.playbackRate !== rate * m.video.playbackRate) {
          s.video.playbackRate = rate * m.video.playbackRate;
          if (rate !== 1) api.nudges++;
        }
      } else {
        if (!s.video.paused) s.video.pause();
        s.video.playbackRate = m.video.playbackRate;
        // Paused: the exact instant the master shows.
        if (m.video.paused && Math.abs(drift) > 0.005) s.video.currentTime = target;
      }
      if (s.video.readyState < HTMLMediaElement.HAVE_FUTURE_DATA) followersReady = false;
    }
    if (playing && m.video.ended) intent = "paused";
    if (intent === "playing") {
      if (followersReady && m.video.paused) {
        m.video.play().catch((e) => {
          // A browser that wants a gesture before sound: the master plays muted rather than not at all.
          if (e.name === "NotAllowedError" && !m.video.muted) {
            m.video.muted = true;
            m.video.play().catch((err) => fail(`play: ${err.message}`));
          }
        });
      } else if (!followersReady && !m.video.paused) {
        m.video.pause(); // waits for the follower, so that they stay in step
      }
    } else if (!m.video.paused) {
      m.video.pause();
    }
    render(t, followersReady);
  }

  function render(t, followersReady) {
    $("play").textContent = intent === "playing" ? "Pause" : "Play";
    $("play").setAttribute("aria-pressed", intent === "playing" ? "true" : "false");
    if (!dragging) $("seek").value = String(Math.round(t - start));
    $("seek").setAttribute("aria-valuetext", `${clock(t)} of ${clock(end)}`);
    $("time").textContent = `${clock(t)} / ${clock(end)}`;
    if (api.errors.length === 0)
      statusLine.textContent = intent === "playing" ? (followersReady && !master().video.paused ? "Playing" : "Buffering…") : "Paused";
  }

  function loop() {
    tick();
    requestAnimationFrame(loop);
  }

  function addSource(source, index) {
    const figure = document.createElement("figure");
    const video = document.createElement("video");
    video.playsInline = true;
    video.preload = "auto";
    video.muted = index > 0; // the master's sound only
    video.setAttribute("aria-label", `${source.kind} (${source.role})`);
    const caption = document.createElement("figcaption");
    caption.textContent = source.kind + (index === 0 ? " (main)" : "");
    figure.append(video, caption);
    $("sources").append(figure);
    const s = { kind: source.kind, role: source.role, offset: source.offset_s, video, figure, hls: null, drift: 0 };
    if (window.Hls && window.Hls.isSupported()) {
      // No worker: the page's policy allows scripts from vtpd only (a worker would come from a blob:).
      const hls = new window.Hls({ enableWorker: false, capLevelToPlayerSize: true });
      let recovered = false;
      hls.on(window.Hls.Events.ERROR, (_, d) => {
        if (!d.fatal) return;
        if (d.type === window.Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
          recovered = true;
          hls.recoverMediaError();
          return;
        }
        fail(`${source.kind}: ${d.type} ${d.details}`);
      });
      hls.loadSource(new URL(source.hls, location.origin).href);
      hls.attachMedia(video);
      s.hls = hls;
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = source.hls; // Safari plays HLS itself
    } else {
      fail("this browser cannot play HLS");
    }
    video.addEventListener("ended", tick);
    video.addEventListener("seeked", tick);
    video.addEventListener("canplay", tick);
    return s;
  }

  function controls() {
    const seek = $("seek");
    seek.min = "0";
    seek.max = String(Math.max(0, Math.floor(end - start)));
    for (const id of ["play", "back", "forward", "seek"]) $(id).disabled = false;
    $("play").addEventListener("click", () => (intent === "playing" ? api.pause() : api.play()));
    $("back").addEventListener("click", () => api.seek(api.now() - 10));
    $("forward").addEventListener("click", () => api.seek(api.now() + 10));
    seek.addEventListener("pointerdown", () => (dragging = true));
    seek.addEventListener("pointerup", () => (dragging = false));
    seek.addEventListener("input", () => api.seek(start + Number(seek.value)));
    document.addEventListener("keydown", (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      // Buttons and the slider handle their own keys (Space, Enter, arrows).
      if (e.target instanceof HTMLButtonElement || e.target instanceof HTMLInputElement) return;
      const key = e.key;
      if (key === " " || key === "k") (intent === "playing" ? api.pause : api.play)();
      else if (key === "ArrowLeft" || key === "j") api.seek(api.now() - 10);
      else if (key === "ArrowRight" || key === "l") api.seek(api.now() + 10);
      else return;
      e.preventDefault();
    });
  }

  async function main() {
    if (!recordingId) return fail("no recording: open this page as player.html#recording=ID");
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const res = await fetch(`/api/v1/recordings/${encodeURIComponent(recordingId)}/presentation`, { headers, cache: "no-store" });
    if (!res.ok) {
      const problem = await res.json().catch(() => ({}));
      return fail(`the recording cannot be played: ${problem.detail ?? problem.title ?? res.status}`);
    }
    const p = await res.json();
    document.title = p.title;
    $("title").textContent = p.title;
    api.presentation = p;
    api.sources = p.sources.map(addSource);
    // Ready once every source knows its duration.
    await Promise.all(api.sources.map((s) => (s.video.readyState >= 1 ? null : new Promise((r) => s.video.addEventListener("loadedmetadata", r, { once: true })))));
    start = master().offset;
    end = start + master().video.duration;
    api.start = start;
    api.end = end;
    api.frameOf = (i) => frameOf(api.sources[i]);
    controls();
    api.ready = true;
    loop();
  }

  main().catch((e) => fail(String(e)));
})();
