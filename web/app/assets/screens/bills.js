// /bills: the billing profile and the post-paid bills, newest first.
import { gql } from "../api.js";
import { day, h, money, when, words } from "../dom.js";
import { locale, t } from "../i18n.js";
import { heading } from "./common.js";

const BILLS = `{ me { billing { postpaidQualified currency billingDay nextBillDate arrearsRisk
    outstanding { amount currency } defaultCard { brand last4 } }
  bills(first: 100) { edges { node { id number kind period { start end } total { amount currency }
    status issuedAt paidAt } } } } }`;

export default async function bills({ main }) {
  const { me } = await gql(BILLS);
  const billing = me.billing;
  const list = me.bills.edges.map((edge) => edge.node);
  heading(main, t("Bills"));
  main.append(
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("Outstanding")),
      h("dd", { id: "outstanding" }, money(billing.outstanding)),
      h("dt", {}, t("Post-paid")),
      h("dd", {}, billing.postpaidQualified ? t("Yes: you pay after you use") : t("Not yet: bind a card first")),
      h("dt", {}, t("Next bill")),
      h("dd", {}, billing.nextBillDate ? day(billing.nextBillDate) : t("Bills are issued on day {day} of the month after you use a service", { day: billing.billingDay })),
      h("dt", {}, t("Charged to")),
      h("dd", {}, billing.defaultCard ? t("{brand} ending in {last4}", { brand: words(billing.defaultCard.brand), last4: billing.defaultCard.last4 }) : t("No card")),
    ),
    billing.arrearsRisk
      ? h("div", { class: "notice warning", role: "status" }, t("Your account is billed as you spend until your bills are paid."))
      : null,
  );
  if (!list.length) {
    main.append(h("p", {}, t("You have no bills yet.")));
    return;
  }
  main.append(
    h(
      "table",
      { class: "stack" },
      h("thead", {}, h("tr", {}, [t("Bill"), t("Period"), t("Total"), t("Status"), t("Issued")].map((title) => h("th", { scope: "col" }, title)))),
      h(
        "tbody",
        {},
        list.map((bill) =>
          h(
            "tr",
            {},
            h("td", { "data-label": t("Bill") }, h("a", { href: `/bills/${encodeURIComponent(bill.id)}` }, bill.number), ` ${words(bill.kind).toLocaleLowerCase(locale())}`),
            h("td", { "data-label": t("Period") }, `${day(bill.period.start)} – ${day(bill.period.end)}`),
            h("td", { "data-label": t("Total") }, money(bill.total)),
            h("td", { "data-label": t("Status") }, h("span", { class: `badge ${bill.status}` }, words(bill.status))),
            h("td", { "data-label": t("Issued") }, when(bill.issuedAt)),
          ),
        ),
      ),
    ),
  );
}
