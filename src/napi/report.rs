//! The HTML run report's data for JS (`js/report/`): the page's JSON,
//! computed by the engine in one call and safe to embed in a `<script>`.

use napi_derive::napi;

use super::history::HistoryStore;
use super::runtime::sync;
use super::value::Loose;
use crate::config;
use crate::error::Error;
use crate::flaky;
use crate::report::{self, PageOptions, ShardRecord};

/// The page data of `history` as JSON text (escaped for a `<script>`
/// element), judged with the reporter's settings (`settings`, then
/// `SHARDWRIGHT_*`, then a command's `flags`, as `report --json` judges),
/// with the shard timeline of the newest run among `records` (the texts of
/// shard records; `names` names each in notes). `generatedAt` in ms since
/// the epoch (default: now).
#[napi(js_name = "__htmlReportData")]
pub fn html_report_data(
    history: &HistoryStore,
    #[napi(ts_arg_type = "Record<string, unknown> | undefined")] settings: Option<Loose>,
    #[napi(ts_arg_type = "Record<string, unknown> | undefined")] flags: Option<Loose>,
    records: Vec<String>,
    names: Vec<String>,
    generated_at: Option<f64>,
) -> napi::Result<String, &'static str> {
    sync(|| {
        let settings = Loose::object("options", settings)?;
        let flags = Loose::object("flags", flags)?;
        let opts = config::Config::with_flags(&settings, &flags)?
            .flaky
            .options()?;
        let h = history.history();
        let report = flaky::analyze(h, &opts)?;
        let mut parsed = Vec::with_capacity(records.len());
        let mut notes = Vec::new();
        for (i, text) in records.iter().enumerate() {
            let name = names.get(i).map_or("a shard record", String::as_str);
            match ShardRecord::parse(text) {
                Ok(r) => parsed.push(r),
                Err(problem) => notes.push(format!("{name} left out: {problem}")),
            }
        }
        let now = generated_at.map_or_else(crate::history::time::now_ms, |n| n as i64);
        let mut page = report::build(h, &report, &parsed, &PageOptions::DEFAULT, now);
        page.notes.extend(notes);
        let json = serde_json::to_string(&page).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(report::script_safe(&json))
    })
}
