//! Window-only functions (filled by the expression branch).

use super::WindowFunctionKind;
use crate::error::Result;
use crate::types::DataType;

/// Resolves a window-only function (`row_number`, `rank`, `lag`, …): its kind and
/// return type. `None` when `name` is not one (it may be an aggregate used OVER).
pub fn resolve_window(
    name: &str,
    args: &[DataType],
) -> Result<Option<(WindowFunctionKind, DataType)>> {
    let _ = (name, args);
    todo!("expression branch")
}
