//! Headless Chromium driven through chromedriver's WebDriver protocol —
//! just the handful of commands the page tests need. Synchronous, so the
//! browser is closed in `Drop` even when a test panics.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use reqwest::blocking::Client;
use reqwest::Method;
use serde_json::{json, Value};

use crate::process::{free_port, poll_until, ChildGuard};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How many chromedriver ports [`Browser::start`] tries.
const DRIVER_ATTEMPTS: usize = 3;
/// Bound on every WebDriver command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A browser session with its own fresh profile.
pub struct Browser {
    session: String,
    endpoint: String,
    client: Client,
    // Declared last: dropped after the session is deleted.
    _profile: tempfile::TempDir,
    _driver: ChildGuard,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile,
    /// logging to `log_dir`.
    pub fn start(log_dir: &Path) -> Result<Self, String> {
        Self::start_with(log_dir, false)
    }

    /// As [`Browser::start`], for pages served over TLS with a certificate
    /// from a CA made by the test: the session accepts any certificate
    /// (WebDriver's `acceptInsecureCerts`). Only for the local stack.
    pub fn start_accepting_any_certificate(log_dir: &Path) -> Result<Self, String> {
        Self::start_with(log_dir, true)
    }

    fn start_with(log_dir: &Path, accept_insecure_certs: bool) -> Result<Self, String> {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(tool).exists() {
                return Err(format!("{tool} is missing: run scripts/setup"));
            }
        }
        // The free port can be taken by a parallel test before chromedriver
        // binds it (it then exits, logging the bind error): try another.
        let mut taken = String::new();
        for _ in 0..DRIVER_ATTEMPTS {
            match Self::start_once(log_dir, accept_insecure_certs) {
                Err(error) if error.contains("Address already in use") => taken = error,
                started => return started,
            }
        }
        Err(taken)
    }

    fn start_once(log_dir: &Path, accept_insecure_certs: bool) -> Result<Self, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let mut command = Command::new(CHROMEDRIVER);
        command.arg(format!("--port={port}"));
        let mut driver =
            ChildGuard::spawn("chromedriver", command, log_dir).map_err(|e| e.to_string())?;
        let addr = format!("127.0.0.1:{port}")
            .parse()
            .map_err(|e| format!("{e}"))?;
        driver.wait_for_port(addr, Duration::from_secs(20))?;
        let profile = tempfile::tempdir().map_err(|e| format!("no profile dir: {e}"))?;
        let client = Client::builder()
            .timeout(COMMAND_TIMEOUT)
            .build()
            .map_err(|e| format!("no HTTP client: {e}"))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": accept_insecure_certs,
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                    // Chromium 156 preloads its own WebUI (the omnibox popup)
                    // in a second renderer while a fresh browser starts: on
                    // two cores that took a whole core during the page load
                    // the tests wait for and the page bench times.
                    "--disable-features=PreloadTopChromeWebUI",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let created = call(
            &client,
            "POST",
            &format!("{endpoint}/session"),
            Some(capabilities),
        )
        .map_err(|e| format!("{e}; chromedriver log:\n{}", driver.log_text()))?;
        let session = created["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {created}"))?
            .to_owned();
        Ok(Self {
            session,
            endpoint,
            client,
            _profile: profile,
            _driver: driver,
        })
    }

    /// The process id of chromedriver, which Chromium and all its
    /// processes descend from.
    pub fn driver_pid(&self) -> u32 {
        self._driver.pid()
    }

    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}/session/{}{path}", self.endpoint, self.session);
        call(&self.client, method, &url, body)
    }

    /// Navigates to `url` and waits for the page load.
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.command("POST", "/url", Some(json!({ "url": url })))
            .map(drop)
    }

    /// The URL the browser is showing.
    pub fn current_url(&self) -> Result<String, String> {
        let value = self.command("GET", "/url", None)?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns
    /// its result.
    pub fn execute(&self, script: &str, args: Value) -> Result<Value, String> {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Clicks the first element matching `css` as a user would (WebDriver
    /// scrolls it into view and sends real pointer events).
    pub fn click(&self, css: &str) -> Result<(), String> {
        let id = self.element(css)?;
        self.command("POST", &format!("/element/{id}/click"), Some(json!({})))
            .map(drop)
    }

    /// Focuses the first element matching `css` and types `keys` into it
    /// as key events (WebDriver's key codes, e.g. `"\u{E007}"` for Enter).
    pub fn send_keys(&self, css: &str, keys: &str) -> Result<(), String> {
        let id = self.element(css)?;
        self.command(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": keys })),
        )
        .map(drop)
    }

    /// The WebDriver id of the first element matching `css`.
    fn element(&self, css: &str) -> Result<String, String> {
        let found = self.command(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        found
            .as_object()
            .and_then(|element| element.values().next())
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no element id for {css}: {found}"))
    }

    /// The text of the first element matching `css`, or `None`.
    pub fn text_of(&self, css: &str) -> Result<Option<String>, String> {
        let value = self.execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([css]),
        )?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Waits until an element matching `css` has non-empty text; returns it.
    pub fn wait_for_text(&self, css: &str, timeout: Duration) -> Result<String, String> {
        let mut found = String::new();
        poll_until(timeout, &format!("text in {css}"), || {
            found = self.text_of(css)?.unwrap_or_default();
            Ok(!found.trim().is_empty())
        })
        .map_err(|e| format!("{e}; page text: {}", self.page_text()))?;
        Ok(found)
    }

    /// Waits until `script` (a function body; `arguments` holds `args`)
    /// returns something other than `null`, `false` or `""`; returns it.
    pub fn wait_for_script(
        &self,
        script: &str,
        args: Value,
        timeout: Duration,
    ) -> Result<Value, String> {
        let mut found = Value::Null;
        poll_until(timeout, &format!("script {script:?}"), || {
            found = self.execute(script, args.clone())?;
            Ok(!matches!(&found, Value::Null | Value::Bool(false)) && found.as_str() != Some(""))
        })
        .map_err(|e| format!("{e}; page text: {}", self.page_text()))?;
        Ok(found)
    }

    /// The value of attribute `name` of the first element matching `css`.
    pub fn attribute_of(&self, css: &str, name: &str) -> Result<Option<String>, String> {
        let value = self.execute(
            "const e = document.querySelector(arguments[0]); \
             return e ? e.getAttribute(arguments[1]) : null;",
            json!([css, name]),
        )?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// The current value of the form field matching `css` (e.g. a
    /// read-only text field), or `None`.
    pub fn value_of(&self, css: &str) -> Result<Option<String>, String> {
        let value = self.execute(
            "const e = document.querySelector(arguments[0]); return e ? e.value : null;",
            json!([css]),
        )?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Every cookie of the current page as `(name, value)`, HttpOnly ones
    /// included (which page scripts cannot read).
    pub fn cookies(&self) -> Result<Vec<(String, String)>, String> {
        let value = self.command("GET", "/cookie", None)?;
        Ok(value
            .as_array()
            .map(|cookies| {
                cookies
                    .iter()
                    .map(|cookie| {
                        let field = |name: &str| cookie[name].as_str().unwrap_or("").to_owned();
                        (field("name"), field("value"))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Deletes every cookie of the current page (logs the browser out).
    pub fn delete_cookies(&self) -> Result<(), String> {
        self.command("DELETE", "/cookie", None).map(drop)
    }

    /// The visible text of the whole page, for failure messages.
    pub fn page_text(&self) -> String {
        self.execute(
            "return document.body ? document.body.innerText : '';",
            json!([]),
        )
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
    }

    /// The page's HTML as the DOM now holds it.
    pub fn page_html(&self) -> Result<String, String> {
        let value = self.execute("return document.documentElement.outerHTML;", json!([]))?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Console messages since the last call (CSP violations land here).
    pub fn console_messages(&self) -> Result<Vec<String>, String> {
        let value = self.command("POST", "/se/log", Some(json!({ "type": "browser" })))?;
        Ok(value
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e["message"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Emulates the system colour scheme (`"light"` or `"dark"`) through
    /// Chromium's DevTools, as `prefers-color-scheme` sees it.
    pub fn emulate_color_scheme(&self, scheme: &str) -> Result<(), String> {
        let params = json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] });
        self.devtools("Emulation.setEmulatedMedia", params)
    }

    /// Holds every request whose URL matches `pattern` (DevTools wildcards)
    /// unanswered until [`Browser::release_requests`]: a test sees the page
    /// in the state it has while those answers are outstanding.
    pub fn hold_requests(&self, pattern: &str) -> Result<(), String> {
        self.devtools(
            "Fetch.enable",
            json!({ "patterns": [{ "urlPattern": pattern }] }),
        )
    }

    /// Lets the requests held by [`Browser::hold_requests`] go on.
    pub fn release_requests(&self) -> Result<(), String> {
        self.devtools("Fetch.disable", json!({}))
    }

    /// Runs one Chromium DevTools command on the page.
    fn devtools(&self, command: &str, params: Value) -> Result<(), String> {
        let body = json!({ "cmd": command, "params": params });
        self.command("POST", "/goog/cdp/execute", Some(body))
            .map(drop)
    }

    /// Resizes the window (to test narrow screens).
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<(), String> {
        let rect = json!({ "width": width, "height": height });
        self.command("POST", "/window/rect", Some(rect)).map(drop)
    }

    /// Saves a PNG screenshot of the viewport to `path`.
    pub fn screenshot(&self, path: &Path) -> Result<PathBuf, String> {
        let value = self.command("GET", "/screenshot", None)?;
        let encoded = value.as_str().ok_or("screenshot is not a string")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| format!("screenshot is not base64: {e}"))?;
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path.to_path_buf())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.command("DELETE", "", None);
    }
}

/// One WebDriver call; WebDriver errors become their message.
fn call(client: &Client, method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let verb = Method::from_bytes(method.as_bytes())
        .map_err(|e| format!("WebDriver {method} {url}: {e}"))?;
    let mut request = client.request(verb, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .map_err(|e| format!("WebDriver {method} {url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        let body: Value = response.json().unwrap_or(Value::Null);
        let message = body["value"]["message"].as_str().unwrap_or("no message");
        return Err(format!(
            "WebDriver {method} {url} → {}: {message}",
            status.as_u16()
        ));
    }
    let parsed: Value = response
        .json()
        .map_err(|e| format!("{method} {url}: {e}"))?;
    Ok(parsed["value"].clone())
}
