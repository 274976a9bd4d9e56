// What a register version says, in words: shared by the public registers page and the
// supervisor's pages (supervisor-registers.js).
import { t, lang } from './i18n.js';
import { el } from './dom.js';

export function when(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

function line(list, label, value) {
  const li = el('li');
  li.append(el('span', 'label', `${t(label)}: `), document.createTextNode(value));
  list.append(li);
}

const join = (a) => (Array.isArray(a) ? a.join(', ') : '');

// The content of a version (or proposal) of kind, as a list of labelled lines.
export function contentList(kind, c) {
  const ul = el('ul', 'plain');
  if (!c) return ul;
  if (kind === 'legal-basis') {
    line(ul, 'registers.f.org', c.org || '');
    line(ul, 'registers.f.purpose', c.purpose || '');
    line(ul, 'registers.f.legal_ref', c.legal_ref || '');
    line(ul, 'registers.f.law', (lang() === 'ja' ? c.law_ja : c.law_en) || c.law_ja || '');
    line(ul, 'registers.f.items', join(c.items));
    line(ul, 'registers.f.sealable', t(c.sealable ? 'registers.yes' : 'registers.no'));
    line(ul, 'registers.f.valid', `${c.valid_from || ''} – ${c.valid_until || ''}`);
    if (c.withdrawn) line(ul, 'registers.f.status', t('registers.withdrawn'));
  } else if (kind === 'private-service') {
    line(ul, 'registers.f.org', `${c.org || ''} (${(lang() === 'ja' ? c.name_ja : c.name_en) || ''})`);
    line(ul, 'registers.f.purposes', join(c.purposes));
    line(ul, 'registers.f.items', join(c.items));
    line(ul, 'registers.f.redirects', join(c.redirect_uris));
  } else {
    line(ul, 'registers.f.org', c.org || '');
    line(ul, 'registers.f.key', c.key_hash || '');
    if (c.revoked) line(ul, 'registers.f.status', t('registers.revoked'));
  }
  return ul;
}
