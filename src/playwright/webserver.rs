//! The parts of a Playwright config `shardwright run` handles itself: the
//! web servers (`webServer`, one or several), which it starts once per
//! machine, and the reporters, which see the whole run at its end through
//! `playwright merge-reports` of the batches' blob reports.
//!
//! They come from the config as js/run/wrap-config.js writes it down while
//! Playwright loads it (the `--list` report only keeps a single
//! `config.webServer` and the CLI's `--reporter`): JSON, RegExps as
//! `{ "$regexp": source, "flags": … }`. The rules are Playwright 1.65's
//! (`webServerPlugin.ts`, `configLoader.ts`): `port` or `url`, not both;
//! `port` means `http://localhost:<port>` checked by a TCP connect; `cwd`
//! relative to the config's folder; a 60 s start timeout.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// Playwright's default `webServer.timeout`.
pub const DEFAULT_TIMEOUT_MS: f64 = 60_000.0;

/// Playwright's built-in reporters (`builtInReporters`).
pub const BUILTIN_REPORTERS: [&str; 9] = [
    "list", "line", "dot", "json", "junit", "null", "github", "html", "blob",
];

/// Reporters that only print to the terminal: `run` prints its own summary
/// instead of replaying them at the end.
const TERMINAL_REPORTERS: [&str; 4] = ["list", "line", "dot", "null"];

/// How a server is known to be up.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Readiness {
    /// An HTTP GET answers 2xx or 3xx (or 401–403; a 404 at `/` tries
    /// `/index.html`).
    Url { url: String },
    /// Something accepts a TCP connection on 127.0.0.1 or ::1.
    Port { port: u16, url: String },
    /// Neither: started, not waited for.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pattern {
    pub source: String,
    pub flags: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebServer {
    /// `config.webServer` or `config.webServer[i]`, for messages.
    pub field: String,
    pub name: Option<String>,
    pub command: Option<String>,
    /// Absolute.
    pub cwd: String,
    pub env: BTreeMap<String, String>,
    pub readiness: Readiness,
    pub ignore_https_errors: bool,
    pub timeout_ms: f64,
    pub reuse_existing_server: bool,
    /// `gracefulShutdown`: the signal and how long to wait before SIGKILL.
    pub graceful_signal: Option<String>,
    pub graceful_timeout_ms: f64,
    pub wait_stdout: Option<Pattern>,
    pub wait_stderr: Option<Pattern>,
    /// How messages name it: the command and where it answers.
    pub shown: String,
}

/// A reporter of the merged report: `[name, options]` as
/// `playwright merge-reports` takes it from a config.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeReporter(pub String, pub Value);

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunConfig {
    pub config_file: String,
    pub config_dir: String,
    pub servers: Vec<WebServer>,
    /// The config's reporters that write a report (html, junit, json, blob,
    /// github, custom ones): each with `configDir` so paths resolve as in a
    /// normal run (for `merge-reports`). `shardwright/reporter` and
    /// terminal-only ones are left out (`run` records the history and
    /// prints its own summary).
    pub reporters: Vec<MergeReporter>,
    /// Where those are in the config's `reporter` list, so a batch can run
    /// them itself, options and all.
    pub keep: Vec<usize>,
    /// The config's output folders (its own and its projects'), absolute:
    /// `run` puts each batch's artifacts in a folder of its own below them.
    pub output_dirs: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Dump {
    config_file: String,
    config_dir: String,
    web_server: Value,
    reporter: Value,
    /// Module ids of reporters as Node resolves them from the config's folder.
    resolved: BTreeMap<String, String>,
    output_dir: Option<String>,
    project_output_dirs: Vec<Option<String>>,
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

fn pattern(field: &str, v: Option<&Value>) -> Result<Option<Pattern>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) if o.get("$regexp").is_some_and(Value::is_string) => {
            Ok(Some(Pattern {
                source: text(o.get("$regexp")).unwrap_or_default(),
                flags: text(o.get("flags")).unwrap_or_default(),
            }))
        }
        Some(other) => Err(Error::invalid(
            field,
            crate::config::show(other),
            "a RegExp",
        )),
    }
}

