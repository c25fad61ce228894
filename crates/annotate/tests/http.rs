//! The annotation server's HTTP interface in-process: every request answered as documented
//! (`src/api.rs`), what a save writes, continuing after a stop or a crash, and concurrent
//! saves of one image.

mod common;

use std::io::Read;
use std::path::Path;

use common::{map_png, write_images};
use cyborg_annotate::{
    AnnotateError, AnnotationServer, AnnotationStore, ServerConfig, read_entries,
};

struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap().to_string()
    }
}

fn send(method: &str, url: &str, body: Option<&[u8]>) -> Reply {
    let request = ureq::request(method, url);
    let result = match body {
        Some(bytes) => request.send_bytes(bytes),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = response.status();
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    Reply { status, body }
}

fn start(manifest: &Path, out: &Path, config: &ServerConfig) -> AnnotationServer {
    let records = cyborg_data::read_manifest(manifest, None).unwrap();
    let store = AnnotationStore::open(records, out, "ada").unwrap();
    AnnotationServer::start(store, config).unwrap()
}

#[test]
fn every_request_is_answered_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_images(dir.path());
    let out = dir.path().join("out");
    let config = ServerConfig::default()
        .with_ask_label(true)
        .with_max_upload_bytes(4096);
    let server = start(&manifest, &out, &config);
    assert!(server.address().ip().is_loopback());
    let base = format!("http://{}", server.address());
    let token = server.token().to_string();
    let url = |path: &str| format!("{base}{path}?token={token}");

    // The token: missing, wrong, in the query, in the header.
    for path in ["/", "/api/state", "/api/image/0", "/api/map/0", "/nothing"] {
        assert_eq!(
            send("GET", &format!("{base}{path}"), None).status,
            403,
            "{path}"
        );
        let wrong = format!("{base}{path}?token={}", "0".repeat(32));
        assert_eq!(send("GET", &wrong, None).status, 403, "{path}");
    }
    let headed = ureq::get(&format!("{base}/api/state"))
        .set("X-Cyborg-Token", &token)
        .call()
        .unwrap();
    assert_eq!(headed.status(), 200);
    assert_eq!(send("GET", &server.url(), None).status, 200);

    let page = send("GET", &url("/"), None);
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("<title>cyborg annotate</title>"));

    let state = send("GET", &url("/api/state"), None).json();
    assert_eq!(state["annotator"], "ada");
    assert_eq!(state["classes"], serde_json::json!(["cat", "dog"]));
    assert_eq!(state["ask_label"], true);
    assert_eq!(state["annotated"], 0);
    assert_eq!(
        state["items"],
        serde_json::json!([
            ["a.png", false, 0, null],
            ["b.png", false, 1, null],
            ["c.png", false, 0, null]
        ])
    );

    // Images by index only.
    let image = send("GET", &url("/api/image/1"), None);
    assert_eq!(image.status, 200);
    assert_eq!(image.body, std::fs::read(dir.path().join("b.png")).unwrap());
    for path in [
        "/api/image/3",
        "/api/image/-1",
        "/api/image/x",
        "/api/image/..%2Fimages.csv",
        "/api/image/0/../../images.csv",
        "/images.csv",
        "/api/map/3",
    ] {
        let reply = send("GET", &url(path), None);
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.error().is_empty());
    }
    let none = send("GET", &url("/api/map/0"), None);
    assert_eq!(
        (none.status, none.error()),
        (404, "image 0 has no map yet".into())
    );
    assert_eq!(send("DELETE", &url("/api/map/0"), None).status, 405);
    assert_eq!(send("POST", &url("/api/state"), Some(b"{}")).status, 405);

    // Bad uploads: nothing written.
    let (map, png) = map_png(|x, y| if x < 3 && y < 2 { 255 } else { 0 });
    let cases: [(&str, Vec<u8>, u16, &str); 6] = [
        (
            "/api/map/0",
            b"GIF89a not a png".to_vec(),
            400,
            "must be a PNG",
        ),
        (
            "/api/map/0",
            png[..png.len() - 12].to_vec(),
            400,
            "does not decode",
        ),
        ("/api/map/0", map_of_size(4, 6), 422, "(4, 6)"),
        ("/api/map/0", vec![0; 5000], 413, "larger than 4096 bytes"),
        (
            "/api/map/0?label=bird",
            png.clone(),
            400,
            "unknown class \"bird\"",
        ),
        ("/api/map/0?seconds=-1", png.clone(), 400, "seconds"),
    ];
    for (path, body, status, message) in cases {
        let sep = if path.contains('?') { '&' } else { '?' };
        let reply = send(
            "PUT",
            &format!("{base}{path}{sep}token={token}"),
            Some(&body),
        );
        assert_eq!(reply.status, status, "{path}: {}", reply.error());
        assert!(reply.error().contains(message), "{}", reply.error());
    }
    // Without a Content-Length (chunked), the limit holds as the body streams in.
    let chunked = ureq::put(&url("/api/map/0")).send(std::io::Cursor::new(vec![0u8; 5000]));
    let Err(ureq::Error::Status(413, _)) = chunked else {
        panic!("a chunked body over the limit: {chunked:?}");
    };
    assert!(!out.join("maps/ada/a.png").exists());

    // A save: the map, the manifest, the log.
    let saved = send(
        "PUT",
        &format!("{base}/api/map/0?seconds=12.5&label=dog&token={token}"),
        Some(&png),
    );
    assert_eq!(
        saved.status,
        200,
        "{}",
        String::from_utf8_lossy(&saved.body)
    );
    assert_eq!(
        saved.json(),
        serde_json::json!({"annotated": 1, "total": 3})
    );
    let on_disk = image::open(out.join("maps/ada/a.png")).unwrap();
    assert_eq!(on_disk.color(), image::ColorType::L8);
    assert_eq!(on_disk.to_luma8(), map);
    assert_eq!(
        send("GET", &url("/api/map/0"), None).body,
        std::fs::read(out.join("maps/ada/a.png")).unwrap()
    );
    let records = cyborg_data::read_manifest(out.join("ada.csv"), None).unwrap();
    assert_eq!(records.classes, ["cat", "dog"]);
    let saliency: Vec<_> = records.items.iter().map(|r| r.saliency.clone()).collect();
    assert_eq!(
        saliency,
        [
            Some(out.canonicalize().unwrap().join("maps/ada/a.png")),
            None,
            None
        ]
    );
    let labels: Vec<_> = records.items.iter().map(|r| r.label).collect();
    assert_eq!(labels, [0, 1, 0]);
    let log = read_entries(&out.join("ada-log.jsonl")).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].index, log[0].seconds), (0, 12.5));
    assert_eq!(log[0].label_given.as_deref(), Some("dog"));
    assert_eq!(log[0].label, "cat");
    assert_eq!(log[0].annotator, "ada");
    assert_eq!(log[0].map, Path::new("maps/ada/a.png"));
    let state = send("GET", &url("/api/state"), None).json();
    assert_eq!(state["annotated"], 1);
    assert_eq!(
        state["items"][0],
        serde_json::json!(["a.png", true, 0, "dog"])
    );
    server.stop();
}

