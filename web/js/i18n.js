// Language: Japanese or English, chosen by the resident and remembered on this device.
const SUPPORTED = ['ja', 'en'];
const KEY = 'mado.lang';
const tables = {};
let current = 'ja';

function initial() {
  const saved = localStorage.getItem(KEY);
  if (SUPPORTED.includes(saved)) return saved;
  return (navigator.language || '').toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

async function load(lang) {
  if (!tables[lang]) {
    const res = await fetch(`/i18n/${lang}.json`);
    if (!res.ok) throw new Error(`i18n ${lang}: ${res.status}`);
    tables[lang] = await res.json();
  }
  return tables[lang];
}

// t('status.ok', {version: '1'}) fills {placeholders}; unknown keys show as themselves.
export function t(key, vars = {}) {
  const s = (tables[current] && tables[current][key]) || key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

export function lang() {
  return current;
}

export function apply(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]'))
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  document.documentElement.lang = current;
  document.title = `${t('service.name')}`;
  for (const b of document.querySelectorAll('[data-lang]'))
    b.setAttribute('aria-pressed', String(b.dataset.lang === current));
}

export async function setLang(next) {
  if (!SUPPORTED.includes(next)) return;
  await load(next);
  current = next;
  localStorage.setItem(KEY, next);
  apply();
  document.dispatchEvent(new CustomEvent('mado:lang'));
}

export async function init() {
  await setLang(initial());
}
