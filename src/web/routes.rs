//! The HTTP side: the page's files (embedded, or from `MAILLAB_WEB_ASSETS`)
//! and the JSON API. Every handler checks its query values (400 with a JSON
//! error when one is bad), caps page sizes, and holds the lab worker only
//! for the one answer it needs.

pub use super::error::ApiError;
use super::index::{By, Filter};
use super::{App, read};
use crate::lab::MessageRef;
use crate::lesson::Lang;
use crate::trace::Category;
use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_embed::RustEmbed;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The page: `src/web/assets/`, in the binary.
#[derive(RustEmbed)]
#[folder = "src/web/assets/"]
struct Assets;

/// Most rows one `/api/events` answer carries.
pub const MAX_LIMIT: usize = 1000;

type Q = Result<Query<BTreeMap<String, String>>, QueryRejection>;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

fn not_found(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, msg.into())
}

type ApiResult = Result<Response, ApiError>;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index_html))
        .route("/assets/{*path}", get(asset))
        .route("/api/meta", get(meta))
        .route("/api/events", get(events))
        .route("/api/event/{i}", get(event))
        .route("/api/state", get(state))
        .route("/api/nav", get(nav))
        .route("/api/jump", get(jump))
        .route("/api/session/{s}", get(session))
        .route("/api/message", get(message))
        .route("/api/lesson", get(lesson))
        .route("/api/lesson/answer", post(lesson_answer))
        .route("/api/lesson/result", get(lesson_result))
        .route("/api/stream", get(super::live::stream))
        .fallback(|| async { not_found("no such page") })
        .with_state(app)
}

fn query(q: Q) -> Result<BTreeMap<String, String>, ApiError> {
    q.map(|Query(m)| m).map_err(|e| bad(format!("bad query: {}", e.body_text())))
}

fn num<T: std::str::FromStr>(q: &BTreeMap<String, String>, name: &str) -> Result<Option<T>, ApiError> {
    match q.get(name) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| bad(format!("`{name}` must be a number, not `{v}`"))),
    }
}

/// The position asked for (`at`), clamped to the run.
fn at(app: &App, q: &BTreeMap<String, String>) -> Result<usize, ApiError> {
    let total = read(&app.index).len();
    Ok(num::<usize>(q, "at")?.unwrap_or(total).min(total))
}

fn filter(q: &BTreeMap<String, String>) -> Result<Filter, ApiError> {
    let list = |name: &str| -> Vec<String> {
        q.get(name)
            .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    };
    let mut cats = BTreeSet::new();
    for c in list("cat") {
        cats.insert(Category::from_name(&c).ok_or_else(|| bad(format!("`{c}` is not a category")))?);
    }
    let fail = match q.get("fail").map(String::as_str) {
        None | Some("" | "0" | "false") => false,
        Some("1" | "true") => true,
        Some(v) => return Err(bad(format!("`fail` must be 1 or 0, not `{v}`"))),
    };
    // Counted as typed: lower-casing can lengthen a text (`İ` is two characters lower-cased).
    if q.get("q").is_some_and(|s| s.trim().chars().count() > 200) {
        return Err(bad("`q` is too long (200 characters at most)"));
    }
    let q_text = q.get("q").map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    Ok(Filter { cats, hosts: list("host").into_iter().collect(), session: num(q, "session")?, q: q_text, fail })
}

