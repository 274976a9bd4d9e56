// The Digital Agency's design tokens (@digital-go-jp/design-tokens, pinned in package.json)
// copied into web/css/tokens.css: the front end is plain static files with no build step,
// so the values the portal uses are copied, verbatim, with the package's name and version.
//
//   node tokens.mjs           rewrites ../../web/css/tokens.css from node_modules
//   node tokens.mjs --check   exits 1 if the file differs from what the package gives
//
// specs/tokens.mjs runs the same comparison in the browser test run, so the copy cannot
// drift from the pinned package.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.join(here, 'node_modules/@digital-go-jp/design-tokens');
export const target = path.resolve(here, '../../web/css/tokens.css');

// The tokens web/css/app.css uses; a token another one refers to (var(--x)) comes along.
const NEEDED = [
  /^--color-neutral-(white|black)$/,
  /^--color-neutral-solid-gray-(50|100|300|420|536|600|700|800|900)$/,
  /^--color-primitive-blue-(50|100|200|900|1000|1100|1200)$/,
  /^--color-primitive-red-50$/,
  /^--color-primitive-green-50$/,
  /^--color-primitive-yellow-300$/,
  /^--color-semantic-(success|error)-[12]$/,
  /^--font-weight-/,
  /^--font-family-/,
  /^--font-size-(14|16|17|18|20|22|24|28|32)$/,
  /^--line-height-/,
  /^--border-radius-/,
];

// "--name: value;" declarations of a stylesheet, in order.
export function declarations(css) {
  return [...css.matchAll(/(--[a-z0-9-]+)\s*:\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]);
}

export function pkg() {
  const meta = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const css = readFileSync(path.join(pkgDir, meta.style || 'dist/tokens.css'), 'utf8');
  const licence = readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8').trim();
  return { name: meta.name, version: meta.version, license: meta.license, licence, tokens: new Map(declarations(css)) };
}

export function render() {
  const { name, version, license, licence, tokens } = pkg();
  const want = new Set([...tokens.keys()].filter((k) => NEEDED.some((re) => re.test(k))));
  for (const k of [...want])
    for (const m of tokens.get(k).matchAll(/var\((--[a-z0-9-]+)\)/g)) want.add(m[1]);
  const lines = [...tokens.keys()].filter((k) => want.has(k)).map((k) => `  ${k}: ${tokens.get(k)};`);
  return `/* Design tokens of the Digital Agency's design system: ${name} ${version} (${license}).
 * Copied verbatim from the package's dist/tokens.css by tests/browser/tokens.mjs; do not
 * edit by hand (the browser tests check every value against the pinned package).
 * The package's licence:
 *
${licence.split('\n').map((l) => ` *${l ? ` ${l}` : ''}`).join('\n')}
 */
:root {
${lines.join('\n')}
}
`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = render();
  if (process.argv.includes('--check')) {
    const same = readFileSync(target, 'utf8') === text;
    if (!same) console.error(`${target} differs from the pinned package; run node tokens.mjs`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(target, text);
}
