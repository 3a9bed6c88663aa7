// Pieces several screens share: regions, the live password policy, the ticket form.
import config from "../../config.js";
import { ERRORS, gql } from "../api.js";
import { h, replace } from "../dom.js";
import { accepted, clearErrors, field, form, showErrors } from "../forms.js";

export const REGIONS = `regions { code name callingCode currency taxRatePercent governingLaw
  cloudEnableKinds verificationDeposit { amount currency } }`;
export const KIND_NAMES = { HUAWEI_ID: "HUAWEI ID", HUAWEI_CLOUD: "HUAWEI CLOUD account" };
export const POLICY = "passwordPolicy { minLength maxLength requiresLetter requiresDigit allowsSpaces }";

export function regionOptions(regions, { withCallingCode = false, placeholder = null } = {}) {
  const sorted = [...regions].sort((a, b) => a.name.localeCompare(b.name));
  const options = sorted.map((r) => ({ value: r.code, label: withCallingCode ? `${r.name} (${r.callingCode})` : r.name }));
  return placeholder ? [{ value: "", label: placeholder }, ...options] : options;
}

export function guessRegion(regions) {
  const tag = navigator.language ?? "";
  const code = tag.split("-")[1]?.toUpperCase();
  return regions.some((r) => r.code === code) ? code : "";
}

/** A list under a password field, each rule ticked as the person types. */
export function policyChecklist(policy) {
  const rules = [
    [`At least ${policy.minLength} characters`, (p) => p.length >= policy.minLength],
    [`At most ${policy.maxLength} characters`, (p) => p.length <= policy.maxLength],
  ];
  if (policy.requiresLetter) rules.push(["A letter", (p) => /\p{L}/u.test(p)]);
  if (policy.requiresDigit) rules.push(["A digit", (p) => /\p{Nd}/u.test(p)]);
  if (!policy.allowsSpaces) rules.push(["No spaces", (p) => !/\s/.test(p)]);
  const items = rules.map(([text]) => h("li", {}, text));
  const list = h("ul", { class: "policy", "aria-label": "Password rules" }, items);
  const update = (password) => {
    rules.forEach(([text, check], index) => {
      const met = check(password);
      items[index].classList.toggle("met", met);
      items[index].textContent = `${text}${met ? " (met)" : ""}`;
    });
  };
  update("");
  return { list, update };
}

/** The password field with its policy below it, updated on every keystroke. */
export function passwordField(name, label, policy) {
  const checklist = policyChecklist(policy);
  const wrapper = field(name, label, {
    type: "password",
    required: true,
    autocomplete: "new-password",
    maxlength: policy.maxLength,
    oninput: (event) => checklist.update(event.target.value),
  });
  wrapper.querySelector("input").setAttribute("aria-describedby", "");
  wrapper.insertBefore(checklist.list, wrapper.querySelector(".field-error"));
  const id = `${wrapper.querySelector("input").id}-rules`;
  checklist.list.id = id;
  wrapper.querySelector("input").setAttribute("aria-describedby", id);
  return wrapper;
}

export function outboxHint() {
  return config.outboxUrl
    ? h("p", { class: "hint" }, "Development: read the code in the ", h("a", { href: config.outboxUrl, target: "_blank", rel: "noopener" }, "outbox"), ".")
    : null;
}

const SUBMIT_TICKET = `mutation($input: SubmitServiceTicketInput!) { submitServiceTicket(input: $input) {
  ticket { id number } ${ERRORS} } }`;

/** Opens a service ticket, about a card-binding attempt when one is given; then shows it. */
export function ticketForm(navigate, attempt = null) {
  const subject = attempt
    ? `Card verification failed: ${attempt.brand} ${attempt.maskedNumber ?? `•••• ${attempt.last4}`}`
    : "";
  return form(
    { "aria-label": "Open a service ticket" },
    [
      attempt ? h("p", {}, "About the attempt: ", h("strong", {}, attempt.result)) : null,
      field("subject", "Subject", { required: true, value: subject, maxlength: 200 }),
      field("description", "What happened, and what do you need?", { type: "textarea", required: true, maxlength: 5000 }),
    ],
    "Open service ticket",
    async (values, element) => {
      const input = { subject: values.subject, description: values.description };
      if (attempt) input.cardBindingAttemptId = attempt.id;
      const payload = (await gql(SUBMIT_TICKET, { input })).submitServiceTicket;
      if (!accepted(element, payload)) return;
      navigate(`/tickets/${encodeURIComponent(payload.ticket.id)}`);
    },
  );
}

export function heading(main, text, ...intro) {
  replace(main, h("h1", {}, text), intro.filter(Boolean).map((p) => (typeof p === "string" ? h("p", {}, p) : p)));
}

/**
 * A "Send code" button inside `element`: sends with `send()` (a SendCodePayload), then shows
 * `codeSection` (the code field, and whatever else it holds) and the form's submit button.
 * Errors about no field in particular show by `destinationField`, the address the code goes to.
 */
export function codeSender(element, label, codeSection, { send, sentText, codeField, destinationField }) {
  const note = h("div", { class: "notice", role: "status" });
  codeSection.prepend(note);
  codeSection.hidden = true;
  const submitActions = element.querySelector(":scope > .actions");
  submitActions.hidden = true;
  const button = h("button", { type: "button", class: "secondary", id: "send-code" }, label);
  button.addEventListener("click", async () => {
    clearErrors(element);
    button.disabled = true;
    try {
      const payload = await send();
      // A refusal of the whole request (a rate limit) is about the address the code goes to.
      const errors = payload.errors.map((error) => ({ ...error, field: error.field ?? destinationField }));
      if (!accepted(element, { errors })) return;
      const until = new Date(payload.expiresAt).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
      note.textContent = `${sentText()} It works until ${until}.`;
      codeSection.hidden = false;
      submitActions.hidden = false;
      button.textContent = "Send another code";
      codeSection.querySelector(`[data-field=${codeField}]`).focus();
    } catch (error) {
      showErrors(element, [{ field: null, code: error.code, message: error.message }]);
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "actions" }, button);
}
