// /staff/accounts/<id>: one customer's account as support sees it (opening it is recorded):
// details, onboarding, card attempts with their Results, cards, bills and their payments,
// tickets, messages, emails, and the audit trail of what staff did to it. Billing staff also
// flag and clear arrears with a reason, charge an unpaid bill now and ask again for a
// deposit refund that is stuck; the answer redraws the account without opening it again.
import { ERRORS } from "../api.js";
import { day, h, money, replace, table, when, words } from "../dom.js";
import { accepted, field, form } from "../forms.js";
import { KIND_NAMES, heading } from "../screens/common.js";
import { may, staffGql } from "./api.js";
import { cardText, changeText } from "./format.js";

const CARD = "card { brand first6 last4 expiryMonth expiryYear holderName }";
const ATTEMPT = `id status ${CARD} deposit { amount currency } depositStatus failureReason result
  createdAt completedAt refundRetriedAt`;
const BILL = `id number kind status period { start end } total { amount currency } issuedAt paidAt
  chargeAttempts nextChargeAt lastChargeError
  payments { id status amount { amount currency } cardBrand cardLast4 offSession result createdAt }`;
const ADDRESS = "line1 line2 city state postalCode";
const ACCOUNT = `id kind email regionCode createdAt cloudServicesEnabledAt
  securityPhone { masked } mobile { masked } arrearsRisk arrearsReason arrearsFromCharges
  onboarding { steps { key status completedAt blockedReason } }
  details { ... on IndividualDetails { fullName address { ${ADDRESS} } }
    ... on EnterpriseDetails { companyName registrationNumber taxId contactName registeredAddress { ${ADDRESS} } } }
  cardBindingAttempts { ${ATTEMPT} }
  cards { id ${CARD} isDefault boundAt removedAt }
  bills { ${BILL} }
  tickets { id number subject status updatedAt }
  messages { title body link createdAt readAt withdrawnAt }
  emails { kind subject status createdAt sentAt }`;
const OPEN = `query($id: ID!) { account(id: $id) { ${ACCOUNT} } }`;
const ARREARS = {
  flag: `mutation($input: ArrearsInput!) { flagArrears(input: $input) { account { ${ACCOUNT} } ${ERRORS} } }`,
  clear: `mutation($input: ArrearsInput!) { clearArrears(input: $input) { account { ${ACCOUNT} } ${ERRORS} } }`,
};
const CHARGE = `mutation($input: ChargeBillInput!) { chargeBill(input: $input) {
  bill { ${BILL} } payment { status result } ${ERRORS} } }`;
const REFUND = `mutation($input: RefundDepositInput!) { refundDeposit(input: $input) { attempt { ${ATTEMPT} } ${ERRORS} } }`;
const TRAIL = `query($id: ID!, $after: String) { accountAuditTrail(accountId: $id, first: 20, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { id createdAt actor action subject clientIp before after reason } } } }`;
const SECTIONS = [
  ["arrears", "Arrears risk"],
  ["onboarding", "Onboarding"],
  ["attempts", "Card verifications"],
  ["cards", "Cards"],
  ["bills", "Bills and payments"],
  ["tickets", "Tickets"],
  ["messages", "Messages"],
  ["emails", "Emails"],
  ["audit", "Audit trail"],
];

export default async function account({ main, params, me }) {
  const accountId = params[0];
  let shown = (await staffGql(OPEN, { id: accountId })).account;
  if (!shown) {
    heading(main, "Account not found", "No account has this address.");
    main.append(h("p", {}, h("a", { href: "/staff/accounts" }, "Find an account")));
    return;
  }
  const billing = may(me, "BILLING");
  const body = h("div");
  const audit = h("section", { "aria-labelledby": "audit" });
  heading(main, shown.email);
  main.append(
    h("nav", { class: "toc", "aria-label": "On this page" }, h("ul", {}, SECTIONS.map(([id, title]) => h("li", {}, h("a", { href: `#${id}` }, title))))),
    body,
    audit,
  );

  /** Redraws the account from `shown`; `notice` ({section, text, kind}) is said in its section. */
  const draw = (notice = null) => {
    const said = (id) => {
      if (notice?.section !== id) return null;
      return h("div", { class: `notice ${notice.kind ?? "success"}`, role: notice.kind === "error" ? "alert" : "status", tabindex: "-1", id: "account-notice" }, notice.text);
    };
    replace(
      body,
      facts(shown),
      part("arrears", "Arrears risk", said("arrears"), arrears(shown, billing, changed)),
      part("onboarding", "Onboarding", null, onboarding(shown)),
      part("attempts", "Card verifications", said("attempts"), attempts(shown, billing, changed)),
      part("cards", "Cards", null, cards(shown)),
      part("bills", "Bills and payments", said("bills"), bills(shown, billing, changed)),
      part("tickets", "Tickets", null, tickets(shown)),
      part("messages", "Messages", null, messages(shown)),
      part("emails", "Emails", null, emails(shown)),
    );
    body.querySelector("#account-notice")?.focus();
  };
  /** After an action: the account as the answer has it, and the trail from its newest entry. */
  const changed = async (next, notice) => {
    shown = next;
    draw(notice);
    await trail(audit, accountId);
  };
  draw();
  await trail(audit, accountId);
}

