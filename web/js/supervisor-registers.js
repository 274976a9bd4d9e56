// The supervisor's pages for registers and seals, mounted by the supervisor's app:
//
//   import { renderRegisters, renderSeals } from './supervisor-registers.js';
//   await renderRegisters(container, { call });   // proposals: approve or refuse
//   await renderSeals(container, { call });       // open seals per organisation; confirm
//
// call(method, path, body) is the app's request function for /staff/v1/ paths (the staff
// session's CSRF token on changes; resolves to the JSON, or null for 204; throws a
// Problem from api.js). Without one, api.js's api() is used. Each render function empties
// container and draws into it; strings come from web/i18n (supervisor.registers.*,
// supervisor.seals.*). The database refuses the proposer's own certificate: the
// two-person-rule problem shows as the message.
import { t } from './i18n.js';
import { api } from './api.js';
import { when, contentList } from './registers-view.js';
import { el } from './dom.js';

function caller(ctx) {
  return (ctx && ctx.call) || api;
}

function errorBox() {
  const p = el('p', 'error');
  p.setAttribute('role', 'alert');
  p.hidden = true;
  return p;
}

function show(box, e) {
  box.hidden = !e;
  box.textContent = e ? e.message : '';
  if (e && e.type) box.dataset.type = e.type;
}

function proposalCard(p, call, box, redraw) {
  const card = el('article', 'card proposal');
  card.dataset.proposal = String(p.id);
  card.append(el('h3', '', t('supervisor.registers.proposal', { id: p.id, kind: t(`registers.kind.${p.kind}`), key: p.key })));
  card.append(el('p', 'muted', t('supervisor.registers.proposed', { who: p.proposer, when: when(p.proposed_at) })));
  if (p.note) card.append(el('p', '', p.note));
  const cols = el('div', 'compare');
  const now = el('section');
  now.append(el('h4', '', t('supervisor.registers.now')));
  now.append(p.current ? contentList(p.kind, p.current) : el('p', '', t('supervisor.registers.new')));
  const next = el('section');
  next.append(el('h4', '', t('supervisor.registers.next')));
  next.append(contentList(p.kind, p.content));
  cols.append(now, next);
  card.append(cols);
  if (p.status !== 'pending') {
    card.append(el('p', 'status', t(`supervisor.registers.status.${p.status}`, { who: p.decided_by || '' })));
    return card;
  }
  const label = el('label', '', t('supervisor.registers.note'));
  const note = el('textarea');
  note.id = `proposal-note-${p.id}`;
  label.htmlFor = note.id;
  note.maxLength = 500;
  const approve = el('button', 'primary', t('supervisor.registers.approve'));
  approve.type = 'button';
  approve.dataset.action = 'approve';
  const refuse = el('button', '', t('supervisor.registers.refuse'));
  refuse.type = 'button';
  refuse.dataset.action = 'refuse';
  const decide = async (yes) => {
    show(box, null);
    try {
      await call('POST', `/staff/v1/registers/proposals/${p.id}/decision`,
        { approve: yes, note: note.value || undefined });
      await redraw();
    } catch (e) {
      show(box, e);
    }
  };
  approve.addEventListener('click', () => decide(true));
  refuse.addEventListener('click', () => decide(false));
  const row = el('div', 'actions');
  row.append(approve, refuse);
  card.append(label, note, row);
  return card;
}

// Proposals awaiting a decision (and, on request, all), each beside what is in force.
export async function renderRegisters(container, ctx) {
  const call = caller(ctx);
  let all = false;
  const draw = async () => {
    container.replaceChildren();
    container.append(el('h2', '', t('supervisor.registers.title')));
    container.append(el('p', '', t('supervisor.registers.lead')));
    const box = errorBox();
    container.append(box);
    const toggle = el('button', 'link', t(all ? 'supervisor.registers.pending' : 'supervisor.registers.all'));
    toggle.type = 'button';
    toggle.addEventListener('click', () => { all = !all; draw(); });
    container.append(toggle);
    try {
      const data = await call('GET', `/staff/v1/registers/proposals?status=${all ? 'all' : 'pending'}`);
      if (!data.proposals.length) container.append(el('p', 'status', t('supervisor.registers.none')));
      for (const p of data.proposals) container.append(proposalCard(p, call, box, draw));
    } catch (e) {
      show(box, e);
    }
  };
  await draw();
}

