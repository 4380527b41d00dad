// The lesson panel (with `maillab web --lesson NAME`): the lesson's text by
// section with "run to here", checkpoints answered inline and graded by the
// server (the same grader and progress file as `maillab lesson run`), the
// progress, and the result.

import { api } from "./api.js";
import { t, lang } from "./i18n.js";
import { h } from "./inspectors.js";

// A character Japanese text is set in without spaces (kana, kanji, CJK and
// full-width punctuation and forms).
const WIDE = /[\u2e80-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]/u;

// Lines of wrapped prose joined into one, as the language wants them: a
// Japanese line break between two Japanese characters becomes nothing
// (「…あります。」「このレッスン…」 is one sentence run), any other break a
// space ("…provider." "In your…"; 「を」「`maillab run`」 keeps its space, as
// Japanese text here spaces Latin words). The one place the page joins a
// text's lines: the lesson's prose, its questions and options, and the
// scenario's description. (The CSS Text rule for segment breaks, which
// browsers do not all apply.)
export function joinLines(lines, l) {
  let out = "";
  for (const line of lines) {
    if (!out) out = line;
    else if (!line) continue;
    else if (l === "ja" && WIDE.test(out.slice(-1)) && WIDE.test(line[0])) out += line;
    else out += " " + line;
  }
  return out;
}

// A short text (a question, an option, a description) on one line.
export function flow(text, l) {
  return joinLines(String(text ?? "").split(/\r\n?|\n/).map((line) => line.trim()).filter(Boolean), l);
}

// The blocks of a lesson's plain text, laid out as the terminal runner
// (`maillab lesson run`) prints it, verbatim: wrapped lines of prose join
// into a paragraph (a blank line ends one), and a line indented two or more
// spaces past the text's own left margin (a port table, a command to type, a
// quoted mail) keeps its line and its indentation: such lines, with any blank
// lines between them, make one preformatted block. Returns
// [{ pre: bool, text }]: a paragraph's lines joined by `joinLines` for the
// language `l`, a preformatted block's with "\n" (without the indentation
// its lines share).
export function blocks(text, l) {
  const lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
  const indent = (line) => /^ */.exec(line)[0].length;
  const filled = lines.filter((line) => line.trim());
  const margin = filled.length ? Math.min(...filled.map(indent)) : 0;
  const out = [];
  let cur = null;
  let blank = 0;
  for (const line of lines) {
    if (!line.trim()) {
      if (cur && cur.pre) blank++;
      else cur = null;
      continue;
    }
    const pre = indent(line) >= margin + 2;
    if (cur && cur.pre === pre && (pre || !blank)) {
      for (; blank > 0; blank--) cur.lines.push("");
    } else {
      cur = { pre, lines: [] };
      out.push(cur);
    }
    blank = 0;
    cur.lines.push(pre ? line.trimEnd() : line.trim());
  }
  return out.map((b) => {
    if (!b.pre) return { pre: false, text: joinLines(b.lines, l) };
    const cut = Math.min(...b.lines.filter(Boolean).map(indent));
    return { pre: true, text: b.lines.map((line) => line.slice(cut)).join("\n") };
  });
}

// The elements of a lesson's plain text: <p> for prose (`code` kept),
// <pre><code> for preformatted lines (each line in a span, so that a line too
// long for the panel wraps with a hanging indent). With `label`, a bold label
// begins the first paragraph (or stands in a paragraph of its own before a block).
export function prose(text, l, label) {
  const lines = (text) => text.split("\n").flatMap((line, i) => [i ? "\n" : null, h("span", { class: "ln" }, line)]);
  const els = blocks(text, l).map((b) =>
    b.pre ? h("pre", { class: "lesson-pre", lang: l }, h("code", {}, lines(b.text))) : h("p", { lang: l }, inline(b.text)),
  );
  if (label) {
    const strong = h("strong", {}, label + ": ");
    if (els[0] && els[0].tagName === "P") els[0].prepend(strong);
    else els.unshift(h("p", {}, strong));
  }
  return els;
}

