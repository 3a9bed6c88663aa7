// /tickets/<id>: one service ticket, with the card-binding attempt it is about.
import { gql } from "../api.js";
import { h, when, words } from "../dom.js";
import { heading } from "./common.js";

const TICKET = `query($id: ID!) { node(id: $id) { ... on ServiceTicket { id number subject description
  status createdAt cardBindingAttempt { id brand maskedNumber status result createdAt } } } }`;

export default async function ticket({ main, params }) {
  const found = (await gql(TICKET, { id: params[0] })).node;
  if (!found?.number) {
    heading(main, "Ticket not found", "No ticket of yours has this address.");
    main.append(h("p", {}, h("a", { href: "/tickets" }, "Your tickets")));
    return;
  }
  heading(main, `Ticket ${found.number}`);
  const attempt = found.cardBindingAttempt;
  main.append(
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Subject"),
      h("dd", { id: "ticket-subject" }, found.subject),
      h("dt", {}, "Status"),
      h("dd", {}, h("span", { class: `badge ${found.status}` }, words(found.status))),
      h("dt", {}, "Opened"),
      h("dd", {}, when(found.createdAt)),
      attempt ? [h("dt", {}, "About"), h("dd", {}, `${words(attempt.brand)} ${attempt.maskedNumber}, tried ${when(attempt.createdAt)}: ${attempt.result}`)] : null,
    ),
    h("h2", {}, "Description"),
    h("p", { class: "pre" }, found.description),
    h("p", {}, h("a", { href: "/tickets" }, "All your tickets")),
  );
}
