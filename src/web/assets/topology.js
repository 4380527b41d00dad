// The network picture: hosts in columns by role (clients on the left, final
// destinations on the right, DNS servers in a row below), the scenario's
// edges between them, and the current event's exchange moving along its link.

import { t, everyLang, lang } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const COLUMN = { mua: 0, relay: 1, hub: 2, mx: 3, list: 3, mailstore: 4 };
const BOX_W = 178; // the least width of a host's box
const GAP = 72; // the least room between two columns (and between two DNS boxes)
const ROW_GAP = 26;
const MARGIN = 24;
const PAD_L = 12; // where a box's text starts
const PAD_R = 10; // room right of the role label
const NAME_GAP = 14; // room between a host's name and its role label
const LABEL_PAD = 12; // room either side of an edge label between two columns

// The width of a text in the picture's units, in the stylesheet's fonts
// (app.css: .host text, .edge-label). A canvas measures it; without one, a
// generous guess (a wide character counts as one em).
function measurer() {
  const css = getComputedStyle(document.documentElement);
  const family = {
    font: css.getPropertyValue("--font").trim() || "sans-serif",
    mono: css.getPropertyValue("--mono").trim() || "monospace",
  };
  let ctx = null;
  try {
    ctx = document.createElement("canvas").getContext("2d");
  } catch {
    ctx = null;
  }
  return (text, weight, size, fam = "font") => {
    const s = String(text ?? "");
    if (!s) return 0;
    if (ctx) {
      ctx.font = `${weight} ${size}px ${family[fam]}`;
      const w = ctx.measureText(s).width;
      if (w > 0) return w;
    }
    let n = 0;
    for (const ch of s) n += ch.codePointAt(0) > 0x2e7f ? 1 : 0.65;
    return n * size;
  };
}

// A host box's text, each with the largest size it is drawn at: projector mode
// (body.projector .host text: 14px, the name 17px) is larger than normal mode
// throughout, so a box measured for it fits both.
const TEXT = {
  name: [700, 17],
  nameNormal: [700, 14],
  role: [400, 14],
  down: [700, 14],
  addr: [400, 14, "mono"],
  small: [400, 14],
  mx: [600, 14],
  edge: [400, 11],
};

function roleText(h) {
  return h.role + (h.flavour ? " · " + h.flavour : "");
}

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// The category of a protocol row, for its colour.
function protoOf(row) {
  return row.cat;
}

// Which way the bytes of an event go: [from, to] host names, or null.
export function direction(row, byName) {
  if (!row || !row.peer || !byName.has(row.host) || !byName.has(row.peer)) return null;
  const k = row.kind;
  const said = /\.(cmd|query|data)$/.test(k);
  const answered = /\.(reply|answer)$/.test(k);
  if (said || answered) {
    // A server records what its peer said and what it answered; a client the other way round.
    const fromPeer = row.side === "client" ? answered : said;
    return fromPeer ? [row.peer, row.host] : [row.host, row.peer];
  }
  // The host that records these is the one that acts: it connects, fails to reach, relays…
  if (k === "tcp.connect" || k === "tcp.error" || k === "dns.timeout" || k === "relay") return [row.host, row.peer];
  if (k === "tcp.accept" || k === "mua.fetch") return [row.peer, row.host];
  return null;
}

export class Topology {
  constructor(svg, meta, { onHost }) {
    this.svg = svg;
    this.meta = meta;
    this.onHost = onHost;
    this.byName = new Map(meta.hosts.map((h) => [h.name, h]));
    this.boxes = new Map();
    this.anim = null;
    this.layout();
    this.draw();
  }

