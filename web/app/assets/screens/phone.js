// Step 3 (security phone, or skip) and step 5.1 (mobile number): a number, an SMS code.
import { ERRORS, gql } from "../api.js";
import { navigate, resumePath } from "../app.js";
import { h } from "../dom.js";
import { accepted, field, form } from "../forms.js";
import { t } from "../i18n.js";
import { REGIONS, codeSender, heading, outboxHint, regionOptions } from "./common.js";

const SEND = `mutation($input: SendPhoneCodeInput!) {
  sendPhoneCode(input: $input) { expiresAt resendAvailableAt ${ERRORS} } }`;
const AFTER = `account { id onboarding { continueUrl } } ${ERRORS}`;
const SET_SECURITY = `mutation($input: VerifyPhoneInput!) { setSecurityPhone(input: $input) { ${AFTER} } }`;
const SET_MOBILE = `mutation($input: VerifyPhoneInput!) { associateMobile(input: $input) { ${AFTER} } }`;
const SKIP = `mutation { skipSecurityPhone { ${AFTER} } }`;

const KINDS = () => ({
  "security-phone": {
    title: t("Security phone"),
    purpose: "SECURITY_PHONE",
    verify: SET_SECURITY,
    field: "setSecurityPhone",
    intro: t("A security phone is one more way to reset a forgotten password (your email is the other). You may skip it."),
  },
  mobile: {
    title: t("Mobile number"),
    purpose: "MOBILE_NUMBER",
    verify: SET_MOBILE,
    field: "associateMobile",
    intro: t("Your mobile number is for news, offers and identity checks. It is never a sign-in name."),
  },
});

export default async function phone({ main, path }) {
  const kind = KINDS()[path.split("/").pop()];
  const data = await gql(`{ ${REGIONS} me { region { code } securityPhone { masked } mobile { masked } } }`);
  const current = kind.purpose === "SECURITY_PHONE" ? data.me.securityPhone : data.me.mobile;
  heading(main, kind.title, kind.intro);
  if (current) {
    main.append(h("div", { class: "notice success", role: "status" }, t("Verified: {number}. You may replace it below.", { number: current.masked })));
  }
  const codeSection = h(
    "div",
    {},
    field("code", t("Code from the SMS"), { required: true, inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }),
    outboxHint(),
    current && kind.purpose === "SECURITY_PHONE"
      ? field("currentPassword", t("Your current password"), { type: "password", required: true, autocomplete: "current-password", hint: t("Replacing a security phone needs it.") })
      : null,
  );
  const sendSlot = h("div");
  let sent = null;

  const element = form(
    { "aria-label": kind.title },
    [
      field("regionCode", t("Country of the number"), {
        required: true,
        options: regionOptions(data.regions, { withCallingCode: true }),
        value: data.me.region.code,
      }),
      field("phoneNumber", t("Phone number"), { type: "tel", required: true, autocomplete: "tel-national", hint: t("National form or with the country code, e.g. 0151 23456789 or +49 151 23456789.") }),
      sendSlot,
      codeSection,
    ],
    t("Verify"),
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
    codeSender(element, t("Send code by SMS"), codeSection, {
      send: async () => {
        sent = number();
        return (await gql(SEND, { input: sent })).sendPhoneCode;
      },
      sentText: () => t("We sent a six-digit code by SMS to {number}.", { number: sent.phoneNumber }),
      codeField: "code",
      destinationField: "phoneNumber",
    }),
  );
  main.append(element);

  if (kind.purpose === "SECURITY_PHONE" && !current) {
    const skipForm = form({ "aria-label": t("Skip the security phone") }, [], t("Skip for now"), async (_values, skipElement) => {
      const payload = (await gql(SKIP)).skipSecurityPhone;
      if (!accepted(skipElement, payload)) return;
      navigate(resumePath(payload.account.onboarding));
    });
    skipForm.querySelector("button").classList.add("secondary");
    main.append(skipForm);
  }
}
