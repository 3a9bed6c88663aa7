// Accessible forms: every control has a label; each UserError shows next to the field its
// `field` names (aria-invalid, aria-describedby), the rest in an alert above the button.
import { h, replace } from "./dom.js";

let counter = 0;

function idFor(name) {
  counter += 1;
  return `f-${name.replace(/[^a-zA-Z0-9]+/g, "-")}-${counter}`;
}

/**
 * One labelled control. `name` is the input path a UserError names (e.g. "individual.fullName").
 * Options: label, type, value, hint, required, autocomplete, inputmode, options (select:
 * [{value, label}]), rows (textarea), oninput, maxlength.
 */
export function field(name, label, options = {}) {
  const id = idFor(name);
  const hintId = options.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const common = {
    id,
    name,
    dataset: { field: name },
    required: options.required ?? false,
    autocomplete: options.autocomplete ?? null,
    inputmode: options.inputmode ?? null,
    maxlength: options.maxlength ?? null,
    "aria-describedby": hintId,
    oninput: options.oninput ?? null,
    onchange: options.onchange ?? null,
  };
  let control;
  if (options.options) {
    control = h("select", common, options.options.map((o) => h("option", { value: o.value, selected: o.value === options.value }, o.label)));
  } else if (options.type === "textarea") {
    control = h("textarea", { ...common, rows: options.rows ?? 5 }, options.value ?? "");
  } else {
    control = h("input", { ...common, type: options.type ?? "text", value: options.value ?? "" });
  }
  const error = h("p", { id: errorId, class: "field-error", hidden: true });
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label, options.required ? "" : h("span", { class: "muted" }, " (optional)")),
    control,
    options.hint ? h("p", { id: hintId, class: "hint" }, options.hint) : null,
    error,
  );
}

export function checkbox(name, label, options = {}) {
  const id = idFor(name);
  return h(
    "div",
    { class: "field check" },
    h("input", { id, type: "checkbox", name, dataset: { field: name }, checked: options.checked ?? false, value: options.value ?? "on" }),
    h("label", { for: id }, label),
    h("p", { id: `${id}-error`, class: "field-error", hidden: true }),
  );
}

export function radios(name, legend, choices, selected, onchange) {
  return h(
    "fieldset",
    { dataset: { field: name } },
    h("legend", {}, legend),
    choices.map((choice) => {
      const id = idFor(`${name}-${choice.value}`);
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "radio", id, name, value: choice.value, checked: choice.value === selected, onchange }),
        h("label", { for: id }, choice.label),
      );
    }),
  );
}

/** A form with an alert area and a submit button; onSubmit(values, form) may throw. */
export function form(attrs, children, submitLabel, onSubmit) {
  const alert = h("div", { class: "notice error", role: "alert", hidden: true });
  const button = h("button", { type: "submit" }, submitLabel);
  const element = h("form", { novalidate: true, ...attrs }, children, alert, h("div", { class: "actions" }, button));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(element);
    button.disabled = true;
    try {
      await onSubmit(values(element), element);
    } catch (error) {
      showErrors(element, [{ field: null, code: error.code ?? "ERROR", message: error.message }]);
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

export function values(formElement) {
  const result = {};
  for (const control of formElement.querySelectorAll("[data-field]")) {
    if (!("value" in control) || control.tagName === "FIELDSET") continue;
    const name = control.dataset.field;
    result[name] = control.type === "checkbox" ? control.checked : control.value.trim();
  }
  for (const radio of formElement.querySelectorAll("input[type=radio]:checked")) {
    result[radio.name] = radio.value;
  }
  return result;
}

export function clearErrors(formElement) {
  for (const control of formElement.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const described = (control.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => !id.endsWith("-error"));
    if (described.length) control.setAttribute("aria-describedby", described.join(" "));
    else control.removeAttribute("aria-describedby");
  }
  for (const message of formElement.querySelectorAll(".field-error")) {
    message.hidden = true;
    message.textContent = "";
  }
  const alert = formElement.querySelector(":scope > [role=alert]");
  if (alert) {
    alert.hidden = true;
    alert.replaceChildren();
  }
}

/** When RATE_LIMITED, says when to try again (from retryAfter). */
export function describe(error) {
  if (error.code === "RATE_LIMITED" && error.retryAfter) {
    const at = new Date(error.retryAfter);
    const seconds = Math.max(1, Math.ceil((at.getTime() - Date.now()) / 1000));
    const clock = at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    const wait = seconds >= 120 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
    return `${error.message} Try again at ${clock} (in ${wait}).`;
  }
  return error.message;
}

/** Shows each error next to its field; errors with no field (or an unknown one) in the alert. */
export function showErrors(formElement, errors) {
  const alert = formElement.querySelector(":scope > [role=alert]");
  const general = [];
  let first = null;
  for (const error of errors) {
    const control = error.field ? findControl(formElement, error.field) : null;
    if (!control) {
      general.push(describe(error));
      continue;
    }
    const target = control.tagName === "FIELDSET" ? control.querySelector("input") ?? control : control;
    const message = control.tagName === "FIELDSET"
      ? control.querySelector(".field-error") ?? control.appendChild(h("p", { class: "field-error", id: idFor("group-error") }))
      : control.closest(".field")?.querySelector(".field-error");
    if (message) {
      message.textContent = message.textContent ? `${message.textContent} ${describe(error)}` : describe(error);
      message.hidden = false;
      if (!message.id) message.id = idFor("error");
      target.setAttribute("aria-invalid", "true");
      const described = new Set((target.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean));
      described.add(message.id);
      target.setAttribute("aria-describedby", [...described].join(" "));
    } else {
      general.push(describe(error));
    }
    first ??= target;
  }
  if (general.length && alert) {
    replace(alert, general.length === 1 ? general[0] : h("ul", {}, general.map((text) => h("li", {}, text))));
    alert.hidden = false;
  }
  (first ?? alert)?.focus?.();
  if (!first && alert) {
    alert.setAttribute("tabindex", "-1");
    alert.focus();
  }
}

function findControl(formElement, path) {
  for (const control of formElement.querySelectorAll("[data-field]")) {
    if (control.dataset.field === path) return control;
  }
  // A field the form does not show (e.g. "input"): the alert carries it.
  return null;
}

/** Runs a mutation's payload: shows its errors and returns false, or returns true. */
export function accepted(formElement, payload) {
  if (payload.errors.length) {
    showErrors(formElement, payload.errors);
    return false;
  }
  return true;
}
