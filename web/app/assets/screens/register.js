// Step 1 and 2: region, account kind and email; the emailed code; a password with its policy.
import { ERRORS, gql } from "../api.js";
import { navigate, resumePath, signedIn } from "../app.js";
import { h, money, replace } from "../dom.js";
import { accepted, field, form, radios } from "../forms.js";
import { formatLocale, locale, t } from "../i18n.js";
import { POLICY, REGIONS, codeSender, guessRegion, heading, kindName, outboxHint, passwordField, regionOptions } from "./common.js";

function kinds() {
  return [
    { value: "HUAWEI_ID", label: t("HUAWEI ID: one identity across the provider's services") },
    { value: "HUAWEI_CLOUD", label: t("HUAWEI CLOUD account: for cloud services only") },
  ];
}

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
    t("Create your account"),
    t("Choose where you are (an enterprise: where it is registered). It sets the law, tax and currency of your account and cannot be changed later."),
  );

  const kindChoice = kinds().some((k) => k.value === query.get("kind")) ? query.get("kind") : "HUAWEI_ID";
  const warning = h("div", { class: "notice warning", role: "status", "aria-live": "polite", id: "cloud-warning", hidden: true });
  const regionFacts = h("p", { class: "hint", "aria-live": "polite" });
  const codeSection = h(
    "div",
    {},
    field("emailCode", t("Code from the email"), { required: true, inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, hint: t("Six digits.") }),
    outboxHint(),
    passwordField("password", t("Password"), data.passwordPolicy),
  );
  const sendSlot = h("div");

  const element = form(
    { "aria-label": t("Create your account") },
    [
      field("regionCode", t("Country or region"), {
        required: true,
        options: regionOptions(regions, { placeholder: t("Choose a country or region") }),
        value: query.get("region") ?? guessRegion(regions),
        onchange: () => update(),
      }),
      regionFacts,
      radios("kind", t("Account kind"), kinds(), kindChoice, () => update()),
      warning,
      field("email", t("Email address"), { type: "email", required: true, autocomplete: "email", value: query.get("email") ?? "" }),
      sendSlot,
      codeSection,
    ],
    t("Create account"),
    async (values, formElement) => {
      const input = {
        kind: values.kind,
        regionCode: values.regionCode,
        email: values.email,
        emailCode: values.emailCode,
        password: formElement.querySelector("input[type=password]").value,
        // The account keeps the page's language: its emails and SMS are written in it.
        locale: locale(),
      };
      const payload = (await gql(REGISTER, { input })).register;
      if (!accepted(formElement, payload)) return;
      await signedIn();
      navigate(resumePath(payload.account.onboarding));
    },
  );
  const email = () => element.querySelector("[data-field=email]").value.trim();
  sendSlot.replaceWith(
    codeSender(element, t("Send code"), codeSection, {
      send: async () => (await gql(SEND_CODE, { input: { email: email(), kind: selected().kind } })).sendRegistrationCode,
      sentText: () => t("We sent a six-digit code to {email}.", { email: email() }),
      codeField: "emailCode",
      destinationField: "email",
    }),
  );
  main.append(element, h("p", {}, t("Already registered?"), " ", h("a", { href: "/sign-in" }, t("Sign in"))));

  function selected() {
    const code = element.querySelector("[data-field=regionCode]").value;
    const kind = element.querySelector("input[name=kind]:checked")?.value ?? "HUAWEI_ID";
    return { region: regions.find((r) => r.code === code), kind };
  }

  function update() {
    const { region, kind } = selected();
    regionFacts.textContent = region
      ? t("Billed in {currency}, tax {tax}, governed by: {law}. A card is verified with a refundable {deposit}.", {
          currency: region.currency,
          tax: new Intl.NumberFormat(formatLocale(), { style: "percent", maximumFractionDigits: 2 }).format(Number(region.taxRatePercent) / 100),
          law: region.governingLaw,
          deposit: money(region.verificationDeposit),
        })
      : "";
    if (region && !region.cloudEnableKinds.includes(kind)) {
      const others = region.cloudEnableKinds.map(kindName);
      replace(
        warning,
        h("strong", {}, t("A {kind} registered in {region} cannot enable cloud services.", { kind: kindName(kind), region: region.name })),
        " ",
        others.length ? t("To use cloud services there, register a {kind} instead.", { kind: others[0] }) : "",
        " ",
        others.length
          ? h("button", { type: "button", class: "secondary", onclick: () => chooseKind(region.cloudEnableKinds[0]) }, t("Register a {kind} instead", { kind: others[0] }))
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