fn json_text(s: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], s).into_response()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A file of the page: from `MAILLAB_WEB_ASSETS` when set (a developer aid:
/// edit and reload), else the copy embedded in the binary.
fn asset_bytes(path: &str) -> Option<Vec<u8>> {
    if path.split('/').any(|p| p == ".." || p.is_empty() || p.contains('\\')) || path.starts_with('/') {
        return None;
    }
    if let Some(dir) = std::env::var_os("MAILLAB_WEB_ASSETS") {
        return std::fs::read(std::path::Path::new(&dir).join(path)).ok();
    }
    Assets::get(path).map(|f| f.data.into_owned())
}

fn serve_asset(path: &str) -> Response {
    match asset_bytes(path) {
        Some(b) => {
            ([(header::CONTENT_TYPE, content_type(path)), (header::CACHE_CONTROL, "no-cache")], b).into_response()
        }
        None => not_found(format!("no file {path}")).into_response(),
    }
}

async fn index_html() -> Response {
    serve_asset("index.html")
}

async fn asset(Path(path): Path<String>) -> Response {
    serve_asset(&path)
}

async fn meta(State(app): State<Arc<App>>) -> Response {
    Json(app.meta()).into_response()
}

async fn events(State(app): State<Arc<App>>, q: Q) -> ApiResult {
    let q = query(q)?;
    let f = filter(&q)?;
    let limit = num::<usize>(&q, "limit")?.unwrap_or(200).clamp(1, MAX_LIMIT);
    let offset = num::<usize>(&q, "offset")?.unwrap_or(0);
    let around = num::<usize>(&q, "around")?;
    let ix = read(&app.index);
    let (total, offset, rows) = ix.page(&f, offset, around, limit);
    Ok(Json(serde_json::json!({ "total": total, "all": ix.len(), "offset": offset, "rows": rows })).into_response())
}

async fn event(State(app): State<Arc<App>>, Path(i): Path<String>) -> ApiResult {
    let i: usize = i.parse().map_err(|_| bad(format!("`{i}` is not an event number")))?;
    let row = read(&app.index).rows.get(i).cloned().ok_or_else(|| not_found(format!("there is no event {i}")))?;
    let events = read(&app.events);
    let e = events.get(i).ok_or_else(|| not_found(format!("there is no event {i}")))?;
    let fields: serde_json::Map<String, serde_json::Value> =
        e.fields.iter().map(|(k, v)| (k.name().to_string(), v.to_json())).collect();
    let mut v = serde_json::to_value(&row).map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("fields".into(), serde_json::Value::Object(fields));
    }
    Ok(Json(v).into_response())
}

async fn state(State(app): State<Arc<App>>, q: Q) -> ApiResult {
    let q = query(q)?;
    let at = at(&app, &q)?;
    if let Some(live) = &app.live {
        return live.state(&app).await.map(|s| Json(s).into_response());
    }
    let w = app.worker.as_ref().ok_or_else(|| ApiError(StatusCode::SERVICE_UNAVAILABLE, "no lab".into()))?;
    let s = w.state(at).await.ok_or_else(|| ApiError(StatusCode::SERVICE_UNAVAILABLE, "the lab stopped".into()))?;
    // The connections open at that moment, for the picture, added to the
    // cached text (no second parse of a large state).
    let open: Vec<serde_json::Value> = read(&app.index)
        .open_at(at)
        .into_iter()
        .map(|s| serde_json::json!({ "session": s.session, "client": s.client, "server": s.server, "proto": s.proto }))
        .collect();
    let body = s
        .trim_end()
        .strip_suffix('}')
        .ok_or_else(|| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "bad state".into()))?;
    Ok(json_text(format!("{body},\"open\":{}}}", serde_json::Value::Array(open))))
}

async fn nav(State(app): State<Arc<App>>, q: Q) -> ApiResult {
    let q = query(q)?;
    let at = at(&app, &q)?;
    let f = filter(&q)?;
    let by = match q.get("by").map(String::as_str).unwrap_or("event") {
        "event" => By::Event,
        "command" => By::Command,
        "step" => By::Step,
        "failure" => By::Failure,
        v => return Err(bad(format!("`by` must be event, command, step or failure, not `{v}`"))),
    };
    let forward = match q.get("dir").map(String::as_str).unwrap_or("next") {
        "next" => true,
        "prev" => false,
        v => return Err(bad(format!("`dir` must be next or prev, not `{v}`"))),
    };
    let m = read(&app.index).nav(at, by, forward, &f);
    Ok(Json(serde_json::json!({ "at": m })).into_response())
}

/// `HH:MM[:SS]` on the run's first day (in its time zone), or RFC 3339.
pub fn parse_time(
    s: &str,
    start: chrono::DateTime<chrono::FixedOffset>,
) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let t = chrono::NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
        .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()?;
    start.date_naive().and_time(t).and_local_timezone(*start.offset()).single()
}

async fn jump(State(app): State<Arc<App>>, q: Q) -> ApiResult {
    let q = query(q)?;
    let raw = q.get("time").ok_or_else(|| bad("give `time` as HH:MM[:SS] or RFC 3339"))?;
    let t =
        parse_time(raw, app.sc.start).ok_or_else(|| bad(format!("`{raw}` is not a time (HH:MM[:SS] or RFC 3339)")))?;
    let m = read(&app.index).position_at(t);
    Ok(Json(serde_json::json!({ "at": m })).into_response())
}

