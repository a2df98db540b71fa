// node parse-metrics.mjs EXPOSITION.txt OUT.json
// Checks a Prometheus text exposition (format 0.0.4) line by line, parses it with
// parse-prometheus-text-format, and writes {"families": <that parser's output>, "samples":
// [{name, labels, value}]} to OUT.json. The npm parser is lenient (it accepts malformed lines)
// and folds labelled histograms into one series, so every sample line is also checked and read
// here, and both readings of each counter and gauge must agree. Any violation exits 1.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node parse-metrics.mjs EXPOSITION.txt OUT.json');
  process.exit(2);
}
const text = readFileSync(input, 'utf8');

const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const labelName = '[a-zA-Z_][a-zA-Z0-9_]*';
const labelValue = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const label = `${labelName}=${labelValue}`;
const value = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?Inf|NaN)';
const sampleLine = new RegExp(`^(${name})(\\{(?:${label}(?:,${label})*,?)?\\})? (${value})(?: -?\\d+)?$`);
const helpLine = new RegExp(`^# HELP (${name}) (?:[^\\\\\\n]|\\\\[\\\\n])*$`);
const typeLine = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`);

const labelPair = new RegExp(`(${labelName})=(${labelValue})`, 'g');
const unescape = (quoted) => quoted.slice(1, -1).replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));

const problems = [];
const samples = [];
const typed = new Map();   // family name -> type
const finished = new Set(); // families whose samples have ended
let current = null;         // family of the samples being read

function familyOf(sample) {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = sample.endsWith(suffix) ? sample.slice(0, -suffix.length) : null;
    if (base && (typed.get(base) === 'histogram' || typed.get(base) === 'summary')) return base;
  }
  return sample;
}

if (text.length > 0 && !text.endsWith('\n')) problems.push('the exposition does not end with a newline');
text.split('\n').forEach((line, i) => {
  const where = `line ${i + 1}: ${line}`;
  if (line === '') return;
  if (line.startsWith('#')) {
    const help = line.match(/^# HELP /) ? helpLine.exec(line) : null;
    const type = line.match(/^# TYPE /) ? typeLine.exec(line) : null;
    if (line.startsWith('# HELP ') && !help) problems.push(`malformed HELP, ${where}`);
    if (line.startsWith('# TYPE ')) {
      if (!type) problems.push(`malformed TYPE, ${where}`);
      else if (typed.has(type[1])) problems.push(`second TYPE for ${type[1]}, ${where}`);
      else typed.set(type[1], type[2]);
    }
    const family = (help ?? type)?.[1];
    if (family && finished.has(family)) problems.push(`${family} described after its samples, ${where}`);
    return;
  }
  const m = sampleLine.exec(line);
  if (!m) {
    problems.push(`malformed sample, ${where}`);
    return;
  }
  const labels = {};
  for (const [, k, v] of (m[2] ?? '').matchAll(labelPair)) {
    if (k in labels) problems.push(`label ${k} twice, ${where}`);
    labels[k] = unescape(v);
  }
  samples.push({ name: m[1], labels, value: m[3] });
  const family = familyOf(m[1]);
  if (family !== current) {
    if (finished.has(family)) problems.push(`samples of ${family} are not together, ${where}`);
    if (current) finished.add(current);
    current = family;
  }
  if (typed.get(family) === 'histogram' && m[1].endsWith('_bucket') && !/[{,]le="/.test(m[2] ?? ''))
    problems.push(`histogram bucket without le, ${where}`);
});

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
const families = parsePrometheusTextFormat(text);
const sameLabels = (a = {}, b = {}) => Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);
for (const f of families) {
  if (f.type !== 'COUNTER' && f.type !== 'GAUGE') continue;
  for (const m of f.metrics) {
    const mine = samples.find((s) => s.name === f.name && sameLabels(s.labels, m.labels));
    if (!mine || Number(mine.value) !== Number(m.value))
      problems.push(`the two readings of ${f.name} ${JSON.stringify(m.labels ?? {})} differ`);
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
writeFileSync(output, JSON.stringify({ families, samples }));
