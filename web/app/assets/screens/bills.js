// /bills: the billing profile and the post-paid bills, newest first.
import { gql } from "../api.js";
import { day, h, money, when, words } from "../dom.js";
import { heading } from "./common.js";

const BILLS = `{ me { billing { postpaidQualified currency billingDay nextBillDate arrearsRisk
    outstanding { amount currency } defaultCard { brand last4 } }
  bills(first: 100) { edges { node { id number kind period { start end } total { amount currency }
    status issuedAt paidAt } } } } }`;

export default async function bills({ main }) {
  const { me } = await gql(BILLS);
  const billing = me.billing;
  const list = me.bills.edges.map((edge) => edge.node);
  heading(main, "Bills");
  main.append(
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Outstanding"),
      h("dd", { id: "outstanding" }, money(billing.outstanding)),
      h("dt", {}, "Post-paid"),
      h("dd", {}, billing.postpaidQualified ? "Yes: you pay after you use" : "Not yet: bind a card first"),
      h("dt", {}, "Next bill"),
      h("dd", {}, billing.nextBillDate ? day(billing.nextBillDate) : `Bills are issued on day ${billing.billingDay} of the month after you use a service`),
      h("dt", {}, "Charged to"),
      h("dd", {}, billing.defaultCard ? `${words(billing.defaultCard.brand)} ending in ${billing.defaultCard.last4}` : "No card"),
    ),
    billing.arrearsRisk
      ? h("div", { class: "notice warning", role: "status" }, "Your account is billed as you spend until your bills are paid.")
      : null,
  );
  if (!list.length) {
    main.append(h("p", {}, "You have no bills yet."));
    return;
  }
  main.append(
    h(
      "table",
      { class: "stack" },
      h("thead", {}, h("tr", {}, ["Bill", "Period", "Total", "Status", "Issued"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        list.map((bill) =>
          h(
            "tr",
            {},
            h("td", { "data-label": "Bill" }, h("a", { href: `/bills/${encodeURIComponent(bill.id)}` }, bill.number), ` ${words(bill.kind).toLowerCase()}`),
            h("td", { "data-label": "Period" }, `${day(bill.period.start)} – ${day(bill.period.end)}`),
            h("td", { "data-label": "Total" }, money(bill.total)),
            h("td", { "data-label": "Status" }, h("span", { class: `badge ${bill.status}` }, words(bill.status))),
            h("td", { "data-label": "Issued" }, when(bill.issuedAt)),
          ),
        ),
      ),
    ),
  );
}