async fn session(State(app): State<Arc<App>>, Path(s): Path<String>, q: Q) -> ApiResult {
    let s: u64 = s.parse().map_err(|_| bad(format!("`{s}` is not a session number")))?;
    let q = query(q)?;
    let at = at(&app, &q)?;
    let ix = read(&app.index);
    let info = ix.sessions.get(&s).ok_or_else(|| not_found(format!("there is no session {s}")))?;
    let rows = ix.session_rows(s, at);
    Ok(Json(serde_json::json!({
        "session": s, "client": info.client, "server": info.server, "proto": info.proto, "rows": rows
    }))
    .into_response())
}

async fn message(State(app): State<Arc<App>>, q: Q) -> ApiResult {
    let q = query(q)?;
    let at = at(&app, &q)?;
    let host = q.get("host").cloned().ok_or_else(|| bad("give `host`"))?;
    if app.sc.host_by_name(&host).is_none() {
        return Err(not_found(format!("there is no host `{host}`")));
    }
    let which = match (q.get("qid"), q.get("user"), num::<u32>(&q, "uid")?) {
        (Some(qid), _, _) => MessageRef::Queued { qid: qid.clone() },
        (None, Some(user), Some(uid)) => MessageRef::Stored {
            user: user.clone(),
            mailbox: q.get("mailbox").cloned().unwrap_or_else(|| "INBOX".into()),
            uid,
        },
        _ => return Err(bad("give `qid`, or `user`, `mailbox` and `uid`")),
    };
    let data = if let Some(live) = &app.live {
        live.message(host, which).await
    } else {
        let w = app.worker.as_ref().ok_or_else(|| ApiError(StatusCode::SERVICE_UNAVAILABLE, "no lab".into()))?;
        w.message(at, host, which).await
    };
    let data = data.ok_or_else(|| not_found("no such message there at that moment"))?;
    Ok(Json(super::inspect::inspect(&app.sc, &data)).into_response())
}

fn lang_of(app: &App, v: Option<&str>) -> Result<Lang, ApiError> {
    match v {
        None | Some("") => Ok(app.lang),
        Some("en") => Ok(Lang::En),
        Some("ja") => Ok(Lang::Ja),
        Some(v) => Err(bad(format!("`lang` must be en or ja, not `{v}`"))),
    }
}

fn lesson_of(app: &App) -> Result<&super::lesson::LessonState, ApiError> {
    app.lesson.as_ref().ok_or_else(|| not_found("no lesson (start with `maillab web --lesson NAME`)"))
}

async fn lesson(State(app): State<Arc<App>>, q: Q) -> ApiResult {
    let q = query(q)?;
    let lang = lang_of(&app, q.get("lang").map(String::as_str))?;
    Ok(Json(lesson_of(&app)?.view(lang)).into_response())
}

#[derive(Deserialize)]
struct Answer {
    id: String,
    answer: String,
    lang: Option<String>,
}

