// /staff: the ticket queue, oldest first, by status, a page at a time (keyset cursors in the
// address, so the browser's back button and a shared link show the same page).
import { h, table, when, words } from "../dom.js";
import { form, showErrors } from "../forms.js";
import { heading } from "../screens/common.js";
import { navigate } from "../shell.js";
import { staffGql } from "./api.js";

const PAGE = 20;
export const STATUSES = ["OPEN", "IN_PROGRESS", "RESOLVED", "CLOSED"];
const WAITING = ["OPEN", "IN_PROGRESS"];
const QUEUE = `query($statuses: [ServiceTicketStatus!], $first: Int, $after: String, $last: Int, $before: String) {
  tickets(statuses: $statuses, first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id number subject status createdAt updatedAt account { id email } assignee { email } } } } }`;

function address(statuses, cursor = {}) {
  const search = new URLSearchParams(statuses.map((status) => ["status", status]));
  for (const [key, value] of Object.entries(cursor)) search.set(key, value);
  return `/staff?${search}`;
}

export default async function queue({ main, query }) {
  const chosen = query.getAll("status").filter((status) => STATUSES.includes(status));
  const statuses = chosen.length ? chosen : WAITING;
  const before = query.get("before");
  const page = before
    ? { statuses, last: PAGE, before }
    : { statuses, first: PAGE, after: query.get("after") };
  const { tickets } = await staffGql(QUEUE, page);
  heading(main, "Ticket queue", "Oldest first: the ticket that has waited longest is at the top.");

  const filter = form(
    { "aria-label": "Which tickets" },
    [
      h(
        "fieldset",
        { class: "inline-choices", dataset: { field: "statuses" } },
        h("legend", {}, "Status"),
        STATUSES.map((status) =>
          h(
            "label",
            { class: "choice" },
            h("input", { type: "checkbox", name: "status", value: status, checked: statuses.includes(status) }),
            ` ${words(status)}`,
          ),
        ),
      ),
    ],
    "Show",
    async (_values, element) => {
      const picked = [...element.querySelectorAll("input[name=status]:checked")].map((box) => box.value);
      if (!picked.length) {
        showErrors(element, [{ field: "statuses", code: "INVALID_INPUT", message: "Choose at least one status." }]);
        return;
      }
      navigate(address(picked));
    },
  );
  filter.querySelector("button").classList.add("secondary");
  main.append(filter);

  const rows = tickets.edges.map((edge) => edge.node);
  if (!rows.length) {
    main.append(h("p", { id: "queue-empty" }, `No ${statuses.map((s) => words(s).toLowerCase()).join(" or ")} tickets.`));
  } else {
    main.append(
      table(
        { "aria-label": "Tickets", id: "queue" },
        [
          ["Ticket", (t) => h("a", { href: `/staff/tickets/${encodeURIComponent(t.id)}` }, t.number)],
          ["Subject", (t) => t.subject],
          ["Customer", (t) => t.account.email],
          ["Status", (t) => h("span", { class: `badge ${t.status}` }, words(t.status))],
          ["Assignee", (t) => t.assignee?.email ?? "nobody"],
          ["Opened", (t) => when(t.createdAt)],
          ["Updated", (t) => when(t.updatedAt)],
        ],
        rows,
        (t) => ({ dataset: { ticket: t.number, created: t.createdAt } }),
      ),
    );
  }
  const { pageInfo } = tickets;
  main.append(
    h(
      "nav",
      { class: "pager", "aria-label": "Pages of the queue" },
      pageInfo.hasPreviousPage ? h("a", { href: address(statuses, { before: pageInfo.startCursor }), rel: "prev" }, "Previous page") : null,
      pageInfo.hasNextPage ? h("a", { href: address(statuses, { after: pageInfo.endCursor }), rel: "next" }, "Next page") : null,
    ),
  );
}