fn map_of_size(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::GrayImage::new(width, height)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

#[test]
fn work_continues_after_a_stop_or_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_images(dir.path());
    let out = dir.path().join("out");
    let server = start(&manifest, &out, &ServerConfig::default());
    let (_, png) = map_png(|x, _| (x * 40) as u8);
    let url = format!(
        "http://{}/api/map/2?label=cat&token={}",
        server.address(),
        server.token()
    );
    assert_eq!(send("PUT", &url, Some(&png)).status, 200);
    server.stop();

    // A crash after the map was renamed into place but before the manifest and the log were
    // written (simulated: a save, then the manifest and log put back as they were; killing
    // the process at that instant is not reproducible): the map of b.png exists, recording its
    // image, and nothing lists it.
    let (lost, _) = map_png(|_, y| (y * 60) as u8);
    let before: Vec<Vec<u8>> = ["ada.csv", "ada-log.jsonl"]
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    let records = cyborg_data::read_manifest(&manifest, None).unwrap();
    let mut store = AnnotationStore::open(records, &out, "ada").unwrap();
    store.save(1, &lost, 1.0, None).unwrap();
    drop(store);
    for (file, bytes) in ["ada.csv", "ada-log.jsonl"].iter().zip(&before) {
        std::fs::write(out.join(file), bytes).unwrap();
    }
    let records = cyborg_data::read_manifest(&manifest, None).unwrap();
    let store = AnnotationStore::open(records, &out, "ada").unwrap();
    assert_eq!(store.annotated(), 2);
    assert!(store.is_done(1) && store.is_done(2) && !store.is_done(0));
    assert_eq!(store.label_given(2), Some("cat"));
    let written = cyborg_data::read_manifest(out.join("ada.csv"), None).unwrap();
    assert_eq!(written.annotated(), 2);
    assert_eq!(
        image::open(written.items[1].saliency.as_ref().unwrap())
            .unwrap()
            .to_luma8(),
        lost
    );

    // One store per annotator and folder at a time; another annotator keeps to their files.
    let records = cyborg_data::read_manifest(&manifest, None).unwrap();
    let error = AnnotationStore::open(records.clone(), &out, "ada").unwrap_err();
    assert!(matches!(error, AnnotateError::Busy { .. }), "{error}");
    let other = AnnotationStore::open(records, &out, "grace").unwrap();
    assert_eq!(other.annotated(), 0);
    assert!(out.join("grace.csv").is_file() && out.join("ada.csv").is_file());
    drop(store);

    // Another set of images into the same folder: refused while the manifest lists images the
    // new input lacks (rewriting it would drop them), and nothing changes.
    let manifest_before = std::fs::read(out.join("ada.csv")).unwrap();
    let mut fewer = cyborg_data::read_manifest(&manifest, None).unwrap();
    fewer.items.truncate(1);
    let error = AnnotationStore::open(fewer, &out, "ada").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("lists 2 image(s) that this input does not"),
        "{error}"
    );
    assert_eq!(std::fs::read(out.join("ada.csv")).unwrap(), manifest_before);
}

