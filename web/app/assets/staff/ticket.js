// /staff/tickets/<id>: one ticket, whose it is and the card attempt it is about, the
// conversation, and what support does with it: take it, answer the customer, move it on
// (OPEN → IN_PROGRESS → RESOLVED → CLOSED). Refusals (TICKET_CLOSED, WRONG_STATUS) show
// on the form that asked.
import { ERRORS } from "../api.js";
import { conversation, replyForm, ticketFacts } from "../conversation.js";
import { h, when, words } from "../dom.js";
import { accepted, field, form } from "../forms.js";
import { heading } from "../screens/common.js";
import { setFlash } from "../shell.js";
import { staffGql } from "./api.js";
import { STATUSES } from "./queue.js";
import { cardText } from "./format.js";

const TICKET = `query($id: ID!) { ticket(id: $id) { id number subject description status createdAt updatedAt
  account { id email } assignee { id email }
  cardBindingAttempt { status result createdAt card { brand first6 last4 expiryMonth expiryYear holderName } }
  replies { id body fromSupport createdAt author { email } } } }`;
const ASSIGN = `mutation($input: TicketInput!) { assignTicket(input: $input) { ticket { id } ${ERRORS} } }`;
const REPLY = `mutation($input: ReplyToTicketInput!) { replyToTicket(input: $input) { ticket { id } ${ERRORS} } }`;
const MOVE = `mutation($input: MoveTicketInput!) { moveTicket(input: $input) { ticket { status } ${ERRORS} } }`;

export default async function ticket({ main, params, me, refresh }) {
  const ticketId = params[0];
  const found = (await staffGql(TICKET, { id: ticketId })).ticket;
  if (!found) {
    heading(main, "Ticket not found", "No ticket has this address.");
    main.append(h("p", {}, h("a", { href: "/staff" }, "The queue")));
    return;
  }
  const attempt = found.cardBindingAttempt;
  heading(main, `Ticket ${found.number}`);
  main.append(
    ticketFacts(
      found,
      [
        ["Customer", h("a", { href: `/staff/accounts/${encodeURIComponent(found.account.id)}` }, found.account.email)],
        ["Assignee", found.assignee?.email ?? "nobody", "ticket-assignee"],
      ],
      attempt ? `${cardText(attempt.card)}, tried ${when(attempt.createdAt)}: ${attempt.result}` : null,
    ),
    h("h2", {}, "Conversation"),
    conversation(found, {
      customer: `Customer (${found.account.email})`,
      author: (reply) => (reply.fromSupport ? `Support (${reply.author?.email ?? "staff"})` : "Customer"),
    }),
  );
  if (found.status === "CLOSED") {
    main.append(h("div", { class: "notice", role: "status" }, "This ticket is closed: it takes no more replies or moves."));
    return;
  }
  const input = { ticketId };
  if (found.assignee?.id !== me.id) {
    const assign = form({ "aria-label": "Assign to me" }, [], "Assign to me", async (_values, element) => {
      const payload = (await staffGql(ASSIGN, { input })).assignTicket;
      if (!accepted(element, payload)) return;
      setFlash(`Ticket ${found.number} is yours.`);
      refresh();
    });
    main.append(assign);
  }
  main.append(
    h("h2", {}, "Reply"),
    replyForm(
      "Your reply to the customer",
      "Send reply",
      async (body) => (await staffGql(REPLY, { input: { ...input, body } })).replyToTicket,
      () => {
        setFlash("Reply sent: the customer sees it on the ticket and is told by email.");
        refresh();
      },
    ),
  );
  const later = STATUSES.slice(STATUSES.indexOf(found.status) + 1);
  main.append(
    h("h2", {}, "Status"),
    form(
      { "aria-label": "Move the ticket" },
      [field("status", "Move to", { required: true, options: later.map((status) => ({ value: status, label: words(status) })), value: later[0] })],
      "Move",
      async (values, element) => {
        const payload = (await staffGql(MOVE, { input: { ...input, status: values.status } })).moveTicket;
        if (!accepted(element, payload)) return;
        setFlash(`Ticket ${found.number} is ${words(payload.ticket.status).toLowerCase()}.`);
        refresh();
      },
    ),
  );
}