function ageText(s) {
  if (s === null || s === undefined) return '—';
  const h = Math.floor(s / 3600);
  return h >= 48 ? t('supervisor.seals.days', { n: Math.floor(h / 24) })
    : t('supervisor.seals.hours', { n: h });
}

// Open seals per organisation (count and age), and those awaiting confirmation.
export async function renderSeals(container, ctx) {
  const call = caller(ctx);
  const draw = async () => {
    container.replaceChildren();
    container.append(el('h2', '', t('supervisor.seals.title')));
    container.append(el('p', '', t('supervisor.seals.lead')));
    const box = errorBox();
    container.append(box);
    let data;
    try {
      data = await call('GET', '/staff/v1/seals');
    } catch (e) {
      show(box, e);
      return;
    }
    const table = el('table', 'coverage seals-by-org');
    const cap = el('caption', '', t('supervisor.seals.by_org'));
    const head = el('tr');
    for (const k of ['org', 'open', 'unconfirmed', 'oldest', 'oldest_unconfirmed', 'opened_by_grace']) {
      const th = el('th', '', t(`supervisor.seals.col.${k}`));
      th.scope = 'col';
      head.append(th);
    }
    const thead = el('thead');
    thead.append(head);
    const tbody = el('tbody');
    for (const o of data.organisations) {
      const tr = el('tr');
      const th = el('th', '', o.organisation);
      th.scope = 'row';
      tr.append(th, el('td', '', String(o.open)), el('td', '', String(o.unconfirmed)),
        el('td', '', ageText(o.oldest_open_age_s)), el('td', '', ageText(o.oldest_unconfirmed_age_s)),
        el('td', '', String(o.opened_by_grace)));
      tbody.append(tr);
    }
    table.append(cap, thead, tbody);
    const wrap = el('div', 'table-wrap');
    wrap.tabIndex = 0;
    wrap.setAttribute('role', 'region');
    wrap.setAttribute('aria-label', t('supervisor.seals.by_org'));
    wrap.append(table);
    container.append(wrap);

    // The sealing bodies, and naming the organisation that speaks for one: it may then
    // confirm the seals that name the body, over its own gateway certificate.
    container.append(el('h3', '', t('supervisor.seals.bodies')));
    try {
      const bodies = await call('GET', '/staff/v1/sealing-bodies');
      const list = el('ul', 'plain');
      for (const b of bodies.sealing_bodies) list.append(el('li', '', `${b.name} — ${b.organisation}`));
      container.append(list);
    } catch (e) {
      show(box, e);
    }
    const form = el('form', 'card');
    const nameLabel = el('label', '', t('supervisor.seals.body_name'));
    const name = el('input');
    name.id = 'sealing-body-name';
    name.required = true;
    name.maxLength = 200;
    nameLabel.htmlFor = name.id;
    const orgLabel = el('label', '', t('supervisor.seals.body_org'));
    const org = el('input');
    org.id = 'sealing-body-org';
    org.required = true;
    orgLabel.htmlFor = org.id;
    const add = el('button', '', t('supervisor.seals.body_add'));
    add.type = 'submit';
    form.append(nameLabel, name, orgLabel, org, add);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      show(box, null);
      try {
        await call('POST', '/staff/v1/sealing-bodies', { name: name.value, organisation: org.value });
        await draw();
      } catch (e) {
        show(box, e);
      }
    });
    container.append(form);

    container.append(el('h3', '', t('supervisor.seals.pending')));
    if (!data.pending.length) container.append(el('p', 'status', t('supervisor.seals.none')));
    for (const s of data.pending) {
      const card = el('article', 'card seal');
      card.dataset.entry = String(s.entry);
      card.append(el('p', '', t('supervisor.seals.line', {
        org: s.organisation, ref: s.approval_ref, body: s.sealing_body, until: s.sealed_until,
      })));
      card.append(el('p', 'muted', t('supervisor.seals.grace', { when: when(s.grace_until) })));
      const btn = el('button', 'primary', t('supervisor.seals.confirm'));
      btn.type = 'button';
      btn.addEventListener('click', async () => {
        show(box, null);
        try {
          await call('POST', `/staff/v1/seals/${s.entry}/confirm`, {});
          await draw();
        } catch (e) {
          show(box, e);
        }
      });
      card.append(btn);
      container.append(card);
    }
  };
  await draw();
}