async fn lesson_answer(State(app): State<Arc<App>>, body: Result<Json<Answer>, JsonRejection>) -> ApiResult {
    let Json(a) = body.map_err(|e| bad(format!("bad answer: {}", e.body_text())))?;
    let lang = lang_of(&app, a.lang.as_deref())?;
    match lesson_of(&app)?.answer(&a.id, &a.answer, lang) {
        None => Err(not_found(format!("there is no checkpoint `{}`", a.id))),
        Some(Err(e)) => Err(ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot save the progress: {e}"))),
        Some(Ok(out)) => Ok(Json(out).into_response()),
    }
}

async fn lesson_result(State(app): State<Arc<App>>, q: Q) -> ApiResult {
    let q = query(q)?;
    let lang = lang_of(&app, q.get("lang").map(String::as_str))?;
    Ok(Json(lesson_of(&app)?.result(lang)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn app() -> Arc<App> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/relay-chain.yaml");
        let sc = match crate::scenario::load_file(&path) {
            Ok(sc) => sc,
            Err(d) => panic!("{d}"),
        };
        match App::simulate(sc, Lang::En, None) {
            Ok(a) => Arc::new(a),
            Err(e) => panic!("{e}"),
        }
    }

    async fn get(app: &Arc<App>, uri: &str) -> (StatusCode, serde_json::Value) {
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap_or_default();
        let res = match router(app.clone()).oneshot(req).await {
            Ok(r) => r,
            Err(e) => match e {},
        };
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap_or_default();
        (status, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
    }

    #[tokio::test]
    async fn the_api_answers_and_refuses_bad_values() {
        let app = app();
        let (s, meta) = get(&app, "/api/meta").await;
        assert_eq!(s, StatusCode::OK);
        let total = meta["total"].as_u64().unwrap_or(0);
        assert_eq!(meta["categories"].as_array().map(Vec::len), Some(10));
        assert!(meta["mx"].as_array().is_some_and(|m| !m.is_empty()), "{}", meta["mx"]);
        // The title in both languages, and each step's summary in Japanese
        // too (a trial found "step 2: wait 40m" on a Japanese page).
        let sc = &meta["scenario"];
        assert_eq!(sc["title"], "Relay chain: MUA → department relay → hub → MX → mailbox", "{sc}");
        assert_eq!(sc["title_ja"], "中継の連鎖: MUA → 部門Relay → Hub → MX → メールボックス", "{sc}");
        let steps = meta["steps"].as_array().cloned().unwrap_or_default();
        assert!(!steps.is_empty());
        for s in &steps {
            let (en, ja) = (s["summary"].as_str().unwrap_or(""), s["summary_ja"].as_str().unwrap_or(""));
            assert!(en.starts_with(&format!("step {}: ", s["n"])), "{s}");
            assert!(ja.starts_with(&format!("ステップ {}: ", s["n"])), "{s}");
        }
        let (s, ev) = get(&app, "/api/events?limit=99999&cat=smtp,dns").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            ev["rows"]
                .as_array()
                .is_some_and(|r| r.len() <= MAX_LIMIT && r.iter().all(|r| r["cat"] == "smtp" || r["cat"] == "dns"))
        );
        let (_, st) = get(&app, "/api/state?at=99999999").await;
        assert_eq!(st["at"].as_u64(), Some(total), "clamped");
        assert!(st["open"].is_array());
        let (_, e) = get(&app, "/api/event/3").await;
        assert!(e["fields"].is_object());
        let (_, j) = get(&app, "/api/jump?time=10:00:00").await;
        assert!(j["at"].as_u64().is_some_and(|a| a > 0));
        for bad in [
            "/api/state?at=-1",
            "/api/events?offset=x",
            "/api/events?fail=maybe",
            "/api/events?session=s",
            "/api/nav?dir=up",
            "/api/jump",
            "/api/jump?time=noon",
            "/api/event/x",
            "/api/session/x",
            "/api/message?host=mx",
            "/api/message?host=mx&user=a&uid=z",
            "/api/lesson?lang=fr",
        ] {
            let (s, body) = get(&app, bad).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {body}");
            assert!(body["error"].is_string(), "{bad}");
        }
        for missing in
            ["/api/message?host=nohost&qid=1", "/api/lesson", "/api/session/9999", "/nothing", "/assets/nothing.js"]
        {
            let (s, _) = get(&app, missing).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{missing}");
        }
    }

    #[test]
    fn asset_paths_stay_inside_the_folder() {
        assert!(asset_bytes("index.html").is_some());
        for p in ["../Cargo.toml", "a/../../x", "/etc/passwd", "", "a//b", "..\\x"] {
            assert!(asset_bytes(p).is_none(), "{p}");
        }
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
    }

    /// The limit of `q` is in characters, as its message says: a Japanese
    /// search of 200 characters (600 octets of UTF-8) is taken.
    #[test]
    fn a_search_is_limited_in_characters() {
        let q = |s: String| filter(&BTreeMap::from([("q".to_string(), s)])).map(|f| f.q);
        assert!(q("配".repeat(200)).is_ok_and(|t| t.is_some_and(|t| t.chars().count() == 200)));
        assert!(q("配".repeat(201)).is_err());
        assert!(q("a".repeat(201)).is_err());
        // Counted as typed, not lower-cased (`İ` lower-cases to two characters).
        assert!(q("İ".repeat(150)).is_ok());
    }

    #[test]
    fn times_to_jump_to() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").unwrap_or_default();
        let t = |s| parse_time(s, start).map(|t| t.to_rfc3339());
        assert_eq!(t("10:30").as_deref(), Some("2026-04-01T10:30:00+09:00"));
        assert_eq!(t("10:30:05").as_deref(), Some("2026-04-01T10:30:05+09:00"));
        assert_eq!(t("2026-04-02T01:00:00Z").as_deref(), Some("2026-04-02T01:00:00+00:00"));
        assert_eq!(t("25:00"), None);
        assert_eq!(t("soon"), None);
    }
}
