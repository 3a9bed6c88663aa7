// /staff/set-password: a new member sets their password with the one-time setup code an
// admin gave them, and proves their authenticator app holds the second factor.
import { ERRORS, gql } from "../api.js";
import { field, form, accepted } from "../forms.js";
import { POLICY, heading, passwordField } from "../screens/common.js";
import { navigate, setFlash } from "../shell.js";
import { staffGql } from "./api.js";
import { totpField } from "./signin.js";

const SET_PASSWORD = `mutation($input: SetPasswordInput!) { setPassword(input: $input) {
  staff { email } ${ERRORS} } }`;

export default async function setPassword({ main, me, query }) {
  if (me) {
    navigate("/staff", { replace: true });
    return;
  }
  // Staff passwords follow the customers' policy: the public API says what it is.
  const { passwordPolicy } = await gql(`{ ${POLICY} }`);
  heading(
    main,
    "Set your staff password",
    "Use the setup code from the admin who enrolled you, and a code from the authenticator app in which you scanned your second factor.",
  );
  const element = form(
    { "aria-label": "Set your staff password" },
    [
      field("email", "Email address", { type: "email", required: true, autocomplete: "username", value: query.get("email") ?? "" }),
      field("setupCode", "Setup code", { required: true, autocomplete: "off", hint: "Four groups of five letters and digits; it works once, for 72 hours." }),
      passwordField("password", "New password", passwordPolicy),
      totpField("Six digits from your authenticator app."),
    ],
    "Set password",
    async (values, formElement) => {
      const input = {
        email: values.email,
        setupCode: values.setupCode,
        password: formElement.querySelector("input[type=password]").value,
        totpCode: values.totpCode.replace(/\s+/g, ""),
      };
      const payload = (await staffGql(SET_PASSWORD, { input })).setPassword;
      if (!accepted(formElement, payload)) return;
      setFlash("Your password is set. Sign in with it and the next code your app shows (each code works once).");
      navigate(`/staff/sign-in?email=${encodeURIComponent(payload.staff.email)}`);
    },
  );
  main.append(element);
  element.querySelector("[data-field=email]").focus();
}
