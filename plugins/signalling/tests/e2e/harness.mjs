// What the scenario scripts share: bounded waits, failing with a message, and socket.io-client
// connections that are closed when the script ends, whichever way it ends.
import { io } from "socket.io-client";

export function harness({ url, timeoutMs }) {
  const closers = [];
  const h = {
    // Closes `s` (anything with close()) when the script ends; returns it.
    track(s) {
      closers.push(() => s.close());
      return s;
    },
    onEnd(fn) {
      closers.push(fn);
    },
    closeAll() {
      for (const c of closers) c();
    },
    fail(message) {
      console.log("FAIL: " + message);
      h.closeAll();
      process.exit(1);
    },
    check(condition, message) {
      if (!condition) h.fail(message);
    },
    timeout(promise, what, ms = timeoutMs) {
      return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timed out: " + what)), ms))]);
    },
    // A connected socket (no reconnection unless `options` say so); token undefined sends no auth.
    connect(token, { url: at = url, ...options } = {}) {
      const s = h.track(io(at, { auth: token === undefined ? {} : { token }, reconnection: false, ...options }));
      return h.timeout(new Promise((resolve, reject) => {
        s.once("connect", () => resolve(s));
        s.once("connect_error", (e) => reject(e));
      }), "connect");
    },
    // The connect_error a refused token gets.
    connectError(token, { url: at = url, ...options } = {}) {
      const s = h.track(io(at, { auth: { token }, reconnection: false, ...options }));
      return h.timeout(new Promise((resolve, reject) => {
        s.once("connect", () => reject(new Error("connected with a token that should be refused")));
        s.once("connect_error", (e) => resolve(e));
      }), "connect_error");
    },
    request(s, event, payload) {
      return h.timeout(s.emitWithAck(event, payload), "ack of " + event);
    },
    // The next `event` on s whose first argument satisfies `accept`.
    next(s, event, accept = () => true, ms = timeoutMs) {
      return h.timeout(new Promise((resolve) => {
        const handler = (...args) => {
          if (accept(args[0])) {
            s.off(event, handler);
            resolve(args[0]);
          }
        };
        s.on(event, handler);
      }), event, ms);
    },
    refused(ack, code, what) {
      h.check(ack && ack.error && ack.error.code === code, `${what}: expected error ${code}, got ${JSON.stringify(ack)}`);
    },
    // Polls an async condition every 50 ms until it holds, for at most `ms`.
    async until(condition, what, ms = timeoutMs) {
      const deadline = Date.now() + ms;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error("timed out: " + what);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
  return h;
}
