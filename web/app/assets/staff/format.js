// How the console writes what staff see of cards and of the audit trail's values.
import { words } from "../dom.js";

/** All staff may see of a card: brand, first six and last four, expiry, holder. */
export function cardText(card) {
  const digits = card.first6 ? `${card.first6}…${card.last4}` : `…${card.last4}`;
  const expiry = `${String(card.expiryMonth).padStart(2, "0")}/${card.expiryYear}`;
  return `${words(card.brand)} ${digits}, expires ${expiry}, ${card.holderName}`;
}

/** An audit row's `before` or `after` (a JSON object, or null) as "key: value" pairs. */
export function changeText(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  return Object.entries(value)
    .map(([key, item]) => `${key}: ${typeof item === "object" && item !== null ? JSON.stringify(item) : item}`)
    .join("; ");
}
