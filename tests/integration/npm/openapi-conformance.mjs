// node openapi-conformance.mjs --vtpd VTPD --config vtpd.toml --plugin-dir DIR --exchanges DIR --out DIR
//
// The server against its own API description:
// 1. starts vtpd with the shipped config (every in-tree plugin) and saves GET /api/v1/openapi.json;
// 2. validates the document with @apidevtools/swagger-parser and lints it with `redocly lint`
//    (the recommended rules: servers, security schemes, licence...), which must report nothing;
// 3. checks every HTTP exchange the integration tests recorded in this ctest run (VtpdProcess,
//    tests/support) against the operation it reached: the status must be declared, the content
//    type must be one the response declares, and a JSON body must satisfy its schema (ajv, JSON
//    Schema 2020-12 as OpenAPI 3.1 uses). Exits 1 listing every mismatch.
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
// --document FILE checks against a saved document instead of starting vtpd (--run-dir DIR: the
// recordings of another ctest run): for trying the checks on an older server's description.
for (const need of args.document ? ['exchanges', 'out'] : ['vtpd', 'config', 'plugin-dir', 'exchanges', 'out'])
  if (!args[need]) {
    console.error('usage: node openapi-conformance.mjs --vtpd VTPD --config vtpd.toml --plugin-dir DIR --exchanges DIR --out DIR');
    process.exit(2);
  }
// Fewer checked exchanges than this means the recording broke, not that the server is right.
const minimumChecked = Number(args['min-checked'] ?? 200);

// ---------------------------------------------------------------- 1. the document
async function fetchDocument() {
  const work = mkdtempSync(path.join(tmpdir(), 'vtp-openapi-'));
  const ready = path.join(work, 'ready.json');
  const env = {
    ...process.env,
    VTP_HTTP__LISTEN: '127.0.0.1:0',
    VTP_WEBSOCKET__LISTEN: '127.0.0.1:0',
    VTP_STORAGE__DATA_DIR: path.join(work, 'data'),
    VTP_PLUGINS__DIR: args['plugin-dir'],
    // Tests run /metrics both public and admin-only; the admin-only description is the wider
    // one (it adds 401 and 403), so exchanges of either kind are checked against it.
    VTP_METRICS__REQUIRE_ADMIN: 'true',
  };
  let log = '';
  const child = spawn(args.vtpd, ['--config', args.config, '--ready-file', ready], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  try {
    // The ready file appears once vtpd listens; its exit ends the wait too.
    await new Promise((resolve, reject) => {
      const watcher = watch(work, () => {
        if (existsSync(ready)) done(resolve);
      });
      const timer = setTimeout(() => done(() => reject(new Error(`vtpd not ready after 60 s\n${log}`))), 60000);
      const done = (f) => {
        watcher.close();
        clearTimeout(timer);
        f();
      };
      exited.then((code) => done(() => reject(new Error(`vtpd exited (${code}) before it was ready\n${log}`))));
      if (existsSync(ready)) done(resolve);
    });
    let port;
    // The file may be seen before its content is complete.
    for (;;) {
      try {
        port = JSON.parse(readFileSync(ready, 'utf8')).http;
        break;
      } catch {
        await new Promise((r) => setImmediate(r));
      }
    }
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`);
    if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
    const text = await res.text();
    const plugins = JSON.parse(await (await fetch(`http://127.0.0.1:${port}/ready`)).text()).plugins;
    const notRunning = plugins.filter((p) => p.state !== 'running');
    if (notRunning.length) throw new Error(`plugins not running: ${JSON.stringify(notRunning)}`);
    return text;
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(work, { recursive: true, force: true });
  }
}

mkdirSync(args.out, { recursive: true });
const docPath = path.join(args.out, 'openapi.json');
const docText = args.document ? readFileSync(args.document, 'utf8') : await fetchDocument();
writeFileSync(docPath, docText);
let failed = false;

// ---------------------------------------------------------------- 2. validate and lint
try {
  await SwaggerParser.validate(JSON.parse(docText));
  console.log('swagger-parser: the document is valid OpenAPI');
} catch (e) {
  console.error(`swagger-parser: invalid OpenAPI document: ${e.message}`);
  failed = true;
}

const redocly = path.join(here, 'node_modules', '.bin', 'redocly');
const lint = spawnSync(redocly, ['lint', docPath, '--config', path.join(here, 'redocly.yaml'), '--format', 'json'], {
  encoding: 'utf8',
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
});
let lintReport;
try {
  lintReport = JSON.parse(lint.stdout);
} catch {
  lintReport = null;
}
// Warnings count too: the recommended rules are what the document is held to.
if (!lintReport || lintReport.totals.errors + lintReport.totals.warnings > 0) {
  console.error('redocly lint (recommended rules) reports problems:');
  for (const p of lintReport?.problems ?? [])
    console.error(`  ${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer ?? '?'}`);
  if (!lintReport) console.error(`${lint.stdout ?? ''}${lint.stderr ?? ''}${lint.error ?? ''}`);
  failed = true;
} else {
  console.log('redocly lint: no problems with the recommended rules');
}

// ---------------------------------------------------------------- 3. recorded exchanges
const api = await SwaggerParser.dereference(JSON.parse(docText));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const methods = ['get', 'put', 'post', 'delete', 'patch', 'options'];

// Templates split into segments; a static segment beats a parameter at the first difference,
// as the kernel's router decides.
const templates = Object.keys(api.paths).map((t) => ({ template: t, segments: t.split('/').filter(Boolean) }));
function matchTemplate(rawPath) {
  const segments = rawPath.split('/').filter(Boolean);
  let best = null;
  for (const t of templates) {
    if (t.segments.length !== segments.length) continue;
    if (!t.segments.every((s, i) => s.startsWith('{') || s === segments[i])) continue;
    if (!best) best = t;
    else
      for (let i = 0; i < segments.length; ++i) {
        const a = t.segments[i].startsWith('{'), b = best.segments[i].startsWith('{');
        if (a !== b) {
          if (!a) best = t;
          break;
        }
      }
  }
  return best?.template ?? null;
}

const validators = new Map();
function validatorFor(key, schema) {
  if (!validators.has(key)) validators.set(key, ajv.compile(schema));
  return validators.get(key);
}
const genericProblem = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' } },
};

