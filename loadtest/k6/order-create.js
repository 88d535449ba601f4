// Order intake at 1000 orders/s: constant arrival rate (open loop), so a slow server shows up as
// latency and dropped iterations, not as a lower request rate.
//   k6 run order-create.js                         (local stack on localhost, ADMIN_TOKEN set)
//   K6_SCRIPT=order-create.js docker compose --profile loadtest run --rm k6
// Env: PEAK_RATE (1000), PRODUCT_IDS (1-10), USER_IDS (1-100), the *_URL and ADMIN_TOKEN.
import { Counter } from 'k6/metrics';
import {
  envInt, idList, pick, placeOrder, plannedIterations, prepare, sagaStats, waitForSagasToSettle,
} from './lib/api.js';

const PEAK = envInt('PEAK_RATE', 1000);
const productIds = idList('PRODUCT_IDS', '1-10');
const userIds = idList('USER_IDS', '1-100');

export const options = {
  // Three scenarios, one after the other: ramp up (30s to half the peak, 1m to the peak), hold
  // the peak for 3m at a constant arrival rate, ramp down over 30s.
  scenarios: {
    ramp_up: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: 100,
      maxVUs: 1000,
      stages: [
        { duration: '30s', target: Math.round(PEAK / 2) },
        { duration: '1m', target: PEAK },
      ],
    },
    hold: {
      executor: 'constant-arrival-rate',
      startTime: '1m30s',
      rate: PEAK,
      timeUnit: '1s',
      duration: '3m',
      preAllocatedVUs: 200,
      maxVUs: 1000,
    },
    ramp_down: {
      executor: 'ramping-arrival-rate',
      startTime: '4m30s',
      startRate: PEAK,
      timeUnit: '1s',
      preAllocatedVUs: 100,
      maxVUs: 1000,
      stages: [{ duration: '30s', target: 0 }],
    },
  },
  setupTimeout: '120s',
  teardownTimeout: '300s',
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{name:POST /orders}': ['p(95)<200'],
    order_errors: ['count<1'],
    checks: ['rate>0.99'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

const accepted = new Counter('orders_accepted');
const errors = new Counter('order_errors');
const rejections = new Counter('business_rejections');

export function setup() {
  const orders = Object.values(options.scenarios).reduce((n, s) => n + plannedIterations(s), 0);
  prepare({ productIds, userIds, orders, quantity: 1 });
  return { orders, before: sagaStats() };
}

export default function () {
  const r = placeOrder(pick(userIds), [{ productId: pick(productIds), quantity: 1 }]);
  if (r.accepted) accepted.add(1);
  else errors.add(1, { status: String(r.res.status) });
}

// Business outcomes arrive after the 202: once every saga is final, count the rejections
// (OUT_OF_STOCK, INSUFFICIENT_BALANCE) this run caused, apart from errors.
export function teardown(data) {
  const after = waitForSagasToSettle(data.before.counts.PENDING, 240000);
  for (const [reason, n] of Object.entries(after.cancelledBy)) {
    const delta = n - (data.before.cancelledBy[reason] || 0);
    if (delta > 0) rejections.add(delta, { reason });
  }
  console.log(`sagas: ${after.counts.COMPLETED - data.before.counts.COMPLETED} completed, ` +
              `${after.counts.CANCELLED - data.before.counts.CANCELLED} cancelled ` +
              `(${JSON.stringify(after.cancelledBy)} in all)`);
}
