// /bills/<id>: a bill's lines and payments, and paying it when it is unpaid (payBill; the
// bank page when the bank asks; billPaymentUpdates until the payment ends).
import { ERRORS, gql } from "../api.js";
import { day, h, money, randomKey, when, words } from "../dom.js";
import { accepted, field, form } from "../forms.js";
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
    heading(main, "Bill not found", "No bill of yours has this address.");
    main.append(h("p", {}, h("a", { href: "/bills" }, "Your bills")));
    return;
  }
  const pendingKey = `onramp.payment.${billId}`;
  heading(main, `Bill ${found.number}`);
  main.append(
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Status"),
      h("dd", { id: "bill-status" }, h("span", { class: `badge ${found.status}` }, words(found.status))),
      h("dt", {}, "Kind"),
      h("dd", {}, found.kind === "MONTHLY" ? "Monthly bill" : "Issued at once"),
      h("dt", {}, "Period"),
      h("dd", {}, `${day(found.period.start)} – ${day(found.period.end)}`),
      h("dt", {}, "Issued"),
      h("dd", {}, when(found.issuedAt)),
      found.paidAt ? [h("dt", {}, "Paid"), h("dd", {}, when(found.paidAt))] : null,
    ),
    h("h2", { id: "lines" }, "Lines"),
    h(
      "table",
      { class: "stack", "aria-labelledby": "lines" },
      h("thead", {}, h("tr", {}, ["Date", "Description", "Amount"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        found.lines.map((line) =>
          h(
            "tr",
            {},
            h("td", { "data-label": "Date" }, when(line.occurredAt)),
            h("td", { "data-label": "Description" }, line.description),
            h("td", { "data-label": "Amount" }, money(line.amount)),
          ),
        ),
        h("tr", {}, h("td", {}, ""), h("th", { scope: "row" }, "Subtotal"), h("td", {}, money(found.subtotal))),
        h("tr", {}, h("td", {}, ""), h("th", { scope: "row" }, `Tax (${found.taxRatePercent} %)`), h("td", {}, money(found.tax))),
        h("tr", {}, h("td", {}, ""), h("th", { scope: "row" }, "Total"), h("td", { id: "bill-total" }, h("strong", {}, money(found.total)))),
      ),
    ),
  );

  const live = h("section", { id: "payment", "aria-label": "Payment" });
  main.append(live);

  main.append(h("h2", { id: "payments" }, "Payments"));
  if (!found.payments.length) {
    main.append(h("p", {}, "No payment yet."));
  } else {
    main.append(
      h(
        "table",
        { class: "stack", "aria-labelledby": "payments" },
        h("thead", {}, h("tr", {}, ["Date", "Card", "Amount", "Status", "Result"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          found.payments.map((payment) =>
            h(
              "tr",
              {},
              h("td", { "data-label": "Date" }, when(payment.createdAt)),
              h("td", { "data-label": "Card" }, `${words(payment.cardBrand)} •••• ${payment.cardLast4}`),
              h("td", { "data-label": "Amount" }, money(payment.amount)),
              h("td", { "data-label": "Status" }, h("span", { class: `badge ${payment.status}` }, words(payment.status))),
              h("td", { "data-label": "Result" }, payment.result),
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
      live.append(h("div", { class: "notice success", role: "status" }, "Thank you: the bill is paid. A receipt is on its way by email."));
    } else {
      live.append(h("div", { class: "notice error", role: "alert" }, "The payment failed. ", payment.result));
    }
    live.append(h("p", {}, h("button", { type: "button", onclick: () => refresh() }, "Show the bill again")));
  }

  function payForm() {
    const cards = data.me.paymentCards;
    let idempotencyKey = randomKey();
    let lastCard = null;
    const element = form(
      { "aria-label": "Pay this bill", id: "pay-form" },
      [
        h("h2", {}, `Pay ${money(found.total)} now`),
        cards.length
          ? field("cardId", "Card to charge", {
              required: true,
              options: cards.map((card) => ({ value: card.id, label: `${words(card.brand)} ending in ${card.last4}${card.isDefault ? " (default)" : ""}` })),
              value: cards.find((card) => card.isDefault)?.id,
            })
          : h("p", {}, "No card is bound. ", h("a", { href: "/onboarding/payment" }, "Add a card"), " first."),
      ],
      "Pay now",
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
          toBank(live, payment.nextAction, "Your bank wants to confirm it is you: taking you to its page…");
          return;
        }
        formElement.remove();
        await follow(payment.id);
      },
    );
    return element;
  }
}
