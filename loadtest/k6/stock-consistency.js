// Stock and money stay exact under contention: 50 users order one product with 3,000 units at
// 1000 orders/s for 3 minutes. Most orders find it sold out (OUT_OF_STOCK, counted apart from
// errors). teardown() waits for every saga and checks, through the API:
//   final stock == 3,000 - completed orders, and nobody was charged twice
//   (each user's spend == price x their completed units, summing to price x sold units).
//   k6 run stock-consistency.js
//   K6_SCRIPT=stock-consistency.js docker compose --profile loadtest run --rm k6
// Env: PRODUCT_ID (1), USER_IDS (1-50), STOCK (3000), RATE (1000), DURATION (3m), the *_URL and
// ADMIN_TOKEN. Users get enough balance to buy the whole stock, so payments never fail.
import { Counter } from 'k6/metrics';
import { fail } from 'k6';
import {
  envInt, getBalance, getProduct, idList, pick, placeOrder, prepare, sagaStats, setStock,
  waitForSagasToSettle,
} from './lib/api.js';

const PRODUCT_ID = envInt('PRODUCT_ID', 1);
const STOCK = envInt('STOCK', 3000);
const userIds = idList('USER_IDS', '1-50');

export const options = {
  scenarios: {
    contention: {
      executor: 'constant-arrival-rate',
      rate: envInt('RATE', 1000),
      timeUnit: '1s',
      duration: __ENV.DURATION || '3m',
      preAllocatedVUs: 200,
      maxVUs: 1000,
    },
  },
  setupTimeout: '120s',
  teardownTimeout: '300s',
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{name:POST /orders}': ['p(95)<200'],
    order_errors: ['count<1'],
    consistency_failures: ['count<1'],
    checks: ['rate>0.99'],
  },
};

const errors = new Counter('order_errors');
const rejections = new Counter('business_rejections');
const failures = new Counter('consistency_failures');

export function setup() {
  // First balances for every user to buy the whole stock (prepare() sizes the stock for that
  // too), then exactly STOCK units.
  const prepared = prepare({ productIds: [PRODUCT_ID], userIds, orders: STOCK * userIds.length, quantity: 1, margin: 1 });
  const product = setStock(PRODUCT_ID, STOCK);
  return { price: product.price, balances: prepared.balances, before: sagaStats() };
}

export default function () {
  const r = placeOrder(pick(userIds), [{ productId: PRODUCT_ID, quantity: 1 }]);
  if (!r.accepted) errors.add(1, { status: String(r.res.status) });
}

export function teardown(data) {
  const after = waitForSagasToSettle(data.before.counts.PENDING, 240000);
  const completedOrders = after.counts.COMPLETED - data.before.counts.COMPLETED;
  const outOfStock = (after.cancelledBy.OUT_OF_STOCK || 0) - (data.before.cancelledBy.OUT_OF_STOCK || 0);
  if (outOfStock > 0) rejections.add(outOfStock, { reason: 'OUT_OF_STOCK' });

  const problems = [];
  const stock = getProduct(PRODUCT_ID).stock;
  const sold = STOCK - stock;
  if (stock < 0 || sold !== completedOrders) {
    problems.push(`final stock ${stock} != ${STOCK} - ${completedOrders} completed orders`);
  }
  let spent = 0;
  for (const id of userIds) {
    const paid = data.balances[id] - getBalance(id);
    if (paid < 0 || paid % data.price !== 0) problems.push(`user ${id} paid ${paid}, not a multiple of ${data.price}`);
    spent += paid;
  }
  if (spent !== sold * data.price) {
    problems.push(`users paid ${spent} in all for ${sold} units at ${data.price}: someone was charged twice or not at all`);
  }
  console.log(`stock ${STOCK} -> ${stock}; ${completedOrders} completed, ${outOfStock} OUT_OF_STOCK; users paid ${spent}`);
  for (const p of problems) console.error(`INCONSISTENT: ${p}`);
  failures.add(problems.length);
  if (problems.length > 0) fail(`inconsistent: ${problems.join('; ')}`);
}
