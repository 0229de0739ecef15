//! `baas codegen`: typed clients and documents from the manifest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;

use crate::ExitStatus;
use crate::codegen::{self, MARKER, Origin, OutputFile, Target};
use crate::context::Context;
use crate::manifest;

/// Generate typed clients and API documents from the manifest.
///
/// Output is deterministic: the same manifest gives the same bytes, so the
/// generated files can be committed and checked in CI with `--check`.
#[derive(Debug, clap::Args)]
pub struct CodegenArgs {
    /// What to generate
    #[arg(value_enum)]
    pub target: CodegenTarget,
    /// Directory to write into [default: generated/<target>]
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write nothing; exit 1 when the files on disk are stale (for CI)
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CodegenTarget {
    /// TypeScript types and a zero-dependency fetch client
    Ts,
    /// A Rust crate: serde structs and an async reqwest client
    Rust,
    /// The OpenAPI 3.1 document of the served API
    Openapi,
    /// JSON Schema (2020-12) per entity
    Jsonschema,
}

impl From<CodegenTarget> for Target {
    fn from(target: CodegenTarget) -> Self {
        match target {
            CodegenTarget::Ts => Target::Ts,
            CodegenTarget::Rust => Target::Rust,
            CodegenTarget::Openapi => Target::Openapi,
            CodegenTarget::Jsonschema => Target::Jsonschema,
        }
    }
}

/// What happened (or, with `--check`, would happen) to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum FileState {
    /// On disk with the same bytes.
    Unchanged,
    /// Written, or differs from what would be written.
    Stale,
    /// Not on disk yet.
    Missing,
    /// A generated file on disk that the manifest no longer produces
    /// (removed when writing).
    Extra,
    /// A file among the generated ones (same folder and suffix) without the
    /// generated header: `--check` reports it, writing leaves it alone.
    Foreign,
}

#[derive(Debug, Serialize)]
struct FileReport {
    path: String,
    state: FileState,
}

#[derive(Debug, Serialize)]
struct Summary {
    target: &'static str,
    out: String,
    check: bool,
    /// With `--check`: whether everything is up to date.
    fresh: bool,
    files: Vec<FileReport>,
}

