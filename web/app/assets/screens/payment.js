// Step 5.3: a card, tokenized by the payment gateway (never sent to Onramp), bound with a
// refundable deposit after the bank's identity check; followed live until the deposit settles.
import config from "../../config.js";
import { ERRORS, GATEWAY, gql } from "../api.js";
import { navigate } from "../app.js";
import { h, money, randomKey } from "../dom.js";
import { accepted, checkbox, field, form, showErrors } from "../forms.js";
import { renderMarkdown } from "../markdown.js";
import { locale, t } from "../i18n.js";
import { heading, ticketForm } from "./common.js";
import { ATTEMPT_FIELDS, attemptFinished, followAttempt, toBank } from "./live.js";

const BIND = `mutation($input: BindCardInput!) { bindCard(input: $input) { attempt { ${ATTEMPT_FIELDS} } ${ERRORS} } }`;
const PENDING_KEY = "onramp.attempt";
const RETURN_PATH = "/onboarding/payment";

export default async function payment({ main, query }) {
  const data = await gql(`{ ${GATEWAY} me { region { name verificationDeposit { amount currency } } }
    historicalCards(first: 1) { edges { node { id status depositStatus } } } }`);
  const gateway = data.paymentGateway;
  const deposit = money(data.me.region.verificationDeposit);
  heading(
    main,
    t("Payment method"),
    t("Add a card to pay for what you use after you use it. We verify it with a refundable deposit of {deposit}: your bank asks you to confirm it is you, and the deposit is refunded once the card is verified.", { deposit }),
  );
  const area = h("section", { id: "attempt", "aria-label": t("Card verification") });
  const formArea = h("div");
  main.append(area, formArea);

  const pending = query.get("attempt") ?? sessionStorage.getItem(PENDING_KEY) ?? unsettled(data);
  if (pending) {
    await showAttempt(pending);
  } else {
    await showForm();
  }

  async function showAttempt(attemptId) {
    formArea.replaceChildren();
    let attempt;
    try {
      attempt = await followAttempt(area, attemptId);
    } finally {
      sessionStorage.removeItem(PENDING_KEY);
    }
    if (attempt.status === "SUCCEEDED") {
      area.append(
        h("div", { class: "notice success", role: "status" }, t("Your {brand} card ending in {last4} is bound. Bills are charged to your default card.", { brand: attempt.brand, last4: attempt.last4 })),
        h("p", { class: "actions" }, h("a", { class: "button", href: "/" }, t("See your progress")), h("a", { class: "button secondary", href: "/cards" }, t("Your cards"))),
      );
    } else {
      area.append(
        h("div", { class: "notice error", role: "alert" }, h("strong", {}, `${t("The card could not be verified.")} `), attempt.result),
        h("p", { class: "actions" }, h("button", { type: "button", id: "try-another", onclick: () => showForm() }, t("Try another card"))),
        h("h2", {}, t("Ask us for help")),
        ticketForm(navigate, attempt),
      );
    }
  }

  async function showForm() {
    area.replaceChildren();
    const stripe = gateway.name === "stripe" ? await stripeCard(gateway) : null;
    const terms = gateway.serviceTerms;
    let token = null;
    let idempotencyKey = null;
    const element = form(
      { "aria-label": t("Add a card"), id: "card-form" },
      [
        field("holderName", t("Name on the card"), { required: true, autocomplete: "cc-name" }),
        stripe ? stripe.field : sandboxFields(),
        h("p", { class: "hint" }, t("Accepted: {brands}.", { brands: gateway.acceptedBrands.join(", ") })),
        h(
          "details",
          { class: "agreement" },
          h("summary", {}, t("{title} (version {version})", { title: terms.title, version: terms.version })),
          h("div", { class: "text", tabindex: "0" }, renderMarkdown(terms.content)),
        ),
        checkbox("acceptServiceTerms", t("I accept the {title} (version {version}).", { title: terms.title, version: terms.version })),
      ],
      t("Verify card (deposit {deposit})", { deposit }),
      async (values, formElement) => {
        const tokenized = stripe
          ? await stripe.tokenize(formElement, values.holderName)
          : await tokenizeSandbox(gateway, formElement, values);
        if (!tokenized) return;
        if (tokenized !== token) {
          // One key per token: sending the same card again replays the same attempt.
          token = tokenized;
          idempotencyKey = randomKey();
        }
        const input = {
          paymentMethodToken: token,
          acceptServiceTerms: values.acceptServiceTerms,
          returnUrl: `${location.origin}${RETURN_PATH}`,
          idempotencyKey,
        };
        const payload = (await gql(BIND, { input })).bindCard;
        if (!accepted(formElement, payload)) return;
        const attempt = payload.attempt;
        sessionStorage.setItem(PENDING_KEY, attempt.id);
        if (attempt.status === "REQUIRES_ACTION" && attempt.nextAction) {
          toBank(area, attempt.nextAction, t("Taking you to your bank's page…"));
          return;
        }
        await showAttempt(attempt.id);
      },
    );
    formArea.replaceChildren(element);
    stripe?.mount();
    element.querySelector("[data-field=holderName]").focus();
  }
}

