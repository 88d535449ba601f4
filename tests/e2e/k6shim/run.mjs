// node --import ./register.mjs run.mjs SCRIPT [--iterations N] [--describe]
// Runs a k6 script's setup(), every scenario's function N times (default 3), and teardown();
// prints one JSON line with the options, custom metrics and thresholds; exit 1 on any failure.
// --describe only imports the script and prints its options (nothing is requested).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checks, metrics } from './state.mjs';

const args = process.argv.slice(2);
const script = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
const iterations = Number(args[args.indexOf('--iterations') + 1]) || 3;
const describeOnly = args.includes('--describe');
if (!script) {
  console.error('usage: run.mjs SCRIPT [--iterations N] [--describe]');
  process.exit(2);
}

let iter = 0;
globalThis.__ENV = Object.assign({}, process.env);
globalThis.__VU = 1;
Object.defineProperty(globalThis, '__ITER', { get: () => iter });

const mod = await import(pathToFileURL(path.resolve(script)).href);
const options = mod.options || {};
if (describeOnly) {
  console.log(JSON.stringify({ options, exports: Object.keys(mod) }));
  process.exit(0);
}

const errors = [];
function stage(name, fn) {
  try {
    return fn();
  } catch (e) {
    errors.push(`${name}: ${e.message}`);
    return undefined;
  }
}

const data = typeof mod.setup === 'function' ? stage('setup', () => mod.setup()) : undefined;
if (errors.length === 0) {
  const scenarios = Object.entries(options.scenarios || { default: {} });
  for (const [name, sc] of scenarios) {
    const fnName = sc.exec || 'default';
    const fn = mod[fnName];
    if (typeof fn !== 'function') {
      errors.push(`scenario ${name}: no exported function ${fnName}`);
      continue;
    }
    for (iter = 0; iter < iterations; iter++) stage(`scenario ${name} iteration ${iter}`, () => fn(data));
  }
  if (typeof mod.teardown === 'function') stage('teardown', () => mod.teardown(data));
}

// count and rate thresholds on custom counters/rates and on checks; others (latency) are skipped.
function evaluate(metricName, expr) {
  const m = /^(count|rate)\s*(<=|>=|==|<|>|!=)\s*([0-9.]+)$/.exec(expr.trim());
  if (!m) return { expr, skipped: true };
  const [, agg, op, rhs] = m;
  const rec = metrics.get(metricName);
  const values = rec ? rec.values : [];
  const value = agg === 'count'
    ? values.reduce((a, b) => a + b, 0)
    : (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  const limit = Number(rhs);
  const ok = { '<': value < limit, '<=': value <= limit, '>': value > limit, '>=': value >= limit,
               '==': value === limit, '!=': value !== limit }[op];
  return { expr, value, ok };
}

const thresholds = {};
for (const [name, exprs] of Object.entries(options.thresholds || {})) {
  if (name.includes('{') || name.startsWith('http_req')) continue;  // built-in k6 timing metrics
  thresholds[name] = exprs.map((e) => evaluate(name, typeof e === 'string' ? e : e.threshold));
  for (const r of thresholds[name]) {
    if (r.ok === false) errors.push(`threshold ${name} ${r.expr} failed (value ${r.value})`);
  }
}
if (checks.fails > 0) errors.push(`failed checks: ${JSON.stringify(Object.fromEntries(checks.failed))}`);

const summary = {};
for (const [name, m] of metrics) {
  summary[name] = {
    type: m.type,
    count: m.values.length,
    sum: m.values.reduce((a, b) => a + b, 0),
    tags: Object.fromEntries(m.byTag),
  };
}
console.log(JSON.stringify({ options, metrics: summary, thresholds, checks: { passes: checks.passes, fails: checks.fails }, errors }));
for (const e of errors) console.error(`FAILED ${e}`);
process.exit(errors.length === 0 ? 0 : 1);
