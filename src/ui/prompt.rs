//! Questions to the user (dialoguer), only ever through here: without a
//! terminal, or with `--yes`, nothing is asked and the caller's fallback wins.

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Select};

use crate::context::Context;

/// Asks a yes/no question. Without a terminal: `yes` when `--yes` was given,
/// otherwise an error telling the user which flag to pass.
pub fn confirm(cx: &Context, question: &str, flag_hint: &str) -> anyhow::Result<bool> {
    if cx.yes {
        return Ok(true);
    }
    if !cx.interactive {
        anyhow::bail!(
            crate::diagnostics::UsageError::new(format!("{question} (no terminal to ask on)"))
                .with_hint(flag_hint.to_owned())
        );
    }
    Ok(Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt(question)
        .default(false)
        .interact()?)
}

/// Asks for a line of text with a default.
pub fn input(question: &str, default: &str) -> anyhow::Result<String> {
    Ok(Input::<String>::with_theme(&ColorfulTheme::default())
        .with_prompt(question)
        .default(default.to_owned())
        .interact_text()?)
}

/// Asks for text that must not be blank: asks again until it is not.
pub fn required_input(question: &str) -> anyhow::Result<String> {
    let answer = Input::<String>::with_theme(&ColorfulTheme::default())
        .with_prompt(question)
        .validate_with(|answer: &String| {
            if answer.trim().is_empty() {
                Err("an answer is needed (Ctrl-C to stop)")
            } else {
                Ok(())
            }
        })
        .interact_text()?;
    Ok(answer.trim().to_owned())
}

/// Asks to pick one of `items`; returns its index.
pub fn select(question: &str, items: &[&str], default: usize) -> anyhow::Result<usize> {
    Ok(Select::with_theme(&ColorfulTheme::default())
        .with_prompt(question)
        .items(items)
        .default(default)
        .interact()?)
}