function unsettled(data) {
  const newest = data.historicalCards?.edges[0]?.node;
  return newest && !attemptFinished(newest) ? newest.id : null;
}

function sandboxFields() {
  const year = new Date().getFullYear();
  const months = Array.from({ length: 12 }, (_, i) => ({ value: String(i + 1), label: String(i + 1).padStart(2, "0") }));
  const years = Array.from({ length: 21 }, (_, i) => ({ value: String(year + i), label: String(year + i) }));
  return [
    field("number", t("Card number"), { required: true, inputmode: "numeric", autocomplete: "cc-number", maxlength: 23 }),
    h(
      "div",
      { class: "row" },
      field("expMonth", t("Expiry month"), { required: true, options: [{ value: "", label: t("Month") }, ...months], autocomplete: "cc-exp-month" }),
      field("expYear", t("Expiry year"), { required: true, options: [{ value: "", label: t("Year") }, ...years], autocomplete: "cc-exp-year" }),
      field("cvc", t("Security code"), { required: true, inputmode: "numeric", autocomplete: "cc-csc", maxlength: 4, hint: t("3 digits on the back; 4 on the front for American Express.") }),
    ),
  ];
}

/** Posts the card fields to the gateway's tokenizer (never to Onramp); the token or null. */
async function tokenizeSandbox(gateway, formElement, values) {
  const body = {
    number: values.number,
    expMonth: Number.parseInt(values.expMonth, 10) || 0,
    expYear: Number.parseInt(values.expYear, 10) || 0,
    cvc: values.cvc,
    holderName: values.holderName,
  };
  let response;
  try {
    response = await fetch(gateway.tokenizationUrl, {
      method: "POST",
      credentials: "omit",
      headers: { authorization: `Bearer ${gateway.publishableKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    showErrors(formElement, [{ field: null, code: "NETWORK", message: t("The payment gateway cannot be reached. Try again.") }]);
    return null;
  }
  const answer = await response.json().catch(() => ({}));
  if (response.ok && answer.id) return answer.id;
  const error = answer.error ?? { message: t("The payment gateway answered {status}.", { status: response.status }) };
  showErrors(formElement, [{ field: error.field || null, code: error.code ?? "GATEWAY", message: sandboxMessage(error, values) }]);
  return null;
}

/** The tokenizer's error in the reader's language, by its code, as Stripe.js gives its own;
 * a code this page does not know keeps the gateway's own (English) sentence. */
function sandboxMessage(error, values) {
  switch (error.code) {
    case "incorrect_number":
      return t("The card number is not correct.");
    case "invalid_expiry":
      return t("The expiry date is not valid.");
    case "invalid_cvc":
      return t("The security code has {digits} digits.", { digits: /^3[47]/.test(values.number.replace(/\D/g, "")) ? 4 : 3 });
    case "missing_holder_name":
      return t("Enter the name on the card.");
    case "rate_limited":
      return t("Too many cards were entered. Try again later.");
    default:
      return error.message;
  }
}

/** Stripe's name for the page's language (Stripe knows Simplified Chinese as "zh"). */
function stripeLocale() {
  const page = locale();
  return page === "zh-Hans" ? "zh" : page === "en-XA" ? "en" : page.split("-")[0];
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const existing = document.querySelector(`script[data-stripe]`);
    if (existing && window.Stripe) {
      resolve();
      return;
    }
    const script = document.createElement("script");
    script.src = src;
    script.dataset.stripe = "";
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(t("Stripe.js could not be loaded. Check your connection and try again.")));
    document.head.append(script);
  });
}

/** The Stripe branch: Stripe.js Elements collect the card; Stripe makes the PaymentMethod. */
async function stripeCard(gateway) {
  await loadScript(config.stripeJsUrl);
  const stripe = window.Stripe(gateway.publishableKey);
  const elements = stripe.elements({ locale: stripeLocale() }); // Stripe's own words too
  const card = elements.create("card", { hidePostalCode: true });
  const mountPoint = h("div", { id: "card-element" });
  const wrapper = h(
    "div",
    { class: "field", role: "group", "aria-labelledby": "card-label" },
    h("span", { id: "card-label", class: "label" }, h("strong", {}, t("Card"))),
    mountPoint,
    h("p", { class: "hint" }, t("Card number, expiry and security code go to Stripe, never to us.")),
    h("p", { class: "field-error", hidden: true, id: "card-error" }),
  );
  wrapper.dataset.field = "card";
  card.on?.("change", (event) => {
    const message = wrapper.querySelector(".field-error");
    message.textContent = event.error?.message ?? "";
    message.hidden = !event.error;
  });
  return {
    field: wrapper,
    mount: () => card.mount(mountPoint),
    async tokenize(formElement, holderName) {
      if (!holderName) {
        showErrors(formElement, [{ field: "holderName", code: "INVALID_INPUT", message: t("Enter the name on the card.") }]);
        return null;
      }
      const result = await stripe.createPaymentMethod({ type: "card", card, billing_details: { name: holderName } });
      if (result.error) {
        showErrors(formElement, [{ field: "card", code: "GATEWAY", message: result.error.message }]);
        return null;
      }
      return result.paymentMethod.id;
    },
  };
}
