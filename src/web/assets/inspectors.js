// Inside the hosts at the selected moment (from /api/state): one tab per
// host with its queue, mailboxes, maillog, POP-before-SMTP table, lists and
// DNS zone; the open connections; a connection's transcript (/api/session),
// client and server lines in two colours; the current event's fields.

import { api } from "./api.js";
import { t, lineOf } from "./i18n.js";

export function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function clockOf(iso) {
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(iso || "");
  return m ? m[1] : iso || "";
}

// A date-time as "04-01 10:00:30" (the scenario's zone, as written).
export function when(iso) {
  const m = /^\d{4}-(\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso || "");
  return m ? `${m[1]} ${m[2]}` : iso || "";
}

function table(cols, rows, cls) {
  return h("div", { class: "table-wrap" }, h(
    "table",
    { class: "grid " + (cls || "") },
    h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, t(c))))),
    h("tbody", {}, rows),
  ));
}

function section(id, title, count, ...body) {
  return h(
    "section",
    { class: `insp-sec sec-${id}`, "aria-labelledby": `sec-${id}-h` },
    h("h3", { id: `sec-${id}-h` }, t(title), count !== null && count !== undefined ? h("span", { class: "count" }, String(count)) : null),
    ...body,
  );
}

const empty = (key) => h("p", { class: "empty" }, t(key));

// How much of a big host is drawn at once (the counts always tell the whole).
const MAX_BOXES = 50;
const MAX_LOG = 200;
const MAX_ZONE = 1000;

