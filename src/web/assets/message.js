// The message inspector (/api/message): the way a message came, hop by hop
// (its Received: fields read bottom-up, who added what, the delay at each
// hop), its headers with each hop's additions highlighted, and the raw text.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { h, when } from "./inspectors.js";

function delay(s) {
  if (s === null || s === undefined) return "—";
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const hrs = Math.floor(s / 3600);
  const min = Math.floor((s % 3600) / 60);
  return `${hrs} h ${min} min`;
}

export async function renderMessage(root, params, at) {
  const m = await api.message({ ...params, at });
  const where = params.qid ? `${params.host} · queue ${params.qid}` : `${params.host} · ${params.user} / ${params.mailbox} · UID ${params.uid}`;
  const hops = m.hops || [];
  // Which hop added which header (by position: the n-th Received: from the top belongs to hop len-n).
  const addedBy = new Map();
  hops.forEach((hop, n) => {
    for (const name of hop.added || []) {
      const k = name.toLowerCase();
      if (!addedBy.has(k)) addedBy.set(k, []);
      addedBy.get(k).push(n);
    }
  });
  const receivedIdx = new Map();
  hops.forEach((hop, n) => receivedIdx.set(hop.received, n));

  const hopList = h(
    "ol",
    { class: "hops" },
    hops.map((hop, n) =>
      h(
        "li",
        { class: `hop hop-${n % 6}`, "data-hop": String(n) },
        h(
          "div",
          { class: "hop-head" },
          h("span", { class: "hop-n" }, t("msg.hop", { n: n + 1 })),
          " ",
          h("strong", {}, hop.by),
          hop.from ? h("span", { class: "muted" }, ` ← ${hop.from}`) : null,
          h("span", { class: "hop-delay" }, n === 0 ? t("msg.first") : `+${delay(hop.delay_s)}`),
        ),
        h(
          "dl",
          { class: "kv small" },
          h("dt", {}, t("msg.with")),
          h("dd", {}, hop.with || "—"),
          h("dt", {}, t("msg.id")),
          h("dd", {}, hop.id || "—"),
          h("dt", {}, t("col.time")),
          h("dd", {}, hop.time ? when(hop.time) : "—"),
          h("dt", {}, t("msg.added")),
          h("dd", {}, (hop.added || []).join(", ") || "Received"),
        ),
        h("pre", { class: "received" }, hop.received),
      ),
    ),
  );

  const headerRows = (m.headers || []).map((hd) => {
    let hop = null;
    if (hd.name.toLowerCase() === "received") {
      const full = `${hd.name}: ${hd.value}`;
      for (const [rcv, n] of receivedIdx) {
        if (rcv === full || rcv === hd.value || rcv.endsWith(hd.value) || hd.value.endsWith(rcv)) hop = n;
      }
    } else {
      const by = addedBy.get(hd.name.toLowerCase());
      if (by && by.length) hop = by[0];
    }
    return h(
      "tr",
      { class: hop !== null ? `hop-${hop % 6} added` : "" },
      h("th", { scope: "row" }, hd.name),
      h("td", {}, h("span", { class: "hv" }, hd.value)),
      h("td", { class: "hop-tag" }, hop !== null ? t("msg.hop", { n: hop + 1 }) : ""),
    );
  });

  root.replaceChildren(
    h("h3", {}, where),
    h("h4", {}, t("msg.hops")),
    hops.length ? hopList : h("p", { class: "empty" }, "—"),
    h("h4", {}, t("msg.headers")),
    h("table", { class: "grid headers" }, h("tbody", {}, headerRows)),
    h("details", {}, h("summary", {}, t("msg.raw")), h("pre", { class: "raw" }, m.raw)),
  );
  return m;
}
