// Persona B, rational (the seed system's shopper B): tries for a coupon, charges exactly what the
// order will cost (the second product only if the coupon came through), buys, and must end with
// the balance it started with (0 for a new user). Every user of USER_IDS runs once, all at once.
//   k6 run persona-b.js
// Env: USER_IDS (200001-200300), COUPONS (100), DISCOUNT (1000, an AMOUNT coupon), PRODUCT_ID (1),
// SECOND_PRODUCT_ID (2), the *_URL and ADMIN_TOKEN.
import { Counter } from 'k6/metrics';
import {
  charge, envInt, getBalance, getProduct, idList, issueCoupon, placeOrder, putCampaign, setStock,
  uniqueKey, userOfIteration, waitForFinal,
} from './lib/api.js';

const USERS = idList('USER_IDS', '200001-200300');
const COUPONS = envInt('COUPONS', 100);
const DISCOUNT = envInt('DISCOUNT', 1000);
const FIRST = envInt('PRODUCT_ID', 1);
const SECOND = envInt('SECOND_PRODUCT_ID', 2);

export const options = {
  scenarios: { shoppers: { executor: 'per-vu-iterations', vus: USERS.length, iterations: 1, maxDuration: '5m' } },
  thresholds: {
    persona_errors: ['count<1'],
    balance_mismatches: ['count==0'],
    coupons_issued: [`count<=${COUPONS}`],
    checks: ['rate==1'],
  },
};

const errors = new Counter('persona_errors');
const mismatches = new Counter('balance_mismatches');
const issued = new Counter('coupons_issued');
const refusals = new Counter('business_refusals');
const completed = new Counter('orders_completed');

export function setup() {
  const couponId = uniqueKey('persona-b');
  putCampaign(couponId, { name: 'persona B', discountType: 'AMOUNT', discountValue: DISCOUNT, quantity: COUPONS });
  const prices = {};
  for (const id of [FIRST, SECOND]) prices[id] = setStock(id, 2 * USERS.length + 1000).price;
  return { couponId, prices };
}

export default function (data) {
  const user = userOfIteration(USERS);
  const start = getBalance(user);
  const issue = issueCoupon(data.couponId, user);
  if (issue.issued) issued.add(1);
  else if (issue.refusal) refusals.add(1, { code: issue.refusal });
  else errors.add(1, { step: 'issue' });
  const items = [{ productId: FIRST, quantity: 1 }];
  if (issue.issued) items.push({ productId: SECOND, quantity: 1 });
  const total = items.reduce((sum, i) => sum + data.prices[i.productId], 0);
  const debit = total - (issue.issued ? Math.min(DISCOUNT, total) : 0);
  if (debit > 0 && charge(user, debit, uniqueKey(`persona-b-${user}`)).body === null) {
    errors.add(1, { step: 'charge' });
    return;
  }
  const order = placeOrder(user, items, uniqueKey('persona-b'), undefined, issue.issued ? data.couponId : null);
  if (!order.accepted) {
    errors.add(1, { step: 'order' });
    return;
  }
  const saga = waitForFinal(order.orderId, 60000, 50);
  if (saga === null) {
    errors.add(1, { step: 'saga' });
    return;
  }
  if (saga.status !== 'COMPLETED') {
    refusals.add(1, { code: saga.reason });
    return;
  }
  completed.add(1);
  // Exactly enough: nothing left over, nothing short.
  if (getBalance(user) !== start) mismatches.add(1);
}
