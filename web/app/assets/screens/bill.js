// /bills/<id>: a bill's lines and payments, and paying it when it is unpaid (payBill; the
// bank page when the bank asks; billPaymentUpdates until the payment ends).
import { ERRORS, gql } from "../api.js";
import { day, h, money, randomKey, when, words } from "../dom.js";
import { accepted, field, form } from "../forms.js";
import { t } from "../i18n.js";
import { heading } from "./common.js";
import { PAYMENT_FIELDS, followPayment, toBank } from "./live.js";

const BILL = `query($id: ID!) { node(id: $id) { ... on Bill { id number kind status issuedAt paidAt
    period { start end } subtotal { amount currency } taxRatePercent tax { amount currency }
    total { amount currency } lines { description amount { amount currency } occurredAt }
    payments { ${PAYMENT_FIELDS} } } }
  me { paymentCards { id brand last4 isDefault } } }`;
const PAY = `mutation($input: PayBillInput!) { payBill(input: $input) { payment { ${PAYMENT_FIELDS} } ${ERRORS} } }`;
const RUNNING = new Set(["PROCESSING", "REQUIRES_ACTION"]);

export default async function bill({ main, params, refresh }) {
  const billId = params[0];
  const data = await gql(BILL, { id: billId });
  const found = data.node;
  if (!found?.number) {
    heading(main, t("Bill not found"), t("No bill of yours has this address."));
    main.append(h("p", {}, h("a", { href: "/bills" }, t("Your bills"))));
    return;
  }
  const pendingKey = `onramp.payment.${billId}`;
  heading(main, t("Bill {number}", { number: found.number }));
  main.append(
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("Status")),
      h("dd", { id: "bill-status" }, h("span", { class: `badge ${found.status}` }, words(found.status))),
      h("dt", {}, t("Kind")),
      h("dd", {}, found.kind === "MONTHLY" ? t("Monthly bill") : t("Issued at once")),
      h("dt", {}, t("Period")),
      h("dd", {}, `${day(found.period.start)} – ${day(found.period.end)}`),
      h("dt", {}, t("Issued")),
      h("dd", {}, when(found.issuedAt)),
      found.paidAt ? [h("dt", {}, t("Paid on")), h("dd", {}, when(found.paidAt))] : null,
    ),
    h("h2", { id: "lines" }, t("Lines")),
    h(
      "table",
      { class: "stack", "aria-labelledby": "lines" },
      h("thead", {}, h("tr", {}, [t("Date"), t("Description"), t("Amount")].map((title) => h("th", { scope: "col" }, title)))),
      h(
        "tbody",
        {},
        found.lines.map((line) =>
          h(
            "tr",
            {},
            h("td", { "data-label": t("Date") }, when(line.occurredAt)),
            h("td", { "data-label": t("Description") }, line.description),
            h("td", { "data-label": t("Amount") }, money(line.amount)),
          ),
        ),
        h("tr", {}, h("td", {}, ""), h("th", { scope: "row" }, t("Subtotal")), h("td", {}, money(found.subtotal))),
        h("tr", {}, h("td", {}, ""), h("th", { scope: "row" }, t("Tax ({rate} %)", { rate: found.taxRatePercent })), h("td", {}, money(found.tax))),
        h("tr", {}, h("td", {}, ""), h("th", { scope: "row" }, t("Total")), h("td", { id: "bill-total" }, h("strong", {}, money(found.total)))),
      ),
    ),
  );

  const live = h("section", { id: "payment", "aria-label": t("Payment") });
  main.append(live);

  main.append(h("h2", { id: "payments" }, t("Payments")));
  if (!found.payments.length) {
    main.append(h("p", {}, t("No payment yet.")));
  } else {
    main.append(
      h(
        "table",
        { class: "stack", "aria-labelledby": "payments" },
        h("thead", {}, h("tr", {}, [t("Date"), t("Card"), t("Amount"), t("Status"), t("Result")].map((title) => h("th", { scope: "col" }, title)))),
        h(
          "tbody",
          {},
          found.payments.map((payment) =>
            h(
              "tr",
              {},
              h("td", { "data-label": t("Date") }, when(payment.createdAt)),
              h("td", { "data-label": t("Card") }, `${words(payment.cardBrand)} •••• ${payment.cardLast4}`),
              h("td", { "data-label": t("Amount") }, money(payment.amount)),
              h("td", { "data-label": t("Status") }, h("span", { class: `badge ${payment.status}` }, words(payment.status))),
              h("td", { "data-label": t("Result") }, payment.result),
            ),
          ),
        ),
      ),
    );
  }

  const running = sessionStorage.getItem(pendingKey) ?? found.payments.find((p) => RUNNING.has(p.status))?.id;
  if (running) {
    await follow(running);
    return;
  }
  if (found.status === "UNPAID") main.append(payForm());

  async function follow(paymentId) {
    let payment;
    try {
      payment = await followPayment(live, paymentId);
    } finally {
      sessionStorage.removeItem(pendingKey);
    }
    if (payment.status === "SUCCEEDED") {
      live.append(h("div", { class: "notice success", role: "status" }, t("Thank you: the bill is paid. A receipt is on its way by email.")));
    } else {
      live.append(h("div", { class: "notice error", role: "alert" }, `${t("The payment failed.")} `, payment.result));
    }
    live.append(h("p", {}, h("button", { type: "button", onclick: () => refresh() }, t("Show the bill again"))));
  }

  function payForm() {
    const cards = data.me.paymentCards;
    let idempotencyKey = randomKey();
    let lastCard = null;
    const element = form(
      { "aria-label": t("Pay this bill"), id: "pay-form" },
      [
        h("h2", {}, t("Pay {amount} now", { amount: money(found.total) })),
        cards.length
          ? field("cardId", t("Card to charge"), {
              required: true,
              options: cards.map((card) => ({ value: card.id, label: card.isDefault
                  ? t("{brand} ending in {last4} (default)", { brand: words(card.brand), last4: card.last4 })
                  : t("{brand} ending in {last4}", { brand: words(card.brand), last4: card.last4 }) })),
              value: cards.find((card) => card.isDefault)?.id,
            })
          : h("p", {}, `${t("No card is bound yet.")} `, h("a", { href: "/onboarding/payment" }, t("Add a card"))),
      ],
      t("Pay now"),
      async (values, formElement) => {
        if (values.cardId !== lastCard) {
          // A new key for another card; the same key replays a retry of the same choice.
          lastCard = values.cardId;
          idempotencyKey = randomKey();
        }
        const input = {
          billId,
          idempotencyKey,
          returnUrl: `${location.origin}/bills/${encodeURIComponent(billId)}`,
        };
        if (values.cardId) input.cardId = values.cardId;
        const payload = (await gql(PAY, { input })).payBill;
        if (!accepted(formElement, payload)) return;
        const payment = payload.payment;
        sessionStorage.setItem(pendingKey, payment.id);
        if (payment.status === "REQUIRES_ACTION" && payment.nextAction) {
          toBank(live, payment.nextAction, t("Your bank wants to confirm it is you: taking you to its page…"));
          return;
        }
        formElement.remove();
        await follow(payment.id);
      },
    );
    return element;
  }
}
