// Persona A, impulsive (the seed system's shopper A): charges, tries for a coupon, then buys the
// 3-day top 5 (one unit each) with it, or without it when the issue failed. Every user of
// USER_IDS runs once, all at the same moment, so they race for the campaign's COUPONS coupons.
//   k6 run persona-a.js
//   K6_SCRIPT=persona-a.js docker compose --profile loadtest run --rm k6
// Env: USER_IDS (users with no account yet; 100001-100300), COUPONS (100), DISCOUNT (1000),
// CHARGE (50000), PRODUCT_IDS (1-10: bought when the top 5 is shorter), the *_URL and ADMIN_TOKEN.
// A coupon refusal or a cancelled order is a business refusal, counted by code; anything else
// (an unexpected answer, a saga that never ends) is an error.
import { Counter } from 'k6/metrics';
import { fail } from 'k6';
import {
  charge, envInt, getCampaign, getUserCoupons, hasAccount, idList, issueCoupon, placeOrder, putCampaign,
  setStock, topProducts, uniqueKey, userOfIteration, waitForFinal,
} from './lib/api.js';

const USERS = idList('USER_IDS', '100001-100300');
const PRODUCT_IDS = idList('PRODUCT_IDS', '1-10');
const COUPONS = envInt('COUPONS', 100);
const DISCOUNT = envInt('DISCOUNT', 1000);
const CHARGE = envInt('CHARGE', 50000);

export const options = {
  scenarios: { shoppers: { executor: 'per-vu-iterations', vus: USERS.length, iterations: 1, maxDuration: '5m' } },
  thresholds: {
    persona_errors: ['count<1'],
    coupons_issued: [`count<=${COUPONS}`],
    checks: ['rate==1'],
  },
};

const errors = new Counter('persona_errors');
const issued = new Counter('coupons_issued');
const refusals = new Counter('business_refusals');
const completed = new Counter('orders_completed');

export function setup() {
  const couponId = uniqueKey('persona-a');
  putCampaign(couponId, { name: 'persona A', discountType: 'AMOUNT', discountValue: DISCOUNT, quantity: COUPONS });
  // The top 5 and the fallback products have stock for every shopper.
  for (const id of new Set(topProducts(3, 5).concat(PRODUCT_IDS))) setStock(id, 10 * USERS.length + 1000);
  return { couponId };
}

export default function (data) {
  const user = userOfIteration(USERS);
  if (charge(user, CHARGE, uniqueKey(`persona-a-${user}`)).body === null) {
    errors.add(1, { step: 'charge' });
    return;
  }
  const issue = issueCoupon(data.couponId, user);
  if (issue.issued) issued.add(1);
  else if (issue.refusal) refusals.add(1, { code: issue.refusal });
  else errors.add(1, { step: 'issue' });
  let top = topProducts(3, 5);
  if (top.length < 5) top = top.concat(PRODUCT_IDS.filter((p) => !top.includes(p))).slice(0, 5);
  const order = placeOrder(user, top.map((productId) => ({ productId, quantity: 1 })), uniqueKey('persona-a'),
                           undefined, issue.issued ? data.couponId : null);
  if (!order.accepted) {
    errors.add(1, { step: 'order' });
    return;
  }
  const saga = waitForFinal(order.orderId, 60000, 50);
  if (saga === null) errors.add(1, { step: 'saga' });
  else if (saga.status === 'COMPLETED') completed.add(1);
  else refusals.add(1, { code: saga.reason });
}

export function teardown(data) {
  // Exactly min(COUPONS, users who asked) issued, one per user, and each used by one order at most.
  const asked = USERS.filter(hasAccount).length;
  const campaign = getCampaign(data.couponId);
  let holders = 0;
  for (const user of USERS) holders += getUserCoupons(user).filter((c) => c.couponId === data.couponId).length;
  const want = Math.min(COUPONS, asked);
  if (campaign.issued !== want || holders !== want) {
    errors.add(1, { step: 'teardown' });
    fail(`coupons issued ${campaign.issued}, held ${holders}; expected min(${COUPONS}, ${asked}) = ${want}`);
  }
}
