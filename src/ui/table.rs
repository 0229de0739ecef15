//! Tables for humans (comfy-table), in one house style.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

/// Below this many columns a terminal's reported width is not believed
/// (a pseudo-terminal without a size reports 0): the table is not wrapped.
const MIN_WIDTH: u16 = 40;

/// A table with a header row; numeric-looking columns are right-aligned by
/// the caller through [`right_align`].
///
/// Cells wrap to the terminal's width when stdout is a terminal that
/// reports one; otherwise (a pipe, a file, a terminal reporting no size)
/// every row stays on its line, whatever its length.
pub fn new(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_header(header.iter().map(Cell::new));
    match terminal_width() {
        Some(width) => table
            .set_width(width)
            .set_content_arrangement(ContentArrangement::Dynamic),
        None => table.set_content_arrangement(ContentArrangement::Disabled),
    };
    table
}

/// The width of the terminal on stdout, when it is one and says.
fn terminal_width() -> Option<u16> {
    console::Term::stdout()
        .size_checked()
        .map(|(_, columns)| columns)
        .filter(|&columns| columns >= MIN_WIDTH)
}

/// Right-aligns the given columns (counts).
pub fn right_align(table: &mut Table, columns: &[usize]) {
    for &index in columns {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}