export class Inspectors {
  // app: { openMessage(params), openSession(s), selectHost(name), at }
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.tabs = root.querySelector("#host-tabs");
    this.panel = root.querySelector("#host-panel");
    this.openEl = root.querySelector("#open-conns");
    this.selected = null;
    this.state = null;
  }

  select(name) {
    this.selected = name;
    this.render();
  }

  setState(state) {
    this.state = state;
    if (!this.selected || !state.hosts.some((x) => x.name === this.selected)) {
      const first = state.hosts.find((x) => x.role !== "dns" && x.role !== "mua") || state.hosts[0];
      this.selected = first ? first.name : null;
    }
    this.render();
  }

  render() {
    const s = this.state;
    if (!s) return;
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#host-tabs") ? document.activeElement.dataset.host : null;
    this.tabs.replaceChildren(
      ...s.hosts.map((x) => {
        const b = h(
          "button",
          {
            type: "button",
            role: "tab",
            class: "host-tab" + (x.down ? " down" : ""),
            "data-host": x.name,
            "aria-selected": x.name === this.selected ? "true" : "false",
            "aria-controls": "host-panel",
            tabindex: x.name === this.selected ? "0" : "-1",
            onclick: () => this.app.selectHost(x.name),
            onkeydown: (ev) => this.tabKey(ev),
          },
          x.name,
          badge(x),
        );
        return b;
      }),
    );
    if (focused) {
      const b = this.tabs.querySelector(`[data-host="${CSS.escape(focused)}"]`);
      if (b) b.focus();
    }
    const host = s.hosts.find((x) => x.name === this.selected);
    this.panel.replaceChildren(host ? this.hostPanel(host) : empty("insp.nothing"));
    this.renderOpen();
  }

  tabKey(ev) {
    const tabs = [...this.tabs.querySelectorAll("[role=tab]")];
    const i = tabs.indexOf(ev.currentTarget);
    let j = -1;
    if (ev.key === "ArrowRight" || ev.key === "ArrowDown") j = (i + 1) % tabs.length;
    if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") j = (i - 1 + tabs.length) % tabs.length;
    if (j < 0) return;
    ev.preventDefault();
    ev.stopPropagation();
    this.app.selectHost(tabs[j].dataset.host);
    const b = this.tabs.querySelector(`[data-host="${CSS.escape(tabs[j].dataset.host)}"]`);
    if (b) b.focus();
  }

  hostPanel(x) {
    const parts = [];
    parts.push(
      h(
        "div",
        { class: "host-head" },
        h("strong", {}, x.name),
        " ",
        h("span", { class: "muted" }, `${x.role} · ${x.address}`),
        x.down ? h("span", { class: "down-badge" }, t("topo.down")) : null,
      ),
    );
    if (x.down) parts.push(h("p", { class: "warn" }, t("insp.down")));
    const mta = ["relay", "hub", "mx", "mailstore", "list"].includes(x.role);
    const queue = x.queue || [];
    if (mta || queue.length) {
      // "last error" only when the server tells one.
      const errors = queue.some((q) => q.last_error);
      const cols = ["q.qid", "q.from", "q.rcpts", "q.size", "q.arrival", "q.attempts", "q.next"].concat(errors ? ["q.error"] : []);
      parts.push(
        section(
          "queue",
          "insp.queue",
          x.queue_total ?? queue.length,
          queue.length
            ? [table(
                cols,
                queue.map((q) =>
                  h(
                    "tr",
                    {},
                    h("td", { class: "nowrap" }, h("button", { type: "button", class: "link", onclick: () => this.app.openMessage({ host: x.name, qid: q.qid }) }, q.qid)),
                    h("td", {}, q.from),
                    h("td", {}, (q.rcpts || []).join(", ")),
                    h("td", { class: "num" }, String(q.size)),
                    h("td", { class: "nowrap", title: q.arrival }, clockOf(q.arrival)),
                    h("td", { class: "num" }, String(q.attempts)),
                    h("td", { class: "nowrap", title: q.next_try }, clockOf(q.next_try)),
                    errors ? h("td", { class: q.last_error ? "fail-text" : "" }, q.last_error || "") : null,
                  ),
                ),
              ),
              // A big run can queue thousands: the server sends the first ones and how many there are.
              (x.queue_total ?? queue.length) > queue.length ? h("p", { class: "muted" }, t("insp.more", { n: x.queue_total - queue.length })) : null]
            : empty("insp.queue.empty"),
        ),
      );
    }
    const boxes = x.mailboxes || [];
    if (boxes.length || x.role === "mailstore" || x.role === "mx") {
      // A big run can hold thousands of mailboxes: the server sends the first
      // ones (and how many there are), the page draws them and counts the rest.
      const nboxes = x.mailboxes_total ?? boxes.length;
      const shown = boxes.slice(0, MAX_BOXES).map((b) => this.mailbox(x, b));
      const drawn = Math.min(boxes.length, MAX_BOXES);
      if (nboxes > drawn) shown.push(h("p", { class: "muted" }, t("insp.more", { n: nboxes - drawn })));
      const nmsgs = x.messages_total ?? boxes.reduce((n, b) => n + b.messages.length, 0);
      parts.push(section("mailboxes", "insp.mailboxes", nmsgs, boxes.length ? shown : empty("insp.mailboxes.empty")));
    }
    const pa = x.popauth || [];
    if (pa.length) {
      parts.push(section("popauth", "insp.popauth", pa.length, table(["pa.ip", "pa.until"], pa.map((p) => h("tr", {}, h("td", {}, p.ip), h("td", {}, when(p.until)))))));
    }
    (x.lists || []).forEach((l, i) => parts.push(this.list(l, (x.members_total || [])[i])));
    if ((x.dns || []).length) {
      const nzone = x.dns_total ?? x.dns.length;
      const lines = x.dns.slice(0, MAX_ZONE);
      const zone = nzone > lines.length ? lines.concat([t("insp.more", { n: nzone - lines.length })]) : lines;
      parts.push(section("dns", "insp.dns", nzone, h("pre", { class: "zone", tabindex: "0" }, zone.join("\n"))));
    }
    const log = x.maillog || [];
    if (mta || log.length) {
      // The last lines (a big run logs thousands; the server sends the last
      // ones and how many there are).
      const nlog = x.maillog_total ?? log.length;
      const last = log.slice(-MAX_LOG);
      const tail = nlog > last.length ? [t("insp.more.before", { n: nlog - last.length })].concat(last) : last;
      const pre = h("pre", { class: "maillog", tabindex: "0", "aria-label": t("insp.maillog") }, tail.join("\n"));
      parts.push(section("maillog", "insp.maillog", nlog, log.length ? pre : empty("insp.maillog.empty")));
      requestAnimationFrame(() => {
        pre.scrollTop = pre.scrollHeight;
      });
    }
    if (parts.length === 1) parts.push(empty("insp.nothing"));
    return h("div", {}, parts);
  }

  mailbox(x, b) {
    const head = h("div", { class: "mb-head" }, t("mb.summary", { user: b.user, mailbox: b.mailbox, validity: b.uid_validity, next: b.uid_next }));
    if (!b.messages.length) return h("div", { class: "mailbox" }, head, h("p", { class: "empty" }, t("mb.nomsg")));
    return h(
      "div",
      { class: "mailbox" },
      head,
      table(
        ["mb.uid", "mb.flags", "mb.from", "mb.subject", "mb.size"],
        b.messages.map((m) =>
          h(
            "tr",
            {},
            h("td", { class: "num" }, h("button", { type: "button", class: "link", onclick: () => this.app.openMessage({ host: x.name, user: b.user, mailbox: b.mailbox, uid: m.uid }) }, String(m.uid))),
            h("td", {}, (m.flags || []).join(" ")),
            h("td", {}, m.from),
            h("td", {}, h("button", { type: "button", class: "link", onclick: () => this.app.openMessage({ host: x.name, user: b.user, mailbox: b.mailbox, uid: m.uid }) }, m.subject || "—")),
            h("td", { class: "num" }, String(m.size)),
          ),
        ),
      ),
    );
  }

  // `total`: how many members the list has (the server sends the first 500).
  list(l, total) {
    const members = l.members || [];
    const nmembers = total ?? members.length;
    const held = l.held || [];
    const archive = l.archive || [];
    const rows = members.slice(0, 500).map((m) => h("tr", {}, h("td", {}, m.address), h("td", {}, m.delivery)));
    return section(
      "list",
      "insp.lists",
      null,
      h("h4", {}, l.name),
      h(
        "details",
        { open: nmembers <= 20 ? true : null },
        h("summary", {}, `${t("list.members")} (${nmembers})`),
        members.length ? table(["pa.ip", "list.delivery"], rows) : empty("list.none"),
        nmembers > rows.length ? h("p", { class: "muted" }, t("insp.more", { n: nmembers - rows.length })) : null,
      ),
      h("div", {}, h("strong", {}, t("list.held") + ": "), held.length ? held.join(", ") : t("list.none")),
      h(
        "div",
        {},
        h("strong", {}, t("list.archive") + ": "),
        archive.length ? h("ol", { class: "archive" }, archive.map(([n, from, subj]) => h("li", { value: String(n) }, `${subj} — ${from}`))) : t("list.none"),
      ),
    );
  }

  renderOpen() {
    const open = (this.state && this.state.open) || [];
    this.openEl.replaceChildren(
      h("h3", {}, t("open.title"), h("span", { class: "count" }, String(open.length))),
      open.length
        ? h(
            "ul",
            { class: "open-list" },
            open.map((o) =>
              h(
                "li",
                {},
                h("span", { class: `proto cat-${o.proto}` }, o.proto.toUpperCase()),
                ` #${o.session} ${o.client} → ${o.server} `,
                h("button", { type: "button", class: "small", onclick: () => this.app.openSession(o.session) }, t("open.show")),
              ),
            ),
          )
        : empty("open.none"),
    );
  }
}