  layout() {
    const hosts = this.meta.hosts;
    const measure = measurer();
    const m = (text, [weight, size, fam]) => measure(text, weight, size, fam);
    this.m = m;
    const mxOf = new Map();
    for (const x of this.meta.mx || []) {
      if (!mxOf.has(x.host)) mxOf.set(x.host, []);
      mxOf.get(x.host).push(x);
    }
    this.mxOf = mxOf;
    const lines = (h) => {
      const n = 3 + (h.domains && h.domains.length ? 1 : 0) + (mxOf.get(h.name) || []).length;
      return n;
    };
    const height = (h) => 18 + lines(h) * 16;
    // Wide enough for its longest line: the name with the role (or the
    // "down" label, in either language) right of it, then each line below.
    const rightLabel = (h) => Math.max(m(roleText(h), TEXT.role), ...everyLang("topo.down").map((d) => m(d, TEXT.down)));
    const width = (h) =>
      Math.ceil(
        Math.max(
          BOX_W,
          PAD_L + m(h.name, TEXT.name) + NAME_GAP + rightLabel(h) + PAD_R,
          PAD_L + m(h.address, TEXT.addr) + PAD_R,
          PAD_L + m((h.domains || []).join(", "), TEXT.small) + PAD_R,
          PAD_L + m((h.services || []).join(" "), TEXT.small) + PAD_R,
          ...(mxOf.get(h.name) || []).map((x) => PAD_L + m(`MX ${x.preference} ${x.domain}`, TEXT.mx) + PAD_R),
        ),
      );

    // The edges: one line per pair of hosts, the labels of every edge between them joined.
    const pairs = new Map();
    const names = new Set(hosts.map((h) => h.name));
    for (const e of this.meta.edges || []) {
      if (!names.has(e.from) || !names.has(e.to) || e.from === e.to) continue;
      const key = [e.from, e.to].sort().join("\u0000");
      if (!pairs.has(key)) pairs.set(key, { a: e.from, b: e.to, kinds: new Set(), labels: [], labelsJa: [] });
      const p = pairs.get(key);
      p.kinds.add(e.kind);
      if (e.label && !p.labels.includes(e.label)) {
        p.labels.push(e.label);
        p.labelsJa.push(e.label_ja || e.label);
      }
    }
    // Each label in both languages, with room for the wider (the language can change later).
    for (const p of pairs.values()) {
      p.texts = { en: p.labels.join(" · "), ja: p.labelsJa.join(" · ") };
      p.text = this.edgeText(p);
      p.textW = Math.max(m(p.texts.en, TEXT.edge), m(p.texts.ja, TEXT.edge));
    }
    this.pairs = pairs;

    const cols = new Map();
    const dns = [];
    for (const h of hosts) {
      const c = COLUMN[h.role];
      if (c === undefined) {
        dns.push(h);
        continue;
      }
      if (!cols.has(c)) cols.set(c, []);
      cols.get(c).push(h);
    }
    const used = [...cols.keys()].sort((a, b) => a - b);
    const colOf = new Map();
    used.forEach((c, ci) => cols.get(c).forEach((h) => colOf.set(h.name, ci)));
    // A column is as wide as its widest box; the room between two columns
    // holds the widest label of an edge between them.
    const colW = used.map((c) => Math.max(...cols.get(c).map(width)));
    const gaps = used.map(() => GAP);
    for (const p of pairs.values()) {
      const ca = colOf.get(p.a);
      const cb = colOf.get(p.b);
      if (ca === undefined || cb === undefined || Math.abs(ca - cb) !== 1 || !p.text) continue;
      const i = Math.min(ca, cb);
      gaps[i] = Math.max(gaps[i], Math.ceil(p.textW + 2 * LABEL_PAD));
    }
    const colsWidth = colW.reduce((s, w, i) => s + w + (i ? gaps[i - 1] : 0), 0);
    const dnsW = dns.map(width);
    const dnsWidth = dnsW.reduce((s, w) => s + w, 0) + GAP * Math.max(0, dns.length - 1);
    const inner = Math.max(colsWidth, dnsWidth, BOX_W);
    const total = inner + 2 * MARGIN;

    const colHeight = (list) => list.reduce((s, h) => s + height(h) + ROW_GAP, -ROW_GAP);
    const tallest = Math.max(0, ...used.map((c) => colHeight(cols.get(c))));
    let x = MARGIN + (inner - colsWidth) / 2;
    used.forEach((c, ci) => {
      const list = cols.get(c);
      let y = MARGIN + (tallest - colHeight(list)) / 2;
      for (const h of list) {
        this.boxes.set(h.name, { x, y, w: colW[ci], h: height(h) });
        y += height(h) + ROW_GAP;
      }
      x += colW[ci] + gaps[ci];
    });
    let bottom = MARGIN + tallest;
    if (dns.length) {
      const top = bottom + (used.length ? 48 : 0);
      let dx = MARGIN + (inner - dnsWidth) / 2;
      let maxh = 0;
      dns.forEach((h, i) => {
        this.boxes.set(h.name, { x: dx, y: top, w: dnsW[i], h: height(h) });
        dx += dnsW[i] + GAP;
        maxh = Math.max(maxh, height(h));
      });
      bottom = top + maxh;
    }
    this.width = total;
    this.height = bottom + MARGIN;
  }

