// A forgotten password: a code by email or to the security phone, then a new password.
import { ERRORS, gql } from "../api.js";
import { navigate, setFlash } from "../app.js";
import { h } from "../dom.js";
import { accepted, field, form, radios } from "../forms.js";
import { t } from "../i18n.js";
import { POLICY, heading, kindOptions, outboxHint, passwordField } from "./common.js";

const REQUEST = `mutation($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { expiresAt resendAvailableAt ${ERRORS} } }`;
const RESET = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { ${ERRORS} } }`;

export default async function reset({ main, query }) {
  const { passwordPolicy } = await gql(`{ ${POLICY} }`);
  heading(main, t("Reset your password"), t("We send a code to your email address or, if you set one, to your security phone."));
  const second = h("div", { hidden: true });
  const first = form(
    { "aria-label": t("Ask for a reset code") },
    [
      field("email", t("Email address"), { type: "email", required: true, autocomplete: "username", value: query.get("email") ?? "" }),
      field("kind", t("Account kind"), { required: true, options: kindOptions(), value: query.get("kind") ?? "HUAWEI_ID" }),
      radios(
        "channel",
        t("Send the code to"),
        [
          { value: "EMAIL", label: t("My email address") },
          { value: "SECURITY_PHONE", label: t("My security phone (by SMS)") },
        ],
        "EMAIL",
      ),
    ],
    t("Send code"),
    async (values, element) => {
      const input = { email: values.email, kind: values.kind, channel: values.channel };
      const payload = (await gql(REQUEST, { input })).requestPasswordReset;
      if (!accepted(element, payload)) return;
      showSecond(input);
    },
  );
  main.append(first, second);

  function showSecond(request) {
    const sent =
      request.channel === "EMAIL"
        ? t("If {email} holds an account, a code is on its way to it.", { email: request.email })
        : t("If {email} holds an account with a security phone, a code is on its way to that phone.", { email: request.email });
    const element = form(
      { "aria-label": t("Choose a new password") },
      [
        h("div", { class: "notice", role: "status" }, sent),
        field("code", t("Code"), { required: true, inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }),
        outboxHint(),
        passwordField("newPassword", t("New password"), passwordPolicy),
      ],
      t("Change password"),
      async (values, formElement) => {
        const input = {
          email: request.email,
          kind: request.kind,
          code: values.code,
          newPassword: formElement.querySelector("input[type=password]").value,
        };
        const payload = (await gql(RESET, { input })).resetPassword;
        if (!accepted(formElement, payload)) return;
        setFlash(t("Your password is changed, and every session signed out. Sign in with the new password."));
        navigate(`/sign-in?email=${encodeURIComponent(request.email)}&kind=${request.kind}`);
      },
    );
    second.replaceChildren(element);
    second.hidden = false;
    element.querySelector("[data-field=code]").focus();
  }
}
