//! `muster-page-bench`: the checklist page's budget. Builds nothing: it
//! starts the local stack on the app already in `target/dist` (build it with
//! `scripts/build-app` first) and measures
//! - transfer: the brotli-compressed bytes of the wasm, JavaScript and CSS
//!   each shell loads (the overview's, and that of every other page),
//!   fetched through nginx and the server with `Accept-Encoding: br`,
//!   against a 120 KB budget per page;
//! - navigation → verdict: `window.__musterVerdictAt`, the `performance.now()`
//!   at which the app rendered the verdict of a logged-in run, i.e. the time
//!   since navigation started; the median over `--loads` loads each in a
//!   fresh browser profile (cold cache) and as reloads in one browser (warm
//!   cache), against a 250 ms budget.
//!
//! Before each timed load the browser is left to finish what it was doing
//! (its processes use under 4% of a core over a quarter second; see
//! `muster_stack::quiet`). A Chromium started a moment ago is still setting
//! up its new profile, and on two cores that work otherwise falls inside
//! the page's time: the navigation is timed, not the browser's start.
//! `--unsettled` times the loads without waiting, as the bench did before.
//!
//! Usage: `muster-page-bench [--loads N] [--detail] [--unsettled]`
//! (`--detail` prints the request timeline of the last cold load and how
//! long the browser took to settle). Exits 1 when a budget is exceeded, 2
//! when it cannot measure.

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use muster_stack::quiet::Quiet;
use muster_stack::stack::{default_assets_dir, Stack, StackOptions};
use muster_stack::webdriver::Browser;
use serde_json::json;

/// Most compressed bytes the page may load.
const TRANSFER_BUDGET_BYTES: u64 = 120 * 1024;
/// Longest median time from navigation to the rendered verdict.
const VERDICT_BUDGET_MS: f64 = 250.0;
/// Bound on one page load.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// When the browser counts as settled before a timed load: under 4% of
/// one core (at most one 10 ms clock tick) over a quarter second.
const SETTLED: Quiet = Quiet {
    window: Duration::from_millis(250),
    max_busy: Duration::from_millis(10),
};
/// Bound on the wait for the browser to settle.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(20);
/// Above this the wasm is surely not the size-optimised release build.
const RELEASE_WASM_MAX_BYTES: u64 = 2 * 1024 * 1024;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("muster-page-bench: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<bool, String> {
    let loads = args.loads.get();
    let detail = args.detail;
    let settle = !args.unsettled;
    let stack = Stack::start(StackOptions::default())?;
    println!("page: {}", stack.page_url());

    let mut transfer_ok = true;
    for (page, path) in [("overview", "/"), ("other pages", "/report")] {
        let assets = page_assets(&stack, path)?;
        let mut transfer = 0;
        for (asset, bytes) in &assets {
            println!("  {asset}: {bytes} bytes (brotli)");
            transfer += bytes;
        }
        let ok = transfer <= TRANSFER_BUDGET_BYTES;
        transfer_ok &= ok;
        println!(
            "transfer, {page} ({path}): {:.1} KB of {:.0} KB budget: {}",
            transfer as f64 / 1024.0,
            TRANSFER_BUDGET_BYTES as f64 / 1024.0,
            verdict_word(ok)
        );
    }

    let mut cold = Vec::with_capacity(loads);
    let mut settled = Vec::with_capacity(2 * loads);
    for load in 0..loads {
        let browser = Browser::start(stack.work_dir())?;
        log_in_without_the_page(&browser, &stack)?;
        if settle {
            settled.push(SETTLED.wait_for(browser.driver_pid(), SETTLE_TIMEOUT)?);
        }
        cold.push(load_and_time(&browser, &stack)?);
        if detail && load + 1 == loads {
            print_timeline(&browser, "last cold load")?;
        }
    }
    let browser = Browser::start(stack.work_dir())?;
    log_in_without_the_page(&browser, &stack)?;
    load_and_time(&browser, &stack)?;
    let mut warm = Vec::with_capacity(loads);
    for _ in 0..loads {
        if settle {
            settled.push(SETTLED.wait_for(browser.driver_pid(), SETTLE_TIMEOUT)?);
        }
        warm.push(load_and_time(&browser, &stack)?);
    }
    if detail && settle {
        let mut waits: Vec<f64> = settled
            .iter()
            .map(|wait| wait.as_secs_f64() * 1e3)
            .collect();
        println!(
            "the browser settled before each timed load in {:.0} ms (median; max {:.0})",
            median(&mut waits),
            waits.last().copied().unwrap_or_default()
        );
    }
    let mut within = transfer_ok;
    for (name, loads_seen) in [("cold cache", &cold), ("warm cache", &warm)] {
        let mut times: Vec<f64> = loads_seen.iter().map(|load| load.verdict).collect();
        let mut starts: Vec<f64> = loads_seen.iter().map(|load| load.started).collect();
        let median_start = median(&mut starts);
        let median = median(&mut times);
        let ok = median <= VERDICT_BUDGET_MS;
        within &= ok;
        println!(
            "navigation → verdict, {name}: median {median:.0} ms over {loads} loads \
             (min {:.0}, max {:.0}; wasm started at {median_start:.0} ms) of \
             {VERDICT_BUDGET_MS:.0} ms budget: {}",
            times.first().copied().unwrap_or_default(),
            times.last().copied().unwrap_or_default(),
            verdict_word(ok)
        );
    }
    Ok(within)
}

