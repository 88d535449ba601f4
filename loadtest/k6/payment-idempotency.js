// One Idempotency-Key, many concurrent requests, exactly one effect:
//   scenario same_order:  CONCURRENCY virtual users send the same POST /orders with the same key
//                         at once -> one order, one saga, one payment;
//   scenario same_charge: the same for POST /users/{id}/balance/charge -> one credit.
// teardown() checks the user's balance moved by exactly one charge minus exactly one payment.
//   k6 run payment-idempotency.js
//   K6_SCRIPT=payment-idempotency.js docker compose --profile loadtest run --rm k6
// Env: USER_ID (77), PRODUCT_ID (2), CONCURRENCY (50), the *_URL and ADMIN_TOKEN.
import { Counter } from 'k6/metrics';
import { fail } from 'k6';
import {
  charge, envInt, getBalance, getPayment, placeOrder, prepare, uniqueKey, waitForFinal,
} from './lib/api.js';

const USER_ID = envInt('USER_ID', 77);
const PRODUCT_ID = envInt('PRODUCT_ID', 2);
const CONCURRENCY = envInt('CONCURRENCY', 50);
const QUANTITY = 2;
const CHARGE = 12345;

export const options = {
  scenarios: {
    same_order: { executor: 'per-vu-iterations', vus: CONCURRENCY, iterations: 1, exec: 'sameOrder' },
    same_charge: { executor: 'per-vu-iterations', vus: CONCURRENCY, iterations: 1, exec: 'sameCharge' },
  },
  thresholds: {
    orders_created: ['count==1'],
    charges_applied: ['count==1'],
    idempotency_failures: ['count<1'],
    checks: ['rate==1'],
  },
};

const ordersCreated = new Counter('orders_created');
const chargesApplied = new Counter('charges_applied');
const failures = new Counter('idempotency_failures');

export function setup() {
  const prepared = prepare({ productIds: [PRODUCT_ID], userIds: [USER_ID], orders: 1, quantity: QUANTITY });
  return {
    orderKey: uniqueKey('k6-idem-order'),
    chargeKey: uniqueKey('k6-idem-charge'),
    price: prepared.products[PRODUCT_ID].price,
    balance: prepared.balances[USER_ID],
  };
}

export function sameOrder(data) {
  const r = placeOrder(USER_ID, [{ productId: PRODUCT_ID, quantity: QUANTITY }], data.orderKey);
  if (r.accepted && !r.replayed) ordersCreated.add(1);
}

export function sameCharge(data) {
  const r = charge(USER_ID, CHARGE, data.chargeKey);
  if (r.body === null) failures.add(1, { step: 'charge' });
  else if (!r.replayed) chargesApplied.add(1);
}

export function teardown(data) {
  // The same key once more: the one order that exists.
  const again = placeOrder(USER_ID, [{ productId: PRODUCT_ID, quantity: QUANTITY }], data.orderKey);
  if (!again.accepted || !again.replayed) fail(`replaying the key did not return the existing order: ${again.res.status}`);
  const saga = waitForFinal(again.orderId, 30000, 50);
  if (saga === null || saga.status !== 'COMPLETED') fail(`order ${again.orderId} did not complete: ${JSON.stringify(saga)}`);
  const payment = getPayment(again.orderId);
  const cost = data.price * QUANTITY;
  const problems = [];
  if (payment === null || payment.amount !== cost) problems.push(`payment ${JSON.stringify(payment)} != ${cost}`);
  const expected = data.balance + CHARGE - cost;
  const balance = getBalance(USER_ID);
  if (balance !== expected) problems.push(`balance ${balance} != ${data.balance} + ${CHARGE} - ${cost}`);
  failures.add(problems.length);
  if (problems.length > 0) fail(`idempotency broken: ${problems.join('; ')}`);
}
