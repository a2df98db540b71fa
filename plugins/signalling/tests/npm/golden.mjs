// The stock parsers' side of the cross-check (plugins/signalling/tests/NpmGoldenTest.cpp).
//   node golden.mjs encode cases.json  -> for each packet: the WebSocket frames and polling body
//                                          socket.io-parser + engine.io-parser produce
//   node golden.mjs decode input.json  -> decodes the C++ encodings of the same packets with the
//                                          stock parsers and says whether each matches its case
//   node golden.mjs reject cases.json  -> whether the stock decoder refuses each 'rejected' case
//   node golden.mjs accept cases.json  -> how the stock decoder reads each 'accepted' text
import { readFileSync } from "node:fs";
import { Encoder, Decoder } from "socket.io-parser";
import { encodePacket, encodePayload, decodePacket, decodePayload } from "engine.io-parser";

const [mode, file] = process.argv.slice(2);
const input = JSON.parse(readFileSync(file, "utf8"));

// {"$binary": base64} <-> Buffer, recursively.
function revive(v) {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object") {
    if (typeof v.$binary === "string" && Object.keys(v).length === 1) return Buffer.from(v.$binary, "base64");
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  }
  return v;
}
function flatten(v) {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v))
    return { $binary: Buffer.from(v.buffer ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v).toString("base64") };
  if (Array.isArray(v)) return v.map(flatten);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flatten(x)]));
  return v;
}
// The decoder reports BINARY_EVENT/BINARY_ACK as EVENT/ACK once reassembled.
function normalise(p) {
  const out = { type: p.type === 5 ? 2 : p.type === 6 ? 3 : p.type, nsp: p.nsp };
  if (p.id !== undefined) out.id = p.id;
  if (p.data !== undefined) out.data = flatten(p.data);
  return JSON.stringify(out);
}
const frame = (f) => (typeof f === "string" ? { text: f } : { binary: Buffer.from(f).toString("base64") });
const unframe = (f) => (f.text !== undefined ? f.text : Buffer.from(f.binary, "base64"));

function decodeAll(engineMessages) {
  const decoder = new Decoder();
  const packets = [];
  decoder.on("decoded", (p) => packets.push(p));
  for (const m of engineMessages) decoder.add(m);
  return packets;
}

if (mode === "encode") {
  const out = [];
  for (const c of input.packets) {
    const parts = new Encoder().encode(revive(c.packet));
    const ws = parts.map((data) => {
      let encoded;
      encodePacket({ type: "message", data }, true, (e) => (encoded = e));
      return frame(encoded);
    });
    let polling;
    encodePayload(parts.map((data) => ({ type: "message", data })), (p) => (polling = p));
    out.push({ name: c.name, ws, polling });
  }
  process.stdout.write(JSON.stringify(out));
} else if (mode === "decode") {
  const cases = Object.fromEntries(JSON.parse(readFileSync(new URL("./cases.json", import.meta.url), "utf8")).packets.map((c) => [c.name, c]));
  const out = [];
  for (const e of input) {
    const expected = normalise(revive(cases[e.name].packet));
    const result = { name: e.name, expected };
    try {
      const fromWs = decodeAll(e.ws.map((f) => decodePacket(unframe(f))).map((p) => p.data ?? ""));
      result.ws = fromWs.map(normalise);
      const fromPolling = decodeAll(decodePayload(e.polling).map((p) => {
        if (p.type !== "message") throw new Error("not a message packet: " + p.type);
        return p.data ?? "";
      }));
      result.polling = fromPolling.map(normalise);
      result.match = result.ws.length === 1 && result.ws[0] === expected && result.polling.length === 1 && result.polling[0] === expected;
    } catch (err) {
      result.error = String(err);
      result.match = false;
    }
    out.push(result);
  }
  process.stdout.write(JSON.stringify(out));
} else if (mode === "accept") {
  // Each 'accepted' text as the stock decoder reads it (type, nsp, id), or its error.
  const out = [];
  for (const c of input.accepted) {
    try {
      const [p] = decodeAll([c.text]);
      out.push({ name: c.name, type: p.type, nsp: p.nsp, id: p.id ?? null });
    } catch (err) {
      out.push({ name: c.name, error: String(err) });
    }
  }
  process.stdout.write(JSON.stringify(out));
} else if (mode === "reject") {
  const out = [];
  for (const c of input.rejected) {
    let rejected = false;
    try {
      decodeAll(c.frames.map(unframe));
    } catch {
      rejected = true;
    }
    out.push({ name: c.name, rejected });
  }
  process.stdout.write(JSON.stringify(out));
} else {
  process.stderr.write("usage: golden.mjs encode|decode|reject|accept FILE\n");
  process.exit(2);
}
