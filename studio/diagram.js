// The relation diagram, drawn here as SVG: the whole manifest (a force
// layout up to a few hundred entities, a grid of connected groups beyond)
// or one entity's neighbourhood; zoom and pan with the wheel, a drag, the
// buttons or the keyboard (arrows, + and -).

import { model } from './api.js';
import { h, fill, uid } from './dom.js';

const NODE_H = 26;
const widthOf = (name) => 16 + name.length * 7.2;

function graph() {
  const edges = [];
  for (const entity of model.byName.values()) {
    for (const relation of entity.detail.relations || []) {
      if (model.byName.has(relation.references.entity)) edges.push([entity.name, relation.references.entity]);
    }
  }
  return edges;
}

function neighbourhood(focus, edges, depth) {
  const keep = new Set([focus]);
  let frontier = [focus];
  for (let d = 0; d < depth; d += 1) {
    const next = [];
    for (const [a, b] of edges) {
      if (frontier.includes(a) && !keep.has(b)) { keep.add(b); next.push(b); }
      if (frontier.includes(b) && !keep.has(a)) { keep.add(a); next.push(a); }
    }
    frontier = next;
  }
  return keep;
}

/** Connected groups of entities, biggest first, each in breadth-first order. */
function groupsOf(names, adjacent) {
  const seen = new Set();
  const groups = [];
  for (const start of [...names].sort((a, b) => adjacent.get(b).length - adjacent.get(a).length)) {
    if (seen.has(start)) continue;
    const group = [];
    const queue = [start];
    seen.add(start);
    while (queue.length) {
      const n = queue.shift();
      group.push(n);
      for (const m of adjacent.get(n)) if (!seen.has(m)) { seen.add(m); queue.push(m); }
    }
    groups.push(group);
  }
  return groups.sort((a, b) => b.length - a.length);
}

/** A force layout of one connected group: relations pull, every pair pushes. */
function force(group, edges, pos) {
  const k = 110;
  let heat = 80;
  const inside = new Set(group);
  const pulls = edges.filter(([a, b]) => a !== b && inside.has(a) && inside.has(b));
  group.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / group.length;
    const radius = 40 * Math.sqrt(group.length);
    pos[n] = { x: radius * Math.cos(angle), y: radius * Math.sin(angle) };
  });
  for (let round = 0; round < 200; round += 1) {
    const shift = new Map(group.map((n) => [n, { x: 0, y: 0 }]));
    for (let i = 0; i < group.length; i += 1) {
      for (let j = i + 1; j < group.length; j += 1) {
        const a = pos[group[i]]; const b = pos[group[j]];
        let dx = a.x - b.x; let dy = (a.y - b.y) * 2;
        const d2 = Math.max(dx * dx + dy * dy, 1);
        const push = (k * k) / d2;
        dx *= push; dy *= push;
        shift.get(group[i]).x += dx; shift.get(group[i]).y += dy;
        shift.get(group[j]).x -= dx; shift.get(group[j]).y -= dy;
      }
    }
    for (const [an, bn] of pulls) {
      const a = pos[an]; const b = pos[bn];
      const dx = a.x - b.x; const dy = a.y - b.y;
      const pull = Math.max(Math.hypot(dx, dy), 1) / k;
      shift.get(an).x -= dx * pull; shift.get(an).y -= dy * pull;
      shift.get(bn).x += dx * pull; shift.get(bn).y += dy * pull;
    }
    for (const n of group) {
      const s = shift.get(n);
      const length = Math.max(Math.hypot(s.x, s.y), 0.01);
      pos[n].x += (s.x / length) * Math.min(length, heat);
      pos[n].y += (s.y / length) * Math.min(length, heat);
    }
    heat = Math.max(heat * 0.97, 2);
  }
}

/**
 * Positions {name: {x, y}}: each connected group laid out on its own (a
 * force layout up to 300 entities, a grid beyond), then the groups packed
 * in rows, biggest first, so that unrelated entities never spread the
 * related ones apart.
 */
