// Step 4: every current agreement shown in full, each accepted, then Enable.
import { ERRORS, gql } from "../api.js";
import { navigate, resumePath } from "../app.js";
import { h } from "../dom.js";
import { accepted, form } from "../forms.js";
import { renderMarkdown } from "../markdown.js";
import { heading } from "./common.js";

const ENABLE = `mutation($input: EnableCloudServicesInput!) { enableCloudServices(input: $input) {
  account { id onboarding { continueUrl } } ${ERRORS} } }`;

export default async function enable({ main, me }) {
  const step = me.onboarding.steps.find((s) => s.key === "ENABLE_CLOUD");
  heading(main, "Enable cloud services");
  if (step.status === "BLOCKED") {
    main.append(
      h(
        "div",
        { class: "notice error", role: "alert" },
        h("p", {}, step.blockedReason ?? "This account cannot enable cloud services."),
        h(
          "p",
          {},
          "You can register a HUAWEI CLOUD account with the same email address: ",
          h("a", { href: `/register?kind=HUAWEI_CLOUD&region=${me.region.code}&email=${encodeURIComponent(me.email)}` }, "register a HUAWEI CLOUD account"),
          " (sign out first).",
        ),
      ),
    );
    return;
  }
  if (me.cloudServicesEnabled) {
    main.append(
      h("div", { class: "notice success", role: "status" }, "Cloud services are enabled for this account."),
      h("p", {}, h("a", { class: "button", href: resumePath(me.onboarding) }, "Continue")),
    );
    return;
  }
  const { agreements } = await gql("{ agreements { id key title version url content effectiveFrom } }");
  main.append(h("p", {}, "Read each agreement, accept it, then enable cloud services. Your acceptance is recorded with the time."));
  const element = form(
    { "aria-label": "Accept the agreements" },
    h(
      "fieldset",
      { dataset: { field: "acceptedAgreementIds" } },
      h("legend", {}, "Agreements"),
      agreements.map((agreement) => {
        const textId = `agreement-${agreement.key}`;
        return h(
          "article",
          { class: "agreement" },
          h(
            "div",
            { class: "text", id: textId, tabindex: "0", role: "region", "aria-label": `${agreement.title}, version ${agreement.version}` },
            renderMarkdown(agreement.content),
          ),
          h(
            "div",
            { class: "accept" },
            h("input", { type: "checkbox", id: `${textId}-accept`, value: agreement.id, class: "accept-agreement", "aria-describedby": textId }),
            h("label", { for: `${textId}-accept` }, ` I have read and accept the ${agreement.title} (version ${agreement.version}). `),
            h("a", { href: new URL(agreement.url).pathname, target: "_blank", rel: "noopener" }, "Open it on its own page"),
          ),
        );
      }),
      h("p", { class: "field-error", hidden: true, id: "agreements-error" }),
    ),
    "Enable cloud services",
    async (_values, formElement) => {
      const ids = [...formElement.querySelectorAll(".accept-agreement:checked")].map((box) => box.value);
      const payload = (await gql(ENABLE, { input: { acceptedAgreementIds: ids } })).enableCloudServices;
      if (!accepted(formElement, payload)) return;
      navigate(resumePath(payload.account.onboarding));
    },
  );
  main.append(element);
}
