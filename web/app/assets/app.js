// The reference frontend: a router over the routes Onramp's links name, the header, the
// progress bar of the six steps, and the screens (one module per step or page).
import config from "../config.js";
import { ApiError, ERRORS, gql, resetSocket } from "./api.js";
import { h, replace } from "./dom.js";

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

let flash = null;
let rendering = 0;

/** A notice shown once, on the next screen drawn. */
export function setFlash(text, kind = "success") {
  flash = { text, kind };
}

export function isAppPath(pathname) {
  return ROUTES.some(([pattern]) => pattern.test(pathname));
}

export function navigate(target, { replace: replaceEntry = false } = {}) {
  const url = new URL(target, location.href);
  if (url.origin !== location.origin || !isAppPath(url.pathname)) {
    location.assign(url.href);
    return;
  }
  history[replaceEntry ? "replaceState" : "pushState"]({}, "", url.pathname + url.search + url.hash);
  render();
}

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
  const link = (href, text) => h("li", {}, h("a", { href, "aria-current": location.pathname === href ? "page" : null }, text));
  if (!me) {
    replace(nav, h("ul", {}, link("/sign-in", "Sign in"), link("/register", "Create account")));
    return;
  }
  replace(
    nav,
    h(
      "ul",
      {},
      link("/", "Progress"),
      link("/cards", "Cards"),
      link("/bills", "Bills"),
      link("/tickets", "Tickets"),
      h("li", {}, h("button", { type: "button", onclick: () => signOut().catch((e) => alert(e.message)) }, `Sign out (${me.email})`)),
    ),
  );
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

export async function render() {
  const ticket = ++rendering;
  document.body.dataset.screen = "loading";
  const main = document.getElementById("main");
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  if (!route) {
    replace(main, h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "/" }, "Go to the start")));
    return;
  }
  const [pattern, name, needsSession, showProgress] = route;
  const params = path.match(pattern).slice(1).map(decodeURIComponent);
  let me = null;
  try {
    me = await loadMe();
  } catch (error) {
    if (ticket !== rendering) return;
    replace(main, h("h1", {}, "Onramp cannot be reached"), h("div", { class: "notice error", role: "alert" }, error.message));
    return;
  }
  if (ticket !== rendering) return;
  if (needsSession && !me) {
    setFlash("Sign in to carry on.", "warning");
    navigate(`/sign-in?next=${encodeURIComponent(path + location.search)}`, { replace: true });
    return;
  }
  drawNav(me);
  drawProgress(me, showProgress);
  const module = await import(`./screens/${name}.js`);
  if (ticket !== rendering) return;
  main.replaceChildren();
  if (flash) {
    main.append(h("div", { class: `notice ${flash.kind}`, role: "status" }, flash.text));
    flash = null;
  }
  const screen = h("div", { class: "screen" });
  main.append(screen);
  try {
    await module.default({ main: screen, params, query, me, path, refresh: render });
  } catch (error) {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
      navigate(`/sign-in?next=${encodeURIComponent(path)}`, { replace: true });
      return;
    }
    screen.append(h("div", { class: "notice error", role: "alert" }, error.message));
  }
  const heading = screen.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Onramp` : "Onramp";
  if (ticket === rendering && document.activeElement === document.body) main.focus({ preventScroll: true });
  document.body.dataset.screen = name;
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || link.target) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !isAppPath(url.pathname)) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener("popstate", () => render());

drawDev();
render();
