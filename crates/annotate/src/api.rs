//! The HTTP interface of the annotation page, apart from the socket: a request in, a reply
//! out. Every request needs the session's token (query `token=` or header `X-Cyborg-Token`);
//! images and maps are addressed by their index in the manifest, never by a path.
//!
//! | Request | Reply |
//! |---|---|
//! | `GET /` | the page |
//! | `GET /api/state` | JSON: annotator, classes, `ask_label`, per image `[name, done, label, label_given]` |
//! | `GET /api/image/<i>` | the image file as it is on disk |
//! | `GET /api/map/<i>` | its saved map (PNG), 404 if none |
//! | `PUT` (or `POST`) `/api/map/<i>?seconds=S&label=L` | saves the PNG body as its map; JSON `{annotated, total}` |
//!
//! Refusals: 403 without the token, 404 for an unknown path or index, 405 for another method,
//! 400 for a body that is not a PNG or a bad query value, 413 above the size limit, 422 for a
//! PNG that is not the image's size, 500 if the disk refuses a write. Each with a JSON
//! `{"error": "..."}` that says which.

use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use crate::AnnotationStore;
use crate::upload::{UploadError, decode_map_png};

/// The page, served from the binary: HTML, CSS and JavaScript in one file, nothing fetched.
const PAGE: &str = include_str!("page.html");

/// One HTTP request, as the server read it.
pub(crate) struct Incoming<'a> {
    /// `GET`, `PUT`, …
    pub method: &'a str,
    /// Path and query, as sent (`/api/map/3?token=…`).
    pub url: &'a str,
    /// The `X-Cyborg-Token` header, if sent.
    pub token_header: Option<&'a str>,
    /// The `Content-Length` header, if sent.
    pub body_length: Option<usize>,
    /// The body.
    pub body: &'a mut dyn Read,
}

/// The reply to one request.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    fn ok(content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status: 200,
            content_type,
            body,
        }
    }

    fn json(value: &serde_json::Value) -> Self {
        Self::ok("application/json", value.to_string().into_bytes())
    }

    fn error(status: u16, message: impl std::fmt::Display) -> Self {
        let body = serde_json::json!({ "error": message.to_string() });
        Self {
            status,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
        }
    }
}

/// The state behind the page: the store (one save at a time), the token, the options.
pub(crate) struct Api {
    pub store: Mutex<AnnotationStore>,
    pub token: String,
    pub ask_label: bool,
    pub max_upload_bytes: usize,
}

