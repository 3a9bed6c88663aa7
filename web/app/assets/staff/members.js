// /staff/members (admins): every staff member; enrolling one (the answer's setup code and
// second factor, as text and as a QR code, are shown once, here), ending a member's access,
// and giving a member who lost their phone a new second factor.
import { ERRORS } from "../api.js";
import { h, replace, table, when } from "../dom.js";
import { accepted, field, form } from "../forms.js";
import { heading } from "../screens/common.js";
import { ROLE_NAMES, may, staffGql } from "./api.js";
import { qrCode } from "./qr.js";

const MEMBER = "id email role createdAt passwordSet disabledAt";
const MEMBERS = `{ staffMembers { ${MEMBER} } }`;
const CREATE = `mutation($input: CreateStaffInput!) { createStaffMember(input: $input) {
  staff { ${MEMBER} } setupCode otpauthUrl ${ERRORS} } }`;
const DISABLE = `mutation($input: StaffInput!) { disableStaffMember(input: $input) { staff { ${MEMBER} } ${ERRORS} } }`;
const RESET = `mutation($input: StaffInput!) { resetStaffSecondFactor(input: $input) {
  staff { ${MEMBER} } otpauthUrl ${ERRORS} } }`;

export default async function members({ main, me }) {
  if (!may(me, "ADMIN")) {
    heading(main, "Staff members", "Only admins manage staff members.");
    return;
  }
  heading(main, "Staff members");
  const enrolment = h("section", { id: "enrolment", "aria-label": "New second factor", hidden: true });
  const list = h("div");
  main.append(enrolment, list);

  /** What to hand over, once: the setup code (for a new member) and the second factor. */
  const showEnrolment = (member, otpauthUrl, setupCode) => {
    const done = h("button", { type: "button", class: "secondary" }, "Done: hide these");
    done.addEventListener("click", () => {
      enrolment.hidden = true;
      enrolment.replaceChildren();
      main.focus();
    });
    replace(
      enrolment,
      h("h2", { id: "enrolment-title", tabindex: "-1" }, setupCode ? `${member.email} is enrolled` : `A new second factor for ${member.email}`),
      h(
        "div",
        { class: "notice warning" },
        `Hand these to ${member.email} in person now: they are shown only once and are not stored where anyone can read them. `,
        setupCode
          ? "They scan the QR code with an authenticator app, then set a password at /staff/set-password with the setup code and a code from the app."
          : "They scan the QR code with their authenticator app; their old codes and sessions no longer work.",
      ),
      h(
        "dl",
        { class: "facts" },
        setupCode ? [h("dt", {}, "Setup code"), h("dd", {}, h("code", { id: "setup-code" }, setupCode))] : null,
        h("dt", {}, "Authenticator address"),
        h("dd", {}, h("code", { id: "otpauth-url", class: "wrap" }, otpauthUrl)),
      ),
      qrCode(otpauthUrl, `QR code of the second factor for ${member.email}`),
      h("div", { class: "actions" }, done),
    );
    enrolment.hidden = false;
    enrolment.querySelector("#enrolment-title").focus();
  };

  const draw = async () => {
    const { staffMembers } = await staffGql(MEMBERS);
    replace(
      list,
      table(
        { "aria-label": "Staff members", id: "members" },
        [
          ["Email", (m) => [m.email, m.id === me.id ? h("span", { class: "badge" }, "you") : null]],
          ["Role", (m) => ROLE_NAMES[m.role] ?? m.role],
          ["Password", (m) => (m.passwordSet ? "set" : "not yet")],
          ["Added", (m) => when(m.createdAt)],
          ["Access", (m) => (m.disabledAt ? h("span", { class: "badge FAILED" }, `disabled ${when(m.disabledAt)}`) : "active")],
          ["Actions", (m) => (m.disabledAt || m.id === me.id ? "" : memberActions(m))],
        ],
        staffMembers,
        (m) => ({ dataset: { member: m.email } }),
      ),
    );
  };

  const memberActions = (member) =>
    h(
      "div",
      { class: "actions" },
      confirmed("Reset second factor", `Give ${member.email} a new second factor? Their sessions end.`, member, async (element) => {
        const payload = (await staffGql(RESET, { input: { staffId: member.id } })).resetStaffSecondFactor;
        if (!accepted(element, payload)) return;
        await draw();
        showEnrolment(payload.staff, payload.otpauthUrl, null);
      }),
      confirmed("Disable", `Disable ${member.email}? Their access and sessions end at once.`, member, async (element) => {
        const payload = (await staffGql(DISABLE, { input: { staffId: member.id } })).disableStaffMember;
        if (!accepted(element, payload)) return;
        await draw();
      }),
    );

  await draw();
  main.append(
    h("h2", {}, "Add a staff member"),
    form(
      { "aria-label": "Add a staff member" },
      [
        field("email", "Email address", { type: "email", required: true, autocomplete: "off" }),
        field("role", "Role", {
          required: true,
          value: "SUPPORT",
          options: [
            { value: "SUPPORT", label: "Support: reads accounts, answers tickets" },
            { value: "BILLING", label: "Billing: support, and arrears, charges and refunds" },
            { value: "ADMIN", label: "Admin: all of it, and staff members" },
          ],
        }),
      ],
      "Add member",
      async (values, element) => {
        const payload = (await staffGql(CREATE, { input: { email: values.email, role: values.role } })).createStaffMember;
        if (!accepted(element, payload)) return;
        element.reset();
        await draw();
        showEnrolment(payload.staff, payload.otpauthUrl, payload.setupCode);
      },
    ),
  );
}

/** A button that asks first: pressing it shows the question, a "Yes" that runs, and Cancel. */
function confirmed(label, question, member, run) {
  const holder = h("div", { class: "confirm" });
  const ask = () => {
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const yes = form({ "aria-label": question }, [h("p", {}, question)], `Yes: ${label.toLowerCase()}`, (_values, element) => run(element));
    yes.querySelector(".actions").append(cancel);
    cancel.addEventListener("click", () => {
      idle();
      holder.querySelector("button").focus();
    });
    replace(holder, yes);
    yes.querySelector("button[type=submit]").focus();
  };
  const idle = () => {
    const button = h("button", { type: "button", class: "secondary", "aria-label": `${label}: ${member.email}` }, label);
    button.addEventListener("click", ask);
    replace(holder, button);
  };
  idle();
  return holder;
}