/// Measures the checklist page against its budgets: the brotli bytes each
/// shell loads, and the time from navigation to the rendered verdict with a
/// cold and a warm cache. Starts the local stack on the app already in
/// target/dist (build it with scripts/build-app first).
#[derive(Parser)]
#[command(name = "muster-page-bench", args_override_self = true)]
struct Args {
    /// Timed loads of each kind (cold cache, warm cache).
    #[arg(long, value_name = "N", default_value = "10")]
    loads: NonZeroUsize,
    /// Also print the request timeline of the last cold load and how long
    /// the browser took to settle.
    #[arg(long)]
    detail: bool,
    /// Time the loads without first waiting for the browser to settle.
    #[arg(long)]
    unsettled: bool,
}

/// Prints when each request of the page started and ended (resource
/// timing, ms since navigation), to see what the verdict waits for.
fn print_timeline(browser: &Browser, what: &str) -> Result<(), String> {
    let entries = browser.execute(
        "return performance.getEntriesByType('navigation').concat(\
         performance.getEntriesByType('resource')).map(e => \
         [e.name, e.startTime, e.connectStart, e.connectEnd, e.requestStart, \
         e.responseStart, e.responseEnd]);",
        json!([]),
    )?;
    println!(
        "timeline of the {what} (ms: start, connect start, connect end, request sent, \
         first byte, end):"
    );
    for entry in entries.as_array().into_iter().flatten() {
        let at = |i: usize| entry[i].as_f64().unwrap_or_default();
        let name = entry[0].as_str().unwrap_or_default();
        let name = name.split_once("//").map_or(name, |(_, rest)| rest);
        let columns: String = (1..=6).map(|i| format!("{:6.0} ", at(i))).collect();
        println!("  {columns} {name}");
    }
    Ok(())
}

