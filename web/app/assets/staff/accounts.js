// /staff/accounts: find a customer's account by one exact key (an email address, a ticket
// or bill number, or a card's last four digits with its expiry); each search is recorded.
// The key rides in the address, so a result can be linked to and the back button returns.
import { h, replace, table, when, words } from "../dom.js";
import { field, form, radios, showErrors } from "../forms.js";
import { KIND_NAMES, heading } from "../screens/common.js";
import { navigate } from "../shell.js";
import { staffGql } from "./api.js";

const SEARCH = `query($input: AccountSearchInput!) { searchAccounts(input: $input) {
  id kind email regionCode createdAt arrearsRisk } }`;
// The choice of key; each key's own fields are labelled in full.
const KEYS = [
  { value: "email", label: "Email" },
  { value: "ticketNumber", label: "Ticket" },
  { value: "billNumber", label: "Bill" },
  { value: "card", label: "Card" },
];

/** The search the address asks for, or null; its problems by field when it is malformed. */
function searchOf(query) {
  const by = KEYS.find((key) => key.value !== "card" && query.get(key.value));
  if (by) return { input: { [by.value]: query.get(by.value) }, by: by.value, problems: [] };
  if (!query.has("last4")) return null;
  const card = { last4: query.get("last4") ?? "", expiryMonth: query.get("expiryMonth") ?? "", expiryYear: query.get("expiryYear") ?? "" };
  const problems = [];
  if (!/^[0-9]{4}$/.test(card.last4)) problems.push(["card.last4", "Four digits."]);
  if (!/^[0-9]{1,2}$/.test(card.expiryMonth) || Number(card.expiryMonth) < 1 || Number(card.expiryMonth) > 12) {
    problems.push(["card.expiryMonth", "A month from 1 to 12."]);
  }
  if (!/^[0-9]{4}$/.test(card.expiryYear)) problems.push(["card.expiryYear", "A year of four digits, e.g. 2029."]);
  const input = { card: { last4: card.last4, expiryMonth: Number(card.expiryMonth), expiryYear: Number(card.expiryYear) } };
  return { input, by: "card", card, problems: problems.map(([name, message]) => ({ field: name, code: "INVALID_INPUT", message })) };
}

function addressOf(values) {
  const search = new URLSearchParams();
  if (values.by === "card") {
    search.set("last4", values["card.last4"]);
    search.set("expiryMonth", values["card.expiryMonth"]);
    search.set("expiryYear", values["card.expiryYear"]);
  } else {
    search.set(values.by, values[values.by]);
  }
  return `/staff/accounts?${search}`;
}

export default async function accounts({ main, query }) {
  const search = searchOf(query);
  const by = search?.by ?? "email";
  heading(main, "Find an account", "Matches are exact; every search is recorded in the audit trail.");
  const groups = {
    email: field("email", "Email address", { type: "email", required: true, value: query.get("email") ?? "" }),
    ticketNumber: field("ticketNumber", "Ticket number", { required: true, value: query.get("ticketNumber") ?? "", hint: "e.g. ST-2026-000042" }),
    billNumber: field("billNumber", "Bill number", { required: true, value: query.get("billNumber") ?? "", hint: "e.g. B-202611-ABCD1234" }),
    card: h(
      "div",
      { class: "row" },
      field("card.last4", "Last four digits", { required: true, inputmode: "numeric", maxlength: 4, value: search?.card?.last4 ?? "" }),
      field("card.expiryMonth", "Expiry month", { required: true, inputmode: "numeric", maxlength: 2, value: search?.card?.expiryMonth ?? "" }),
      field("card.expiryYear", "Expiry year", { required: true, inputmode: "numeric", maxlength: 4, value: search?.card?.expiryYear ?? "" }),
    ),
  };
  const show = (chosen) => {
    for (const [key, group] of Object.entries(groups)) group.hidden = key !== chosen;
  };
  const element = form(
    { "aria-label": "Find an account", role: "search" },
    [radios("by", "Find by", KEYS, by, (event) => show(event.target.value)), Object.values(groups)],
    "Find",
    async (values) => navigate(addressOf(values)),
  );
  show(by);
  main.append(element);
  if (!search) {
    element.querySelector("[data-field=email]").focus();
    return;
  }
  if (search.problems.length) {
    showErrors(element, search.problems);
    return;
  }
  const results = h("section", { "aria-labelledby": "results" });
  main.append(results);
  const found = (await staffGql(SEARCH, { input: search.input })).searchAccounts;
  replace(results, h("h2", { id: "results" }, found.length === 1 ? "1 account" : `${found.length} accounts`));
  if (!found.length) {
    results.append(h("p", {}, "No account matches."));
    return;
  }
  results.append(
    table(
      { "aria-labelledby": "results" },
      [
        ["Email", (a) => h("a", { href: `/staff/accounts/${encodeURIComponent(a.id)}` }, a.email)],
        ["Kind", (a) => KIND_NAMES[a.kind] ?? words(a.kind)],
        ["Region", (a) => a.regionCode],
        ["Registered", (a) => when(a.createdAt)],
        ["Arrears risk", (a) => (a.arrearsRisk ? h("span", { class: "badge FAILED" }, "Flagged") : "No")],
      ],
      found,
    ),
  );
}