#[test]
fn a_map_file_of_another_image_is_never_taken() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_images(dir.path());
    let out = dir.path().join("out");
    // b.png's name is taken by a file nobody listed and that records no image (a user's own
    // file, or another set's map): b's map goes elsewhere, the file stays as it was.
    std::fs::create_dir_all(out.join("maps/ada")).unwrap();
    let (_, foreign) = map_png(|_, _| 77);
    std::fs::write(out.join("maps/ada/b.png"), &foreign).unwrap();
    let records = cyborg_data::read_manifest(&manifest, None).unwrap();
    let mut store = AnnotationStore::open(records, &out, "ada").unwrap();
    assert_eq!(store.annotated(), 0);
    assert_eq!(store.map_name(1), Some("b-2.png"));
    store.save(1, &map_png(|_, _| 9).0, 1.0, None).unwrap();
    assert_eq!(std::fs::read(out.join("maps/ada/b.png")).unwrap(), foreign);
    drop(store);
    let records = cyborg_data::read_manifest(&manifest, None).unwrap();
    let store = AnnotationStore::open(records, &out, "ada").unwrap();
    assert_eq!((store.map_name(1), store.annotated()), (Some("b-2.png"), 1));
}

#[test]
fn two_tabs_saving_one_image_never_tear_it() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_images(dir.path());
    let out = dir.path().join("out");
    let server = start(&manifest, &out, &ServerConfig::default());
    let url = format!(
        "http://{}/api/map/1?token={}",
        server.address(),
        server.token()
    );
    let maps: Vec<_> = (0..4u8)
        .map(|k| map_png(move |x, y| k * 50 + (x + y) as u8))
        .collect();
    std::thread::scope(|scope| {
        for (_, png) in &maps {
            let url = url.clone();
            scope.spawn(move || {
                for _ in 0..10 {
                    assert_eq!(send("PUT", &url, Some(png)).status, 200);
                }
            });
        }
        // Reading while they write, until they are done: always one whole map.
        let reads = scope.spawn(|| {
            let mut reads = 0;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            let saves = || read_entries(&out.join("ada-log.jsonl")).map_or(0, |e| e.len());
            while saves() < 40 && std::time::Instant::now() < deadline {
                if let Ok(found) = image::open(out.join("maps/ada/b.png")) {
                    assert!(maps.iter().any(|(m, _)| *m == found.to_luma8()));
                    reads += 1;
                }
            }
            reads
        });
        assert!(reads.join().unwrap() > 0, "the reader never saw a map");
    });
    let last = image::open(out.join("maps/ada/b.png")).unwrap().to_luma8();
    assert!(maps.iter().any(|(m, _)| *m == last));
    assert_eq!(read_entries(&out.join("ada-log.jsonl")).unwrap().len(), 40);
    let leftovers: Vec<_> = std::fs::read_dir(out.join("maps/ada"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["b.png"]);
    server.stop();
}

#[test]
fn bad_names_and_addresses_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_images(dir.path());
    for name in ["", "../x", ".hidden", "a b", "ü"] {
        let records = cyborg_data::read_manifest(&manifest, None).unwrap();
        let error = AnnotationStore::open(records, dir.path().join("out"), name).unwrap_err();
        assert!(
            matches!(error, AnnotateError::BadAnnotator { .. }),
            "{name}: {error}"
        );
    }
    let error = AnnotationStore::open(Default::default(), dir.path().join("out"), "ada");
    assert_eq!(error.unwrap_err().to_string(), "no image to annotate");
    let records = cyborg_data::read_manifest(&manifest, None).unwrap();
    let store = AnnotationStore::open(records, dir.path().join("out"), "ada").unwrap();
    let config = ServerConfig::default().with_host("203.0.113.1");
    assert!(!config.is_loopback());
    let error = AnnotationServer::start(store, &config).err().unwrap();
    assert!(
        error
            .to_string()
            .starts_with("cannot listen on 203.0.113.1:0"),
        "{error}"
    );
}
