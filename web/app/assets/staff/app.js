// The staff console at /staff: support and billing staff answer tickets and look after
// accounts, admins manage staff, all through /staff/graphql. It runs in the reference
// frontend's page, on its shell, with its own routes and header; actions a member's role
// lacks are not shown (and the server refuses them anyway).
import { ERRORS } from "../api.js";
import { h, navList, replace } from "../dom.js";
import { navigate, setFlash, start } from "../shell.js";
import { ROLE_NAMES, may, staffGql } from "./api.js";

// [pattern, module, needs a session]
const ROUTES = [
  [/^\/staff$/, "queue", true],
  [/^\/staff\/sign-in$/, "signin", false],
  [/^\/staff\/set-password$/, "password", false],
  [/^\/staff\/tickets\/([^/]+)$/, "ticket", true],
  [/^\/staff\/accounts$/, "accounts", true],
  [/^\/staff\/accounts\/([^/]+)$/, "account", true],
  [/^\/staff\/members$/, "members", true],
];

async function signOut() {
  const payload = (await staffGql(`mutation { signOut { ${ERRORS} } }`)).signOut;
  if (payload.errors.length) throw new Error(payload.errors[0].message);
  setFlash("You are signed out.");
  navigate("/staff/sign-in");
}

function drawHeader(me) {
  const nav = document.getElementById("nav");
  if (!me) {
    replace(nav, navList(["/staff/sign-in", "Sign in"]));
    return;
  }
  const signOutButton = h(
    "button",
    { type: "button", onclick: () => signOut().catch((e) => alert(e.message)) },
    `Sign out (${me.email}, ${ROLE_NAMES[me.role] ?? me.role})`,
  );
  replace(
    nav,
    navList(
      ["/staff", "Tickets"],
      ["/staff/accounts", "Accounts"],
      may(me, "ADMIN") ? ["/staff/members", "Staff members"] : null,
      signOutButton,
    ),
  );
}

document.body.dataset.app = "staff";
const brand = document.querySelector(".brand");
brand.href = "/staff";
brand.textContent = "Onramp staff";
document.getElementById("nav").setAttribute("aria-label", "Staff");

start({
  routes: ROUTES,
  load: (name) => import(`./${name}.js`),
  loadMe: async () => (await staffGql("{ me { id email role } }")).me,
  signIn: "/staff/sign-in",
  home: "/staff",
  title: "Onramp staff",
  drawHeader,
});