impl Api {
    /// Answers one request.
    pub(crate) fn handle(&self, request: Incoming<'_>) -> Reply {
        let (path, query) = request.url.split_once('?').unwrap_or((request.url, ""));
        let query = parse_query(query);
        let token = request.token_header.or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.as_str())
        });
        if !token.is_some_and(|t| same_secret(t, &self.token)) {
            return Reply::error(
                403,
                "missing or wrong token: open the address cyborg annotate printed, token included",
            );
        }
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let method = request.method;
        match (parts.as_slice(), method) {
            ([""] | ["index.html"], "GET") => Reply::ok("text/html; charset=utf-8", PAGE.into()),
            (["api", "state"], "GET") => self.state(),
            (["api", "image", i], "GET") => self.with_index(i, |i| self.image(i)),
            (["api", "map", i], "GET") => self.with_index(i, |i| self.map(i)),
            (["api", "map", i], "PUT" | "POST") => self.with_index(i, |i| {
                self.save(i, &query, request.body_length, request.body)
            }),
            ([""] | ["index.html"] | ["api", "state"] | ["api", "image" | "map", _], _) => {
                Reply::error(405, format!("{method} is not allowed on {path}"))
            }
            _ => Reply::error(404, format!("no such page: {path}")),
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, AnnotationStore> {
        // A panic while holding the lock cannot leave a half-written file (every write is
        // atomic), so the store stays usable.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with_index(&self, text: &str, then: impl FnOnce(usize) -> Reply) -> Reply {
        let len = self.store().len();
        match text.parse::<usize>() {
            Ok(i) if i < len => then(i),
            _ => Reply::error(
                404,
                format!("no image {text:?}: indices run 0 to {}", len - 1),
            ),
        }
    }

    fn state(&self) -> Reply {
        let store = self.store();
        let items: Vec<serde_json::Value> = (0..store.len())
            .map(|i| {
                let record = store.record(i).expect("in range");
                serde_json::json!([
                    store.map_name(i),
                    store.is_done(i),
                    record.label,
                    store.label_given(i),
                ])
            })
            .collect();
        Reply::json(&serde_json::json!({
            "annotator": store.annotator(),
            "classes": store.classes(),
            "ask_label": self.ask_label,
            "annotated": store.annotated(),
            "items": items,
        }))
    }

    fn image(&self, index: usize) -> Reply {
        let path = self.store().record(index).expect("in range").image.clone();
        match std::fs::read(&path) {
            Ok(bytes) => Reply::ok(image_type(&path), bytes),
            Err(e) => Reply::error(500, format!("{}: {e}", path.display())),
        }
    }

    fn map(&self, index: usize) -> Reply {
        let (done, path) = {
            let store = self.store();
            (
                store.is_done(index),
                store.map_path(index).expect("in range"),
            )
        };
        match done.then(|| std::fs::read(&path)) {
            None => Reply::error(404, format!("image {index} has no map yet")),
            Some(Ok(bytes)) => Reply::ok("image/png", bytes),
            Some(Err(e)) => Reply::error(500, format!("{}: {e}", path.display())),
        }
    }

    fn save(
        &self,
        index: usize,
        query: &[(String, String)],
        length: Option<usize>,
        body: &mut dyn Read,
    ) -> Reply {
        let limit = self.max_upload_bytes;
        let too_large = || Reply::error(413, format!("the map is larger than {limit} bytes"));
        if length.is_some_and(|n| n > limit) {
            return too_large();
        }
        let mut bytes = Vec::new();
        if let Err(e) = body.take(limit as u64 + 1).read_to_end(&mut bytes) {
            return Reply::error(400, format!("reading the body: {e}"));
        }
        if bytes.len() > limit {
            return too_large();
        }
        let value = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let seconds = match value("seconds").map(str::parse::<f64>) {
            None => 0.0,
            Some(Ok(s)) if s.is_finite() && s >= 0.0 => s,
            Some(_) => return Reply::error(400, "seconds must be a number ≥ 0"),
        };
        let image = self.store().record(index).expect("in range").image.clone();
        let label_given = match value("label").filter(|l| !l.is_empty()) {
            None => None,
            Some(label) if self.store().classes().iter().any(|c| c == label) => {
                Some(label.to_string())
            }
            Some(label) => return Reply::error(400, format!("unknown class {label:?}")),
        };
        let expected = match image_size(&image) {
            Ok(size) => size,
            Err(e) => return Reply::error(500, format!("{}: {e}", image.display())),
        };
        let map = match decode_map_png(&bytes, expected) {
            Ok(map) => map,
            Err(e @ UploadError::WrongSize { .. }) => return Reply::error(422, e),
            Err(e) => return Reply::error(400, e),
        };
        let mut store = self.store();
        match store.save(index, &map, seconds, label_given) {
            Ok(annotated) => Reply::json(&serde_json::json!({
                "annotated": annotated,
                "total": store.len(),
            })),
            Err(e) => Reply::error(500, e),
        }
    }
}

/// The image's `(width, height)`, its format told by its content as training reads it.
fn image_size(path: &Path) -> image::ImageResult<(u32, u32)> {
    image::ImageReader::open(path)?
        .with_guessed_format()?
        .into_dimensions()
}

/// The content type browsers expect for an image file, by extension.
fn image_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "bmp" => "image/bmp",
        _ => "application/octet-stream",
    }
}

/// Compares two secrets in time that does not depend on where they first differ.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// `a=1&b=x%20y` as pairs, `+` and `%XX` decoded (invalid escapes kept as they are).
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode() {
        assert_eq!(
            parse_query("token=ab&label=real%20face&x=a+b&bad=%zz&end=%4"),
            vec![
                ("token".into(), "ab".into()),
                ("label".into(), "real face".into()),
                ("x".into(), "a b".into()),
                ("bad".into(), "%zz".into()),
                ("end".into(), "%4".into()),
            ]
        );
        assert_eq!(percent_decode("%C3%A9t%C3%A9"), "été");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("ab", "abc"));
    }
}
