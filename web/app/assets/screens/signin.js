// Signing in with the session cookie, then carrying on where the person left off.
import { ERRORS, gql } from "../api.js";
import { navigate, resumePath, signedIn } from "../app.js";
import { h } from "../dom.js";
import { accepted, field, form } from "../forms.js";
import { t } from "../i18n.js";
import { heading, kindOptions } from "./common.js";

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) {
  account { id onboarding { continueUrl nextStep } } ${ERRORS} } }`;

export default async function signIn({ main, me, query }) {
  const next = query.get("next");
  if (me) {
    navigate(resumePath(me.onboarding, next), { replace: true });
    return;
  }
  heading(main, t("Sign in"));
  const element = form(
    { "aria-label": t("Sign in") },
    [
      field("email", t("Email address"), { type: "email", required: true, autocomplete: "username", value: query.get("email") ?? "" }),
      field("password", t("Password"), { type: "password", required: true, autocomplete: "current-password" }),
      field("kind", t("Account kind"), { required: true, options: kindOptions(), value: query.get("kind") ?? "HUAWEI_ID" }),
    ],
    t("Sign in"),
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
    h("p", {}, h("a", { href: "/reset-password", id: "forgot" }, t("Forgot your password?"))),
    h("p", {}, t("New here?"), " ", h("a", { href: "/register" }, t("Create an account"))),
  );
  element.querySelector("[data-field=email]").focus();
}
