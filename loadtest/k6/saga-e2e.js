// Places orders and follows each one to its final status: the saga time a client sees, from
// sending POST /orders to reading COMPLETED or CANCELLED on the completion service.
//   k6 run saga-e2e.js
//   K6_SCRIPT=saga-e2e.js docker compose --profile loadtest run --rm k6
// Env: RATE (200 orders/s), DURATION (2m), PRODUCT_IDS (1-10), USER_IDS (1-100), SAGA_TIMEOUT_MS
// (10000), the *_URL and ADMIN_TOKEN.
import { Counter, Trend } from 'k6/metrics';
import { envInt, idList, pick, placeOrder, plannedIterations, prepare, waitForFinal } from './lib/api.js';

const productIds = idList('PRODUCT_IDS', '1-10');
const userIds = idList('USER_IDS', '1-100');
const SAGA_TIMEOUT_MS = envInt('SAGA_TIMEOUT_MS', 10000);

export const options = {
  scenarios: {
    sagas: {
      executor: 'constant-arrival-rate',
      rate: envInt('RATE', 200),
      timeUnit: '1s',
      duration: __ENV.DURATION || '2m',
      preAllocatedVUs: 100,
      maxVUs: 600,
    },
  },
  setupTimeout: '120s',
  thresholds: {
    saga_duration: ['p(95)<500', 'p(99)<1000'],
    'http_req_duration{name:POST /orders}': ['p(95)<200'],
    saga_timeouts: ['count<1'],
    order_errors: ['count<1'],
    checks: ['rate>0.99'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

const sagaDuration = new Trend('saga_duration', true);
const completed = new Counter('sagas_completed');
const rejections = new Counter('business_rejections');
const errors = new Counter('order_errors');
const timeouts = new Counter('saga_timeouts');

export function setup() {
  return prepare({ productIds, userIds, orders: plannedIterations(options.scenarios.sagas), quantity: 1 });
}

export default function () {
  const started = Date.now();
  const r = placeOrder(pick(userIds), [{ productId: pick(productIds), quantity: 1 }]);
  if (!r.accepted) {
    errors.add(1, { status: String(r.res.status) });
    return;
  }
  const saga = waitForFinal(r.orderId, SAGA_TIMEOUT_MS, 10);
  if (saga === null) {
    timeouts.add(1);
    return;
  }
  sagaDuration.add(Date.now() - started, { status: saga.status });
  if (saga.status === 'COMPLETED') completed.add(1);
  else rejections.add(1, { reason: saga.reason || 'NONE' });
}
