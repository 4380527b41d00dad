// The page: loads /api/meta, builds the parts (time controls, picture, event
// list, inspectors, lesson) and keeps them at one position in the run.
// A position N means "after N events": event N-1 is the current one.
// body[data-at] says which position every part shows (the browser tests wait on it).

import { api, rowAt, forgetRowsFrom } from "./api.js";
import { t, setLang, lang, apply, lineOf, inLang } from "./i18n.js";
import { Topology } from "./topology.js";
import { TimeControls, parseJump } from "./timectl.js";
import { EventList } from "./events.js";
import { Inspectors, renderSession, renderEvent } from "./inspectors.js";
import { renderMessage } from "./message.js";
import { LessonPanel, inline, flow } from "./lesson.js";

// Script errors are kept for the browser tests (window.maillabErrors) as well as logged.
window.maillabErrors = [];
window.addEventListener("error", (e) => window.maillabErrors.push(String(e.message || e)));
window.addEventListener("unhandledrejection", (e) => window.maillabErrors.push(String(e.reason && e.reason.message ? e.reason.message : e.reason)));

const $ = (sel) => document.querySelector(sel);
const params = new URLSearchParams(location.search);

class App {
  async start() {
    setLang(params.get("lang") || "en");
    apply();
    try {
      this.meta = await api.meta();
    } catch (e) {
      this.error(e);
      return;
    }
    const meta = this.meta;
    this.live = meta.mode === "live";
    setLang(params.get("lang") || localStorage.getItem("maillab.lang") || meta.lang || "en");
    this.total = meta.total;
    this.at = 0;
    this.session = null;
    this.message = null;
    this.selectedHost = null;

    $("#scenario-name").textContent = meta.scenario.name;
    const desc = flow(meta.scenario.description || "", meta.lang);
    $("#scenario-desc").replaceChildren(...inline(desc));
    $("#scenario-desc").title = desc.replace(/`([^`]+)`/g, "$1");
    document.body.classList.toggle("live", this.live);

    this.topology = new Topology($("#topology"), meta, { onHost: (n) => this.selectHost(n, true) });
    this.time = new TimeControls($("#time"), this, { live: this.live });
    this.events = new EventList($("#events"), this);
    this.inspectors = new Inspectors($("#view-hosts"), this);
    this.bindChrome();
    if (meta.lesson) {
      $("#tab-lesson").hidden = false;
      this.lesson = new LessonPanel($("#view-lesson"), this);
      document.body.classList.add("has-lesson");
    }
    this.relabel();
    await this.events.refilter();
    if (this.lesson) {
      try {
        await this.lesson.load();
      } catch (e) {
        this.error(e);
      }
      this.showView("lesson");
    }
    if (params.get("view")) this.showView(params.get("view"));
    if (params.get("host")) this.selectHost(params.get("host"));
    if (params.get("session")) this.session = Number(params.get("session"));
    if (params.get("message")) this.message = Object.fromEntries(new URLSearchParams(params.get("message")));
    const start = params.has("at") ? Number(params.get("at")) : this.live ? this.total : 0;
    await this.goTo(start);
    if (this.live) this.follow();
    document.body.dataset.ready = "yes";
  }

  bindChrome() {
    for (const b of document.querySelectorAll(".lang-switch button")) {
      b.addEventListener("click", () => this.switchLang(b.dataset.lang));
    }
    const proj = $("#projector");
    const pres = $("#presenter");
    const setProj = (on) => {
      document.body.classList.toggle("projector", on);
      proj.setAttribute("aria-pressed", on ? "true" : "false");
      this.events && this.events.resize();
      this.events && this.events.render();
    };
    const setPres = (on) => {
      document.body.classList.toggle("presenter", on);
      pres.setAttribute("aria-pressed", on ? "true" : "false");
    };
    setProj(params.get("projector") === "1");
    setPres(params.get("presenter") === "1");
    proj.addEventListener("click", () => setProj(!document.body.classList.contains("projector")));
    pres.addEventListener("click", () => setPres(!document.body.classList.contains("presenter")));
    $("#help-btn").addEventListener("click", () => this.help());
    for (const tab of document.querySelectorAll("#view-tabs [role=tab]")) {
      tab.addEventListener("click", () => this.showView(tab.id.replace("tab-", "")));
      tab.addEventListener("keydown", (ev) => {
        const tabs = [...document.querySelectorAll("#view-tabs [role=tab]")].filter((x) => !x.hidden);
        const i = tabs.indexOf(tab);
        let j = -1;
        if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
        if (ev.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
        if (j < 0) return;
        ev.preventDefault();
        ev.stopPropagation();
        this.showView(tabs[j].id.replace("tab-", ""));
        tabs[j].focus();
      });
    }
    document.addEventListener("keydown", (ev) => this.key(ev));
  }

  key(ev) {
    const tgt = ev.target;
    const tag = tgt && tgt.tagName;
    const typing = (tag === "INPUT" && !["checkbox", "radio", "range", "button", "submit"].includes(tgt.type)) || tag === "TEXTAREA" || tag === "SELECT";
    if (ev.key === "Escape") {
      if (typing) tgt.blur();
      return;
    }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if ($("#help").open) return;
    const onRange = tag === "INPUT" && tgt.type === "range";
    const onButton = tag === "BUTTON" || tag === "SUMMARY" || tag === "A" || (tag === "INPUT" && (tgt.type === "radio" || tgt.type === "checkbox"));
    let handled = true;
    switch (ev.key) {
      case " ":
        if (onButton) return;
        this.time.toggle();
        break;
      case "ArrowLeft":
      case "ArrowRight":
        if (onRange || (tag === "INPUT" && tgt.type === "radio")) return;
        this.time.pause();
        this.nav(ev.shiftKey ? "command" : "event", ev.key === "ArrowLeft" ? "prev" : "next");
        break;
      case "PageUp":
      case "PageDown":
        this.time.pause();
        this.nav("step", ev.key === "PageUp" ? "prev" : "next");
        break;
      case "Home":
        if (onRange) return;
        this.time.pause();
        this.goTo(0);
        break;
      case "End":
        if (onRange) return;
        this.time.pause();
        this.goTo(this.total);
        break;
      case "[":
        this.nav("failure", "prev");
        break;
      case "]":
        this.nav("failure", "next");
        break;
      case "/":
        $("#text-filter").focus();
        break;
      case "?":
        this.help();
        break;
      default:
        handled = false;
    }
    if (handled) ev.preventDefault();
  }

  help() {
    const d = $("#help");
    if (!d.open) d.showModal();
  }

  async switchLang(l) {
    setLang(l);
    try {
      localStorage.setItem("maillab.lang", l);
    } catch (e) {
      /* private mode */
    }
    this.relabel();
    if (this.lesson) {
      try {
        await this.lesson.load();
      } catch (e) {
        this.error(e);
      }
    }
    if (this.lastState) this.inspectors.render();
    this.refreshViews();
  }

  relabel() {
    apply();
    for (const b of document.querySelectorAll(".lang-switch button")) b.setAttribute("aria-pressed", b.dataset.lang === lang() ? "true" : "false");
    $("#mode").textContent = t(this.live ? "mode.live" : "mode.sim");
    $("#scenario-title").textContent = inLang(this.meta.scenario.title, this.meta.scenario.title_ja);
    this.stepMarks();
    this.topology.setLabels();
    this.events.relabel();
    this.time.render();
  }

  stepMarks() {
    const box = $("#steps-marks");
    box.replaceChildren();
    if (!this.total || this.live) return;
    for (const s of this.meta.steps || []) {
      const m = document.createElement("span");
      m.className = "mark";
      m.style.left = `${(100 * (s.event + 1)) / this.total}%`;
      // The summary starts with the step's number ("step 2: wait 40m", 「ステップ 2: 40m 待つ」).
      m.title = inLang(s.summary, s.summary_ja);
      m.textContent = String(s.n);
      box.append(m);
    }
  }

  showView(name) {
    for (const tab of document.querySelectorAll("#view-tabs [role=tab]")) {
      const on = tab.id === `tab-${name}`;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      $(`#view-${tab.id.replace("tab-", "")}`).hidden = !on;
    }
    this.view = name;
    this.refreshViews();
  }

  selectHost(name, show) {
    this.selectedHost = name;
    this.inspectors.select(name);
    this.topology.setState(this.lastState, name);
    if (show) this.showView("hosts");
  }

  openSession(s) {
    this.session = s;
    this.showView("session");
  }

  openMessage(p) {
    this.message = p;
    this.showView("message");
  }

  filterChanged() {}

  // Move to position `at` (clamped). opts.animate: ms for the picture's envelope.
  async goTo(at, opts = {}) {
    if (this.live && !opts.live && at < this.total && this.at >= this.total) {
      // Live mode does not rewind; the list still shows what happened.
    }
    at = Math.max(0, Math.min(this.total, Math.round(Number(at) || 0)));
    const prev = this.at;
    this.at = at;
    if (!opts.playing) this.time.pause();
    this.time.set(at, this.total);
    const token = (this.token = (this.token || 0) + 1);
    document.body.dataset.busy = "yes";
    let row = null;
    try {
      row = at > 0 ? await rowAt(at - 1) : null;
    } catch (e) {
      this.error(e);
    }
    if (token !== this.token) return;
    this.row = row;
    const animate = opts.animate ?? (at === prev + 1 ? this.time.animationMs() : 0);
    this.topology.setEvent(row, animate);
    this.showCurrentLine(row);
    this.events.setCurrent(at - 1, { scroll: true });
    await this.loadState(at, token);
  }

  showCurrentLine(row) {
    const el = $("#current-line");
    if (!row) {
      el.textContent = "";
      el.className = "current-line";
      return;
    }
    el.className = `current-line cat-${row.cat}` + (row.fail ? " fail" : "");
    el.textContent = `#${row.i + 1}  ${row.host}${row.peer ? " ↔ " + row.peer : ""}  ${row.kind}  ${lineOf(row) ?? ""}`;
  }

  // The state of the hosts at `at`; when several moves come quickly only the last is shown.
  async loadState(at, token) {
    let state;
    try {
      state = await api.state(this.live ? undefined : at);
    } catch (e) {
      this.error(e);
      return;
    }
    if (token !== this.token) return;
    this.lastState = state;
    this.time.set(this.at, this.total, { time: clock(state.time), step: state.step, finished: state.finished });
    this.inspectors.setState(state);
    this.topology.setState(state, this.inspectors.selected);
    await this.refreshViews();
    if (token !== this.token) return;
    document.body.dataset.at = String(at);
    document.body.dataset.busy = "no";
  }

  async refreshViews() {
    try {
      if (this.view === "session") {
        const s = this.row && this.row.session != null ? this.row.session : this.session;
        if (s != null) {
          this.session = s;
          await renderSession($("#view-session"), s, this.at);
        }
      } else if (this.view === "message" && this.message) {
        await renderMessage($("#view-message"), this.message, this.at);
      } else if (this.view === "event") {
        await renderEvent($("#view-event"), this.at - 1);
      }
    } catch (e) {
      this.error(e);
    }
  }

  async nav(by, dir) {
    if (this.live && dir === "prev") return;
    const filtered = this.events.active();
    if (by === "event" && !filtered) return this.goTo(this.at + (dir === "next" ? 1 : -1));
    try {
      const f = by === "step" || !filtered ? undefined : this.events.filter;
      const r = await api.nav(this.at, by, dir, f);
      if (r.at !== this.at) await this.goTo(r.at);
    } catch (e) {
      this.error(e);
    }
  }

  async jump(text) {
    const j = parseJump(text);
    const input = $("#jump");
    if (!j) {
      input.setCustomValidity(t("time.jump.bad"));
      input.reportValidity();
      return;
    }
    input.setCustomValidity("");
    if (j.event !== undefined) return this.goTo(j.event);
    try {
      const r = await api.jump(j.time);
      await this.goTo(r.at);
    } catch (e) {
      this.error(e);
    }
  }

  // Live mode: the trace grows; stay at its end.
  follow() {
    const src = new EventSource("/api/stream");
    src.onmessage = async (m) => {
      let d;
      try {
        d = JSON.parse(m.data);
      } catch (e) {
        return;
      }
      if (typeof d.total !== "number" || d.total === this.total) return;
      const atEnd = this.at >= this.total;
      forgetRowsFrom(this.total);
      this.total = d.total;
      await this.events.grew();
      if (atEnd) await this.goTo(this.total, { live: true, animate: 300 });
      else this.time.set(this.at, this.total);
    };
  }

  error(e) {
    const el = $("#error");
    el.textContent = t("app.error", { msg: e && e.message ? e.message : String(e) });
    el.hidden = false;
    clearTimeout(this.errTimer);
    this.errTimer = setTimeout(() => (el.hidden = true), 8000);
    console.error(e);
  }
}

function clock(iso) {
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(iso || "");
  return m ? m[1] : "";
}

const app = new App();
window.maillab = app;
app.start();
