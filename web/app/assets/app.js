// The reference frontend: the routes Onramp's links name, the header, the progress bar of
// the six steps, and the screens (one module per step or page), run by the shell. Paths under
// /staff start the staff console (staff/app.js) instead, in the same page.
import config from "../config.js";
import { ApiError, ERRORS, gql, resetSocket } from "./api.js";
import { h, navList, replace } from "./dom.js";
import { isAppPath, navigate, setFlash, start } from "./shell.js";

const STEP_LABELS = {
  REGISTER: "Register",
  SECURITY_PHONE: "Security phone",
  ENABLE_CLOUD: "Enable cloud services",
  MOBILE_NUMBER: "Mobile number",
  ACCOUNT_DETAILS: "Account details",
  PAYMENT_METHOD: "Payment method",
};
export const STEP_PATHS = {
  REGISTER: "/register",
  SECURITY_PHONE: "/onboarding/security-phone",
  ENABLE_CLOUD: "/onboarding/enable-cloud",
  MOBILE_NUMBER: "/onboarding/mobile",
  ACCOUNT_DETAILS: "/onboarding/details",
  PAYMENT_METHOD: "/onboarding/payment",
};
const STEP_OF_PATH = Object.fromEntries(Object.entries(STEP_PATHS).map(([k, v]) => [v, k]));

// [pattern, module, needs a session, shows the progress bar]
const ROUTES = [
  [/^\/$/, "home", false, true],
  [/^\/register$/, "register", false, false],
  [/^\/sign-in$/, "signin", false, false],
  [/^\/reset-password$/, "reset", false, false],
  [/^\/onboarding\/(security-phone|mobile)$/, "phone", true, true],
  [/^\/onboarding\/enable-cloud$/, "enable", true, true],
  [/^\/onboarding\/details$/, "details", true, true],
  [/^\/onboarding\/payment$/, "payment", true, true],
  [/^\/cards$/, "cards", true, false],
  [/^\/bills$/, "bills", true, false],
  [/^\/bills\/([^/]+)$/, "bill", true, false],
  [/^\/tickets$/, "tickets", true, false],
  [/^\/tickets\/([^/]+)$/, "ticket", true, false],
  [/^\/legal\/([^/]+)\/([^/]+)$/, "legal", false, false],
];

const ME = `{ me { id kind email createdAt cloudServicesEnabled
  region { code name callingCode currency verificationDeposit { amount currency } cloudEnableKinds }
  onboarding { steps { key status required blockedReason } nextStep blocked
    cloudServicesEnabled canSubscribeToServices continueUrl } } }`;

export { navigate, setFlash } from "./shell.js";

/** Where a person carries on: a safe `next` of ours, else their next step, else the overview. */
export function resumePath(onboarding, next) {
  if (next && next.startsWith("/") && !next.startsWith("//") && isAppPath(new URL(next, location.href).pathname)) {
    return next;
  }
  if (onboarding?.continueUrl) {
    const path = new URL(onboarding.continueUrl).pathname;
    if (isAppPath(path)) return path;
  }
  return "/";
}

export async function signedIn() {
  resetSocket();
}

async function signOut() {
  const data = await gql(`mutation { logout { ${ERRORS} } }`);
  resetSocket();
  if (data.logout.errors.length) throw new ApiError(data.logout.errors[0].message, data.logout.errors[0].code);
  setFlash("You are signed out.");
  navigate("/sign-in");
}

function drawNav(me) {
  const nav = document.getElementById("nav");
  if (!me) {
    replace(nav, navList(["/sign-in", "Sign in"], ["/register", "Create account"]));
    return;
  }
  const signOutButton = h("button", { type: "button", onclick: () => signOut().catch((e) => alert(e.message)) }, `Sign out (${me.email})`);
  replace(nav, navList(["/", "Progress"], ["/cards", "Cards"], ["/bills", "Bills"], ["/tickets", "Tickets"], signOutButton));
}

function drawDev() {
  const dev = document.getElementById("dev");
  if (!config.outboxUrl) return;
  dev.hidden = false;
  replace(
    dev,
    "Development: emails and SMS (with their codes) are kept in the ",
    h("a", { href: config.outboxUrl, target: "_blank", rel: "noopener" }, "outbox (opens in a new tab)"),
    ".",
  );
}

function drawProgress(me, show) {
  const target = document.getElementById("progress");
  if (!me || !show) {
    target.replaceChildren();
    return;
  }
  const current = STEP_OF_PATH[location.pathname] ?? (location.pathname === "/" ? null : undefined);
  const steps = me.onboarding.steps.map((step) => {
    const label = STEP_LABELS[step.key] ?? step.key;
    const state = { COMPLETED: "done", SKIPPED: "skipped", PENDING: step.required ? "to do" : "optional", BLOCKED: "blocked" }[step.status] ?? step.status.toLowerCase();
    const reachable = step.key !== "REGISTER" && step.status !== "BLOCKED";
    return h(
      "li",
      { class: step.status, "aria-current": step.key === current ? "step" : null },
      reachable ? h("a", { href: STEP_PATHS[step.key] }, label) : label,
      h("span", { class: "state" }, state),
    );
  });
  const done = me.onboarding.steps.filter((s) => s.status === "COMPLETED" || s.status === "SKIPPED").length;
  replace(
    target,
    h(
      "nav",
      { class: "progress", "aria-label": `Sign-up progress: ${done} of ${steps.length} steps done` },
      h("ol", {}, steps),
    ),
  );
}

async function loadMe() {
  return (await gql(ME)).me;
}

/** The staff console's routes: its own app, served in this same page. */
export function isStaffPath(pathname) {
  return pathname === "/staff" || pathname.startsWith("/staff/");
}

if (isStaffPath(location.pathname)) {
  import("./staff/app.js");
} else {
  drawDev();
  start({
    routes: ROUTES,
    load: (name) => import(`./screens/${name}.js`),
    loadMe,
    signIn: "/sign-in",
    home: "/",
    title: "Onramp",
    drawHeader: (me, route) => {
      drawNav(me);
      drawProgress(me, route[3]);
    },
  });
}
