//! mysql scripts.

use super::{Cx, RenderError, Statement};

pub(super) fn render(cx: &mut Cx<'_>) -> Result<Vec<Statement>, RenderError> {
    Err(RenderError {
        target: cx.target,
        what: "render migrations yet (renderer not written)".into(),
    })
}
