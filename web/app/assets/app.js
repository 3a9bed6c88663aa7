// The reference frontend: the routes Onramp's links name, the header, the progress bar of
// the six steps, and the screens (one module per step or page), run by the shell. Paths under
// /staff start the staff console (staff/app.js) instead, in the same page.
import config from "../config.js";
import { ApiError, ERRORS, gql, resetSocket } from "./api.js";
import { h, navList, replace } from "./dom.js";
import { locale, preferred, remember, t, use } from "./i18n.js";
import { isAppPath, navigate, render, setFlash, start } from "./shell.js";

const STEP_LABELS = {
  REGISTER: () => t("Register"),
  SECURITY_PHONE: () => t("Security phone"),
  ENABLE_CLOUD: () => t("Enable cloud services"),
  MOBILE_NUMBER: () => t("Mobile number"),
  ACCOUNT_DETAILS: () => t("Account details"),
  PAYMENT_METHOD: () => t("Payment method"),
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

const ME = `{ locales { code name direction } me { id kind email locale createdAt cloudServicesEnabled
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
  setFlash(t("You are signed out."));
  navigate("/sign-in");
}

const SET_LOCALE = `mutation($input: SetLocaleInput!) { setLocale(input: $input) { ${ERRORS} } }`;

/** The language menu: signed in, it changes the account's language (its emails too). */
function languageSwitcher(me) {
  const choose = async (code) => {
    if (me) {
      const { setLocale } = await gql(SET_LOCALE, { input: { locale: code } });
      if (setLocale.errors.length) throw new ApiError(setLocale.errors[0].message, setLocale.errors[0].code);
    } else {
      remember(code);
    }
    await render();
  };
  const select = h(
    "select",
    { id: "language", "aria-label": t("Language"), onchange: (event) => choose(event.target.value).catch((e) => alert(e.message)) },
    offered.map((item) => h("option", { value: item.code, lang: item.code, selected: item.code === locale() }, item.name)),
  );
  return h("span", { class: "language" }, select);
}

function drawNav(me) {
  const nav = document.getElementById("nav");
  if (!me) {
    replace(nav, navList(["/sign-in", t("Sign in")], ["/register", t("Create account")], languageSwitcher(me)));
    return;
  }
  const signOutButton = h("button", { type: "button", onclick: () => signOut().catch((e) => alert(e.message)) }, t("Sign out ({email})", { email: me.email }));
  replace(
    nav,
    navList(["/", t("Progress")], ["/cards", t("Cards")], ["/bills", t("Bills")], ["/tickets", t("Tickets")], signOutButton, languageSwitcher(me)),
  );
}

function drawDev() {
  const dev = document.getElementById("dev");
  if (!config.outboxUrl) return;
  dev.hidden = false;
  replace(
    dev,
    t("Development: emails and SMS (with their codes) are kept in the outbox."),
    " ",
    h("a", { href: config.outboxUrl, target: "_blank", rel: "noopener" }, t("Open the outbox (in a new tab)")),
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
    const label = STEP_LABELS[step.key]?.() ?? step.key;
    const state =
      { COMPLETED: t("done"), SKIPPED: t("skipped"), PENDING: step.required ? t("to do") : t("optional"), BLOCKED: t("blocked") }[step.status] ??
      step.status.toLowerCase();
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
      { class: "progress", "aria-label": t("Sign-up progress: {done} of {total} steps done", { done, total: steps.length }) },
      h("ol", {}, steps),
    ),
  );
}

let offered = [];

/** The signed-in account (or null), with the page set to speak its language (signed out, the
 * one chosen here or the browser's). Onramp answers a signed-in request in the account's
 * language whatever the page asks, so `me` needs no second look. */
async function loadMe() {
  const { locales, me } = await gql(ME);
  offered = locales;
  const code = me?.locale ?? preferred(locales);
  const chosen = locales.find((item) => item.code === code) ?? locales[0];
  await use(chosen.code, chosen.direction);
  return me;
}

/** The staff console's routes: its own app, served in this same page. */
export function isStaffPath(pathname) {
  return pathname === "/staff" || pathname.startsWith("/staff/");
}

if (isStaffPath(location.pathname)) {
  import("./staff/app.js");
} else {
  start({
    routes: ROUTES,
    load: (name) => import(`./screens/${name}.js`),
    loadMe,
    signIn: "/sign-in",
    home: "/",
    title: "Onramp",
    drawHeader: (me, route) => {
      drawDev(); // in the page's language, once it is known
      drawNav(me);
      drawProgress(me, route[3]);
    },
  });
}
