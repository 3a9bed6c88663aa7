// /staff/sign-in: a staff member's password and the code of their authenticator app; the
// staff session cookie is set by the answer. Then on to `next` (a console page) or the queue.
import { ERRORS } from "../api.js";
import { h } from "../dom.js";
import { accepted, field, form } from "../forms.js";
import { heading } from "../screens/common.js";
import { isAppPath, navigate } from "../shell.js";
import { staffGql } from "./api.js";

const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { staff { id } ${ERRORS} } }`;

/** A safe place of the console to go back to, else the queue. */
function nextPath(next) {
  if (next && next.startsWith("/staff") && isAppPath(new URL(next, location.href).pathname)) return next;
  return "/staff";
}

/** The six digits of the authenticator app, as sign-in and setting a password ask them. */
export function totpField(hint) {
  return field("totpCode", "Code from your authenticator app", {
    required: true,
    inputmode: "numeric",
    autocomplete: "one-time-code",
    maxlength: 6,
    hint,
  });
}

export default async function signIn({ main, me, query }) {
  const next = nextPath(query.get("next"));
  if (me) {
    navigate(next, { replace: true });
    return;
  }
  heading(main, "Staff sign-in");
  const element = form(
    { "aria-label": "Staff sign-in" },
    [
      field("email", "Email address", { type: "email", required: true, autocomplete: "username", value: query.get("email") ?? "" }),
      field("password", "Password", { type: "password", required: true, autocomplete: "current-password" }),
      totpField("Six digits; the app shows a new code every 30 seconds, and each code works once."),
    ],
    "Sign in",
    async (values, formElement) => {
      const input = {
        email: values.email,
        password: formElement.querySelector("input[type=password]").value,
        totpCode: values.totpCode.replace(/\s+/g, ""),
      };
      const payload = (await staffGql(SIGN_IN, { input })).signIn;
      if (!accepted(formElement, payload)) return;
      navigate(next);
    },
  );
  main.append(
    element,
    h("p", {}, "First time here? ", h("a", { href: "/staff/set-password" }, "Set your password with your setup code"), "."),
  );
  element.querySelector(query.get("email") ? "[data-field=password]" : "[data-field=email]").focus();
}
