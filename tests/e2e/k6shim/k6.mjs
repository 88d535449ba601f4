import { checks, record } from './state.mjs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function check(value, sets, tags) {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    let ok = false;
    try {
      ok = Boolean(typeof fn === 'function' ? fn(value) : fn);
    } catch (e) {
      ok = false;
    }
    record('checks', 'rate', ok ? 1 : 0, tags);
    if (ok) checks.passes++;
    else {
      checks.fails++;
      checks.failed.set(name, (checks.failed.get(name) || 0) + 1);
      all = false;
    }
  }
  return all;
}

export function fail(message) {
  throw new Error(message);
}

export function sleep(seconds) {
  Atomics.wait(sleeper, 0, 0, Math.max(0, seconds * 1000));
}

export default { check, fail, sleep };
