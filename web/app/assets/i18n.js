// The page's own words in the reader's language (Onramp's texts arrive translated already).
// The language: the signed-in account's; signed out, the one chosen with the switcher (kept in
// this browser), else the best of the browser's languages among Onramp's `locales`. Every
// request says it in Accept-Language, so Onramp answers in the same language.
// `t("Sign in")` is looked up in Onramp's catalogue for the language (/i18n/<code>.json,
// written from the same gettext catalogues as the server's texts; `make i18n` extracts t()).
import config from "../config.js";

const STORED = "onramp.locale";
let current = "en";
let words = {};

/** The page's text for `msgid`, with `{name}` placeholders filled from `values`. */
export function t(msgid, values = {}) {
  const pattern = words[msgid] || msgid;
  return pattern.replace(/\{([a-z_][a-z0-9_]*)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function locale() {
  return current;
}

/** The tag Intl writes dates, times and money with: the browser's own variant of the page's
 * language when it has one (en-GB's 13:05, de-AT's Jänner), else the page's language. */
export function formatLocale() {
  const page = current === "en-XA" ? "en" : current;
  if (page.includes("-")) return page; // zh-Hans: not a browser's zh-TW
  const own = (navigator.languages ?? [navigator.language]).find((tag) => tag.split("-")[0].toLowerCase() === page);
  return own ?? page;
}

/** The code among `offered` that the browser's languages ask for first (English when none). */
export function preferred(offered) {
  const codes = offered.map((item) => item.code);
  const stored = localStorage.getItem(STORED);
  if (codes.includes(stored)) return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const exact = codes.find((code) => code.toLowerCase() === tag.toLowerCase());
    const sameLanguage = codes.find((code) => code.split("-")[0] === tag.split("-")[0].toLowerCase() && code !== "en-XA");
    if (exact || sameLanguage) return exact ?? sameLanguage;
  }
  return "en";
}

/** Remembers a choice made signed out (a signed-in choice is the account's, by setLocale). */
export function remember(code) {
  localStorage.setItem(STORED, code);
}

/** Speaks `code` from now on: the page's words, `lang` and `dir`. */
export async function use(code, direction) {
  if (code !== current || !Object.keys(words).length) {
    words = code === "en" ? {} : await fetchWords(code);
  }
  current = code;
  document.documentElement.lang = code;
  document.documentElement.dir = direction === "RTL" ? "rtl" : "ltr";
}

async function fetchWords(code) {
  try {
    const response = await fetch(new URL(`/i18n/${encodeURIComponent(code)}.json`, config.apiUrl));
    return response.ok ? await response.json() : {};
  } catch {
    return {}; // the page still works, in English
  }
}