pub fn run(args: CodegenArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let target = Target::from(args.target);
    let loaded = manifest::load_file(&cx.manifest_path)?;
    let origin = Origin {
        manifest_path: cx.display_path(&loaded.path),
        version: loaded.manifest.version,
    };
    let out = cx.cwd.join(
        args.out
            .unwrap_or_else(|| Path::new("generated").join(target.as_str())),
    );
    let files = codegen::generate(&loaded.manifest, target, &origin)?;

    let mut reports = Vec::new();
    for file in &files {
        let path = out.join(&file.path);
        let state = match std::fs::read(&path) {
            Ok(existing) if existing == file.content.as_bytes() => FileState::Unchanged,
            Ok(_) => FileState::Stale,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => FileState::Missing,
            Err(error) => {
                return Err(error).with_context(|| format!("failed to read `{}`", path.display()));
            }
        };
        reports.push(FileReport {
            path: file.path.clone(),
            state,
        });
    }
    let wanted: BTreeSet<&str> = files.iter().map(|file| file.path.as_str()).collect();
    for (extra, generated) in generated_files(&out, &files)? {
        // A headerless file counts only where code goes: `--out .` holds
        // the project's own `package.json` and friends.
        let code = !matches!(
            extra.rsplit('/').next().and_then(|n| n.split_once('.')),
            Some((_, "json" | "toml" | "md" | "lock"))
        );
        if !wanted.contains(extra.as_str()) && (generated || (args.check && code)) {
            reports.push(FileReport {
                path: extra,
                state: if generated {
                    FileState::Extra
                } else {
                    FileState::Foreign
                },
            });
        }
    }

    if !args.check {
        write(&out, &files, &reports)?;
    }
    let fresh = reports
        .iter()
        .all(|report| report.state == FileState::Unchanged);
    let summary = Summary {
        target: target.as_str(),
        out: cx.display_path(&out),
        check: args.check,
        fresh,
        files: reports,
    };
    report(cx, &summary)?;
    Ok(if args.check && !fresh {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}

fn write(out: &Path, files: &[OutputFile], reports: &[FileReport]) -> anyhow::Result<()> {
    for (file, report) in files.iter().zip(reports) {
        if report.state == FileState::Unchanged {
            continue;
        }
        let path = out.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&path, &file.content)
            .with_context(|| format!("failed to write `{}`", path.display()))?;
    }
    for report in reports.iter().filter(|r| r.state == FileState::Extra) {
        let path = out.join(&report.path);
        std::fs::remove_file(&path)
            .with_context(|| format!("failed to remove `{}`", path.display()))?;
    }
    Ok(())
}

fn report(cx: &Context, summary: &Summary) -> anyhow::Result<()> {
    if cx.printer.json_mode() {
        cx.printer.json(summary)?;
        return Ok(());
    }
    let changed: Vec<&FileReport> = summary
        .files
        .iter()
        .filter(|file| file.state != FileState::Unchanged)
        .collect();
    if summary.check {
        if changed.is_empty() {
            cx.printer.success(
                "Fresh",
                &format!("{} files in `{}`", summary.files.len(), summary.out),
            );
        } else {
            for file in &changed {
                let state = match file.state {
                    FileState::Stale => "stale",
                    FileState::Missing => "missing",
                    FileState::Extra => "extra",
                    FileState::Foreign => "extra (no generated header, not baas's)",
                    FileState::Unchanged => "unchanged",
                };
                cx.printer
                    .stderr(&format!("{state}: {}/{}", summary.out, file.path));
            }
            cx.printer.stderr(&format!(
                "{} of {} files in `{}` are out of date; run `baas codegen {}` to regenerate them",
                changed.len(),
                summary.files.len(),
                summary.out,
                summary.target
            ));
        }
    } else {
        let written = changed
            .iter()
            .filter(|file| file.state != FileState::Extra)
            .count();
        let removed = changed.len() - written;
        let mut message = format!(
            "{written} of {} files in `{}`",
            summary.files.len() - removed,
            summary.out
        );
        if removed > 0 {
            message.push_str(&format!(", removed {removed} no longer generated"));
        }
        cx.printer.success("Generated", &message);
    }
    Ok(())
}

/// Files in the folders `files` are written to, with a file-name suffix
/// (`ts`, `schema.json`, ...) that `files` use, as `/`-separated relative
/// paths, each with whether baas generated it (its first bytes carry
/// [`MARKER`]). Only generated ones may be removed: `--out .` must not take
/// another target's output, or the user's own files, for stale ones.
fn generated_files(dir: &Path, files: &[OutputFile]) -> anyhow::Result<Vec<(String, bool)>> {
    let split = |path: &str| -> (String, String) {
        let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
        let suffix = name.split_once('.').map_or("", |(_, suffix)| suffix);
        (folder.to_owned(), suffix.to_owned())
    };
    let folders: BTreeSet<String> = files.iter().map(|file| split(&file.path).0).collect();
    let suffixes: BTreeSet<String> = files.iter().map(|file| split(&file.path).1).collect();
    let mut out = Vec::new();
    for folder in &folders {
        let path = if folder.is_empty() {
            dir.to_owned()
        } else {
            dir.join(folder)
        };
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => {
                return Err(error).with_context(|| format!("failed to read `{}`", path.display()));
            }
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if folder.is_empty() {
                name
            } else {
                format!("{folder}/{name}")
            };
            if entry.file_type()?.is_file() && suffixes.contains(&split(&relative).1) {
                let generated = is_generated(&entry.path());
                out.push((relative, generated));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_generated(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 512];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let read = file.read(&mut head).unwrap_or(0);
    String::from_utf8_lossy(&head[..read]).contains(MARKER)
}
