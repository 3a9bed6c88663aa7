// A service ticket's conversation, as the customer's page and the staff console both show it:
// the description, then every reply oldest first, each saying who wrote it; and the box
// to answer in.
import { t } from "./i18n.js";
import { h, when, words } from "./dom.js";
import { accepted, field, form } from "./forms.js";

/**
 * What a ticket is: subject, status, `more` ([term, value] pairs, e.g. whose it is), when it
 * was opened and last changed, and `about` (the card attempt it is about, as text) if any.
 */
export function ticketFacts(ticket, more = [], about = null) {
  const pairs = [
    [t("Subject"), ticket.subject, "ticket-subject"],
    [t("Status"), h("span", { class: `badge ${ticket.status}` }, words(ticket.status)), "ticket-status"],
    ...more,
    [t("Opened"), when(ticket.createdAt)],
    [t("Updated"), when(ticket.updatedAt)],
    about ? [t("About"), about] : null,
  ];
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(Boolean).map(([term, value, id]) => [h("dt", {}, term), h("dd", { id: id ?? null }, value)]),
  );
}

/**
 * `ticket` has description, createdAt and replies ({id, body, fromSupport, createdAt});
 * `author(reply)` names a reply's writer, `customer` the person who opened the ticket.
 */
export function conversation(ticket, { customer, author }) {
  const entry = (who, at, body, fromSupport, id) =>
    h(
      "li",
      { class: fromSupport ? "from-support" : "from-customer", dataset: { reply: id } },
      h("p", { class: "said" }, h("strong", {}, who), h("span", { class: "muted" }, ` · ${when(at)}`)),
      h("p", { class: "pre" }, body),
    );
  return h(
    "ol",
    { class: "conversation", "aria-label": t("Conversation") },
    entry(customer, ticket.createdAt, ticket.description, false, "description"),
    ticket.replies.map((reply) => entry(author(reply), reply.createdAt, reply.body, reply.fromSupport, reply.id)),
  );
}

/** A reply box: `send(body)` answers the mutation's payload; `done(payload)` after success. */
export function replyForm(label, submitLabel, send, done) {
  return form(
    { "aria-label": submitLabel },
    [field("body", label, { type: "textarea", required: true, maxlength: 5000, rows: 4 })],
    submitLabel,
    async (values, element) => {
      const payload = await send(values.body);
      if (!accepted(element, payload)) return;
      done(payload);
    },
  );
}
