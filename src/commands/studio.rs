//! `baas studio`: open the studio of a running `baas serve` in the browser.

use std::time::Duration;

use crate::ExitStatus;
use crate::context::Context;

/// Open the studio (the web admin page of `baas serve`) in the default browser.
///
/// The studio is served by `baas serve` at `/_studio`; start the server
/// first (`baas serve`, or `baas serve --example`). The URL is always
/// printed on stdout, so it can be opened by hand.
#[derive(Debug, clap::Args)]
pub struct StudioArgs {
    /// Port of the running server
    #[arg(long, short, env = "BAAS_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address of the running server
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Only print the URL; do not start a browser
    #[arg(long)]
    pub no_open: bool,
}

pub fn run(args: StudioArgs, cx: &Context) -> anyhow::Result<ExitStatus> {
    let host = if args.host.contains(':') && !args.host.starts_with('[') {
        format!("[{}]", args.host)
    } else {
        args.host.clone()
    };
    let base = format!("http://{host}:{}", args.port);
    let url = format!("{base}/_studio/");
    cx.printer.data(&format!("{url}\n"))?;
    if !answers(&format!("{base}/api/_health")) {
        cx.printer.warn(&format!(
            "no baas server answers at {base}; start one with `baas serve` (or `baas serve --example`) and open the URL above"
        ));
        return Ok(ExitStatus::CannotConnect);
    }
    if args.no_open {
        return Ok(ExitStatus::Success);
    }
    if let Err(error) = open(&url) {
        cx.printer.warn(&format!(
            "could not start a browser ({error}); open the URL above"
        ));
    }
    Ok(ExitStatus::Success)
}

/// Whether a baas server answers at `url` (any HTTP answer counts: an
/// unhealthy database still serves the studio).
fn answers(url: &str) -> bool {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(3)))
        .http_status_as_error(false)
        .build();
    ureq::Agent::new_with_config(config).get(url).call().is_ok()
}

/// Starts the platform's URL opener without waiting for the browser.
fn open(url: &str) -> std::io::Result<()> {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut command = std::process::Command::new("cmd");
        command.args(["/C", "start", ""]);
        command
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
}