function part(id, title, notice, ...content) {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), notice, content);
}

function listOr(rows, empty, build) {
  return rows.length ? build(rows) : h("p", { class: "muted" }, empty);
}

function address(value) {
  if (!value) return "—";
  return [value.line1, value.line2, value.postalCode, value.city, value.state].filter(Boolean).join(", ");
}

function facts(account) {
  const details = account.details;
  let detailItems = [h("dt", {}, "Details"), h("dd", {}, "Not given yet")];
  if (details?.fullName) {
    detailItems = [h("dt", {}, "Individual"), h("dd", {}, details.fullName), h("dt", {}, "Address"), h("dd", {}, address(details.address))];
  } else if (details?.companyName) {
    detailItems = [
      h("dt", {}, "Enterprise"),
      h("dd", {}, `${details.companyName} (${details.registrationNumber}${details.taxId ? `, tax id ${details.taxId}` : ""})`),
      h("dt", {}, "Contact"),
      h("dd", {}, details.contactName),
      h("dt", {}, "Registered address"),
      h("dd", {}, address(details.registeredAddress)),
    ];
  }
  return h(
    "dl",
    { class: "facts", id: "account-facts" },
    h("dt", {}, "Kind"),
    h("dd", {}, KIND_NAMES[account.kind] ?? words(account.kind)),
    h("dt", {}, "Region"),
    h("dd", {}, account.regionCode),
    h("dt", {}, "Registered"),
    h("dd", {}, when(account.createdAt)),
    h("dt", {}, "Cloud services"),
    h("dd", {}, account.cloudServicesEnabledAt ? `enabled ${when(account.cloudServicesEnabledAt)}` : "not enabled"),
    h("dt", {}, "Security phone"),
    h("dd", {}, account.securityPhone?.masked ?? "none"),
    h("dt", {}, "Mobile"),
    h("dd", {}, account.mobile?.masked ?? "none"),
    detailItems,
  );
}

/**
 * A form of one button (and a reason, when `reasonLabel` asks for one) that runs `act`;
 * `about` names what the button acts on, for a screen reader among several alike.
 */
function action(label, act, { reasonLabel = null, about = null } = {}) {
  const children = reasonLabel ? [field("reason", reasonLabel, { required: true, maxlength: 200 })] : [];
  const element = form({ "aria-label": about ? `${label}: ${about}` : label, class: "inline" }, children, label, act);
  if (about) element.querySelector("button").setAttribute("aria-label", `${label}: ${about}`);
  return element;
}

function arrears(account, billing, changed) {
  let state = "Not flagged.";
  if (account.arrearsRisk) {
    const by = account.arrearsFromCharges
      ? "Set by failed charges: lifted once every bill is paid."
      : "Set by staff: it stays until staff clear it.";
    state = `Reason: ${account.arrearsReason ?? "none recorded"}. ${by} While flagged, usage is billed and charged as it is recorded.`;
  }
  const kind = account.arrearsRisk ? "clear" : "flag";
  const label = account.arrearsRisk ? "Clear arrears risk" : "Flag arrears risk";
  return [
    h("p", { id: "arrears-state" }, h("span", { class: `badge ${account.arrearsRisk ? "FAILED" : "SUCCEEDED"}` }, account.arrearsRisk ? "Flagged" : "Clear"), " ", state),
    billing
      ? action(
          label,
          async (values, element) => {
            const mutation = kind === "flag" ? "flagArrears" : "clearArrears";
            const payload = (await staffGql(ARREARS[kind], { input: { accountId: account.id, reason: values.reason } }))[mutation];
            if (!accepted(element, payload)) return;
            await changed(payload.account, { section: "arrears", text: kind === "flag" ? "Arrears risk flagged." : "Arrears risk cleared." });
          },
          { reasonLabel: "Reason (recorded in the audit trail)" },
        )
      : null,
  ];
}