// A small mark after a host's name: down, or how many queued.
function badge(x) {
  if (x.down) return h("span", { class: "tab-badge down" }, "✕");
  const q = x.queue_total ?? (x.queue || []).length;
  if (q) return h("span", { class: "tab-badge" }, String(q));
  return null;
}

// One connection as "Follow TCP stream": client lines and server lines in two colours.
export async function renderSession(root, s, at) {
  const r = await api.session(s, at);
  const lines = r.rows.map((row) => {
    const fromClient = isClientLine(row, r);
    return h(
      "div",
      {
        class: "tr-line " + (fromClient ? "from-client" : "from-server") + (row.fail ? " fail" : "") + (row.i === at - 1 ? " current" : ""),
        "data-i": String(row.i),
      },
      h("span", { class: "tr-who" }, fromClient ? "C:" : "S:"),
      h("span", { class: "tr-time" }, clockOf(row.t)),
      h("span", { class: "tr-text" }, lineOf(row) ?? row.kind),
    );
  });
  root.replaceChildren(
    h("h3", {}, t("sess.title", { s: r.session, client: r.client, server: r.server, proto: (r.proto || "").toUpperCase() })),
    h("p", { class: "legend" }, h("span", { class: "from-client chip-static" }, "C: " + t("sess.client")), " ", h("span", { class: "from-server chip-static" }, "S: " + t("sess.server")), " · ", t("sess.upto")),
    h("div", { class: "transcript", tabindex: "0", role: "log", "aria-label": t("tab.session") }, lines),
  );
  const cur = root.querySelector(".tr-line.current");
  if (cur) cur.scrollIntoView({ block: "nearest" });
  return r;
}

// Whether a transcript row is something the client said (or did).
function isClientLine(row, sess) {
  const k = row.kind;
  let speaker = row.host;
  if (/\.(cmd|query|data)$/.test(k)) speaker = row.side === "client" ? row.host : row.peer;
  else if (/\.(reply|answer)$/.test(k)) speaker = row.side === "client" ? row.peer : row.host;
  return speaker === sess.client;
}

export async function renderEvent(root, i) {
  if (i < 0) {
    root.replaceChildren(empty("ev.pick"));
    return;
  }
  const e = await api.event(i);
  const fields = Object.entries(e.fields || {});
  root.replaceChildren(
    h("h3", {}, `#${e.i + 1} ${e.kind}`, e.fail ? h("span", { class: "fail-text" }, " ✕") : null),
    h(
      "dl",
      { class: "kv" },
      [
        ["col.time", e.t],
        ["col.host", e.host],
        ["col.peer", e.peer ?? "—"],
      ].map(([k, v]) => [h("dt", {}, t(k)), h("dd", {}, v)]),
      e.session != null ? [h("dt", {}, "session"), h("dd", {}, String(e.session))] : null,
    ),
    h("pre", { class: "ev-line" + (e.fail ? " fail-text" : "") }, lineOf(e) ?? ""),
    fields.length ? h("h4", {}, t("ev.fields")) : null,
    fields.length
      ? h(
          "dl",
          { class: "kv" },
          fields.map(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "string" && v.includes("\n") ? h("pre", {}, v) : typeof v === "object" ? JSON.stringify(v) : String(v))]),
        )
      : null,
  );
}
