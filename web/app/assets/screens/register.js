// Step 1 and 2: region, account kind and email; the emailed code; a password with its policy.
import { ERRORS, gql } from "../api.js";
import { navigate, resumePath, signedIn } from "../app.js";
import { h, replace } from "../dom.js";
import { accepted, field, form, radios } from "../forms.js";
import { KIND_NAMES, POLICY, REGIONS, codeSender, guessRegion, heading, outboxHint, passwordField, regionOptions } from "./common.js";

const KINDS = [
  { value: "HUAWEI_ID", label: "HUAWEI ID: one identity across the provider's services" },
  { value: "HUAWEI_CLOUD", label: "HUAWEI CLOUD account: for cloud services only" },
];

const SEND_CODE = `mutation($input: SendRegistrationCodeInput!) {
  sendRegistrationCode(input: $input) { expiresAt resendAvailableAt ${ERRORS} } }`;
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) {
  account { id onboarding { continueUrl } } ${ERRORS} } }`;

export default async function register({ main, me, query }) {
  if (me) {
    navigate(resumePath(me.onboarding), { replace: true });
    return;
  }
  const data = await gql(`{ ${REGIONS} ${POLICY} }`);
  const regions = data.regions;
  heading(
    main,
    "Create your account",
    "Choose where you are (an enterprise: where it is registered). It sets the law, tax and currency of your account and cannot be changed later.",
  );

  const kindChoice = KINDS.some((k) => k.value === query.get("kind")) ? query.get("kind") : "HUAWEI_ID";
  const warning = h("div", { class: "notice warning", role: "status", "aria-live": "polite", id: "cloud-warning", hidden: true });
  const regionFacts = h("p", { class: "hint", "aria-live": "polite" });
  const codeSection = h(
    "div",
    {},
    field("emailCode", "Code from the email", { required: true, inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, hint: "Six digits." }),
    outboxHint(),
    passwordField("password", "Password", data.passwordPolicy),
  );
  const sendSlot = h("div");

  const element = form(
    { "aria-label": "Create your account" },
    [
      field("regionCode", "Country or region", {
        required: true,
        options: regionOptions(regions, { placeholder: "Choose a country or region" }),
        value: query.get("region") ?? guessRegion(regions),
        onchange: () => update(),
      }),
      regionFacts,
      radios("kind", "Account kind", KINDS, kindChoice, () => update()),
      warning,
      field("email", "Email address", { type: "email", required: true, autocomplete: "email", value: query.get("email") ?? "" }),
      sendSlot,
      codeSection,
    ],
    "Create account",
    async (values, formElement) => {
      const input = {
        kind: values.kind,
        regionCode: values.regionCode,
        email: values.email,
        emailCode: values.emailCode,
        password: formElement.querySelector("input[type=password]").value,
      };
      const payload = (await gql(REGISTER, { input })).register;
      if (!accepted(formElement, payload)) return;
      await signedIn();
      navigate(resumePath(payload.account.onboarding));
    },
  );
  const email = () => element.querySelector("[data-field=email]").value.trim();
  sendSlot.replaceWith(
    codeSender(element, "Send code", codeSection, {
      send: async () => (await gql(SEND_CODE, { input: { email: email(), kind: selected().kind } })).sendRegistrationCode,
      sentText: () => `We sent a six-digit code to ${email()}.`,
      codeField: "emailCode",
      destinationField: "email",
    }),
  );
  main.append(element, h("p", {}, "Already registered? ", h("a", { href: "/sign-in" }, "Sign in"), "."));

  function selected() {
    const code = element.querySelector("[data-field=regionCode]").value;
    const kind = element.querySelector("input[name=kind]:checked")?.value ?? "HUAWEI_ID";
    return { region: regions.find((r) => r.code === code), kind };
  }

  function update() {
    const { region, kind } = selected();
    regionFacts.textContent = region
      ? `Billed in ${region.currency}, tax ${region.taxRatePercent} %, governed by ${region.governingLaw}. A card is verified with a refundable ${region.verificationDeposit.amount} ${region.verificationDeposit.currency}.`
      : "";
    if (region && !region.cloudEnableKinds.includes(kind)) {
      const others = region.cloudEnableKinds.map((k) => KIND_NAMES[k] ?? k);
      replace(
        warning,
        h("strong", {}, `A ${KIND_NAMES[kind] ?? kind} registered in ${region.name} cannot enable cloud services. `),
        others.length ? `To use cloud services there, register a ${others.join(" or ")} instead. ` : "",
        others.length
          ? h("button", { type: "button", class: "secondary", onclick: () => chooseKind(region.cloudEnableKinds[0]) }, `Register a ${others[0]} instead`)
          : null,
      );
      warning.hidden = false;
    } else {
      warning.hidden = true;
      warning.replaceChildren();
    }
  }

  function chooseKind(kind) {
    const radio = element.querySelector(`input[name=kind][value=${kind}]`);
    radio.checked = true;
    radio.focus();
    update();
  }

  update();
}
