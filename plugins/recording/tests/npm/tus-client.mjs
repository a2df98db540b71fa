// Drives the recording plugin's tus server with the stock tus-js-client, as a browser or a
// capture tool would. Usage: node tus-client.mjs '<json>' with
//   {scenario, endpoint, token, file, chunkSize, abortAfter}
// scenario: upload (creation-with-upload, then PATCHes), resume (aborted mid-PATCH, resumed by a
// new Upload from its URL), deferred (a stream of unknown length: Upload-Defer-Length), terminate
// (aborted with termination). Prints one JSON object: {url, ...} or {error}.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';

const args = JSON.parse(process.argv[2]);
const headers = { Authorization: `Bearer ${args.token}` };
const base = { headers, chunkSize: args.chunkSize, retryDelays: null };

function run(input, options) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(input, { ...base, ...options, onSuccess: () => resolve(upload), onError: reject });
    upload.start();
  });
}

async function main() {
  const data = readFileSync(args.file);
  switch (args.scenario) {
    case 'upload': {
      const u = await run(data, {
        endpoint: args.endpoint,
        uploadDataDuringCreation: true,
        metadata: { filename: 'lecture.webm', filetype: 'video/webm', source: 'screen' },
      });
      return { url: u.url };
    }
    case 'resume': {
      // Aborted while a PATCH body is under way, once abortAfter bytes have been sent.
      const url = await new Promise((resolve, reject) => {
        let aborted = false;
        const first = new tus.Upload(data, {
          ...base,
          endpoint: args.endpoint,
          metadata: { source: 'camera' },
          onProgress: (sent) => {
            if (aborted || sent < args.abortAfter) return;
            aborted = true;
            first.abort().then(() => resolve(first.url), reject);
          },
          onSuccess: () => reject(new Error('the upload finished before it could be aborted')),
          onError: reject,
        });
        first.start();
      });
      // A new Upload from the URL asks HEAD where to go on; the server may still be closing the
      // aborted PATCH (423, or 409 if its bytes landed after the HEAD): retried, as clients are.
      let resumedFrom = null;
      await run(data, {
        uploadUrl: url,
        retryDelays: [50, 100, 200, 400, 800, 1600, 3200],
        onBeforeRequest: (req) => {
          if (req.getMethod() === 'PATCH' && resumedFrom === null) resumedFrom = Number(req.getHeader('Upload-Offset'));
        },
      });
      return { url, resumedFrom };
    }
    case 'deferred': {
      // A live capture: pieces arrive over time (as MediaRecorder's dataavailable events do),
      // and nobody knows the length until the stream ends.
      async function* capture() {
        for (let at = 0; at < data.length; at += 100 * 1000) {
          yield data.subarray(at, at + 100 * 1000);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      let lengthSentAt = null;
      const u = await run(Readable.from(capture(), { objectMode: false }), {
        endpoint: args.endpoint,
        uploadLengthDeferred: true,
        metadata: { source: 'camera', filetype: 'video/webm' },
        onBeforeRequest: (req) => {
          if (req.getMethod() === 'PATCH' && req.getHeader('Upload-Length') !== undefined) lengthSentAt = Number(req.getHeader('Upload-Offset'));
        },
      });
      return { url: u.url, lengthSentAt };
    }
    case 'terminate': {
      const url = await new Promise((resolve, reject) => {
        const u = new tus.Upload(data, {
          ...base,
          endpoint: args.endpoint,
          onChunkComplete: () => u.abort(true).then(() => resolve(u.url), reject),
          onSuccess: () => reject(new Error('the upload finished before it could be terminated')),
          onError: reject,
        });
        u.start();
      });
      return { url };
    }
    default:
      throw new Error(`unknown scenario ${args.scenario}`);
  }
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (err) => {
    console.log(JSON.stringify({ error: String(err && err.message ? err.message : err) }));
    process.exitCode = 1;
  },
);
