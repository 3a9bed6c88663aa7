// /tickets/<id>: one service ticket, with the card-binding attempt it is about, the
// conversation with support, and a box to answer in (a reply reopens a resolved ticket; a
// closed one takes none: TICKET_CLOSED).
import { ERRORS, gql } from "../api.js";
import { conversation, replyForm, ticketFacts } from "../conversation.js";
import { h, when, words } from "../dom.js";
import { setFlash } from "../app.js";
import { heading } from "./common.js";

const TICKET = `query($id: ID!) { node(id: $id) { ... on ServiceTicket { id number subject description
  status createdAt updatedAt cardBindingAttempt { id brand maskedNumber status result createdAt }
  replies { id body fromSupport createdAt } } } }`;
const REPLY = `mutation($input: ReplyToServiceTicketInput!) { replyToServiceTicket(input: $input) {
  ticket { id status } ${ERRORS} } }`;

export default async function ticket({ main, params, refresh }) {
  const found = (await gql(TICKET, { id: params[0] })).node;
  if (!found?.number) {
    heading(main, "Ticket not found", "No ticket of yours has this address.");
    main.append(h("p", {}, h("a", { href: "/tickets" }, "Your tickets")));
    return;
  }
  heading(main, `Ticket ${found.number}`);
  const attempt = found.cardBindingAttempt;
  main.append(
    ticketFacts(found, [], attempt ? `${words(attempt.brand)} ${attempt.maskedNumber}, tried ${when(attempt.createdAt)}: ${attempt.result}` : null),
    h("h2", {}, "Conversation"),
    conversation(found, { customer: "You", author: (reply) => (reply.fromSupport ? "Support" : "You") }),
  );
  if (found.status === "CLOSED") {
    main.append(
      h("div", { class: "notice", role: "status" }, "This ticket is closed. If you still need help, open a new one."),
      h("p", {}, h("a", { href: "/tickets#new-ticket" }, "Open a new ticket")),
    );
  } else {
    main.append(
      h("h2", {}, "Answer"),
      replyForm(
        "Your answer to support",
        "Send answer",
        async (body) => (await gql(REPLY, { input: { ticketId: found.id, body } })).replyToServiceTicket,
        () => {
          setFlash("Your answer is sent to support.");
          refresh();
        },
      ),
    );
  }
  main.append(h("p", {}, h("a", { href: "/tickets" }, "All your tickets")));
}
