// What a run records: custom metrics and check results, shared by the shim modules.
export const metrics = new Map(); // name -> { type, values: [], byTag: Map }
export const checks = { passes: 0, fails: 0, failed: new Map() };

export function record(name, type, value, tags) {
  let m = metrics.get(name);
  if (!m) {
    m = { type, values: [], byTag: new Map() };
    metrics.set(name, m);
  }
  m.values.push(value);
  for (const [k, v] of Object.entries(tags || {})) {
    const key = `${k}:${v}`;
    m.byTag.set(key, (m.byTag.get(key) || 0) + (type === 'counter' ? value : 1));
  }
}
