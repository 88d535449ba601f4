// Performs one HTTP request at a time for http.mjs, which waits on `flag` until it is done.
import { workerData } from 'node:worker_threads';

const flag = new Int32Array(workerData.shared);
const port = workerData.port;

port.on('message', async (req) => {
  const started = performance.now();
  let result;
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body === null ? undefined : req.body,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const body = await res.text();
    const headers = {};
    res.headers.forEach((v, k) => { headers[k] = v; });
    result = { status: res.status, body, headers, duration: performance.now() - started, error: '' };
  } catch (e) {
    result = { status: 0, body: null, headers: {}, duration: performance.now() - started, error: String(e) };
  }
  port.postMessage(result);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