fn server(field: String, raw: &Value, config_dir: &Path) -> Result<WebServer> {
    let o = raw
        .as_object()
        .ok_or_else(|| Error::invalid(&field, crate::config::show(raw), "an object"))?;
    let url = text(o.get("url"));
    let port = match o.get("port") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|p| (1..=65535).contains(p))
                .map(|p| p as u16)
                .ok_or_else(|| {
                    Error::invalid(
                        format!("{field}.port"),
                        crate::config::show(v),
                        "a port number",
                    )
                })?,
        ),
    };
    let readiness = match (url, port) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                &field,
                "both port and url",
                "either 'port' or 'url', as Playwright requires",
            ))
        }
        (Some(url), None) => Readiness::Url { url },
        (None, Some(port)) => Readiness::Port {
            port,
            url: format!("http://localhost:{port}"),
        },
        (None, None) => Readiness::None,
    };
    let cwd = match text(o.get("cwd")) {
        Some(c) => config_dir.join(c),
        None => config_dir.to_path_buf(),
    };
    let env = match o.get("env") {
        Some(Value::Object(e)) => e
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k.clone(), s.clone())),
                Value::Number(n) => Some((k.clone(), n.to_string())),
                Value::Bool(b) => Some((k.clone(), b.to_string())),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    let timeout_ms = match o.get("timeout").and_then(Value::as_f64) {
        Some(t) if t > 0.0 && t.is_finite() => t,
        _ => DEFAULT_TIMEOUT_MS,
    };
    let graceful = o.get("gracefulShutdown").and_then(Value::as_object);
    let wait = o.get("wait").and_then(Value::as_object);
    let command = text(o.get("command"));
    let name = text(o.get("name"));
    let shown = format!(
        "{}{}",
        command.as_deref().unwrap_or("(no command)"),
        match &readiness {
            Readiness::Url { url } => format!(" ({url})"),
            Readiness::Port { port, .. } => format!(" (port {port})"),
            Readiness::None => String::new(),
        }
    );
    Ok(WebServer {
        wait_stdout: pattern(
            &format!("{field}.wait.stdout"),
            wait.and_then(|w| w.get("stdout")),
        )?,
        wait_stderr: pattern(
            &format!("{field}.wait.stderr"),
            wait.and_then(|w| w.get("stderr")),
        )?,
        field,
        name,
        command,
        cwd: cwd.to_string_lossy().into_owned(),
        env,
        readiness,
        ignore_https_errors: o
            .get("ignoreHTTPSErrors")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        timeout_ms,
        reuse_existing_server: o
            .get("reuseExistingServer")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        graceful_signal: graceful.and_then(|g| text(g.get("signal"))),
        graceful_timeout_ms: graceful
            .and_then(|g| g.get("timeout"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0),
        shown,
    })
}

fn is_shardwright(name: &str) -> bool {
    let n = name.replace('\\', "/");
    n == "shardwright/reporter" || n.ends_with("/shardwright/js/playwright/reporter.js")
}

fn reporters(dump: &Dump) -> Vec<(usize, MergeReporter)> {
    let listed: Vec<(String, Value)> = match &dump.reporter {
        Value::String(s) => vec![(s.clone(), Value::Null)],
        Value::Array(items) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some((s.clone(), Value::Null)),
                Value::Array(t) => t
                    .first()
                    .and_then(Value::as_str)
                    .map(|n| (n.to_string(), t.get(1).cloned().unwrap_or(Value::Null))),
                _ => None,
            })
            .collect(),
        // Playwright's default: dot on CI, list elsewhere.
        _ => vec![],
    };
    let dir = Path::new(&dump.config_dir);
    listed
        .into_iter()
        .enumerate()
        .filter(|(_, (name, _))| !TERMINAL_REPORTERS.contains(&name.as_str()))
        .filter_map(|(i, (name, options))| {
            let module = if BUILTIN_REPORTERS.contains(&name.as_str()) {
                name.clone()
            } else if let Some(path) = dump.resolved.get(&name) {
                path.clone()
            } else if name.starts_with('.') {
                dir.join(name.trim_start_matches("./"))
                    .to_string_lossy()
                    .into_owned()
            } else {
                name.clone()
            };
            if is_shardwright(&name) || is_shardwright(&module) {
                return None;
            }
            let mut options = match options {
                Value::Object(o) => o,
                _ => serde_json::Map::new(),
            };
            options
                .entry("configDir")
                .or_insert_with(|| Value::String(dump.config_dir.clone()));
            Some((i, MergeReporter(module, Value::Object(options))))
        })
        .collect()
}

