// /legal/<key>/<version>: any agreement version, current or superseded, in full.
import { gql } from "../api.js";
import { h, when } from "../dom.js";
import { renderMarkdown } from "../markdown.js";
import { t } from "../i18n.js";
import { heading } from "./common.js";

const AGREEMENT = `query($key: String!, $version: String!) { agreement(key: $key, version: $version) {
  title version effectiveFrom content } }`;

export default async function legal({ main, params }) {
  const [key, version] = params;
  const { agreement } = await gql(AGREEMENT, { key, version });
  if (!agreement) {
    heading(main, t("Agreement not found"), t("There is no version {version} of {key}.", { version, key }));
    return;
  }
  heading(main, agreement.title);
  main.append(
    h("p", { class: "muted" }, t("Version {version}, in effect from {date}.", { version: agreement.version, date: when(agreement.effectiveFrom) })),
    renderMarkdown(agreement.content),
  );
}
