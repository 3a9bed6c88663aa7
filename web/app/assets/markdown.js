// Agreements are Markdown: shown with marked, raw HTML escaped and only safe link targets.
import { Marked } from "./vendor/marked.esm.js";

const SAFE_URL = /^(https?:|mailto:|\/(?!\/)|#)/i;

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

const markdown = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html(token) {
      return escapeHtml(token.text);
    },
  },
  walkTokens(token) {
    if ((token.type === "link" || token.type === "image") && !SAFE_URL.test(token.href.trim())) {
      token.href = "#";
    }
  },
});

/** A <div> holding the rendered text; `shift` demotes its headings to fit under the page's. */
export function renderMarkdown(text, { shift = 1, className = "legal" } = {}) {
  const container = document.createElement("div");
  container.className = className;
  container.innerHTML = markdown.parse(text);
  if (shift > 0) {
    for (const heading of container.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
      const level = Math.min(6, Number(heading.tagName[1]) + shift);
      const demoted = document.createElement(`h${level}`);
      demoted.append(...heading.childNodes);
      heading.replaceWith(demoted);
    }
  }
  return container;
}
