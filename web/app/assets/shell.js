// What both frontends of this folder share, the customer's at / and the staff console at
// /staff: a router over routes listed by name (one screen module each), the notice shown on
// the next screen, in-page links, focus and titles, and going to sign-in when there is no
// session or it ended. Each app calls `start` once with its own routes and header.
import { ApiError } from "./api.js";
import { h, replace } from "./dom.js";

let app = null;
let flash = null;
let rendering = 0;

/** A notice shown once, on the next screen drawn. */
export function setFlash(text, kind = "success") {
  flash = { text, kind };
}

export function isAppPath(pathname) {
  return app.routes.some(([pattern]) => pattern.test(pathname));
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

/** To sign-in, coming back here afterwards: no session, or the server says it has ended. */
export function toSignIn(text = "Sign in to carry on.") {
  if (location.pathname === app.signIn) return;
  setFlash(text, "warning");
  navigate(`${app.signIn}?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
}

export async function render() {
  const ticket = ++rendering;
  document.body.dataset.screen = "loading";
  const main = document.getElementById("main");
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  const route = app.routes.find(([pattern]) => pattern.test(path));
  if (!route) {
    replace(main, h("h1", {}, "Page not found"), h("p", {}, h("a", { href: app.home }, "Go to the start")));
    return;
  }
  const [pattern, name, needsSession] = route;
  const params = path.match(pattern).slice(1).map(decodeURIComponent);
  let me = null;
  try {
    me = await app.loadMe();
  } catch (error) {
    if (ticket !== rendering) return;
    replace(main, h("h1", {}, `${app.title} cannot be reached`), h("div", { class: "notice error", role: "alert" }, error.message));
    return;
  }
  if (ticket !== rendering) return;
  if (needsSession && !me) {
    toSignIn();
    return;
  }
  app.drawHeader(me, route);
  const module = await app.load(name);
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
      toSignIn();
      return;
    }
    screen.append(h("div", { class: "notice error", role: "alert" }, error.message));
  }
  const heading = screen.querySelector("h1");
  document.title = heading ? `${heading.textContent} · ${app.title}` : app.title;
  if (ticket === rendering && document.activeElement === document.body) main.focus({ preventScroll: true });
  document.body.dataset.screen = name;
}

/**
 * Starts an app: `routes` ([pattern, screen name, needs a session, ...what the app's header
 * reads]), `load(name)` (the screen's module), `loadMe()` (null when signed out), `signIn`
 * and `home` (paths), `title`, and `drawHeader(me, route)`.
 */
export function start(options) {
  app = options;
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || link.target) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !isAppPath(url.pathname)) return;
    // A link to a part of this same screen: the browser scrolls there; nothing is redrawn.
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
  window.addEventListener("popstate", () => render());
  render();
}
