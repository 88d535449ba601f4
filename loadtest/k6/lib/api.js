// The outbox-saga HTTP API as the k6 scripts use it: one place for every request and for the
// shape of every response they read. tests/e2e runs the scripts through this file against the
// local stack, so a change to the API that breaks them fails tests/run.
import http from 'k6/http';
import { check, fail, sleep } from 'k6';

export const urls = {
  order: __ENV.ORDER_URL || 'http://localhost:8080',
  product: __ENV.PRODUCT_URL || 'http://localhost:8081',
  payment: __ENV.PAYMENT_URL || 'http://localhost:8082',
  completion: __ENV.COMPLETION_URL || 'http://localhost:8083',
};
const adminToken = __ENV.ADMIN_TOKEN || '';
const JSON_HEADERS = { 'Content-Type': 'application/json' };

// Comma-separated ids and ranges from an env var: "1-10" or "3,5,9-12".
export function idList(name, fallback) {
  const ids = [];
  for (const part of String(__ENV[name] || fallback).split(',')) {
    const [a, b] = part.trim().split('-').map(Number);
    if (!Number.isInteger(a) || a <= 0 || (b !== undefined && (!Number.isInteger(b) || b < a))) {
      fail(`${name}: '${part}' is not an id or a range like 1-10`);
    }
    for (let i = a; i <= (b === undefined ? a : b); i++) ids.push(i);
  }
  return ids;
}

export function envInt(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) fail(`${name}='${raw}' is not a non-negative integer`);
  return v;
}

export function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

