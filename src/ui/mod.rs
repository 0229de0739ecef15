//! Everything that talks to the terminal: output, prompts, progress, tables.

pub mod printer;
pub mod progress;
pub mod prompt;
pub mod table;

pub use printer::Printer;
pub use progress::Progress;