function onboarding(account) {
  return table(
    { "aria-labelledby": "onboarding" },
    [
      ["Step", (s) => words(s.key)],
      ["Status", (s) => h("span", { class: `badge ${s.status}` }, words(s.status))],
      ["Completed", (s) => when(s.completedAt)],
      ["Why blocked", (s) => s.blockedReason ?? ""],
    ],
    account.onboarding.steps,
  );
}

function attempts(account, billing, changed) {
  const refund = (attempt) =>
    action("Refund deposit now", async (_values, element) => {
      const payload = (await staffGql(REFUND, { input: { attemptId: attempt.id } })).refundDeposit;
      if (!accepted(element, payload)) return;
      const attemptsNow = account.cardBindingAttempts.map((a) => (a.id === attempt.id ? payload.attempt : a));
      const settled = payload.attempt.depositStatus === "REFUNDED";
      await changed(
        { ...account, cardBindingAttempts: attemptsNow },
        {
          section: "attempts",
          text: settled
            ? "The deposit is refunded."
            : "The gateway is asked again for the refund; the deposit shows Refunded once it confirms (reload to see).",
        },
      );
    }, { about: `${cardText(attempt.card)}, tried ${when(attempt.createdAt)}` });
  return listOr(account.cardBindingAttempts, "No card has been tried.", (rows) =>
    table(
      { "aria-labelledby": "attempts" },
      [
        ["Date", (a) => when(a.createdAt)],
        ["Card", (a) => cardText(a.card)],
        ["Status", (a) => h("span", { class: `badge ${a.status}` }, words(a.status))],
        ["Deposit", (a) => [`${money(a.deposit)}, `, h("span", { class: `badge ${a.depositStatus}` }, words(a.depositStatus)), a.refundRetriedAt ? ` (asked again ${when(a.refundRetriedAt)})` : ""]],
        ["Result", (a) => h("span", { class: "result" }, a.result)],
        ["Action", (a) => (billing && a.depositStatus === "REFUND_PENDING" ? refund(a) : "")],
      ],
      rows,
      (a) => ({ dataset: { attempt: a.id, depositStatus: a.depositStatus } }),
    ),
  );
}

function cards(account) {
  return listOr(account.cards, "No card is bound.", (rows) =>
    table(
      { "aria-labelledby": "cards" },
      [
        ["Card", (c) => [cardText(c.card), c.isDefault ? h("span", { class: "badge default" }, "Default") : null]],
        ["Bound", (c) => when(c.boundAt)],
        ["Removed", (c) => (c.removedAt ? when(c.removedAt) : "—")],
      ],
      rows,
    ),
  );
}