  // Where an edge's label goes: on its line, clear of every box and of the
  // labels placed before it. Tried at the middle first, then further out
  // along the line, above it and then below it; where nowhere is clear, the
  // place that overlaps least.
  labelPlace(a, b, w, taken) {
    const half = w / 2 + 3;
    const overlap = (r, o) => Math.max(0, Math.min(r.x2, o.x2) - Math.max(r.x1, o.x1)) * Math.max(0, Math.min(r.y2, o.y2) - Math.max(r.y1, o.y1));
    let best = null;
    for (let k = 0; k <= 16; k++) {
      const f = 0.5 + (k % 2 ? 1 : -1) * Math.ceil(k / 2) * 0.05;
      for (const dy of [-5, 15, -18, 28]) {
        const x = a.x + (b.x - a.x) * f;
        const y = a.y + (b.y - a.y) * f + dy;
        const r = { x1: x - half, x2: x + half, y1: y - 13, y2: y + 5 };
        if (r.x1 < 0 || r.x2 > this.width || r.y1 < 0 || r.y2 > this.height) continue;
        const cost = taken.reduce((s, o) => s + overlap(r, o), 0);
        if (!best || cost < best.cost) best = { x, y, r, cost };
        if (cost === 0) break;
      }
      if (best && best.cost === 0) break;
    }
    if (best) taken.push(best.r);
    return best;
  }

  center(name) {
    const b = this.boxes.get(name);
    return { x: b.x + b.w / 2, y: b.y + b.h / 2 };
  }

  // Where the line from a's centre towards b's leaves a's box.
  edgePoint(a, b) {
    const ba = this.boxes.get(a);
    const ca = this.center(a);
    const cb = this.center(b);
    const dx = cb.x - ca.x;
    const dy = cb.y - ca.y;
    if (dx === 0 && dy === 0) return ca;
    const sx = dx === 0 ? Infinity : ba.w / 2 / Math.abs(dx);
    const sy = dy === 0 ? Infinity : ba.h / 2 / Math.abs(dy);
    const s = Math.min(sx, sy);
    return { x: ca.x + dx * s, y: ca.y + dy * s };
  }