/// The run's view of a config, from what js/run/wrap-config.js wrote.
pub fn run_config(dump_json: &str) -> Result<RunConfig> {
    let dump: Dump = serde_json::from_str(dump_json).map_err(|e| {
        Error::Internal(format!("the config as js/run/wrap-config.js wrote it: {e}"))
    })?;
    let dir = Path::new(&dump.config_dir);
    let servers = match &dump.web_server {
        Value::Null => Vec::new(),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, s)| server(format!("config.webServer[{i}]"), s, dir))
            .collect::<Result<_>>()?,
        one => vec![server("config.webServer".into(), one, dir)?],
    };
    let (keep, reporters) = reporters(&dump).into_iter().unzip();
    let mut output_dirs = vec![dir
        .join(dump.output_dir.as_deref().unwrap_or("test-results"))
        .to_string_lossy()
        .into_owned()];
    for d in dump.project_output_dirs.iter().flatten() {
        let d = dir.join(d).to_string_lossy().into_owned();
        if !output_dirs.contains(&d) {
            output_dirs.push(d);
        }
    }
    Ok(RunConfig {
        output_dirs,
        reporters,
        keep,
        config_file: dump.config_file,
        config_dir: dump.config_dir,
        servers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<RunConfig> {
        run_config(&v.to_string())
    }

    #[test]
    fn servers_follow_playwrights_rules() {
        let c = parse(json!({
            "configFile": "/p/playwright.config.ts", "configDir": "/p",
            "webServer": [
                { "command": "npm run api", "port": 4000, "cwd": "api", "env": { "PORT": "4000", "N": 2 } },
                { "command": "npm start", "url": "http://127.0.0.1:3000/health", "reuseExistingServer": true,
                  "timeout": 5000, "gracefulShutdown": { "signal": "SIGTERM", "timeout": 500 },
                  "wait": { "stdout": { "$regexp": "listening on (?<MY_PORT>\\d+)", "flags": "" } } },
                { "command": "sleep 100" }
            ]
        }))
        .unwrap();
        let [api, web, bare] = &c.servers[..] else {
            panic!()
        };
        assert_eq!(api.field, "config.webServer[0]");
        assert_eq!(api.cwd, "/p/api");
        assert_eq!(
            api.readiness,
            Readiness::Port {
                port: 4000,
                url: "http://localhost:4000".into()
            }
        );
        assert_eq!(api.env.get("N").map(String::as_str), Some("2"));
        assert_eq!(api.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert!(!api.reuse_existing_server);
        assert_eq!(api.shown, "npm run api (port 4000)");
        assert_eq!(web.cwd, "/p");
        assert!(web.reuse_existing_server);
        assert_eq!(web.timeout_ms, 5000.0);
        assert_eq!(web.graceful_signal.as_deref(), Some("SIGTERM"));
        assert_eq!(
            web.wait_stdout.as_ref().unwrap().source,
            "listening on (?<MY_PORT>\\d+)"
        );
        assert_eq!(bare.readiness, Readiness::None);

        let one = parse(
            json!({ "configDir": "/p", "webServer": { "command": "x", "url": "http://h/" } }),
        )
        .unwrap();
        assert_eq!(one.servers[0].field, "config.webServer");
        assert!(parse(json!({ "configDir": "/p", "webServer": null }))
            .unwrap()
            .servers
            .is_empty());
    }

    #[test]
    fn a_wrong_server_is_named() {
        let e = parse(json!({ "configDir": "/p", "webServer": [{}, { "command": "x", "port": 1, "url": "http://h" }] }))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid config.webServer[1]: both port and url (either 'port' or 'url', as Playwright requires)"
        );
        let e =
            parse(json!({ "configDir": "/p", "webServer": { "command": "x", "port": "http" } }))
                .unwrap_err()
                .to_string();
        assert_eq!(e, "invalid config.webServer.port: \"http\" (a port number)");
    }

    #[test]
    fn reporters_that_write_reports_are_merged() {
        let c = parse(json!({
            "configDir": "/p",
            "reporter": [["list"], ["html", { "open": "never" }], ["junit", { "outputFile": "r/junit.xml" }],
                         ["./my-reporter.ts"], ["shardwright/reporter", { "maxRetries": 2 }], ["@org/rep"], ["dot"]],
            "resolved": { "@org/rep": "/p/node_modules/@org/rep/index.js" }
        }))
        .unwrap();
        let names: Vec<&str> = c.reporters.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "html",
                "junit",
                "/p/my-reporter.ts",
                "/p/node_modules/@org/rep/index.js"
            ]
        );
        assert_eq!(c.keep, [1, 2, 3, 5]);
        assert_eq!(
            c.reporters[1].1,
            json!({ "outputFile": "r/junit.xml", "configDir": "/p" })
        );
        assert!(parse(json!({ "configDir": "/p", "reporter": "list" }))
            .unwrap()
            .reporters
            .is_empty());
        assert!(parse(json!({ "configDir": "/p" }))
            .unwrap()
            .reporters
            .is_empty());
        let abs = parse(json!({ "configDir": "/p", "reporter": [["/n/shardwright/js/playwright/reporter.js"]] })).unwrap();
        assert!(abs.reporters.is_empty());
    }
}
