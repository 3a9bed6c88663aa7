// /tickets/<id>: one service ticket, with the card-binding attempt it is about, the
// conversation with support, and a box to answer in (a reply reopens a resolved ticket; a
// closed one takes none: TICKET_CLOSED).
import { ERRORS, gql } from "../api.js";
import { conversation, replyForm, ticketFacts } from "../conversation.js";
import { h, ltr, when, words } from "../dom.js";
import { setFlash } from "../app.js";
import { t } from "../i18n.js";
import { heading } from "./common.js";

const TICKET = `query($id: ID!) { node(id: $id) { ... on ServiceTicket { id number subject description
  status createdAt updatedAt cardBindingAttempt { id brand maskedNumber status result createdAt }
  replies { id body fromSupport createdAt } } } }`;
const REPLY = `mutation($input: ReplyToServiceTicketInput!) { replyToServiceTicket(input: $input) {
  ticket { id status } ${ERRORS} } }`;

export default async function ticket({ main, params, refresh }) {
  const found = (await gql(TICKET, { id: params[0] })).node;
  if (!found?.number) {
    heading(main, t("Ticket not found"), t("No ticket of yours has this address."));
    main.append(h("p", {}, h("a", { href: "/tickets" }, t("Your tickets"))));
    return;
  }
  heading(main, t("Ticket {number}", { number: found.number }));
  const attempt = found.cardBindingAttempt;
  main.append(
    ticketFacts(found, [], attempt ? t("{card}, tried {date}: {result}", { card: `${words(attempt.brand)} ${ltr(attempt.maskedNumber)}`, date: when(attempt.createdAt), result: attempt.result }) : null),
    h("h2", {}, t("Conversation")),
    conversation(found, { customer: t("You"), author: (reply) => (reply.fromSupport ? t("Support") : t("You")) }),
  );
  if (found.status === "CLOSED") {
    main.append(
      h("div", { class: "notice", role: "status" }, t("This ticket is closed. If you still need help, open a new one.")),
      h("p", {}, h("a", { href: "/tickets#new-ticket" }, t("Open a new ticket"))),
    );
  } else {
    main.append(
      h("h2", {}, t("Answer")),
      replyForm(
        t("Your answer to support"),
        t("Send answer"),
        async (body) => (await gql(REPLY, { input: { ticketId: found.id, body } })).replyToServiceTicket,
        () => {
          setFlash(t("Your answer is sent to support."));
          refresh();
        },
      ),
    );
  }
  main.append(h("p", {}, h("a", { href: "/tickets" }, t("All your tickets"))));
}
