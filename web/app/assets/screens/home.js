// `/`: the start. Signed out, registration; signed in, the account's progress, its next
// step and its messages.
import { gql } from "../api.js";
import { STEP_PATHS } from "../app.js";
import { h, when } from "../dom.js";
import { KIND_NAMES, heading } from "./common.js";
import register from "./register.js";

const MESSAGES = "{ me { messages { id title body link createdAt readAt } } }";

export default async function home(context) {
  const { main, me } = context;
  if (!me) {
    await register(context);
    return;
  }
  const progress = me.onboarding;
  heading(main, "Your account", `${me.email} · ${KIND_NAMES[me.kind] ?? me.kind} · ${me.region.name}`);
  const blocked = progress.steps.find((step) => step.status === "BLOCKED");
  if (progress.canSubscribeToServices) {
    main.append(h("div", { class: "notice success", role: "status" }, "Your account is complete: you can subscribe to cloud services."));
  } else if (progress.nextStep) {
    main.append(h("p", {}, h("a", { class: "button", href: STEP_PATHS[progress.nextStep], id: "continue" }, "Continue where you left off")));
  }
  if (blocked) {
    main.append(h("div", { class: "notice error", role: "alert" }, blocked.blockedReason ?? "A step cannot be taken by this account."));
  }
  const { me: withMessages } = await gql(MESSAGES);
  if (withMessages.messages.length) {
    main.append(
      h("h2", {}, "Messages"),
      h(
        "ul",
        { class: "cards" },
        withMessages.messages.map((message) =>
          h(
            "li",
            {},
            h("strong", {}, message.title),
            h("span", { class: "muted" }, ` ${when(message.createdAt)}`),
            h("p", { class: "pre" }, message.body),
            message.link ? h("a", { href: message.link }, "Open") : null,
          ),
        ),
      ),
    );
  }
}
