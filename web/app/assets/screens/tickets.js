// /tickets: the person's service tickets, and a form to open one (about an attempt, if named).
import { gql } from "../api.js";
import { navigate } from "../app.js";
import { h, when, words } from "../dom.js";
import { heading, ticketForm } from "./common.js";

const TICKETS = `{ me { serviceTickets { id number subject status createdAt
  cardBindingAttempt { id maskedNumber } } } }`;
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
      h(
        "table",
        { class: "stack" },
        h("thead", {}, h("tr", {}, ["Ticket", "Subject", "Status", "Opened"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          me.serviceTickets.map((ticket) =>
            h(
              "tr",
              {},
              h("td", { "data-label": "Ticket" }, h("a", { href: `/tickets/${encodeURIComponent(ticket.id)}` }, ticket.number)),
              h("td", { "data-label": "Subject" }, ticket.subject),
              h("td", { "data-label": "Status" }, h("span", { class: `badge ${ticket.status}` }, words(ticket.status))),
              h("td", { "data-label": "Opened" }, when(ticket.createdAt)),
            ),
          ),
        ),
      ),
    );
  }
  main.append(h("h2", { id: "new-ticket" }, "Open a service ticket"), ticketForm(navigate, attempt));
}
