// /cards: the bound cards (make default, remove) and Historical Cards, each with its Result.
import { ERRORS, gql } from "../api.js";
import { h, money, when, words } from "../dom.js";
import { accepted, form } from "../forms.js";
import { locale, t } from "../i18n.js";
import { heading } from "./common.js";
import { attemptFinished, followAttempt } from "./live.js";

const CARD = "id brand last4 expiryMonth expiryYear holderName isDefault boundAt";
const CARDS = `{ me { paymentCards { ${CARD} } }
  historicalCards(first: 100) { edges { node { id status brand last4 maskedNumber holderName
    deposit { amount currency } depositStatus failureReason result createdAt completedAt } } } }`;
const SET_DEFAULT = `mutation($input: CardInput!) { setDefaultCard(input: $input) { card { id } ${ERRORS} } }`;
const REMOVE = `mutation($input: CardInput!) { removeCard(input: $input) { removedCardId ${ERRORS} } }`;

export default async function cards({ main, refresh }) {
  const data = await gql(CARDS);
  const bound = data.me.paymentCards;
  const attempts = data.historicalCards.edges.map((edge) => edge.node);
  heading(main, t("Payment cards"));
  const live = h("section", { id: "attempt", "aria-label": t("Card verification") });
  main.append(live);

  main.append(h("h2", {}, t("Bound cards")));
  if (!bound.length) {
    main.append(h("p", {}, t("No card is bound yet.")));
  } else {
    main.append(h("ul", { class: "cards" }, bound.map((card) => cardItem(card, refresh))));
  }
  main.append(h("p", {}, h("a", { class: "button", href: "/onboarding/payment" }, t("Add a card"))));

  main.append(h("h2", { id: "historical-cards" }, t("Historical Cards")));
  if (!attempts.length) {
    main.append(h("p", {}, t("No card has been tried yet.")));
  } else {
    main.append(
      h(
        "table",
        { class: "stack", "aria-labelledby": "historical-cards" },
        h("thead", {}, h("tr", {}, [t("Date"), t("Card"), t("Holder"), t("Status"), t("Deposit"), t("Result"), ""].map((title) => h("th", { scope: "col" }, title)))),
        h(
          "tbody",
          {},
          attempts.map((attempt) =>
            h(
              "tr",
              { dataset: { attempt: attempt.id } },
              h("td", { "data-label": t("Date"), class: "nowrap" }, when(attempt.createdAt)),
              h("td", { "data-label": t("Card") }, words(attempt.brand), h("br"), h("span", { class: "nowrap", dir: "ltr" }, attempt.maskedNumber)),
              h("td", { "data-label": t("Holder") }, attempt.holderName),
              h("td", { "data-label": t("Status") }, h("span", { class: `badge ${attempt.status}` }, words(attempt.status))),
              h("td", { "data-label": t("Deposit") }, t("{amount}, {status}", { amount: money(attempt.deposit), status: words(attempt.depositStatus).toLocaleLowerCase(locale()) })),
              h("td", { "data-label": t("Result"), class: "result" }, attempt.result),
              h(
                "td",
                { "data-label": t("Help") },
                attempt.status === "FAILED"
                  ? h("a", { href: `/tickets?attempt=${encodeURIComponent(attempt.id)}` }, t("Open a service ticket"))
                  : "",
              ),
            ),
          ),
        ),
      ),
    );
  }
  // Back from the bank page (Stripe's default return), or an attempt still settling.
  const newest = attempts[0];
  if (newest && !attemptFinished(newest)) {
    await followAttempt(live, newest.id);
    refresh();
  }
}

function cardItem(card, refresh) {
  const label = t("{brand} ending in {last4}", { brand: words(card.brand), last4: card.last4 });
  const act = (mutation, field, submit, secondary) => {
    const element = form({ "aria-label": `${submit}: ${label}`, class: "inline" }, [], submit, async (_values, formElement) => {
      const payload = (await gql(mutation, { input: { cardId: card.id } }))[field];
      if (!accepted(formElement, payload)) return;
      refresh();
    });
    if (secondary) element.querySelector("button").classList.add("secondary");
    element.querySelector("button").setAttribute("aria-label", `${submit}: ${label}`);
    return element;
  };
  return h(
    "li",
    { dataset: { card: card.id } },
    h("strong", {}, label),
    card.isDefault ? h("span", { class: "badge default" }, t("Default")) : null,
    h("br"),
    t("{holder}, expires {expiry}, bound {bound}", {
      holder: card.holderName,
      expiry: `${String(card.expiryMonth).padStart(2, "0")}/${card.expiryYear}`,
      bound: when(card.boundAt),
    }),
    h(
      "div",
      { class: "actions" },
      card.isDefault ? null : act(SET_DEFAULT, "setDefaultCard", t("Make default"), false),
      act(REMOVE, "removeCard", t("Remove"), true),
    ),
  );
}
