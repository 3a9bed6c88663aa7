// A QR code as SVG, for an authenticator app to scan: uqr (vendor/) encodes the text, and
// the dark modules are drawn here as one path, with no markup built from strings.
import { encode } from "../vendor/uqr.esm.js";

const SVG = "http://www.w3.org/2000/svg";

function svgElement(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** An <svg role="img"> of `text`, with a quiet zone of four modules, named by `label`. */
export function qrCode(text, label) {
  const { size, data } = encode(text, { ecc: "M", border: 4 });
  let path = "";
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`;
    });
  });
  const svg = svgElement("svg", { viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": label, "shape-rendering": "crispEdges", class: "qr" });
  svg.append(svgElement("rect", { width: size, height: size, fill: "#fff" }), svgElement("path", { d: path, fill: "#000" }));
  return svg;
}
