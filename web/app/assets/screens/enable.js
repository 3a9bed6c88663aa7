// Step 4: every current agreement shown in full, each accepted, then Enable.
import { ERRORS, gql } from "../api.js";
import { navigate, resumePath } from "../app.js";
import { h } from "../dom.js";
import { accepted, form } from "../forms.js";
import { renderMarkdown } from "../markdown.js";
import { t } from "../i18n.js";
import { heading } from "./common.js";

const ENABLE = `mutation($input: EnableCloudServicesInput!) { enableCloudServices(input: $input) {
  account { id onboarding { continueUrl } } ${ERRORS} } }`;

export default async function enable({ main, me }) {
  const step = me.onboarding.steps.find((s) => s.key === "ENABLE_CLOUD");
  heading(main, t("Enable cloud services"));
  if (step.status === "BLOCKED") {
    main.append(
      h(
        "div",
        { class: "notice error", role: "alert" },
        h("p", {}, step.blockedReason ?? t("This account cannot enable cloud services.")),
        h(
          "p",
          {},
          t("You can register a HUAWEI CLOUD account with the same email address (sign out first)."),
          " ",
          h("a", { href: `/register?kind=HUAWEI_CLOUD&region=${me.region.code}&email=${encodeURIComponent(me.email)}` }, t("Register a HUAWEI CLOUD account")),
        ),
      ),
    );
    return;
  }
  if (me.cloudServicesEnabled) {
    main.append(
      h("div", { class: "notice success", role: "status" }, t("Cloud services are enabled for this account.")),
      h("p", {}, h("a", { class: "button", href: resumePath(me.onboarding) }, t("Continue"))),
    );
    return;
  }
  const { agreements } = await gql("{ agreements { id key title version url content effectiveFrom } }");
  main.append(h("p", {}, t("Read each agreement, accept it, then enable cloud services. Your acceptance is recorded with the time.")));
  const element = form(
    { "aria-label": t("Accept the agreements") },
    h(
      "fieldset",
      { dataset: { field: "acceptedAgreementIds" } },
      h("legend", {}, t("Agreements")),
      agreements.map((agreement) => {
        const textId = `agreement-${agreement.key}`;
        return h(
          "article",
          { class: "agreement" },
          h(
            "div",
            { class: "text", id: textId, tabindex: "0", role: "region", "aria-label": t("{title}, version {version}", { title: agreement.title, version: agreement.version }) },
            renderMarkdown(agreement.content),
          ),
          h(
            "div",
            { class: "accept" },
            h("input", { type: "checkbox", id: `${textId}-accept`, value: agreement.id, class: "accept-agreement", "aria-describedby": textId }),
            h("label", { for: `${textId}-accept` }, ` ${t("I have read and accept the {title} (version {version}).", { title: agreement.title, version: agreement.version })} `),
            h("a", { href: new URL(agreement.url).pathname, target: "_blank", rel: "noopener" }, t("Open it on its own page")),
          ),
        );
      }),
      h("p", { class: "field-error", hidden: true, id: "agreements-error" }),
    ),
    t("Enable cloud services"),
    async (_values, formElement) => {
      const ids = [...formElement.querySelectorAll(".accept-agreement:checked")].map((box) => box.value);
      const payload = (await gql(ENABLE, { input: { acceptedAgreementIds: ids } })).enableCloudServices;
      if (!accepted(formElement, payload)) return;
      navigate(resumePath(payload.account.onboarding));
    },
  );
  main.append(element);
}