export function uniqueKey(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${__VU}-${__ITER}-${Math.random().toString(36).slice(2, 10)}`;
}

function bodyOf(res) {
  try {
    return res.json();
  } catch (e) {
    return null;
  }
}

// POST /orders. Returns { res, accepted, orderId, replayed }; accepted means 202 with an orderId.
export function placeOrder(userId, items, key, tags, couponId) {
  const headers = Object.assign({}, JSON_HEADERS);
  if (key) headers['Idempotency-Key'] = key;
  const res = http.post(`${urls.order}/orders`, JSON.stringify({ userId, items, couponId: couponId || null }), {
    headers,
    tags: Object.assign({ name: 'POST /orders' }, tags || {}),
  });
  const body = res.status === 202 ? bodyOf(res) : null;
  const accepted = check(res, {
    'POST /orders is 202 with orderId and PENDING': () =>
      body !== null && typeof body.orderId === 'string' && body.status === 'PENDING' &&
      body.sagaUrl === `/sagas/${body.orderId}`,
  });
  return {
    res,
    accepted,
    orderId: accepted ? body.orderId : null,
    replayed: res.headers['Idempotent-Replayed'] === 'true',
  };
}

// GET /sagas/{orderId}: the saga, or null while completion has not seen its first event (404).
export function getSaga(orderId) {
  const res = http.get(`${urls.completion}/sagas/${orderId}`, { tags: { name: 'GET /sagas/{id}' } });
  if (res.status === 404) return null;
  const body = bodyOf(res);
  if (res.status !== 200 || body === null || typeof body.status !== 'string' || !Array.isArray(body.steps)) {
    fail(`GET /sagas/${orderId}: unexpected ${res.status} ${res.body}`);
  }
  return body;
}

// Polls the saga until COMPLETED or CANCELLED. Returns the final saga, or null on timeout.
export function waitForFinal(orderId, timeoutMs, pollMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const saga = getSaga(orderId);
    if (saga !== null && saga.status !== 'PENDING') return saga;
    sleep((pollMs || 20) / 1000);
  }
  return null;
}

export function getProduct(productId) {
  const res = http.get(`${urls.product}/products/${productId}`, { tags: { name: 'GET /products/{id}' } });
  const body = bodyOf(res);
  if (res.status !== 200 || body === null || body.id !== productId || !Number.isInteger(body.stock) ||
      !Number.isInteger(body.price)) {
    fail(`GET /products/${productId}: unexpected ${res.status} ${res.body}`);
  }
  return body;
}

// PUT /products/{id}/stock (needs ADMIN_TOKEN). Returns the product as stored.
export function setStock(productId, stock) {
  if (!adminToken) fail('ADMIN_TOKEN must be set to refill stock (the token product-stock was started with)');
  const res = http.put(`${urls.product}/products/${productId}/stock`, JSON.stringify({ stock }), {
    headers: Object.assign({ 'X-Admin-Token': adminToken }, JSON_HEADERS),
    tags: { name: 'PUT /products/{id}/stock' },
  });
  const body = bodyOf(res);
  if (res.status !== 200 || body === null || body.stock !== stock) {
    fail(`PUT /products/${productId}/stock: unexpected ${res.status} ${res.body}`);
  }
  return body;
}

// GET /users/{id}/balance: the balance, or 0 for a user without an account yet (404).
export function getBalance(userId) {
  const res = http.get(`${urls.payment}/users/${userId}/balance`, { tags: { name: 'GET /users/{id}/balance' } });
  if (res.status === 404) return 0;
  const body = bodyOf(res);
  if (res.status !== 200 || body === null || body.userId !== userId || !Number.isInteger(body.balance)) {
    fail(`GET /users/${userId}/balance: unexpected ${res.status} ${res.body}`);
  }
  return body.balance;
}

// POST /users/{id}/balance/charge. Returns { res, body, replayed } (body null unless 200).
export function charge(userId, amount, key) {
  const headers = Object.assign({}, JSON_HEADERS);
  if (key) headers['Idempotency-Key'] = key;
  const res = http.post(`${urls.payment}/users/${userId}/balance/charge`, JSON.stringify({ amount }), {
    headers,
    tags: { name: 'POST /users/{id}/balance/charge' },
  });
  const body = res.status === 200 ? bodyOf(res) : null;
  const ok = body !== null && body.userId === userId && body.chargedAmount === amount &&
             body.currentBalance === body.previousBalance + amount;
  return { res, body: ok ? body : null, replayed: res.headers['Idempotent-Replayed'] === 'true' };
}

// GET /payments/{orderId}: the payment, or null if there is none (404).
export function getPayment(orderId) {
  const res = http.get(`${urls.payment}/payments/${orderId}`, { tags: { name: 'GET /payments/{id}' } });
  if (res.status === 404) return null;
  const body = bodyOf(res);
  if (res.status !== 200 || body === null || body.orderId !== orderId || !Number.isInteger(body.amount)) {
    fail(`GET /payments/${orderId}: unexpected ${res.status} ${res.body}`);
  }
  return body;
}

// GET /sagas/stats: { counts: {PENDING, COMPLETED, CANCELLED}, cancelledBy: {reason: n}, ... }.
export function sagaStats() {
  const res = http.get(`${urls.completion}/sagas/stats`, { tags: { name: 'GET /sagas/stats' } });
  const body = bodyOf(res);
  if (res.status !== 200 || body === null || !body.counts || !body.cancelledBy ||
      !Number.isInteger(body.counts.PENDING)) {
    fail(`GET /sagas/stats: unexpected ${res.status} ${res.body}`);
  }
  return body;
}

// PUT /coupons/{couponId} (needs ADMIN_TOKEN): creates the campaign. Returns it as stored.
export function putCampaign(couponId, terms) {
  if (!adminToken) fail('ADMIN_TOKEN must be set to create a coupon campaign (the token payment was started with)');
  const res = http.put(`${urls.payment}/coupons/${couponId}`, JSON.stringify(terms), {
    headers: Object.assign({ 'X-Admin-Token': adminToken }, JSON_HEADERS),
    tags: { name: 'PUT /coupons/{id}' },
  });
  const body = bodyOf(res);
  if ((res.status !== 201 && res.status !== 200) || body === null || body.couponId !== couponId) {
    fail(`PUT /coupons/${couponId}: unexpected ${res.status} ${res.body}`);
  }
  return body;
}

// GET /coupons/{couponId}: the campaign with issued and remaining.
export function getCampaign(couponId) {
  const res = http.get(`${urls.payment}/coupons/${couponId}`, { tags: { name: 'GET /coupons/{id}' } });
  const body = bodyOf(res);
  if (res.status !== 200 || body === null || !Number.isInteger(body.issued)) {
    fail(`GET /coupons/${couponId}: unexpected ${res.status} ${res.body}`);
  }
  return body;
}

// The refusals of a first-come issue: answers, not errors.
export const COUPON_REFUSALS = ['COUPON_SOLD_OUT', 'COUPON_ALREADY_ISSUED', 'COUPON_NOT_ACTIVE', 'COUPON_NOT_FOUND'];

// POST /coupons/{couponId}/issue. Returns { res, issued, refusal }: issued on 201; refusal is the
// error code of a 409/404 (COUPON_REFUSALS); neither means an error.
export function issueCoupon(couponId, userId) {
  const res = http.post(`${urls.payment}/coupons/${couponId}/issue`, JSON.stringify({ userId }), {
    headers: JSON_HEADERS,
    tags: { name: 'POST /coupons/{id}/issue' },
  });
  const body = bodyOf(res);
  const issued = res.status === 201 && body !== null && body.couponId === couponId && body.userId === userId &&
                 Number.isInteger(body.remaining);
  const code = body !== null && body.error ? body.error.code : null;
  const refusal = (res.status === 409 || res.status === 404) && COUPON_REFUSALS.includes(code) ? code : null;
  return { res, issued, refusal };
}

// GET /users/{userId}/coupons: the user's coupons, each with usedByOrderId.
export function getUserCoupons(userId) {
  const res = http.get(`${urls.payment}/users/${userId}/coupons`, { tags: { name: 'GET /users/{id}/coupons' } });
  const body = bodyOf(res);
  if (res.status !== 200 || body === null || !Array.isArray(body.coupons)) {
    fail(`GET /users/${userId}/coupons: unexpected ${res.status} ${res.body}`);
  }
  return body.coupons;
}

// GET /users/{userId}/balance answered 200: the user has an account (a charge made it).
export function hasAccount(userId) {
  return http.get(`${urls.payment}/users/${userId}/balance`, { tags: { name: 'GET /users/{id}/balance' } }).status === 200;
}

// GET /products/top?days&limit: the best sellers' product ids, best first.
export function topProducts(days, limit) {
  const res = http.get(`${urls.product}/products/top?days=${days}&limit=${limit}`, { tags: { name: 'GET /products/top' } });
  const body = bodyOf(res);
  if (res.status !== 200 || body === null || !Array.isArray(body.items)) {
    fail(`GET /products/top: unexpected ${res.status} ${res.body}`);
  }
  return body.items.map((i) => i.productId);
}

// The user of this iteration: the (VU, iteration)-th of `users`, so that per-vu-iterations with one
// iteration per VU gives each VU its own user (and the node shim's iterations each one too).
export function userOfIteration(users) {
  const i = (__VU - 1) + __ITER;
  if (i >= users.length) fail(`iteration ${i} has no user: give more USER_IDS`);
  return users[i];
}

// Makes sure `orders` more orders of `quantity` units each, spread over `productIds` and
// `userIds`, can never fail for want of stock or balance: sets each product's stock to what its
// share needs (plus `margin`) and charges each user up to what their share costs. Checks the
// result through the API and fails setup() if it is not there. Returns { products, balances }.
export function prepare({ productIds, userIds, orders, quantity, margin }) {
  const m = margin === undefined ? 1.5 : margin;
  const perProduct = Math.ceil((orders * quantity * m) / productIds.length) + quantity;
  const products = {};
  let maxPrice = 0;
  for (const id of productIds) {
    products[id] = setStock(id, perProduct);
    maxPrice = Math.max(maxPrice, products[id].price);
  }
  const perUser = Math.ceil((orders * quantity * maxPrice * m) / userIds.length) + quantity * maxPrice;
  const balances = {};
  for (const id of userIds) {
    const have = getBalance(id);
    if (have < perUser) {
      const r = charge(id, perUser - have, uniqueKey(`k6-setup-${id}`));
      if (r.body === null) fail(`charging user ${id}: ${r.res.status} ${r.res.body}`);
    }
    balances[id] = getBalance(id);
    if (balances[id] < perUser) fail(`user ${id} has ${balances[id]}, needs ${perUser}`);
  }
  for (const id of productIds) {
    const p = getProduct(id);
    if (p.stock !== perProduct) fail(`product ${id} has stock ${p.stock}, expected ${perProduct}`);
  }
  return { products, balances };
}

// Total arrivals of a ramping/constant-arrival-rate scenario: the area under its rate curve.
export function plannedIterations(scenario) {
  const seconds = (d) => {
    const m = /^(\d+)(ms|s|m|h)$/.exec(String(d));
    if (!m) fail(`cannot read duration '${d}'`);
    return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
  };
  const unit = seconds(scenario.timeUnit || '1s');
  if (scenario.executor === 'constant-arrival-rate') {
    return Math.ceil((scenario.rate / unit) * seconds(scenario.duration));
  }
  let rate = scenario.startRate || 0;
  let total = 0;
  for (const s of scenario.stages) {
    total += ((rate + s.target) / 2 / unit) * seconds(s.duration);
    rate = s.target;
  }
  return Math.ceil(total);
}

// Waits until no saga is PENDING beyond `baselinePending` (the count before the run) and the
// counts stop moving. Returns the last stats, or fails after `timeoutMs`.
export function waitForSagasToSettle(baselinePending, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let previous = null;
  while (Date.now() < deadline) {
    const stats = sagaStats();
    const settled = stats.counts.PENDING <= baselinePending;
    if (settled && previous !== null && previous.total === stats.total &&
        previous.counts.COMPLETED === stats.counts.COMPLETED) {
      return stats;
    }
    previous = settled ? stats : null;
    sleep(0.5);
  }
  fail(`sagas still PENDING after ${timeoutMs} ms: ${JSON.stringify(sagaStats().counts)}`);
  return null;
}
