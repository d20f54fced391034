/**
 * A check that a string is an SVG document one can trust: one `<svg>` root in the SVG
 * namespace, balanced tags, and the expected marks. Contains no tests itself.
 * @module
 */
import { assert, assertEquals } from "../assert.ts";

/** Parses an SVG enough to trust it: one <svg> root, balanced tags, and its marks. */
export function checkSvg(name: string, svg: string, mark: RegExp) {
  assert(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"), `${name}: no <svg> root`);
  assert(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(svg), `${name}: no SVG namespace`);
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (!m[1]) stack.push(m[2]);
    else assertEquals(stack.pop(), m[2], `${name}: unbalanced </${m[2]}>`);
  }
  assertEquals(stack.length, 0, `${name}: unclosed tags ${stack}`);
  assert(mark.test(svg), `${name}: no ${mark} mark`);
}
