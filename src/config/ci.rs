//! Is this a CI run, and on which provider?

/// Provider environment variables, checked in order; `CI` alone (set by
/// nearly every provider) gives `ci`.
const PROVIDERS: &[(&str, &str)] = &[
    ("GITHUB_ACTIONS", "github-actions"),
    ("GITLAB_CI", "gitlab"),
    ("BUILDKITE", "buildkite"),
    ("CIRCLECI", "circleci"),
    ("JENKINS_URL", "jenkins"),
    ("TF_BUILD", "azure-pipelines"),
    ("BITBUCKET_BUILD_NUMBER", "bitbucket"),
    ("TEAMCITY_VERSION", "teamcity"),
    ("CODEBUILD_BUILD_ID", "aws-codebuild"),
    ("DRONE", "drone"),
    ("TRAVIS", "travis"),
    ("APPVEYOR", "appveyor"),
];

/// The CI provider, or `None` outside CI. `CI=false` or `CI=0` means "not CI"
/// even where a provider variable is set (a local reproduction of a CI job).
pub fn detect_ci(env: &dyn Fn(&str) -> Option<String>) -> Option<&'static str> {
    let ci = env("CI").map(|v| v.trim().to_ascii_lowercase());
    if matches!(ci.as_deref(), Some("false" | "0" | "no")) {
        return None;
    }
    for (var, name) in PROVIDERS {
        if env(var).is_some_and(|v| !v.is_empty()) {
            return Some(name);
        }
    }
    ci.filter(|v| !v.is_empty()).map(|_| "ci")
}

/// The id of this CI pipeline run, shared by every job of it (the shards
/// of a run, the machines of a queue): `SHARDWRIGHT_RUN_ID`, else the
/// provider's own (`gh-<run>-<attempt>`, `gl-<pipeline>`, `bk-<build>`,
/// `cci-<workflow>`, `azp-<build>`, `bb-<pipeline>`, `jenkins-<tag>`).
pub fn ci_run_id(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let get = |k: &str| {
        env(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if let Some(id) = get("SHARDWRIGHT_RUN_ID") {
        return Some(id);
    }
    if let Some(run) = get("GITHUB_RUN_ID") {
        return Some(format!(
            "gh-{run}-{}",
            get("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into())
        ));
    }
    [
        ("CI_PIPELINE_ID", "gl"),
        ("BUILDKITE_BUILD_ID", "bk"),
        ("CIRCLE_WORKFLOW_ID", "cci"),
        ("BUILD_BUILDID", "azp"),
        ("BITBUCKET_PIPELINE_UUID", "bb"),
        ("BUILD_TAG", "jenkins"),
    ]
    .iter()
    .find_map(|(var, prefix)| get(var).map(|v| format!("{prefix}-{v}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn providers_and_plain_ci() {
        assert_eq!(
            detect_ci(&env(&[("GITHUB_ACTIONS", "true"), ("CI", "true")])),
            Some("github-actions")
        );
        assert_eq!(detect_ci(&env(&[("CI", "1")])), Some("ci"));
        assert_eq!(detect_ci(&env(&[])), None);
        assert_eq!(
            detect_ci(&env(&[("CI", "false"), ("GITLAB_CI", "true")])),
            None
        );
    }

    #[test]
    fn run_ids_of_providers() {
        assert_eq!(
            ci_run_id(&env(&[
                ("GITHUB_RUN_ID", "42"),
                ("GITHUB_RUN_ATTEMPT", "2")
            ]))
            .as_deref(),
            Some("gh-42-2")
        );
        assert_eq!(
            ci_run_id(&env(&[
                ("GITHUB_RUN_ID", "42"),
                ("SHARDWRIGHT_RUN_ID", "mine")
            ]))
            .as_deref(),
            Some("mine")
        );
        assert_eq!(
            ci_run_id(&env(&[("CI_PIPELINE_ID", "7")])).as_deref(),
            Some("gl-7")
        );
        assert_eq!(ci_run_id(&env(&[("CI", "true")])), None);
    }
}
