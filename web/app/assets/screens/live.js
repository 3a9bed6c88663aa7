// Following a card-binding attempt or a bill payment live, over the websocket, until it ends.
import { gql, subscribe } from "../api.js";
import { t } from "../i18n.js";
import { h, ltr, money, replace, words } from "../dom.js";

export const ATTEMPT_FIELDS = `id status brand last4 maskedNumber holderName expiryMonth expiryYear
  deposit { amount currency } depositStatus failureReason result createdAt completedAt
  nextAction { redirectUrl expiresAt } card { id }`;
const ATTEMPT_UPDATES = `subscription($id: ID!) { cardBindingUpdates(attemptId: $id) { ${ATTEMPT_FIELDS} } }`;
const ATTEMPT_NODE = `query($id: ID!) { node(id: $id) { ... on CardBindingAttempt { ${ATTEMPT_FIELDS} } } }`;

export const PAYMENT_FIELDS = `id status cardBrand cardLast4 amount { amount currency } failureReason result
  createdAt completedAt nextAction { redirectUrl expiresAt }`;
const PAYMENT_UPDATES = `subscription($id: ID!) { billPaymentUpdates(paymentId: $id) { ${PAYMENT_FIELDS} } }`;
const PAYMENT_NODE = `query($id: ID!) { node(id: $id) { ... on BillPayment { ${PAYMENT_FIELDS} } } }`;

const SETTLED_DEPOSIT = new Set(["NOT_CHARGED", "REFUNDED", "REFUND_FAILED"]);
const FINAL = new Set(["SUCCEEDED", "FAILED"]);
// A stage's state, in words (the class keeps the code).
const STATE_WORDS = { done: () => t("done"), failed: () => t("failed") };

export function attemptFinished(attempt) {
  return FINAL.has(attempt.status) && SETTLED_DEPOSIT.has(attempt.depositStatus);
}

/**
 * Streams updates into `show` until the server completes the subscription; if the socket
 * fails, reads the node every two seconds instead. Resolves with the last state.
 */
async function follow(subscription, nodeQuery, id, finished, show) {
  let last = null;
  const live = subscribe(subscription, { id }, (data) => {
    last = Object.values(data)[0];
    show(last);
  });
  try {
    await live.done;
    return last;
  } catch (error) {
    if (error.code === "NOT_FOUND") throw error;
  }
  for (;;) {
    last = (await gql(nodeQuery, { id })).node;
    if (!last) throw new Error(t("It can no longer be found."));
    show(last);
    if (finished(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function bankLink(nextAction) {
  return nextAction
    ? h("p", {}, h("a", { class: "button", href: nextAction.redirectUrl, id: "to-bank" }, t("Continue to your bank's page")))
    : null;
}

/** The attempt's stages, redrawn on every message; resolves with the attempt once settled. */
export function followAttempt(container, attemptId) {
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const stages = h("ol", { class: "stages" });
  const extra = h("div");
  replace(container, h("h2", {}, t("Verifying your card")), status, stages, extra);
  const show = (attempt) => {
    container.dataset.status = attempt.status;
    container.dataset.deposit = attempt.depositStatus;
    const verified = FINAL.has(attempt.status);
    const deposit = money(attempt.deposit);
    status.textContent = `${words(attempt.brand)} ${ltr(attempt.maskedNumber)}: ${attempt.result}`;
    const bankState = !verified ? null : attempt.failureReason?.startsWith("AUTHENTICATION") ? "failed" : "done";
    const stage = (text, state) => h("li", { class: state }, text, state ? ` (${STATE_WORDS[state]()})` : "");
    replace(
      stages,
      stage(t("Your bank confirms it is you"), bankState),
      stage(
        attempt.status === "FAILED" ? t("Card verification failed: {reason}", { reason: words(attempt.failureReason) }) : t("Card verified"),
        attempt.status === "SUCCEEDED" ? "done" : attempt.status === "FAILED" ? "failed" : null,
      ),
      attempt.status === "FAILED" && attempt.depositStatus === "NOT_CHARGED"
        ? stage(t("No deposit was charged"), "done")
        : [
            stage(t("Deposit of {deposit} charged", { deposit }), ["CHARGED", "REFUND_PENDING", "REFUNDED", "REFUND_FAILED"].includes(attempt.depositStatus) ? "done" : null),
            stage(
              attempt.depositStatus === "REFUND_FAILED" ? t("Deposit refund failed: support will refund it") : t("Deposit of {deposit} refunded", { deposit }),
              attempt.depositStatus === "REFUNDED" ? "done" : attempt.depositStatus === "REFUND_FAILED" ? "failed" : null,
            ),
          ],
    );
    replace(extra, attempt.status === "REQUIRES_ACTION" ? bankLink(attempt.nextAction) : null);
  };
  return follow(ATTEMPT_UPDATES, ATTEMPT_NODE, attemptId, attemptFinished, show);
}

/** A bill payment's state, redrawn on every message; resolves with it once it ends. */
export function followPayment(container, paymentId) {
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const extra = h("div");
  replace(container, h("h2", {}, t("Payment")), status, extra);
  const show = (payment) => {
    container.dataset.status = payment.status;
    status.textContent = `${words(payment.status)}: ${payment.result}`;
    replace(extra, payment.status === "REQUIRES_ACTION" ? bankLink(payment.nextAction) : null);
  };
  return follow(PAYMENT_UPDATES, PAYMENT_NODE, paymentId, (p) => FINAL.has(p.status), show);
}

/** Sends the browser to the bank's identity-check page, which comes back to our returnUrl. */
export function toBank(container, nextAction, text) {
  replace(container, h("p", { role: "status" }, text));
  location.assign(nextAction.redirectUrl);
}
