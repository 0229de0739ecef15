//! `baas validate`: report every problem in baas.toml, or confirm it is sound.

use serde_json::json;

use crate::ExitStatus;
use crate::context::Context;
use crate::manifest;
use crate::settings::Environment;

/// Check baas.toml: syntax, unknown keys, types, and every reference between
/// entities, fields and enums. Each problem is printed with its file:line:col
/// and a hint; the exit code is 2 when there is any.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {}

pub fn run(_args: ValidateArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let loaded = manifest::load_file(&cx.manifest_path)?;
    let manifest = &loaded.manifest;
    let directory = loaded.path.parent().unwrap_or(&cx.cwd);
    let environment = Environment::load(directory)?;
    // Unset variables are not errors here: CI often validates without secrets.
    let missing: Vec<String> = manifest
        .source
        .as_ref()
        .and_then(|s| s.url.as_deref())
        .map(|url| environment.missing(url))
        .unwrap_or_default();
    let counts = manifest::validate::counts(manifest);
    if cx.printer.json_mode() {
        cx.printer.json(&json!({
            "ok": true,
            "file": loaded.path.display().to_string(),
            "format": manifest.format,
            "version": manifest.version,
            "counts": counts,
            "unset_variables": missing,
        }))?;
        return Ok(ExitStatus::Success);
    }
    for name in &missing {
        cx.printer.warn(&format!(
            "`{name}` is not set (used by `[source] url`); set it in the environment or in `.env`"
        ));
    }
    cx.printer.success(
        "valid",
        &format!(
            "{}: {} entities ({} views), {} fields, {} relations, {} indexes, {} enums",
            cx.display_path(&loaded.path),
            counts["entities"],
            counts["views"],
            counts["fields"],
            counts["relations"],
            counts["indexes"],
            counts["enums"],
        ),
    );
    Ok(ExitStatus::Success)
}
