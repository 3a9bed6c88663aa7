// Building the page from data: text always goes in as text nodes, never as HTML.
import { formatLocale, t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "class") {
      element.className = value;
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name in element && typeof value !== "string") {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(target, ...children) {
  target.replaceChildren();
  append(target, children);
  return target;
}

// Dates and money as the page's language writes them (the browser's CLDR data, through Intl).
// A card number inside a sentence: kept left to right in a right-to-left language
// (isolated with LRI … PDI), so its groups are not shown in reverse order.
export function ltr(text) {
  return text ? `\u2066${text}\u2069` : text;
}

export function when(iso) {
  return iso ? new Intl.DateTimeFormat(formatLocale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "—";
}

export function day(isoDate) {
  return isoDate ? new Intl.DateTimeFormat(formatLocale(), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${isoDate}T00:00:00Z`)) : "—";
}

export function money(value) {
  if (!value) return "—";
  // The currency's own minor digits, as the amount has them (JPY none, KWD three).
  const digits = value.amount.split(".")[1]?.length ?? 0;
  const style = { style: "currency", currency: value.currency, minimumFractionDigits: digits, maximumFractionDigits: digits };
  return new Intl.NumberFormat(formatLocale(), style).format(Number(value.amount));
}

// The statuses, kinds and reasons a customer's page shows, in the page's language (t() finds
// them in the catalogue; in English, or with no translation, they read as words() writes them).
const ENUM_WORDS = {
  PROCESSING: () => t("Processing"),
  REQUIRES_ACTION: () => t("Requires action"),
  SUCCEEDED: () => t("Succeeded"),
  FAILED: () => t("Failed"),
  NOT_CHARGED: () => t("Not charged"),
  CHARGED: () => t("Charged"),
  REFUND_PENDING: () => t("Refund pending"),
  REFUNDED: () => t("Refunded"),
  REFUND_FAILED: () => t("Refund failed"),
  UNPAID: () => t("Unpaid"),
  PAID: () => t("Paid"),
  MONTHLY: () => t("Monthly"),
  IMMEDIATE: () => t("Immediate"),
  // TRANSLATORS: a service ticket's status (not the verb).
  OPEN: () => t("Open (a ticket's status)"),
  IN_PROGRESS: () => t("In progress"),
  RESOLVED: () => t("Resolved"),
  CLOSED: () => t("Closed"),
  DECLINED: () => t("Declined"),
  INSUFFICIENT_FUNDS: () => t("Insufficient funds"),
  EXPIRED_CARD: () => t("Expired card"),
  INCORRECT_CVC: () => t("Incorrect CVC"),
  LOST_OR_STOLEN: () => t("Lost or stolen"),
  PROCESSING_ERROR: () => t("Processing error"),
  AUTHENTICATION_FAILED: () => t("Authentication failed"),
  AUTHENTICATION_TIMEOUT: () => t("Authentication timeout"),
  CARD_NOT_SUPPORTED: () => t("Card not supported"),
  AUTHENTICATION_REQUIRED: () => t("Authentication required"),
};

export function words(enumValue) {
  // READY_FOR_CARD -> "Ready for card": enums the page does not know still read well.
  if (!enumValue) return "";
  const text = enumValue.toLowerCase().replaceAll("_", " ");
  const plain = text.charAt(0).toUpperCase() + text.slice(1);
  const known = ENUM_WORDS[enumValue]?.();
  // Untranslated, a text with a note for translators reads as the plain words.
  return !known || known.endsWith("(a ticket's status)") ? plain : known;
}

export function randomKey() {
  // Idempotency keys: crypto.getRandomValues works on plain http too (randomUUID does not).
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function nothingIfEmpty(value) {
  return value === "" ? null : value;
}

/**
 * A table that stacks into labelled cards on a phone: `columns` are [heading, cell(row)]
 * (a cell is text, a node or a list of them), `rowAttrs(row)` the attributes of each row.
 */
export function table(attrs, columns, rows, rowAttrs = () => ({})) {
  return h(
    "table",
    { class: "stack", ...attrs },
    h("thead", {}, h("tr", {}, columns.map(([title]) => h("th", { scope: "col" }, title)))),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          rowAttrs(row),
          // An empty cell stays empty (no text node), so a phone can leave it out.
          columns.map(([title, cell]) => h("td", { "data-label": title }, nothingIfEmpty(cell(row)))),
        ),
      ),
    ),
  );
}

/** A list of links for a header's <nav>, the current page marked; other items as given. */
export function navList(...items) {
  return h(
    "ul",
    {},
    items.filter(Boolean).map((item) => {
      if (!Array.isArray(item)) return h("li", {}, item);
      const [href, text] = item;
      return h("li", {}, h("a", { href, "aria-current": location.pathname === href ? "page" : null }, text));
    }),
  );
}
