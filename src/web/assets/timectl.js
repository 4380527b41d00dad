// The time controls: play/pause with a speed, steps by event, protocol
// command, scenario step and failure, a jump box and a scrubber over the run.
// A position is "after N events" (event N-1 is the current one).

import { t } from "./i18n.js";

const SPEEDS = [1, 2, 5, 10, 25, 100];

export class TimeControls {
  // app: { goTo(at, opts), nav(by, dir), jump(text) }
  constructor(root, app, { live }) {
    this.root = root;
    this.app = app;
    this.live = live;
    this.at = 0;
    this.total = 0;
    this.playing = false;
    this.timer = null;
    this.speed = 5;
    this.$ = (sel) => root.querySelector(sel);
    this.bind();
  }

  bind() {
    const on = (sel, f) => this.$(sel).addEventListener("click", f);
    on("#play", () => this.toggle());
    on("#to-start", () => this.app.goTo(0));
    on("#to-end", () => this.app.goTo(this.total));
    on("#prev-event", () => this.app.nav("event", "prev"));
    on("#next-event", () => this.app.nav("event", "next"));
    on("#prev-cmd", () => this.app.nav("command", "prev"));
    on("#next-cmd", () => this.app.nav("command", "next"));
    on("#prev-step", () => this.app.nav("step", "prev"));
    on("#next-step", () => this.app.nav("step", "next"));
    on("#prev-fail", () => this.app.nav("failure", "prev"));
    on("#next-fail", () => this.app.nav("failure", "next"));
    const speed = this.$("#speed");
    speed.replaceChildren(
      ...SPEEDS.map((s) => {
        const o = document.createElement("option");
        o.value = s;
        o.textContent = `${s}×`;
        return o;
      }),
    );
    speed.value = String(this.speed);
    speed.addEventListener("change", () => {
      this.speed = Number(speed.value) || 5;
      if (this.playing) this.schedule();
    });
    const slider = this.$("#scrub");
    slider.addEventListener("input", () => {
      this.pause();
      this.app.goTo(Number(slider.value), { scrub: true });
    });
    this.$("#jump-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.app.jump(this.$("#jump").value.trim());
    });
    if (this.live) {
      for (const id of ["#play", "#speed", "#to-start", "#prev-event", "#prev-cmd", "#prev-step", "#prev-fail", "#scrub", "#jump", "#jump-go"]) {
        this.$(id).disabled = true;
      }
    }
  }

  toggle() {
    if (this.live) return;
    if (this.playing) this.pause();
    else this.play();
  }

  play() {
    if (this.at >= this.total) this.app.goTo(0);
    this.playing = true;
    this.schedule();
    this.render();
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    clearTimeout(this.timer);
    this.timer = null;
    this.render();
  }

  schedule() {
    clearTimeout(this.timer);
    const tick = async () => {
      if (!this.playing) return;
      if (this.at >= this.total) {
        this.pause();
        return;
      }
      await this.app.goTo(this.at + 1, { animate: Math.min(600, 900 / this.speed), playing: true });
      if (this.playing) this.timer = setTimeout(tick, 1000 / this.speed);
    };
    this.timer = setTimeout(tick, 1000 / this.speed);
  }

  animationMs() {
    return this.playing ? Math.min(600, 900 / this.speed) : 450;
  }

  set(at, total, info) {
    this.at = at;
    this.total = total;
    this.info = info || this.info || {};
    this.render();
  }

  render() {
    const play = this.$("#play");
    play.textContent = this.playing ? "❚❚" : "▶";
    play.setAttribute("aria-pressed", this.playing ? "true" : "false");
    play.dataset.state = this.playing ? "playing" : "paused";
    const slider = this.$("#scrub");
    slider.max = String(this.total);
    slider.value = String(this.at);
    slider.setAttribute("aria-valuetext", t("time.pos", { at: this.at, total: this.total }));
    const info = this.info || {};
    const parts = [t("time.pos", { at: this.at, total: this.total })];
    if (info.time) parts.push(info.time);
    if (info.step) parts.push(t("time.step.n", { n: info.step }));
    if (this.live) parts.push(t("time.live"));
    else if (info.finished && this.at >= this.total) parts.push(t("time.finished"));
    this.$("#position").textContent = parts.join(" · ");
    this.$("#to-end").disabled = false;
  }
}

// "10:30", "10:30:15" or an RFC 3339 time → for /api/jump; "#120" or "120" → an event number.
export function parseJump(text) {
  const s = text.trim();
  let m = s.match(/^#?(\d+)$/);
  if (m) return { event: Number(m[1]) };
  m = s.match(/^(\d{1,2}):(\d{2})(?::(\d{2}))?$/);
  if (m) return { time: `${m[1].padStart(2, "0")}:${m[2]}${m[3] ? ":" + m[3] : ""}` };
  if (/^\d{4}-\d{2}-\d{2}T/.test(s)) return { time: s };
  return null;
}
