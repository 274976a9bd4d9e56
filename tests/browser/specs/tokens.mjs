// The Digital Agency's design tokens in web/css/tokens.css are the pinned package's, value
// for value, and web/css/app.css uses only tokens the copy defines.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pkg, declarations, render, target } from '../tokens.mjs';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web');

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

export const checks = [
  {
    name: 'web/css/tokens.css holds the pinned @digital-go-jp/design-tokens values',
    async run() {
      const { version, license, tokens } = pkg();
      expect(license === 'MIT', `the design tokens' licence is now ${license}`);
      const copy = await readFile(target, 'utf8');
      expect(copy.includes(`@digital-go-jp/design-tokens ${version} `), `tokens.css does not name version ${version}`);
      const decls = declarations(copy);
      expect(decls.length >= 30, `tokens.css has only ${decls.length} tokens`);
      const wrong = decls.filter(([k, v]) => tokens.get(k) !== v)
        .map(([k, v]) => `${k} is ${v}, the package has ${tokens.get(k) ?? 'no such token'}`);
      expect(wrong.length === 0, wrong.join('; '));
      expect(copy === render(), 'tokens.css is not what tests/browser/tokens.mjs writes');
    },
  },
  {
    name: 'app.css and desk.css use only the copied tokens and no colour of their own',
    async run() {
      const defined = new Set(declarations(await readFile(target, 'utf8')).map(([k]) => k));
      const app = await readFile(path.join(web, 'css/app.css'), 'utf8');
      const local = new Set(declarations(app).map(([k]) => k));
      for (const file of ['app.css', 'desk.css']) {
        const css = await readFile(path.join(web, 'css', file), 'utf8');
        const missing = [...css.matchAll(/var\((--[a-z0-9-]+)/g)].map((m) => m[1])
          .filter((k) => !defined.has(k) && !local.has(k));
        expect(missing.length === 0, `${file} uses undefined tokens: ${[...new Set(missing)].join(', ')}`);
        // Colours come from the tokens: no hex or rgb() literal.
        const literals = css.replace(/\/\*[\s\S]*?\*\//g, '').match(/#[0-9a-fA-F]{3,8}\b|rgba?\(/g) || [];
        expect(literals.length === 0, `${file} has colour literals: ${literals.join(', ')}`);
      }
    },
  },
];
