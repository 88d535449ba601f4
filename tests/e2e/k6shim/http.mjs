// k6/http's blocking calls, made with fetch in a worker thread while this thread waits.
import { appendFileSync } from 'node:fs';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';

// K6SHIM_TRACE=FILE: one JSON line per exchange, for tests that check shapes against proto-json.
const trace = process.env.K6SHIM_TRACE || '';

const shared = new SharedArrayBuffer(4);
const flag = new Int32Array(shared);
const { port1, port2 } = new MessageChannel();
const worker = new Worker(new URL('./fetch-worker.mjs', import.meta.url), {
  workerData: { shared, port: port2 },
  transferList: [port2],
});
worker.unref();
port1.unref();

const TIMEOUT_MS = 60000;

// k6 shows header names in canonical form: content-type -> Content-Type.
function canonical(name) {
  return name.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('-');
}

function request(method, url, body, params) {
  const p = params || {};
  const headers = Object.assign({}, p.headers || {});
  Atomics.store(flag, 0, 0);
  port1.postMessage({ method, url, body: body === undefined || body === null ? null : String(body), headers, timeoutMs: TIMEOUT_MS });
  if (Atomics.wait(flag, 0, 0, TIMEOUT_MS + 5000) === 'timed-out') throw new Error(`${method} ${url}: no answer`);
  const got = receiveMessageOnPort(port1);
  if (!got) throw new Error(`${method} ${url}: worker sent nothing`);
  const r = got.message;
  if (trace) {
    appendFileSync(trace, JSON.stringify({ method, url, requestBody: body === undefined ? null : body,
                                           status: r.status, responseBody: r.body }) + '\n');
  }
  const resHeaders = {};
  for (const [k, v] of Object.entries(r.headers)) resHeaders[canonical(k)] = v;
  return {
    status: r.status,
    body: r.body,
    headers: resHeaders,
    error: r.error,
    timings: { duration: r.duration },
    request: { method, url, body, headers },
    json() {
      if (r.body === null) throw new Error('no body');
      return JSON.parse(r.body);
    },
  };
}

export function get(url, params) { return request('GET', url, null, params); }
export function post(url, body, params) { return request('POST', url, body, params); }
export function put(url, body, params) { return request('PUT', url, body, params); }
export function del(url, body, params) { return request('DELETE', url, body, params); }

export default { get, post, put, del, request };