// A line of prose with `code` as <code>.
export function inline(p) {
  const out = [];
  const re = /`([^`]+)`/g;
  let last = 0;
  let m;
  while ((m = re.exec(p))) {
    if (m.index > last) out.push(p.slice(last, m.index));
    out.push(h("code", {}, m[1]));
    last = re.lastIndex;
  }
  if (last < p.length) out.push(p.slice(last));
  return out;
}

export class LessonPanel {
  // app: { goTo(at), error(e) }
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.data = null;
    this.view = "lesson";
  }

  async load() {
    this.data = await api.lesson(lang());
    this.render();
  }

  render() {
    if (this.view === "result") return this.showResult();
    const d = this.data;
    if (!d) return;
    const l = d.lang || lang();
    const p = d.progress || { answered: 0, total: 0, score: 0, max: 0 };
    const pct = p.total ? Math.round((100 * p.answered) / p.total) : 0;
    this.root.replaceChildren(
      h("h2", { lang: l, class: "lesson-title" }, d.title),
      h("div", { lang: l, class: "lesson-summary" }, prose(d.summary, l)),
      h(
        "div",
        { class: "progress-wrap" },
        h("progress", { max: String(p.total || 1), value: String(p.answered), "aria-label": t("lesson.progress", p) }),
        h("span", { id: "lesson-progress", class: "progress-text", "data-pct": String(pct) }, t("lesson.progress", p)),
      ),
      ...d.sections.map((s) => this.section(s, l)),
      h("div", { class: "lesson-end" }, h("button", { type: "button", id: "lesson-result", onclick: () => this.result() }, t("lesson.result"))),
    );
  }

  section(s, l) {
    const n = s.index + 1;
    return h(
      "section",
      { class: "lesson-sec", id: `lesson-sec-${s.index}`, "aria-labelledby": `lesson-sec-h-${s.index}` },
      h(
        "div",
        { class: "lesson-sec-head" },
        h("h3", { id: `lesson-sec-h-${s.index}` }, t("lesson.section", { n })),
        s.run_to !== null && s.run_to !== undefined
          ? h(
              "button",
              {
                type: "button",
                class: "run-to",
                "data-run-to": String(s.run_to),
                "aria-label": t("lesson.runto.label", { n: s.run_to_step ?? "" }),
                onclick: () => this.app.goTo(s.run_to, { fromLesson: true }),
              },
              "▶ " + t("lesson.runto"),
            )
          : null,
      ),
      prose(s.text, l),
      s.look_at ? h("p", { class: "look-at", lang: l }, h("strong", {}, t("lesson.lookat") + ": "), inline(s.look_at)) : null,
      (s.checkpoints || []).map((cp) => this.checkpoint(cp, l)),
    );
  }

  checkpoint(cp, l) {
    const st = cp.state || {};
    const id = `cp-${cp.id}`;
    let input;
    if (cp.kind === "choice" && cp.options) {
      input = h(
        "fieldset",
        { class: "choices" },
        h("legend", { class: "sr-only" }, t("lesson.answer.label")),
        cp.options.map((o, k) =>
          h(
            "label",
            { class: "choice" },
            h("input", { type: "radio", name: id, value: String(k + 1), checked: cp.picked === k + 1 ? true : null, disabled: st.answered ? true : null }),
            h("span", { lang: l }, ` ${k + 1}. `, inline(flow(o, l))),
          ),
        ),
      );
    } else {
      input = h("input", {
        type: cp.kind === "number" ? "text" : "text",
        inputmode: cp.kind === "number" ? "numeric" : null,
        class: "answer-input",
        name: id,
        id: `${id}-input`,
        value: st.given ?? "",
        readonly: st.answered ? true : null,
        "aria-label": t("lesson.answer.label"),
        autocomplete: "off",
      });
    }
    const feedback = h("div", { class: "feedback", role: "status", "aria-live": "polite" });
    this.fillFeedback(feedback, st, null, l);
    const form = h(
      "form",
      {
        class: "checkpoint" + (st.answered ? (st.correct ? " is-correct" : " is-wrong") : ""),
        "data-id": cp.id,
        onsubmit: (ev) => {
          ev.preventDefault();
          this.submit(cp, form, feedback);
        },
      },
      h("p", { class: "question", lang: l }, h("span", { class: "points" }, t("lesson.points", { n: cp.points })), " ", inline(flow(cp.question, l))),
      input,
      // A finished question takes no more answers (as in the terminal): no button.
      h("div", { class: "cp-actions" }, st.answered ? null : h("button", { type: "submit", class: "check" }, t("lesson.check")), st.attempts ? h("span", { class: "muted attempts" }, t("lesson.attempts", { n: st.attempts })) : null),
      feedback,
    );
    return form;
  }

  fillFeedback(el, st, outcome, l) {
    const parts = [];
    const o = outcome || (st.answered ? (st.correct ? "correct" : "wrong") : null);
    if (o) {
      const cls = o === "correct" ? "ok" : o === "invalid" ? "warn" : o === "revealed" ? "info" : "bad";
      parts.push(h("p", { class: `verdict ${cls}` }, t("lesson." + o)));
    }
    if (st.hint && !st.correct) parts.push(h("div", { class: "hint answer-only", lang: l }, prose(st.hint, l, t("lesson.hint"))));
    if (st.expected) parts.push(h("p", { class: "expected answer-only", lang: l }, h("strong", {}, t("lesson.expected") + ": "), st.expected));
    if (st.explain) parts.push(h("div", { class: "explain answer-only", lang: l }, prose(st.explain, l, t("lesson.explain"))));
    if (parts.some((p) => p.classList.contains("answer-only"))) parts.push(h("p", { class: "presenter-note" }, t("presenter.hidden")));
    el.replaceChildren(...parts);
  }

  async submit(cp, form, feedback) {
    let answer = "";
    const radio = form.querySelector("input[type=radio]:checked");
    if (radio) answer = radio.value;
    const text = form.querySelector(".answer-input");
    if (text) answer = text.value;
    try {
      const r = await api.answer(cp.id, answer, lang());
      cp.state = r.state;
      const l = (this.data && this.data.lang) || lang();
      this.fillFeedback(feedback, r.state || {}, r.outcome, l);
      if (r.message) feedback.append(h("p", { class: "message", lang: l }, inline(String(r.message))));
      form.classList.toggle("is-correct", r.outcome === "correct");
      form.classList.toggle("is-wrong", r.outcome === "wrong");
      form.dataset.outcome = r.outcome;
      if (r.state && r.state.answered) this.finish(form);
      // The progress line.
      const fresh = await api.lesson(lang());
      this.data.progress = fresh.progress;
      const p = fresh.progress;
      const pt = this.root.querySelector("#lesson-progress");
      if (pt) pt.textContent = t("lesson.progress", p);
      const bar = this.root.querySelector("progress");
      if (bar) {
        bar.max = String(p.total || 1);
        bar.value = String(p.answered);
      }
      const att = form.querySelector(".attempts") || h("span", { class: "muted attempts" });
      att.textContent = t("lesson.attempts", { n: (r.state && r.state.attempts) || 0 });
      form.querySelector(".cp-actions").append(att);
    } catch (e) {
      this.app.error(e);
    }
  }

  // A question just finished: its inputs stay as answered, its button goes.
  finish(form) {
    for (const i of form.querySelectorAll("input[type=radio]")) i.disabled = true;
    for (const i of form.querySelectorAll(".answer-input")) i.readOnly = true;
    const b = form.querySelector("button.check");
    if (b) b.remove();
  }

  async result() {
    this.view = "result";
    await this.showResult();
  }

  async showResult() {
    try {
      const r = await api.result(lang());
      const l = r.lang || lang();
      const titles = new Map();
      for (const s of (this.data && this.data.sections) || []) for (const cp of s.checkpoints || []) titles.set(cp.id, cp.question);
      this.root.replaceChildren(
        h("h2", {}, t("lesson.result.title"), " — ", h("span", { lang: l }, (this.data && this.data.title) || r.lesson)),
        h("p", { class: "result-score " + (r.passed ? "ok" : "bad"), id: "result-score" }, h("strong", {}, t(r.passed ? "lesson.result.passed" : "lesson.result.failed")), " · ", t("lesson.result.score", { score: r.score, max: r.max, percent: r.percent, pass: r.pass_mark })),
        h(
          "table",
          { class: "grid result" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { class: "mark" }, h("span", { class: "sr-only" }, t("lesson.result.mark"))),
              h("th", { class: "question" }, t("lesson.result.question")),
              h("th", { class: "given" }, t("lesson.result.given")),
              h("th", { class: "expected" }, t("lesson.expected")),
              h("th", { class: "num" }, t("lesson.result.points")),
            ),
          ),
          h("tbody", {},
            (r.items || []).map((it) =>
              h(
                "tr",
                { class: it.correct ? "ok" : "bad", "data-id": it.id },
                h("td", { class: "mark" }, it.done || it.correct ? (it.correct ? "✓" : "✗") : "–"),
                h("td", { class: "question", lang: l }, inline(flow(titles.get(it.id) || it.id, l))),
                h("td", { class: "given" }, it.given ?? h("span", { class: "muted" }, t("lesson.result.none"))),
                // The answer only of a finished question (the server sends none of the others).
                h("td", { class: "expected answer-only", lang: l }, it.expected ?? h("span", { class: "muted" }, t("lesson.result.open"))),
                h("td", { class: "num" }, `${it.earned}/${it.points}`),
              ),
            ),
          ),
        ),
        h("button", { type: "button", id: "lesson-back", onclick: () => this.back() }, t("lesson.back")),
      );
    } catch (e) {
      this.app.error(e);
    }
  }

  async back() {
    this.view = "lesson";
    await this.load();
  }
}
