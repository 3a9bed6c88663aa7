// Step 5.2: an individual's or an enterprise's details (may be done on a later sign-in).
import { ERRORS, gql } from "../api.js";
import { navigate, resumePath } from "../app.js";
import { h } from "../dom.js";
import { accepted, field, form, radios } from "../forms.js";
import { t } from "../i18n.js";
import { heading } from "./common.js";

const ADDRESS = "line1 line2 city state postalCode";
const CURRENT = `{ me { region { name } details { __typename
  ... on IndividualDetails { fullName address { ${ADDRESS} } }
  ... on EnterpriseDetails { companyName registrationNumber taxId contactName registeredAddress { ${ADDRESS} } } } } }`;
const COMPLETE = `mutation($input: AccountDetailsInput!) { completeAccountDetails(input: $input) {
  account { id onboarding { continueUrl } } ${ERRORS} } }`;

function addressFields(prefix, legend, address, required, regionName) {
  return h(
    "fieldset",
    {},
    h("legend", {}, legend),
    h("p", { class: "hint" }, t("In {region}, your account's region.", { region: regionName })),
    field(`${prefix}.line1`, t("Street and number"), { required, autocomplete: "address-line1", value: address?.line1 }),
    field(`${prefix}.line2`, t("Address line 2"), { autocomplete: "address-line2", value: address?.line2 ?? "" }),
    h(
      "div",
      { class: "row" },
      field(`${prefix}.postalCode`, t("Postal code"), { required, autocomplete: "postal-code", value: address?.postalCode }),
      field(`${prefix}.city`, t("City"), { required, autocomplete: "address-level2", value: address?.city }),
    ),
    field(`${prefix}.state`, t("State or province"), { autocomplete: "address-level1", value: address?.state ?? "" }),
  );
}

function address(values, prefix) {
  const read = (name) => values[`${prefix}.${name}`] ?? "";
  const result = { line1: read("line1"), city: read("city"), postalCode: read("postalCode") };
  if (read("line2")) result.line2 = read("line2");
  if (read("state")) result.state = read("state");
  const empty = !result.line1 && !result.city && !result.postalCode && !result.line2 && !result.state;
  return empty ? null : result;
}

export default async function details({ main }) {
  const { me } = await gql(CURRENT);
  const existing = me.details;
  const initial = existing?.__typename === "EnterpriseDetails" ? "enterprise" : "individual";
  heading(main, t("Account details"), existing ? t("Your details are saved; you may correct them.") : t("Who holds this account?"));
  const individual = h(
    "div",
    { id: "individual-fields" },
    field("individual.fullName", t("Full name"), { required: true, autocomplete: "name", value: existing?.fullName }),
    addressFields("individual.address", t("Address (optional)"), existing?.address, false, me.region.name),
  );
  const enterprise = h(
    "div",
    { id: "enterprise-fields" },
    field("enterprise.companyName", t("Company name"), { required: true, autocomplete: "organization", value: existing?.companyName }),
    field("enterprise.registrationNumber", t("Registration number"), { required: true, value: existing?.registrationNumber, hint: t("3 to 64 letters, digits or - / .") }),
    field("enterprise.taxId", t("Tax ID (VAT number)"), { value: existing?.taxId ?? "" }),
    field("enterprise.contactName", t("Contact person"), { required: true, autocomplete: "name", value: existing?.contactName }),
    addressFields("enterprise.registeredAddress", t("Registered address"), existing?.registeredAddress, true, me.region.name),
  );
  const show = (kind) => {
    individual.hidden = kind !== "individual";
    enterprise.hidden = kind !== "enterprise";
  };
  const element = form(
    { "aria-label": t("Account details") },
    [
      radios(
        "type",
        t("Account holder"),
        [
          { value: "individual", label: t("An individual") },
          { value: "enterprise", label: t("An enterprise") },
        ],
        initial,
        (event) => show(event.target.value),
      ),
      individual,
      enterprise,
    ],
    t("Save details"),
    async (values, formElement) => {
      let input;
      if (values.type === "enterprise") {
        input = {
          enterprise: {
            companyName: values["enterprise.companyName"],
            registrationNumber: values["enterprise.registrationNumber"],
            contactName: values["enterprise.contactName"],
            registeredAddress: address(values, "enterprise.registeredAddress") ?? { line1: "", city: "", postalCode: "" },
          },
        };
        if (values["enterprise.taxId"]) input.enterprise.taxId = values["enterprise.taxId"];
      } else {
        input = { individual: { fullName: values["individual.fullName"] } };
        const home = address(values, "individual.address");
        if (home) input.individual.address = home;
      }
      const payload = (await gql(COMPLETE, { input })).completeAccountDetails;
      if (!accepted(formElement, payload)) return;
      navigate(resumePath(payload.account.onboarding));
    },
  );
  show(initial);
  main.append(element);
}
