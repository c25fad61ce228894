//! Headless Chromium driven through WebDriver (Debian's `chromium` and `chromium-driver`), for
//! tests that use a web page as a person does: pointer strokes, keys, reloads, screenshots.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// Set to `1` (as `.ci/run` does) to make a missing browser a test failure instead of a skip.
pub const REQUIRE_BROWSER_ENV: &str = "CYBORG_REQUIRE_BROWSER";

/// A headless Chromium session through ChromeDriver; the driver is stopped on drop.
pub struct Browser {
    driver: Child,
    session: String,
    base: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium with a `width`×`height` window, or `None`
    /// with a line on standard error when `chromium` or `chromedriver` is not installed (their
    /// paths from `CHROMIUM` and `CHROMEDRIVER`, else `/usr/bin/…`).
    ///
    /// # Panics
    /// When the browser is missing and [`REQUIRE_BROWSER_ENV`] is set, or when it is installed
    /// but does not start.
    pub fn start_or_skip(test: &str, width: u32, height: u32) -> Option<Self> {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let driver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let missing: Vec<&str> = [chromium.as_str(), driver.as_str()]
            .into_iter()
            .filter(|p| !std::path::Path::new(p).is_file())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "{test}: not installed: {} (Debian: apt install chromium chromium-driver)",
                missing.join(", ")
            );
            assert!(
                std::env::var_os(REQUIRE_BROWSER_ENV).is_none(),
                "{message}, and {REQUIRE_BROWSER_ENV} is set"
            );
            eprintln!("{message}: skipped");
            return None;
        }
        Some(Self::start(&chromium, &driver, width, height))
    }

    fn start(chromium: &str, driver: &str, width: u32, height: u32) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {driver}: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(
                Instant::now() < deadline,
                "{driver} did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--force-device-scale-factor=1".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let mut browser = Self {
            driver: child,
            session: String::new(),
            base,
            _profile: profile,
        };
        let reply = browser.call("POST", "/session", Some(capabilities));
        browser.session = reply["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {reply}"))
            .to_string();
        browser
    }

    /// One WebDriver command; its `value`.
    ///
    /// # Panics
    /// On a WebDriver error, with its message.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = match path {
            "/session" => format!("{}{path}", self.base),
            _ => format!("{}/session/{}{path}", self.base, self.session),
        };
        let request = ureq::request(method, &url).timeout(Duration::from_secs(60));
        let result = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        };
        let status = response.status();
        let value: Value = response.into_json().expect("WebDriver answers JSON");
        assert!(status < 400, "WebDriver {method} {path}: {status} {value}");
        value["value"].clone()
    }

    /// Opens `url`.
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Reloads the page.
    pub fn refresh(&self) {
        self.call("POST", "/refresh", Some(json!({})));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page; its return value.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Runs the expression `condition` until it is truthy (at most `seconds`); its value.
    ///
    /// # Panics
    /// When it never is.
    pub fn wait_for(&self, condition: &str, seconds: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let value = self.execute(&format!("return {condition};"), json!([]));
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!(0)
                && value != json!("");
            if truthy {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "waited {seconds} s for: {condition}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A mouse drag through `points` (viewport pixels), the left button held from the first
    /// to the last.
    pub fn drag(&self, points: &[(f64, f64)]) {
        let mut actions = Vec::new();
        for (i, &(x, y)) in points.iter().enumerate() {
            let (x, y) = (x.round() as i64, y.round() as i64);
            actions.push(json!({"type": "pointerMove", "duration": 20, "x": x, "y": y, "origin": "viewport"}));
            if i == 0 {
                actions.push(json!({"type": "pointerDown", "button": 0}));
            }
        }
        actions.push(json!({"type": "pointerUp", "button": 0}));
        self.perform(json!([{"type": "pointer", "id": "mouse",
            "parameters": {"pointerType": "mouse"}, "actions": actions}]));
    }

    /// Presses and releases each key of `keys` in turn (WebDriver key values: `"\u{E007}"` is
    /// Enter, `"\u{E014}"` the right arrow, `"\u{E012}"` the left one).
    pub fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|k| {
                let k = k.to_string();
                [
                    json!({"type": "keyDown", "value": k}),
                    json!({"type": "keyUp", "value": k}),
                ]
            })
            .collect();
        self.perform(json!([{"type": "key", "id": "keyboard", "actions": actions}]));
    }

    fn perform(&self, actions: Value) {
        self.call("POST", "/actions", Some(json!({ "actions": actions })));
        self.call("DELETE", "/actions", None);
    }

    /// The page's console messages at level `SEVERE` (errors, failed loads) since the last
    /// call, as `"<source>: <message>"`.
    pub fn console_errors(&self) -> Vec<String> {
        let entries = self.call("POST", "/se/log", Some(json!({"type": "browser"})));
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| format!("{}: {}", e["source"].as_str().unwrap_or("?"), e["message"]))
            .collect()
    }

    /// Sets the window's size in CSS pixels.
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        let encoded = self.call("GET", "/screenshot", None);
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("a base64 string"))
            .expect("base64")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = ureq::delete(&url).timeout(Duration::from_secs(10)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
