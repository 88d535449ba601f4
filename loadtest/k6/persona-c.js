// Persona C, malicious (the seed system's shopper C): charges too little, orders with a coupon that
// was never issued to them, gets a coupon and uses it in two orders at once. Nothing C does may
// complete an order: each is a business refusal (COUPON_NOT_ISSUED, INSUFFICIENT_BALANCE), and
// the coupon stays unused. Every user of USER_IDS runs once, all at the same moment.
//   k6 run persona-c.js
// Env: USER_IDS (300001-300300), COUPONS (100), DISCOUNT (1000, below the price), PRODUCT_ID (1),
// the *_URL and ADMIN_TOKEN.
import { Counter } from 'k6/metrics';
import { fail } from 'k6';
import {
  charge, envInt, getBalance, getUserCoupons, idList, issueCoupon, placeOrder, putCampaign, setStock,
  uniqueKey, userOfIteration, waitForFinal,
} from './lib/api.js';

const USERS = idList('USER_IDS', '300001-300300');
const COUPONS = envInt('COUPONS', 100);
const DISCOUNT = envInt('DISCOUNT', 1000);
const PRODUCT = envInt('PRODUCT_ID', 1);
const TOO_LITTLE = 1;

export const options = {
  scenarios: { attackers: { executor: 'per-vu-iterations', vus: USERS.length, iterations: 1, maxDuration: '5m' } },
  thresholds: {
    persona_errors: ['count<1'],
    orders_completed: ['count==0'],
    checks: ['rate==1'],
  },
};

const errors = new Counter('persona_errors');
const refusals = new Counter('business_refusals');
const completed = new Counter('orders_completed');

export function setup() {
  const couponId = uniqueKey('persona-c');
  const neverIssued = uniqueKey('persona-c-never');
  putCampaign(couponId, { name: 'persona C', discountType: 'AMOUNT', discountValue: DISCOUNT, quantity: COUPONS });
  putCampaign(neverIssued, { name: 'persona C, never issued', discountType: 'AMOUNT', discountValue: DISCOUNT,
                             quantity: 1 });
  const price = setStock(PRODUCT, 3 * USERS.length + 1000).price;
  if (price - DISCOUNT <= TOO_LITTLE) fail(`DISCOUNT ${DISCOUNT} must stay below the price ${price} minus ${TOO_LITTLE}`);
  return { couponId, neverIssued };
}

function expectRefused(orderIds) {
  for (const orderId of orderIds) {
    const saga = orderId === null ? null : waitForFinal(orderId, 60000, 50);
    if (saga === null) errors.add(1, { step: 'saga' });
    else if (saga.status === 'COMPLETED') completed.add(1);
    else refusals.add(1, { code: saga.reason });
  }
}

export default function (data) {
  const user = userOfIteration(USERS);
  if (charge(user, TOO_LITTLE, uniqueKey(`persona-c-${user}`)).body === null) {
    errors.add(1, { step: 'charge' });
    return;
  }
  const items = [{ productId: PRODUCT, quantity: 1 }];
  const place = (couponId) => {
    const r = placeOrder(user, items, uniqueKey('persona-c'), undefined, couponId);
    if (!r.accepted) errors.add(1, { step: 'order' });
    return r.orderId;
  };
  expectRefused([place(data.neverIssued)]);
  const issue = issueCoupon(data.couponId, user);
  if (issue.refusal) refusals.add(1, { code: issue.refusal });
  else if (!issue.issued) errors.add(1, { step: 'issue' });
  if (!issue.issued) return;
  // One coupon, two orders placed before either is paid.
  expectRefused([place(data.couponId), place(data.couponId)]);
}

export function teardown(data) {
  // Nothing was debited and no coupon was used.
  for (const user of USERS) {
    const balance = getBalance(user);
    const used = getUserCoupons(user).filter((c) => c.couponId === data.couponId && c.usedByOrderId !== null);
    if ((balance !== 0 && balance !== TOO_LITTLE) || used.length > 0) {
      errors.add(1, { step: 'teardown' });
      fail(`user ${user}: balance ${balance}, coupons used ${used.length}`);
    }
  }
}
