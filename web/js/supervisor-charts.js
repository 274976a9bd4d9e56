// Plots for the supervisor's statistics: SVG drawn from the data, readable without
// colour (each series has its own hatching as well as its own shade, and every bar is
// labelled with its number), each beside a table of the same numbers.
import { el } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
let uid = 0;

function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Series: solid, diagonal hatching, dots; told apart in greyscale too. Their shades are
// the design tokens' (web/css/supervisor.css: .s0, .hatch, .dot).
const FILLS = ['solid', 'hatch', 'dots'];

function defs(svg, id) {
  const d = svgEl('defs');
  FILLS.forEach((kind, i) => {
    if (kind === 'solid') return;
    const p = svgEl('pattern', { id: `${id}-p${i}`, width: 6, height: 6, patternUnits: 'userSpaceOnUse' });
    p.append(svgEl('rect', { width: 6, height: 6, class: 'pattern-ground' }));
    if (kind === 'hatch') {
      p.setAttribute('patternTransform', 'rotate(45)');
      p.append(svgEl('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'hatch' }));
    } else {
      p.append(svgEl('circle', { cx: 3, cy: 3, r: 1.6, class: 'dot' }));
    }
    d.append(p);
  });
  svg.append(d);
}

// A series' swatch or bar: the solid class, or its pattern.
function paint(id, i, attrs) {
  return FILLS[i] === 'solid' ? { ...attrs, class: 'bar s0' } : { ...attrs, class: 'bar', fill: `url(#${id}-p${i})` };
}

const fmt = (n) => Number(n).toLocaleString();

// The legend, in the SVG (so a screenshot or print keeps it) with the same swatches.
function legend(svg, id, series, y) {
  let x = 0;
  series.forEach((s, i) => {
    svg.append(svgEl('rect', paint(id, i, { x, y, width: 14, height: 14 })),
      svgEl('text', { x: x + 20, y: y + 12, 'font-size': 13 }, s));
    x += 30 + s.length * 8;
  });
}

// rows: [{ label, values: [n, ...] }]; series: the names of the values (stacked).
function hbars(id, title, rows, series) {
  const barH = 22;
  const gap = 8;
  const labelW = 170;
  const width = 640;
  const top = series.length > 1 ? 28 : 6;
  const height = top + rows.length * (barH + gap) + 6;
  const max = Math.max(1, ...rows.map((r) => r.values.reduce((a, b) => a + b, 0)));
  const scale = (width - labelW - 80) / max;
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', width: '100%' });
  svg.append(svgEl('title', { id: `${id}-t` }, title));
  svg.setAttribute('aria-labelledby', `${id}-t`);
  defs(svg, id);
  if (series.length > 1) legend(svg, id, series, 4);
  rows.forEach((r, k) => {
    const y = top + k * (barH + gap);
    svg.append(svgEl('text', { x: labelW - 6, y: y + barH * 0.7, 'text-anchor': 'end', 'font-size': 13 },
      r.label.length > 24 ? `${r.label.slice(0, 23)}…` : r.label));
    let x = labelW;
    r.values.forEach((v, i) => {
      const w = v * scale;
      if (w > 0)
        svg.append(svgEl('rect', paint(id, i, { x, y, width: Math.max(w, 1), height: barH })));
      x += w;
    });
    const total = r.values.reduce((a, b) => a + b, 0);
    svg.append(svgEl('text', { x: x + 6, y: y + barH * 0.7, 'font-size': 13 }, fmt(total)));
  });
  return svg;
}

// Days as columns: rows in order; a label under every few columns.
function columns(id, title, rows, series) {
  const width = 640;
  const height = 230;
  const top = series.length > 1 ? 28 : 10;
  const bottom = 40;
  const left = 50;
  const plotH = height - top - bottom;
  const n = Math.max(rows.length, 1);
  const colW = (width - left - 10) / n;
  const max = Math.max(1, ...rows.map((r) => r.values.reduce((a, b) => a + b, 0)));
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', width: '100%' });
  svg.append(svgEl('title', { id: `${id}-t` }, title));
  svg.setAttribute('aria-labelledby', `${id}-t`);
  defs(svg, id);
  if (series.length > 1) legend(svg, id, series, 4);
  svg.append(svgEl('line', { x1: left, y1: top + plotH, x2: width - 10, y2: top + plotH, class: 'axis' }),
    svgEl('text', { x: left - 6, y: top + 10, 'text-anchor': 'end', 'font-size': 12 }, fmt(max)),
    svgEl('text', { x: left - 6, y: top + plotH, 'text-anchor': 'end', 'font-size': 12 }, '0'));
  const every = Math.ceil(n / 8);
  rows.forEach((r, k) => {
    const x = left + k * colW + 1;
    let y = top + plotH;
    r.values.forEach((v, i) => {
      const h = (v / max) * plotH;
      if (h > 0) {
        y -= h;
        svg.append(svgEl('rect', paint(id, i, { x, y, width: Math.max(colW - 2, 1), height: h })));
      }
    });
    if (k % every === 0)
      svg.append(svgEl('text', { x: x + colW / 2, y: top + plotH + 16, 'text-anchor': 'middle', 'font-size': 11 },
        r.label.slice(5)));
  });
  return svg;
}

// A figure: the plot and, beside it, its numbers as a table.
export function chart({ title, rows, series, kind = 'bars', head }) {
  const id = `chart${++uid}`;
  const fig = el('figure', 'chart');
  fig.dataset.chart = title;
  const plot = el('div', 'plot');
  if (rows.length === 0) {
    plot.append(el('p', 'note', head.empty));
  } else {
    plot.append(kind === 'columns' ? columns(id, title, rows, series) : hbars(id, title, rows, series));
  }
  const wrap = el('div', 'table-wrap');
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', title);
  const table = el('table', 'stats');
  table.append(el('caption', '', title));
  const thead = el('thead');
  const hr = el('tr');
  for (const h of [head.key, ...series]) {
    const th = el('th', '', h);
    th.scope = 'col';
    hr.append(th);
  }
  thead.append(hr);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    const th = el('th', '', r.label);
    th.scope = 'row';
    tr.append(th, ...r.values.map((v) => el('td', 'num', fmt(v))));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  wrap.append(table);
  fig.append(el('figcaption', '', title), plot, wrap);
  return fig;
}