function layout(names, edges) {
  const adjacent = new Map(names.map((n) => [n, []]));
  for (const [a, b] of edges) { adjacent.get(a)?.push(b); adjacent.get(b)?.push(a); }
  const pos = {};
  const boxes = groupsOf(names, adjacent).map((group) => {
    if (group.length > 1 && group.length <= 300) force(group, edges, pos);
    else {
      const columns = Math.ceil(Math.sqrt(group.length * 2));
      group.forEach((n, i) => { pos[n] = { x: (i % columns) * 200, y: Math.floor(i / columns) * 70 }; });
    }
    const minX = Math.min(...group.map((n) => pos[n].x));
    const minY = Math.min(...group.map((n) => pos[n].y));
    for (const n of group) { pos[n].x -= minX; pos[n].y -= minY; }
    return { group, w: Math.max(...group.map((n) => pos[n].x + widthOf(n))), h: Math.max(...group.map((n) => pos[n].y + NODE_H)) };
  });
  const area = boxes.reduce((sum, b) => sum + (b.w + 40) * (b.h + 40), 0);
  const rowWidth = Math.max(boxes[0]?.w || 0, Math.sqrt(area) * 1.6);
  let x = 0; let y = 0; let rowHeight = 0;
  for (const box of boxes) {
    if (x > 0 && x + box.w > rowWidth) { x = 0; y += rowHeight + 40; rowHeight = 0; }
    for (const n of box.group) { pos[n].x += x; pos[n].y += y; }
    x += box.w + 40;
    rowHeight = Math.max(rowHeight, box.h);
  }
  return pos;
}

