//! Questions to the user (dialoguer), only ever through here: without a
//! terminal, or with `--yes`, nothing is asked and the caller's fallback wins.

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Select};

/// Asks a yes/no question on the terminal (the default is no). Callers
/// decide first whether there is a terminal to ask on
/// ([`crate::context::Context::confirm`]).
pub fn yes_no(question: &str) -> anyhow::Result<bool> {
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