const failures = new Map(); // a key per kind of mismatch -> examples
function fail(key, example) {
  if (!failures.has(key)) failures.set(key, []);
  failures.get(key).push(example);
}

// Only this ctest run's recordings (ctest is our parent, as it was the tests'); other runs'
// folders are removed once their ctest has gone.
const runDir = args['run-dir'] ?? path.join(args.exchanges, `run-${process.ppid}`);
if (existsSync(args.exchanges))
  for (const d of readdirSync(args.exchanges)) {
    const pid = Number(d.replace(/^run-/, ''));
    if (d !== path.basename(runDir) && !existsSync(`/proc/${pid}`)) rmSync(path.join(args.exchanges, d), { recursive: true, force: true });
  }
const exchanges = [];
if (existsSync(runDir))
  for (const f of readdirSync(runDir).filter((n) => n.endsWith('.jsonl')))
    for (const line of readFileSync(path.join(runDir, f), 'utf8').split('\n'))
      if (line) exchanges.push(JSON.parse(line));

const counts = { checked: 0, unrouted: 0, foreign: 0, skipped: 0 };
const reached = new Set();
for (const x of exchanges) {
  const method = x.method.toLowerCase();
  const rawPath = x.target.split('?')[0];
  const media = (x.content_type ?? '').split(';')[0].trim().toLowerCase();
  const isJson = media === 'application/json' || /^application\/[^/]+\+json$/.test(media);
  let body;
  if (isJson && x.body !== null && x.body_bytes > 0) {
    try {
      body = JSON.parse(x.body);
    } catch (e) {
      fail(`${x.method} ${rawPath}: ${x.status} body is not JSON though the content type says ${media}`, e.message);
      continue;
    }
  }
  // HEAD is the kernel's, for every GET route; a plain OPTIONS is checked against the path's options
  // operation where a plugin declared one (else it is the router's 405). CORS preflights, the
  // kernel's too, are sent raw by the tests (rawExchange) and never recorded here.
  if (!methods.includes(method)) {
    ++counts.skipped;
    continue;
  }
  const template = matchTemplate(rawPath);
  const op = template ? api.paths[template][method] : undefined;
  // What no route answers (the router's 404 "no route matches", 405, or a plugin that was not
  // enabled in that test) is a problem, but of no operation.
  const routerAnswer = body && (/^no route matches /.test(body.detail ?? '') || body.type === 'urn:vtp:problem:method-not-allowed');
  if (!op || routerAnswer) {
    if ([404, 405].includes(x.status) && media === 'application/problem+json') {
      const v = validatorFor('generic-problem', genericProblem);
      if (!v(body)) fail(`${x.method} ${rawPath}: ${x.status} is not a problem`, ajv.errorsText(v.errors));
      ++counts.unrouted;
    } else {
      ++counts.foreign; // a route of a test-only plugin (testkit, ABI fixtures)
    }
    continue;
  }
  ++counts.checked;
  const where = `${x.method} ${template}`;
  reached.add(`${where} ${x.status}`);
  // A query parameter the handler honoured (a 2xx) must be in the operation's parameters: the
  // document is how a client learns that ?state= or ?limit= exists.
  if (x.status >= 200 && x.status < 300) {
    const declaredQuery = new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
    const query = x.target.includes('?') ? x.target.slice(x.target.indexOf('?') + 1) : '';
    for (const name of new Set([...new URLSearchParams(query).keys()]))
      if (!declaredQuery.has(name)) fail(`${where}: query parameter '${name}' is not declared`, x.target);
  }
  const status = String(x.status);
  const response = op.responses[status] ?? op.responses[`${status[0]}XX`] ?? op.responses.default;
  if (!response) {
    const typeNote = body?.type ? ` (${body.type})` : '';
    fail(`${where}: status ${status}${typeNote} is not declared (declared: ${Object.keys(op.responses).join(', ')})`, x.target);
    continue;
  }
  const content = response.content ?? {};
  const declared = Object.keys(content);
  if (declared.length === 0) {
    if (x.body_bytes > 0) fail(`${where}: ${status} declares no body but got ${media || 'a body of no type'}`, `${x.target} (${x.body_bytes} bytes)`);
    continue;
  }
  const mediaKey = declared.find((d) => d === media) ?? declared.find((d) => d === '*/*' || (d.endsWith('/*') && media.startsWith(d.slice(0, -1))));
  if (!mediaKey) {
    fail(`${where}: ${status} answered ${media || 'no content type'}, declared ${declared.join(', ')}`, x.target);
    continue;
  }
  const schema = content[mediaKey].schema;
  if (!schema || !isJson || body === undefined) continue;
  const v = validatorFor(`${template} ${method} ${status} ${mediaKey}`, schema);
  if (!v(body)) {
    const errors = v.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.allowedValues ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`);
    const typeNote = body?.type ? ` (${body.type})` : '';
    fail(`${where}: ${status}${typeNote} body does not match its schema: ${[...new Set(errors)].join('; ')}`, `${x.target} ${x.body.slice(0, 300)}`);
  }
}

const operations = Object.values(api.paths).reduce((n, item) => n + methods.filter((m) => item[m]).length, 0);
const opsReached = new Set([...reached].map((k) => k.split(' ').slice(0, 2).join(' '))).size;
console.log(`${exchanges.length} recorded exchanges: ${counts.checked} checked against their operation, ${counts.unrouted} answered by no route, ` +
            `${counts.foreign} to test-only plugins, ${counts.skipped} HEAD; ${opsReached} of ${operations} operations reached`);
if (counts.checked < minimumChecked) {
  console.error(`only ${counts.checked} exchanges were checked (at least ${minimumChecked} expected): did the integration tests record into ${runDir}?`);
  failed = true;
}
for (const [key, examples] of failures) {
  console.error(`MISMATCH ${key}\n    e.g. ${examples[0]}${examples.length > 1 ? ` (and ${examples.length - 1} more)` : ''}`);
  failed = true;
}
process.exit(failed ? 1 : 0);