/// Every wasm, JavaScript and CSS file the shell of `page` (a path below
/// the prefix) loads, with its size as the server sends it to a client
/// accepting brotli.
fn page_assets(stack: &Stack, page: &str) -> Result<Vec<(String, u64)>, String> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))?;
    let page_url = format!("{}{}{page}", stack.url(), stack.path_prefix());
    let shell = client
        .get(&page_url)
        .header("Accept", "text/html")
        .send()
        .and_then(|response| response.error_for_status()?.text())
        .map_err(|e| format!("{page_url}: {e}"))?;
    let mut paths: Vec<String> = Vec::new();
    for quoted in shell.split(['"', '\'']) {
        let is_asset = [".wasm", ".js", ".css"]
            .iter()
            .any(|extension| quoted.ends_with(extension));
        if is_asset && quoted.starts_with('/') && !paths.iter().any(|p| p == quoted) {
            paths.push(quoted.to_owned());
        }
    }
    if !paths.iter().any(|path| path.ends_with(".wasm")) {
        return Err(format!(
            "the shell of {page_url} loads no wasm: is target/dist scripts/build-app's output?"
        ));
    }
    paths
        .into_iter()
        .map(|path| {
            let url = format!("{}{path}", stack.url());
            let response = client
                .get(&url)
                .header("Accept-Encoding", "br")
                .send()
                .and_then(|response| response.error_for_status())
                .map_err(|e| format!("{url}: {e}"))?;
            // This client decodes no encoding (reqwest's brotli feature is
            // off), so the header is still there and the bytes are those sent.
            let encoding = response
                .headers()
                .get("content-encoding")
                .map_or("identity", |value| value.to_str().unwrap_or("unreadable"))
                .to_owned();
            if encoding != "br" {
                return Err(format!("{url} was sent as {encoding}, not brotli"));
            }
            let body = response.bytes().map_err(|e| format!("{url}: {e}"))?;
            if path.ends_with(".wasm") {
                let raw = std::fs::metadata(
                    default_assets_dir().join(path.rsplit('/').next().unwrap_or("")),
                )
                .map(|m| m.len())
                .unwrap_or(0);
                if raw > RELEASE_WASM_MAX_BYTES {
                    eprintln!(
                        "warning: {path} is {raw} bytes uncompressed: this looks like a dev \
                         build; run scripts/build-app first"
                    );
                }
            }
            Ok((path, body.len() as u64))
        })
        .collect()
}

/// Logs in through the stand-in, returning to a page that is not the app,
/// so that the measured load is the first with a cold cache.
fn log_in_without_the_page(browser: &Browser, stack: &Stack) -> Result<(), String> {
    let elsewhere = format!("{}{}/openapi.json", stack.url(), stack.path_prefix());
    browser.goto(&format!("{}/login?rd={elsewhere}", stack.url()))
}

/// Opens the overview and waits for the app's verdict timestamp.
fn load_and_time(browser: &Browser, stack: &Stack) -> Result<Load, String> {
    browser.goto(&stack.page_url())?;
    let at = browser.wait_for_script(
        "return typeof window.__musterVerdictAt === 'number' ? window.__musterVerdictAt : null;",
        json!([]),
        LOAD_TIMEOUT,
    )?;
    let status = browser.attribute_of("#verdict", "data-status")?;
    if status.as_deref() != Some("pass") {
        return Err(format!(
            "the healthy stack's verdict is {status:?}: {}",
            browser.page_text()
        ));
    }
    let started = browser.execute("return window.__musterStartedAt;", json!([]))?;
    match (started.as_f64(), at.as_f64()) {
        (Some(started), Some(at)) => Ok(Load {
            started,
            verdict: at,
        }),
        _ => Err(format!("marks: started {started}, verdict {at}")),
    }
}

/// The app's marks of one load, in ms since navigation start.
#[derive(Clone, Copy)]
struct Load {
    /// The wasm started (download, compile and instantiate done).
    started: f64,
    /// The verdict was rendered.
    verdict: f64,
}

/// The median of `times`, which it sorts.
fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    match times.len() {
        0 => 0.0,
        n if n % 2 == 1 => times[n / 2],
        n => (times[n / 2 - 1] + times[n / 2]) / 2.0,
    }
}

fn verdict_word(ok: bool) -> &'static str {
    if ok {
        "within budget"
    } else {
        "OVER BUDGET"
    }
}