  draw() {
    const svg = this.svg;
    svg.replaceChildren();
    svg.setAttribute("viewBox", `0 0 ${this.width} ${this.height}`);
    svg.setAttribute("role", "group");
    const defs = el("defs");
    for (const [id, cls] of [
      ["arrow", "edge-arrow"],
      ["arrow-live", "live-arrow"],
      ["arrow-fail", "fail-arrow"],
    ]) {
      const m = el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      m.append(el("path", { d: "M0,0 L10,5 L0,10 z", class: cls }));
      defs.append(m);
    }
    svg.append(defs);

    // Edges, with their labels clear of the boxes (and of a relay's shadow box).
    const taken = [...this.boxes.values()].map((b) => ({ x1: b.x - 2, y1: b.y - 2, x2: b.x + b.w + 6, y2: b.y + b.h + 6 }));
    const edges = el("g", { class: "edges" });
    const labels = [];
    this.edgeEls = new Map();
    for (const [key, p] of this.pairs) {
      const a = this.edgePoint(p.a, p.b);
      const b = this.edgePoint(p.b, p.a);
      const kind = [...p.kinds][0];
      const line = el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: `edge edge-${kind}`, "marker-end": "url(#arrow)" });
      edges.append(line);
      if (p.text) {
        const at = this.labelPlace(a, b, p.textW, taken) || { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 5 };
        p.labelEl = el("text", { x: at.x, y: at.y, class: "edge-label", "text-anchor": "middle" }, p.text);
        labels.push(p.labelEl);
      }
      this.edgeEls.set(key, line);
    }
    // The labels over every line, so that no line crosses one.
    edges.append(...labels);
    svg.append(edges);
    this.openLayer = el("g", { class: "open" });
    svg.append(this.openLayer);

    const hostsG = el("g", { class: "hosts" });
    this.hostEls = new Map();
    for (const h of this.meta.hosts) {
      const b = this.boxes.get(h.name);
      const g = el("g", {
        class: `host role-${h.role}`,
        transform: `translate(${b.x},${b.y})`,
        tabindex: 0,
        role: "button",
        "data-host": h.name,
        "aria-label": `${h.name} (${h.role}) ${h.address}`,
      });
      g.append(this.shape(h.role, b.w, b.h));
      let y = 22;
      const name = el("text", { x: 12, y, class: "host-name" }, h.name);
      g.append(name);
      g.append(el("text", { x: b.w - PAD_R, y, class: "host-role", "text-anchor": "end" }, roleText(h)));
      y += 17;
      g.append(el("text", { x: 12, y, class: "host-addr" }, h.address));
      y += 16;
      if (h.domains && h.domains.length) {
        g.append(el("text", { x: 12, y, class: "host-domains" }, h.domains.join(", ")));
        y += 16;
      }
      const services = (h.services || []).join(" ");
      g.append(el("text", { x: 12, y, class: "host-services" }, services));
      y += 16;
      for (const m of this.mxOf.get(h.name) || []) {
        g.append(el("text", { x: 12, y, class: "host-mx" }, `MX ${m.preference} ${m.domain}`));
        y += 16;
      }
      // The name struck through when the host is down: one line for each size the name is drawn at.
      g.append(el("line", { x1: 8, y1: 17, x2: PAD_L + 4 + this.m(h.name, TEXT.nameNormal), y2: 17, class: "host-strike" }));
      g.append(el("line", { x1: 8, y1: 17, x2: PAD_L + 4 + this.m(h.name, TEXT.name), y2: 17, class: "host-strike host-strike-big" }));
      g.append(el("text", { x: b.w - PAD_R, y: 22, class: "host-down", "text-anchor": "end" }, t("topo.down")));
      const title = el("title", {}, `${h.name} — ${h.role} ${h.address}`);
      g.append(title);
      g.addEventListener("click", () => this.onHost(h.name));
      g.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          ev.stopPropagation();
          this.onHost(h.name);
        }
      });
      hostsG.append(g);
      this.hostEls.set(h.name, g);
    }
    svg.append(hostsG);
    this.actLayer = el("g", { class: "activity", "aria-hidden": "true" });
    svg.append(this.actLayer);
  }

  shape(role, w, h) {
    const g = el("g", { class: "host-shape" });
    switch (role) {
      case "mua":
        g.append(el("rect", { width: w, height: h, rx: 14, class: "box" }));
        break;
      case "dns":
        g.append(el("path", { d: `M12,0 H${w - 12} L${w},${h / 2} L${w - 12},${h} H12 L0,${h / 2} z`, class: "box" }));
        break;
      case "mx":
      case "mailstore":
        g.append(el("rect", { width: w, height: h, rx: 4, class: "box" }));
        g.append(el("rect", { width: 6, height: h, class: "band" }));
        break;
      case "list":
        g.append(el("rect", { width: w, height: h, rx: 4, class: "box" }));
        g.append(el("path", { d: `M${w - 26},0 v8 h26`, class: "band-line" }));
        break;
      default:
        g.append(el("rect", { x: 4, y: 4, width: w, height: h, rx: 3, class: "box-back" }));
        g.append(el("rect", { width: w, height: h, rx: 3, class: "box" }));
    }
    return g;
  }

  // An edge's label in the page's language.
  edgeText(p) {
    return p.texts[lang()] || p.texts.en;
  }

  setLabels() {
    for (const g of this.hostEls.values()) {
      const d = g.querySelector(".host-down");
      if (d) d.textContent = t("topo.down");
    }
    for (const p of (this.pairs || new Map()).values()) {
      if (p.labelEl) p.labelEl.textContent = this.edgeText(p);
    }
  }

  // The state at a moment: down hosts, open connections, the selected host.
  setState(state, selected) {
    const down = new Set((state && state.hosts ? state.hosts : []).filter((h) => h.down).map((h) => h.name));
    for (const [name, g] of this.hostEls) {
      g.classList.toggle("is-down", down.has(name));
      g.classList.toggle("is-selected", name === selected);
    }
    this.openLayer.replaceChildren();
    for (const o of (state && state.open) || []) {
      if (!this.boxes.has(o.client) || !this.boxes.has(o.server)) continue;
      const a = this.edgePoint(o.client, o.server);
      const b = this.edgePoint(o.server, o.client);
      this.openLayer.append(el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: `open-conn cat-${o.proto}` }));
    }
  }

  // Show the current event: the host that recorded it, and its exchange along
  // the link (moving when `animate` gives a duration in ms).
  setEvent(row, animate) {
    if (this.anim) cancelAnimationFrame(this.anim);
    this.anim = null;
    this.actLayer.replaceChildren();
    for (const g of this.hostEls.values()) g.classList.remove("is-current");
    if (!row) return;
    const hostEl = this.hostEls.get(row.host);
    if (hostEl) hostEl.classList.add("is-current");
    const dir = direction(row, this.byName);
    if (!dir) return;
    const [from, to] = dir;
    const a = this.edgePoint(from, to);
    const b = this.edgePoint(to, from);
    const cls = row.fail ? "flight fail" : `flight cat-${protoOf(row)}`;
    const path = el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: cls, "marker-end": row.fail ? "url(#arrow-fail)" : "url(#arrow-live)" });
    this.actLayer.append(path);
    const env = el("g", { class: row.fail ? "envelope fail" : "envelope" });
    env.append(el("rect", { x: -11, y: -8, width: 22, height: 16, rx: 2 }));
    env.append(el("path", { d: "M-11,-8 L0,1 L11,-8" }));
    if (row.fail) env.append(el("path", { d: "M-6,-5 L6,7 M6,-5 L-6,7", class: "cross" }));
    this.actLayer.append(env);
    const place = (f) => env.setAttribute("transform", `translate(${a.x + (b.x - a.x) * f},${a.y + (b.y - a.y) * f})`);
    if (!animate || window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      place(row.fail ? 0.5 : 0.85);
      return;
    }
    const t0 = performance.now();
    const end = row.fail ? 0.5 : 0.85;
    const tick = (now) => {
      const f = Math.min(1, (now - t0) / animate);
      place(f * end);
      if (f < 1) this.anim = requestAnimationFrame(tick);
      else this.anim = null;
    };
    place(0);
    this.anim = requestAnimationFrame(tick);
  }
}
