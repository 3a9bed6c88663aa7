// The staff endpoint, /staff/graphql, with the staff session cookie (its own, apart from a
// customer's). An operation refused for want of a session (it ran out after 8 hours, or an
// admin ended it) goes back to sign-in, and from there to where the member was.
import { client } from "../api.js";
import { toSignIn } from "../shell.js";

const call = client("/staff/graphql");

export async function staffGql(query, variables = {}) {
  try {
    return await call(query, variables);
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") toSignIn("Your staff session has ended. Sign in again.");
    throw error;
  }
}

const RANK = { SUPPORT: 1, BILLING: 2, ADMIN: 3 };
export const ROLE_NAMES = { SUPPORT: "Support", BILLING: "Billing", ADMIN: "Admin" };

/** True when the member's role may do what `role` may: roles nest, as the server's do. */
export function may(me, role) {
  return (RANK[me?.role] ?? 0) >= RANK[role];
}
