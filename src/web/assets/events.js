// The event list: virtualised (only the rows in view are in the DOM), fetched
// a page at a time from /api/events with the filter, the current event
// highlighted and kept in view; a click (or Enter) moves time to a row.

import { api } from "./api.js";
import { t, catLabel, lineOf } from "./i18n.js";

const PAGE = 200;
const OVERSCAN = 8;

function clock(iso) {
  // "2026-04-01T10:00:30.105+09:00" → "10:00:30.105" (the scenario's own zone)
  const m = /T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)/.exec(iso || "");
  return m ? m[1] : iso || "";
}

export class EventList {
  // app: { goTo(at), filterChanged(), meta }
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.scroller = root.querySelector("#event-scroll");
    this.body = root.querySelector("#event-rows");
    this.filter = { cats: [], hosts: [], session: "", q: "", fail: false };
    this.gen = 0;
    this.pages = new Map();
    this.total = 0;
    this.current = -1;
    this.cursor = -1; // filtered index of the current row, when known
    this.rowH = 24;
    this.scroller.addEventListener("scroll", () => this.schedule());
    window.addEventListener("resize", () => this.schedule());
    this.scroller.addEventListener("click", (ev) => {
      const r = ev.target.closest(".ev-row");
      if (r && r.dataset.i) this.app.goTo(Number(r.dataset.i) + 1, { fromList: true });
    });
    this.scroller.addEventListener("keydown", (ev) => this.key(ev));
    this.buildFilters();
  }

  buildFilters() {
    const meta = this.app.meta;
    const chips = this.root.querySelector("#cat-chips");
    chips.replaceChildren();
    for (const c of meta.categories || []) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `chip cat-${c}`;
      b.dataset.cat = c;
      b.setAttribute("aria-pressed", "false");
      b.textContent = catLabel(c);
      b.addEventListener("click", () => {
        const on = b.getAttribute("aria-pressed") !== "true";
        b.setAttribute("aria-pressed", on ? "true" : "false");
        this.filter.cats = [...chips.querySelectorAll('[aria-pressed="true"]')].map((x) => x.dataset.cat);
        this.refilter();
      });
      chips.append(b);
    }
    const host = this.root.querySelector("#host-filter");
    host.replaceChildren();
    const all = document.createElement("option");
    all.value = "";
    all.dataset.i18n = "events.host.all";
    all.textContent = t("events.host.all");
    host.append(all);
    for (const h of meta.hosts) {
      const o = document.createElement("option");
      o.value = h.name;
      o.textContent = h.name;
      host.append(o);
    }
    host.addEventListener("change", () => {
      this.filter.hosts = host.value ? [host.value] : [];
      this.refilter();
    });
    const session = this.root.querySelector("#session-filter");
    session.addEventListener("input", () => {
      this.filter.session = session.value.replace(/\D/g, "");
      this.refilterSoon();
    });
    const q = this.root.querySelector("#text-filter");
    q.addEventListener("input", () => {
      this.filter.q = q.value;
      this.refilterSoon();
    });
    const fail = this.root.querySelector("#fail-filter");
    fail.addEventListener("change", () => {
      this.filter.fail = fail.checked;
      this.refilter();
    });
    this.root.querySelector("#clear-filters").addEventListener("click", () => this.clearFilters());
  }

  relabel() {
    for (const b of this.root.querySelectorAll("#cat-chips .chip")) b.textContent = catLabel(b.dataset.cat);
    this.render();
    this.count();
  }

  clearFilters() {
    this.filter = { cats: [], hosts: [], session: "", q: "", fail: false };
    for (const b of this.root.querySelectorAll("#cat-chips .chip")) b.setAttribute("aria-pressed", "false");
    this.root.querySelector("#host-filter").value = "";
    this.root.querySelector("#session-filter").value = "";
    this.root.querySelector("#text-filter").value = "";
    this.root.querySelector("#fail-filter").checked = false;
    this.refilter();
  }

  // Show only one connection (from the transcript or a row).
  setSession(s) {
    this.filter.session = s ? String(s) : "";
    this.root.querySelector("#session-filter").value = this.filter.session;
    this.refilter();
  }

  active() {
    const f = this.filter;
    return f.cats.length > 0 || f.hosts.length > 0 || !!f.session || !!f.q || f.fail;
  }

  refilterSoon() {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.refilter(), 200);
  }

  async refilter() {
    this.gen++;
    this.pages = new Map();
    this._loaded = new Map();
    this.cursor = -1;
    this.root.classList.toggle("filtered", this.active());
    await this.load(0);
    await this.follow(this.current, true);
    this.app.filterChanged();
  }

  // The whole run grew (live mode): forget the last pages.
  grew() {
    const last = Math.floor(Math.max(0, this.total - 1) / PAGE);
    for (const k of [...this.pages.keys()]) if (k >= last) this.pages.delete(k);
    return this.load(last);
  }

  load(p) {
    if (this.pages.has(p)) return this.pages.get(p);
    const gen = this.gen;
    const pr = api.events(p * PAGE, PAGE, this.filter).then(
      (r) => {
        if (gen !== this.gen) return null;
        this.all = r.all;
        if (r.total !== this.total) {
          this.total = r.total;
          this.resize();
        }
        // The count changes in the same frame as the rows (render), never before them.
        this.schedule();
        return r.rows;
      },
      (e) => {
        this.pages.delete(p);
        this.app.error(e);
        return null;
      },
    );
    this.pages.set(p, pr);
    pr.then((rows) => {
      if (rows) this.loaded.set(`${gen}:${p}`, rows);
    });
    return pr;
  }

  get loaded() {
    if (!this._loaded) this._loaded = new Map();
    return this._loaded;
  }

  rowAt(n) {
    const rows = this.loaded.get(`${this.gen}:${Math.floor(n / PAGE)}`);
    return rows ? rows[n % PAGE] : undefined;
  }

  resize() {
    const h = this.measureRow();
    this.rowH = h;
    this.body.style.height = `${this.total * h}px`;
  }

  measureRow() {
    const v = getComputedStyle(this.root).getPropertyValue("--row-h").trim();
    const n = parseFloat(v);
    return Number.isFinite(n) && n > 0 ? n : 24;
  }

  count() {
    const c = this.root.querySelector("#event-count");
    c.textContent = t("events.count", { n: this.total, all: this.all ?? this.total });
    this.root.querySelector("#event-empty").hidden = this.total > 0;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  render() {
    this.count();
    const h = this.rowH;
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / h) - OVERSCAN);
    const last = Math.min(this.total, Math.ceil((top + height) / h) + OVERSCAN);
    const frag = document.createDocumentFragment();
    for (let n = first; n < last; n++) {
      const row = this.rowAt(n);
      if (row === undefined) {
        this.load(Math.floor(n / PAGE));
        const d = document.createElement("div");
        d.className = "ev-row loading";
        d.style.transform = `translateY(${n * h}px)`;
        d.textContent = "…";
        frag.append(d);
        continue;
      }
      frag.append(this.rowEl(row, n, h));
    }
    this.body.replaceChildren(frag);
  }

  rowEl(row, n, h) {
    const d = document.createElement("div");
    d.className = `ev-row cat-${row.cat}` + (row.fail ? " fail" : "") + (row.i === this.current ? " current" : "") + (row.i > this.current ? " future" : "");
    d.style.transform = `translateY(${n * h}px)`;
    d.dataset.i = row.i;
    d.id = `ev-${row.i}`;
    d.setAttribute("role", "option");
    d.setAttribute("aria-selected", row.i === this.current ? "true" : "false");
    const cells = [
      ["n", String(row.i + 1)],
      ["time", clock(row.t)],
      ["host", row.host],
      ["peer", row.peer ?? ""],
      ["kind", row.kind],
      ["line", lineOf(row) ?? ""],
    ];
    for (const [c, v] of cells) {
      const s = document.createElement("span");
      s.className = `c-${c}`;
      s.textContent = v;
      if (c === "line" || c === "peer") s.title = v;
      d.append(s);
    }
    if (row.session != null) d.dataset.session = row.session;
    return d;
  }

  // The current event (global index) changed: highlight it and keep it in view.
  async setCurrent(i, { scroll = true } = {}) {
    this.current = i;
    this.render();
    if (scroll) await this.follow(i, false);
  }

  async follow(i, force) {
    if (i < 0) {
      if (force) this.scroller.scrollTop = 0;
      return;
    }
    let n;
    if (!this.active()) {
      n = Math.min(i, this.total - 1);
    } else {
      const gen = this.gen;
      try {
        const r = await api.around(i, PAGE, this.filter);
        if (gen !== this.gen || i !== this.current) return;
        const k = r.rows.findIndex((row) => row.i >= i);
        if (k < 0) return;
        n = r.offset + k;
        const p = r.offset / PAGE;
        if (Number.isInteger(p) && !this.loaded.has(`${gen}:${p}`)) {
          this.loaded.set(`${gen}:${p}`, r.rows);
          this.pages.set(p, Promise.resolve(r.rows));
        }
      } catch (e) {
        this.app.error(e);
        return;
      }
    }
    this.cursor = n;
    const h = this.rowH;
    const top = n * h;
    const view = this.scroller.clientHeight;
    const st = this.scroller.scrollTop;
    if (force || top < st || top + h > st + view) {
      this.scroller.scrollTop = Math.max(0, top - view / 3);
    }
    this.schedule();
  }

  async key(ev) {
    if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp" && ev.key !== "Enter") return;
    ev.preventDefault();
    ev.stopPropagation();
    let n = this.cursor;
    if (ev.key === "ArrowDown") n = n < 0 ? 0 : n + 1;
    if (ev.key === "ArrowUp") n = Math.max(0, n - 1);
    if (n >= this.total) return;
    await this.load(Math.floor(n / PAGE));
    const row = this.rowAt(n);
    if (row) {
      this.cursor = n;
      this.app.goTo(row.i + 1, { fromList: true });
    }
  }
}
