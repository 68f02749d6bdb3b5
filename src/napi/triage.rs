//! After a run, for the CLI: the tests to rerun as `--test-list` lines
//! (`shardwright failed`) and the run's failures sorted for the developer
//! (`shardwright triage`).

use napi_derive::napi;

use super::history::HistoryStore;
use super::runtime::sync;
use super::value::Loose;
use crate::error::Error;
use crate::playwright::rerun;
use crate::triage::{self, CodeOwners, TriageInput};

/// The tests of a run to rerun.
#[napi(object, object_from_js = false)]
pub struct RerunList {
    /// The run they come from ('' when the history has no run).
    pub run_id: String,
    pub failed: Vec<String>,
    pub flaky: Vec<String>,
    /// The `--test-list` lines, one per test.
    pub lines: Vec<String>,
}

/// The tests of run `runId` (the newest when absent) that failed — with
/// `withFlaky` the flaky ones too — as Playwright `--test-list` lines.
/// Throws ERR_SHARDWRIGHT_TESTLIST naming every test no line selects exactly.
#[napi(js_name = "__rerunList")]
pub fn rerun_list(
    history: &HistoryStore,
    run_id: Option<String>,
    with_flaky: bool,
) -> napi::Result<RerunList, &'static str> {
    sync(|| {
        let r = rerun::rerun(history.history(), run_id.as_deref(), with_flaky)?;
        Ok(RerunList {
            run_id: r.run_id,
            failed: r.failed,
            flaky: r.flaky,
            lines: r.lines,
        })
    })
}

/// The failures of run `runId` (the newest when absent) of `head`, sorted
/// into new, known flaky and broken on base against `base`, judged with the
/// reporter's settings (and a command's `flags` above them); owners from
/// the CODEOWNERS text, paths being the test files' root (`rootPrefix`,
/// relative to the repository) + the key's file. JSON text.
#[napi(js_name = "__triage")]
#[allow(clippy::too_many_arguments)]
pub fn triage_json(
    head: &HistoryStore,
    base: &HistoryStore,
    #[napi(ts_arg_type = "Record<string, unknown> | undefined")] settings: Option<Loose>,
    #[napi(ts_arg_type = "Record<string, unknown> | undefined")] flags: Option<Loose>,
    run_id: Option<String>,
    codeowners: Option<String>,
    root_prefix: Option<String>,
) -> napi::Result<String, &'static str> {
    sync(|| {
        let settings = Loose::object("options", settings)?;
        let flags = Loose::object("flags", flags)?;
        let opts = crate::config::Config::with_flags(&settings, &flags)?
            .flaky
            .options()?;
        let owners = codeowners.as_deref().map(CodeOwners::parse);
        let prefix = root_prefix.unwrap_or_default();
        let t = triage::triage(
            head.history(),
            base.history(),
            &opts,
            &TriageInput {
                run_id: run_id.as_deref(),
                codeowners: owners.as_ref(),
                root_prefix: &prefix,
            },
        )?;
        serde_json::to_string(&t).map_err(|e| Error::Internal(e.to_string()))
    })
}
