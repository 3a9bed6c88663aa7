// /tickets: the person's service tickets (status, last change), and a form to open one (about an attempt, if named).
import { gql } from "../api.js";
import { navigate } from "../app.js";
import { h, table, when, words } from "../dom.js";
import { t } from "../i18n.js";
import { heading, ticketForm } from "./common.js";

const TICKETS = `{ me { serviceTickets { id number subject status createdAt updatedAt } } }`;
const ATTEMPT = `query($id: ID!) { node(id: $id) { ... on CardBindingAttempt {
  id brand last4 maskedNumber status result } } }`;

export default async function tickets({ main, query }) {
  const { me } = await gql(TICKETS);
  const attemptId = query.get("attempt");
  const attempt = attemptId ? (await gql(ATTEMPT, { id: attemptId })).node : null;
  heading(main, t("Service tickets"));
  if (!me.serviceTickets.length) {
    main.append(h("p", {}, t("You have no service tickets.")));
  } else {
    main.append(
      table(
        { "aria-label": t("Your service tickets") },
        [
          [t("Ticket"), (ticket) => h("a", { href: `/tickets/${encodeURIComponent(ticket.id)}` }, ticket.number)],
          [t("Subject"), (ticket) => ticket.subject],
          [t("Status"), (ticket) => h("span", { class: `badge ${ticket.status}` }, words(ticket.status))],
          [t("Opened"), (ticket) => when(ticket.createdAt)],
          [t("Updated"), (ticket) => when(ticket.updatedAt)],
        ],
        me.serviceTickets,
        (ticket) => ({ dataset: { ticket: ticket.number } }),
      ),
    );
  }
  main.append(h("h2", { id: "new-ticket" }, t("Open a service ticket")), ticketForm(navigate, attempt));
}
