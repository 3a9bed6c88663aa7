// /tickets: the person's service tickets (status, last change), and a form to open one (about an attempt, if named).
import { gql } from "../api.js";
import { navigate } from "../app.js";
import { h, table, when, words } from "../dom.js";
import { heading, ticketForm } from "./common.js";

const TICKETS = `{ me { serviceTickets { id number subject status createdAt updatedAt } } }`;
const ATTEMPT = `query($id: ID!) { node(id: $id) { ... on CardBindingAttempt {
  id brand last4 maskedNumber status result } } }`;

export default async function tickets({ main, query }) {
  const { me } = await gql(TICKETS);
  const attemptId = query.get("attempt");
  const attempt = attemptId ? (await gql(ATTEMPT, { id: attemptId })).node : null;
  heading(main, "Service tickets");
  if (!me.serviceTickets.length) {
    main.append(h("p", {}, "You have no service tickets."));
  } else {
    main.append(
      table(
        { "aria-label": "Your service tickets" },
        [
          ["Ticket", (t) => h("a", { href: `/tickets/${encodeURIComponent(t.id)}` }, t.number)],
          ["Subject", (t) => t.subject],
          ["Status", (t) => h("span", { class: `badge ${t.status}` }, words(t.status))],
          ["Opened", (t) => when(t.createdAt)],
          ["Updated", (t) => when(t.updatedAt)],
        ],
        me.serviceTickets,
        (t) => ({ dataset: { ticket: t.number } }),
      ),
    );
  }
  main.append(h("h2", { id: "new-ticket" }, "Open a service ticket"), ticketForm(navigate, attempt));
}
