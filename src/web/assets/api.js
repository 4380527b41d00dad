// The lab server's JSON API (see the contract in the backend's src/web/).
// Every call returns parsed JSON or throws an Error with the server's message.

async function get(path, params) {
  const q = params ? "?" + query(params) : "";
  const r = await fetch(path + q, { headers: { Accept: "application/json" } });
  let body;
  try {
    body = await r.json();
  } catch (e) {
    throw new Error(`${path}: ${r.status} ${r.statusText}`);
  }
  if (!r.ok) throw new Error(body && body.error ? body.error : `${path}: ${r.status}`);
  return body;
}

function query(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0)) continue;
    parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(Array.isArray(v) ? v.join(",") : v));
  }
  return parts.join("&");
}

// The filter of the event list as query parameters.
export function filterParams(f) {
  if (!f) return {};
  return {
    cat: f.cats && f.cats.length ? f.cats : undefined,
    host: f.hosts && f.hosts.length ? f.hosts : undefined,
    session: f.session || undefined,
    q: f.q || undefined,
    fail: f.fail ? 1 : undefined,
  };
}

export const api = {
  meta: () => get("/api/meta"),
  events: (offset, limit, filter) => get("/api/events", { offset, limit, ...filterParams(filter) }),
  around: (i, limit, filter) => get("/api/events", { around: i, limit, ...filterParams(filter) }),
  event: (i) => get("/api/event/" + i),
  state: (at) => get("/api/state", at === undefined ? undefined : { at }),
  nav: (at, by, dir, filter) => get("/api/nav", { at, by, dir, ...filterParams(filter) }),
  jump: (time) => get("/api/jump", { time }),
  session: (s, at) => get("/api/session/" + s, at === undefined ? undefined : { at }),
  message: (params) => get("/api/message", params),
  lesson: (lang) => get("/api/lesson", { lang }),
  result: (lang) => get("/api/lesson/result", { lang }),
  answer: async (id, answer, lang) => {
    const r = await fetch("/api/lesson/answer", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ id, answer, lang }),
    });
    const body = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
    if (!r.ok) throw new Error(body.error || String(r.status));
    return body;
  },
};

// Rows of the whole (unfiltered) run, fetched a page at a time and kept:
// the picture and the status bar need the current event whatever the list shows.
const PAGE = 500;
const pages = new Map();

export async function rowAt(i) {
  if (i < 0) return null;
  const p = Math.floor(i / PAGE);
  if (!pages.has(p)) {
    pages.set(
      p,
      api.events(p * PAGE, PAGE).then(
        (r) => r.rows,
        (e) => {
          pages.delete(p);
          throw e;
        },
      ),
    );
  }
  const rows = await pages.get(p);
  return rows.find((r) => r.i === i) ?? null;
}

// Live mode: the last page grows; forget it so it is fetched again.
export function forgetRowsFrom(i) {
  const p = Math.floor(i / PAGE);
  for (const k of [...pages.keys()]) if (k >= p) pages.delete(k);
}