export async function diagramPage(root, { params }) {
  const edges = graph();
  const focus = params.get('focus');
  const depth = Number(params.get('depth')) || 1;
  const names = focus && model.byName.has(focus)
    ? [...neighbourhood(focus, edges, depth)]
    : [...model.byName.keys()];
  const set = new Set(names);
  const shownEdges = edges.filter(([a, b]) => set.has(a) && set.has(b));
  const pos = layout(names, shownEdges);
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (const n of names) {
    minX = Math.min(minX, pos[n].x); minY = Math.min(minY, pos[n].y);
    maxX = Math.max(maxX, pos[n].x + widthOf(n)); maxY = Math.max(maxY, pos[n].y + NODE_H);
  }
  if (!names.length) { minX = 0; minY = 0; maxX = 100; maxY = 100; }
  const fit = { x: minX - 40, y: minY - 40, w: maxX - minX + 80, h: maxY - minY + 80 };
  let view = { ...fit };

  const svg = h('svg:svg', { class: 'diagram', tabindex: 0, role: 'group', 'aria-label': `Relation diagram, ${names.length} entities, ${shownEdges.length} relations. Arrow keys pan, plus and minus zoom.` },
    h('svg:defs', {}, h('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, h('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  const center = (n) => ({ x: pos[n].x + widthOf(n) / 2, y: pos[n].y + NODE_H / 2 });
  const lines = h('svg:g', { class: 'edges' });
  for (const [a, b] of shownEdges) {
    const from = center(a); const to = center(b);
    if (a === b) {
      lines.append(h('svg:path', { d: `M ${from.x} ${pos[a].y} c 20 -30 50 -30 ${widthOf(a) / 2} 0`, class: 'edge' }));
      continue;
    }
    // End the line at the target box's border.
    const dx = to.x - from.x; const dy = to.y - from.y;
    const scale = Math.min(Math.abs((widthOf(b) / 2) / (dx || 1e-6)), Math.abs((NODE_H / 2) / (dy || 1e-6)), 1);
    lines.append(h('svg:line', { x1: from.x, y1: from.y, x2: to.x - dx * scale, y2: to.y - dy * scale, class: 'edge', 'marker-end': 'url(#arrow)' }));
  }
  const nodes = h('svg:g', { class: 'nodes' });
  for (const n of names) {
    const entity = model.byName.get(n);
    nodes.append(h('svg:a', { href: `#/diagram?focus=${encodeURIComponent(n)}&depth=${depth}`, class: `node ${n === focus ? 'focus' : ''} ${entity.kind}`, 'aria-label': `${n}: show its neighbourhood` },
      h('svg:rect', { x: pos[n].x, y: pos[n].y, width: widthOf(n), height: NODE_H, rx: 5 }),
      h('svg:text', { x: pos[n].x + 8, y: pos[n].y + 17 }, n)));
  }
  svg.append(lines, nodes);
  const apply = () => svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  const zoom = (factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) => {
    view = { x: cx - (cx - view.x) * factor, y: cy - (cy - view.y) * factor, w: view.w * factor, h: view.h * factor };
    apply();
  };
  const pan = (fx, fy) => { view.x += view.w * fx; view.y += view.h * fy; apply(); };
  apply();
  svg.addEventListener('wheel', (event) => {
    event.preventDefault();
    const box = svg.getBoundingClientRect();
    const scale = Math.max(view.w / box.width, view.h / box.height);
    const cx = view.x + (event.clientX - box.left) * scale;
    const cy = view.y + (event.clientY - box.top) * scale;
    zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, cx, cy);
  }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (event) => {
    if (event.target.closest('a')) return;
    drag = { x: event.clientX, y: event.clientY };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const box = svg.getBoundingClientRect();
    const scale = Math.max(view.w / box.width, view.h / box.height);
    view.x -= (event.clientX - drag.x) * scale; view.y -= (event.clientY - drag.y) * scale;
    drag = { x: event.clientX, y: event.clientY };
    apply();
  });
  svg.addEventListener('pointerup', () => { drag = null; });
  svg.addEventListener('keydown', (event) => {
    const keys = { ArrowLeft: () => pan(-0.1, 0), ArrowRight: () => pan(0.1, 0), ArrowUp: () => pan(0, -0.1), ArrowDown: () => pan(0, 0.1), '+': () => zoom(1 / 1.25), '=': () => zoom(1 / 1.25), '-': () => zoom(1.25), 0: () => { view = { ...fit }; apply(); } };
    if (keys[event.key] && event.target === svg) { event.preventDefault(); keys[event.key](); }
  });

  const focusId = uid('focus');
  const depthId = uid('depth');
  const choose = h('form', { class: 'toolbar', onsubmit: (event) => {
    event.preventDefault();
    const name = event.target.elements.focus.value;
    location.hash = name ? `#/diagram?focus=${encodeURIComponent(name)}&depth=${event.target.elements.depth.value}` : '#/diagram';
  } },
  h('label', { for: focusId }, 'Focus on '),
  h('select', { id: focusId, name: 'focus' }, h('option', { value: '' }, '(the whole manifest)'), [...model.byName.keys()].map((n) => h('option', { value: n, selected: n === focus }, n))),
  h('label', { for: depthId }, ' depth '),
  h('select', { id: depthId, name: 'depth' }, [1, 2, 3].map((d) => h('option', { value: d, selected: d === depth }, d))),
  h('button', { type: 'submit' }, 'Show'),
  h('button', { type: 'button', onclick: () => zoom(1 / 1.25) }, 'Zoom in'),
  h('button', { type: 'button', onclick: () => zoom(1.25) }, 'Zoom out'),
  h('button', { type: 'button', onclick: () => { view = { ...fit }; apply(); } }, 'Fit'));
  fill(root, h('h1', {}, focus ? `Relations of ${focus}` : 'Relation diagram'),
    focus ? h('p', {}, h('a', { href: `#/schema/${encodeURIComponent(focus)}` }, `Schema of ${focus}`), ' · ', h('a', { href: `#/data/${encodeURIComponent(focus)}` }, `Data of ${focus}`)) : null,
    choose, svg);
  return null;
}
