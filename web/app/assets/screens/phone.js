// Step 3 (security phone, or skip) and step 5.1 (mobile number): a number, an SMS code.
import { ERRORS, gql } from "../api.js";
import { navigate, resumePath } from "../app.js";
import { h } from "../dom.js";
import { accepted, field, form } from "../forms.js";
import { REGIONS, codeSender, heading, outboxHint, regionOptions } from "./common.js";

const SEND = `mutation($input: SendPhoneCodeInput!) {
  sendPhoneCode(input: $input) { expiresAt resendAvailableAt ${ERRORS} } }`;
const AFTER = `account { id onboarding { continueUrl } } ${ERRORS}`;
const SET_SECURITY = `mutation($input: VerifyPhoneInput!) { setSecurityPhone(input: $input) { ${AFTER} } }`;
const SET_MOBILE = `mutation($input: VerifyPhoneInput!) { associateMobile(input: $input) { ${AFTER} } }`;
const SKIP = `mutation { skipSecurityPhone { ${AFTER} } }`;

const KINDS = {
  "security-phone": {
    title: "Security phone",
    purpose: "SECURITY_PHONE",
    verify: SET_SECURITY,
    field: "setSecurityPhone",
    intro: "A security phone is one more way to reset a forgotten password (your email is the other). You may skip it.",
  },
  mobile: {
    title: "Mobile number",
    purpose: "MOBILE_NUMBER",
    verify: SET_MOBILE,
    field: "associateMobile",
    intro: "Your mobile number is for news, offers and identity checks. It is never a sign-in name.",
  },
};

export default async function phone({ main, path }) {
  const kind = KINDS[path.split("/").pop()];
  const data = await gql(`{ ${REGIONS} me { region { code } securityPhone { masked } mobile { masked } } }`);
  const current = kind.purpose === "SECURITY_PHONE" ? data.me.securityPhone : data.me.mobile;
  heading(main, kind.title, kind.intro);
  if (current) {
    main.append(h("div", { class: "notice success", role: "status" }, `Verified: ${current.masked}. You may replace it below.`));
  }
  const codeSection = h(
    "div",
    {},
    field("code", "Code from the SMS", { required: true, inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }),
    outboxHint(),
    current && kind.purpose === "SECURITY_PHONE"
      ? field("currentPassword", "Your current password", { type: "password", required: true, autocomplete: "current-password", hint: "Replacing a security phone needs it." })
      : null,
  );
  const sendSlot = h("div");
  let sent = null;

  const element = form(
    { "aria-label": kind.title },
    [
      field("regionCode", "Country of the number", {
        required: true,
        options: regionOptions(data.regions, { withCallingCode: true }),
        value: data.me.region.code,
      }),
      field("phoneNumber", "Phone number", { type: "tel", required: true, autocomplete: "tel-national", hint: "National form or with the country code, e.g. 0151 23456789 or +49 151 23456789." }),
      sendSlot,
      codeSection,
    ],
    "Verify",
    async (values, formElement) => {
      const input = { regionCode: sent.regionCode, phoneNumber: sent.phoneNumber, code: values.code };
      if (values.currentPassword !== undefined) input.currentPassword = formElement.querySelector("input[type=password]").value;
      const payload = (await gql(kind.verify, { input }))[kind.field];
      if (!accepted(formElement, payload)) return;
      navigate(resumePath(payload.account.onboarding));
    },
  );
  const number = () => ({
    purpose: kind.purpose,
    regionCode: element.querySelector("[data-field=regionCode]").value,
    phoneNumber: element.querySelector("[data-field=phoneNumber]").value.trim(),
  });
  sendSlot.replaceWith(
    codeSender(element, "Send code by SMS", codeSection, {
      send: async () => {
        sent = number();
        return (await gql(SEND, { input: sent })).sendPhoneCode;
      },
      sentText: () => `We sent a six-digit code by SMS to ${sent.phoneNumber}.`,
      codeField: "code",
      destinationField: "phoneNumber",
    }),
  );
  main.append(element);

  if (kind.purpose === "SECURITY_PHONE" && !current) {
    const skipForm = form({ "aria-label": "Skip the security phone" }, [], "Skip for now", async (_values, skipElement) => {
      const payload = (await gql(SKIP)).skipSecurityPhone;
      if (!accepted(skipElement, payload)) return;
      navigate(resumePath(payload.account.onboarding));
    });
    skipForm.querySelector("button").classList.add("secondary");
    main.append(skipForm);
  }
}
