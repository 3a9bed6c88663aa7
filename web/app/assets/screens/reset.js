// A forgotten password: a code by email or to the security phone, then a new password.
import { ERRORS, gql } from "../api.js";
import { navigate, setFlash } from "../app.js";
import { h } from "../dom.js";
import { accepted, field, form, radios } from "../forms.js";
import { POLICY, heading, outboxHint, passwordField } from "./common.js";
import { KIND_OPTIONS } from "./signin.js";

const REQUEST = `mutation($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { expiresAt resendAvailableAt ${ERRORS} } }`;
const RESET = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { ${ERRORS} } }`;

export default async function reset({ main, query }) {
  const { passwordPolicy } = await gql(`{ ${POLICY} }`);
  heading(main, "Reset your password", "We send a code to your email address or, if you set one, to your security phone.");
  const second = h("div", { hidden: true });
  const first = form(
    { "aria-label": "Ask for a reset code" },
    [
      field("email", "Email address", { type: "email", required: true, autocomplete: "username", value: query.get("email") ?? "" }),
      field("kind", "Account kind", { required: true, options: KIND_OPTIONS, value: query.get("kind") ?? "HUAWEI_ID" }),
      radios(
        "channel",
        "Send the code to",
        [
          { value: "EMAIL", label: "My email address" },
          { value: "SECURITY_PHONE", label: "My security phone (by SMS)" },
        ],
        "EMAIL",
      ),
    ],
    "Send code",
    async (values, element) => {
      const input = { email: values.email, kind: values.kind, channel: values.channel };
      const payload = (await gql(REQUEST, { input })).requestPasswordReset;
      if (!accepted(element, payload)) return;
      showSecond(input);
    },
  );
  main.append(first, second);

  function showSecond(request) {
    const where = request.channel === "EMAIL" ? request.email : "your security phone";
    const element = form(
      { "aria-label": "Choose a new password" },
      [
        h("div", { class: "notice", role: "status" }, `If ${request.email} holds an account, a code is on its way to ${where}.`),
        field("code", "Code", { required: true, inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }),
        outboxHint(),
        passwordField("newPassword", "New password", passwordPolicy),
      ],
      "Change password",
      async (values, formElement) => {
        const input = {
          email: request.email,
          kind: request.kind,
          code: values.code,
          newPassword: formElement.querySelector("input[type=password]").value,
        };
        const payload = (await gql(RESET, { input })).resetPassword;
        if (!accepted(formElement, payload)) return;
        setFlash("Your password is changed, and every session signed out. Sign in with the new password.");
        navigate(`/sign-in?email=${encodeURIComponent(request.email)}&kind=${request.kind}`);
      },
    );
    second.replaceChildren(element);
    second.hidden = false;
    element.querySelector("[data-field=code]").focus();
  }
}