function bills(account, billing, changed) {
  const charge = (bill) =>
    action("Charge now", async (_values, element) => {
      const payload = (await staffGql(CHARGE, { input: { billId: bill.id } })).chargeBill;
      if (!accepted(element, payload)) return;
      const billsNow = account.bills.map((b) => (b.id === bill.id ? payload.bill : b));
      const paid = payload.payment?.status === "SUCCEEDED";
      await changed(
        { ...account, bills: billsNow },
        {
          section: "bills",
          kind: paid ? "success" : "warning",
          text: `Bill ${bill.number}: ${words(payload.payment?.status ?? payload.bill.status)}. ${payload.payment?.result ?? ""}`,
        },
      );
    }, { about: `bill ${bill.number}` });
  const payments = (bill) =>
    bill.payments.length
      ? h(
          "ul",
          { class: "plain" },
          bill.payments.map((p) =>
            h(
              "li",
              {},
              `${when(p.createdAt)}: ${money(p.amount)}, ${words(p.cardBrand)} …${p.cardLast4}${p.offSession ? " (automatic)" : ""}, `,
              h("span", { class: `badge ${p.status}` }, words(p.status)),
              ` ${p.result}`,
            ),
          ),
        )
      : "none";
  return listOr(account.bills, "No bill yet.", (rows) =>
    table(
      { "aria-labelledby": "bills" },
      [
        ["Bill", (b) => [b.number, h("br"), h("span", { class: "muted" }, `${day(b.period.start)} – ${day(b.period.end)}`)]],
        ["Total", (b) => money(b.total)],
        ["Status", (b) => [h("span", { class: `badge ${b.status}` }, words(b.status)), b.paidAt ? ` ${when(b.paidAt)}` : ""]],
        [
          "Charges",
          (b) => [
            `${b.chargeAttempts} tried`,
            b.nextChargeAt ? `; next ${when(b.nextChargeAt)}` : "",
            b.lastChargeError ? h("br") : null,
            b.lastChargeError ? h("span", { class: "muted" }, b.lastChargeError) : null,
          ],
        ],
        ["Payments", payments],
        ["Action", (b) => (billing && b.status === "UNPAID" ? charge(b) : "")],
      ],
      rows,
      (b) => ({ dataset: { bill: b.number } }),
    ),
  );
}

function tickets(account) {
  return listOr(account.tickets, "No ticket.", (rows) =>
    table(
      { "aria-labelledby": "tickets" },
      [
        ["Ticket", (t) => h("a", { href: `/staff/tickets/${encodeURIComponent(t.id)}` }, t.number)],
        ["Subject", (t) => t.subject],
        ["Status", (t) => h("span", { class: `badge ${t.status}` }, words(t.status))],
        ["Updated", (t) => when(t.updatedAt)],
      ],
      rows,
    ),
  );
}

function messages(account) {
  return listOr(account.messages, "No message.", (rows) =>
    table(
      { "aria-labelledby": "messages" },
      [
        ["Date", (m) => when(m.createdAt)],
        ["Message", (m) => [h("strong", {}, m.title), h("br"), m.body]],
        ["Read", (m) => (m.readAt ? when(m.readAt) : "no")],
        ["Withdrawn", (m) => (m.withdrawnAt ? when(m.withdrawnAt) : "no")],
      ],
      rows,
    ),
  );
}

function emails(account) {
  return listOr(account.emails, "No email sent.", (rows) =>
    table(
      { "aria-labelledby": "emails" },
      [
        ["Date", (e) => when(e.createdAt)],
        ["Subject", (e) => e.subject],
        ["Kind", (e) => e.kind],
        ["Status", (e) => [e.status, e.sentAt ? ` ${when(e.sentAt)}` : ""]],
      ],
      rows,
    ),
  );
}

/** The audit trail, newest first, twenty at a time. */
async function trail(target, accountId) {
  const rows = h("tbody");
  const more = h("div", { class: "actions" });
  replace(
    target,
    h("h2", { id: "audit" }, "Audit trail"),
    h(
      "table",
      { class: "stack", "aria-labelledby": "audit", id: "audit-trail" },
      h("thead", {}, h("tr", {}, ["When", "Who", "What", "On", "Reason", "Before", "After", "From"].map((t) => h("th", { scope: "col" }, t)))),
      rows,
    ),
    more,
  );
  const load = async (after) => {
    const page = (await staffGql(TRAIL, { id: accountId, after })).accountAuditTrail;
    for (const { node: entry } of page.edges) {
      const cells = [
        ["When", when(entry.createdAt)],
        ["Who", entry.actor],
        ["What", entry.action],
        ["On", entry.subject],
        ["Reason", entry.reason ?? ""],
        ["Before", changeText(entry.before)],
        ["After", changeText(entry.after)],
        ["From", entry.clientIp ?? ""],
      ];
      rows.append(h("tr", { dataset: { action: entry.action } }, cells.map(([label, text]) => h("td", { "data-label": label }, text))));
    }
    more.replaceChildren();
    if (page.pageInfo.hasNextPage) {
      const button = h("button", { type: "button", class: "secondary" }, "Show older entries");
      button.addEventListener("click", () => load(page.pageInfo.endCursor).catch((error) => more.append(h("div", { class: "notice error", role: "alert" }, error.message))));
      more.append(button);
    }
  };
  await load(null);
}
