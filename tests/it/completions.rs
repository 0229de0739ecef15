//! The completion scripts checked into `completions/` must match what the
//! binary generates; regenerate them with `BAAS_UPDATE_COMPLETIONS=1 cargo test --test it completions`.

use std::path::PathBuf;

use clap_complete::Shell;

const SCRIPTS: &[(Shell, &str)] = &[
    (Shell::Bash, "baas.bash"),
    (Shell::Zsh, "_baas"),
    (Shell::Fish, "baas.fish"),
    (Shell::PowerShell, "_baas.ps1"),
];

#[test]
fn checked_in_completion_scripts_are_up_to_date() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("completions");
    let update = std::env::var_os("BAAS_UPDATE_COMPLETIONS").is_some();
    let mut stale = Vec::new();
    for (shell, file) in SCRIPTS {
        let generated = baas::commands::completions::script(*shell, baas::cli::command());
        let path = dir.join(file);
        if update {
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let on_disk = std::fs::read(&path).unwrap_or_default();
        if on_disk != generated {
            stale.push(file.to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts in completions/: {stale:?}; regenerate with \
         `BAAS_UPDATE_COMPLETIONS=1 cargo test --test it completions` and commit them"
    );
}

#[test]
fn completions_command_prints_the_same_script() {
    let output = assert_cmd::Command::cargo_bin("baas")
        .unwrap()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        output.stdout,
        baas::commands::completions::script(Shell::Bash, baas::cli::command())
    );
}
