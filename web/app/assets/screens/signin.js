// Signing in with the session cookie, then carrying on where the person left off.
import { ERRORS, gql } from "../api.js";
import { navigate, resumePath, signedIn } from "../app.js";
import { h } from "../dom.js";
import { accepted, field, form } from "../forms.js";
import { KIND_NAMES, heading } from "./common.js";

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) {
  account { id onboarding { continueUrl nextStep } } ${ERRORS} } }`;

export const KIND_OPTIONS = Object.entries(KIND_NAMES).map(([value, label]) => ({ value, label }));

export default async function signIn({ main, me, query }) {
  const next = query.get("next");
  if (me) {
    navigate(resumePath(me.onboarding, next), { replace: true });
    return;
  }
  heading(main, "Sign in");
  const element = form(
    { "aria-label": "Sign in" },
    [
      field("email", "Email address", { type: "email", required: true, autocomplete: "username", value: query.get("email") ?? "" }),
      field("password", "Password", { type: "password", required: true, autocomplete: "current-password" }),
      field("kind", "Account kind", { required: true, options: KIND_OPTIONS, value: query.get("kind") ?? "HUAWEI_ID" }),
    ],
    "Sign in",
    async (values, formElement) => {
      const input = {
        email: values.email,
        password: formElement.querySelector("input[type=password]").value,
        kind: values.kind,
      };
      const payload = (await gql(LOGIN, { input })).login;
      if (!accepted(formElement, payload)) return;
      await signedIn();
      navigate(resumePath(payload.account.onboarding, next));
    },
  );
  main.append(
    element,
    h("p", {}, h("a", { href: "/reset-password", id: "forgot" }, "Forgot your password?")),
    h("p", {}, "New here? ", h("a", { href: "/register" }, "Create an account"), "."),
  );
  element.querySelector("[data-field=email]").focus();
}
