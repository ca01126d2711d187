//! Window-only functions: their resolution and return types (the window operator that
//! computes them belongs to the executor).

use super::WindowFunctionKind;
use crate::error::{QueryError, Result, SqlState};
use crate::types::DataType::{self, *};

/// Resolves a window-only function (`row_number`, `rank`, `lag`, …): its kind and
/// return type. `None` when `name` is not one (it may be an aggregate used OVER).
/// Wrong arguments are 42883.
pub fn resolve_window(
    name: &str,
    args: &[DataType],
) -> Result<Option<(WindowFunctionKind, DataType)>> {
    use WindowFunctionKind as W;
    let int_like = |t: DataType| matches!(t, Int | Unknown);
    let r = match (name.to_ascii_lowercase().as_str(), args) {
        ("row_number", []) => (W::RowNumber, Int),
        ("rank", []) => (W::Rank, Int),
        ("dense_rank", []) => (W::DenseRank, Int),
        ("percent_rank", []) => (W::PercentRank, Float),
        ("cume_dist", []) => (W::CumeDist, Float),
        ("ntile", [n]) if int_like(*n) => (W::Ntile, Int),
        ("lag" | "lead", [t]) => (
            if name.eq_ignore_ascii_case("lag") {
                W::Lag
            } else {
                W::Lead
            },
            *t,
        ),
        ("lag" | "lead", [t, o]) if int_like(*o) => (
            if name.eq_ignore_ascii_case("lag") {
                W::Lag
            } else {
                W::Lead
            },
            *t,
        ),
        ("lag" | "lead", [t, o, d]) if int_like(*o) => {
            let ty = crate::expr::common_type(*t, *d).ok_or_else(|| {
                QueryError::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!("{name} types {t} and {d} cannot be matched"),
                )
            })?;
            (
                if name.eq_ignore_ascii_case("lag") {
                    W::Lag
                } else {
                    W::Lead
                },
                ty,
            )
        }
        ("first_value", [t]) => (W::FirstValue, *t),
        ("last_value", [t]) => (W::LastValue, *t),
        ("nth_value", [t, n]) if int_like(*n) => (W::NthValue, *t),
        (
            "row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist" | "ntile" | "lag"
            | "lead" | "first_value" | "last_value" | "nth_value",
            _,
        ) => {
            let types: Vec<&str> = args.iter().map(DataType::name).collect();
            return Err(QueryError::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {name}({}) does not exist", types.join(", ")),
            ));
        }
        _ => return Ok(None),
    };
    Ok(Some(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_kinds_and_types() {
        assert_eq!(
            resolve_window("row_number", &[]).unwrap(),
            Some((WindowFunctionKind::RowNumber, Int))
        );
        assert_eq!(
            resolve_window("RANK", &[]).unwrap(),
            Some((WindowFunctionKind::Rank, Int))
        );
        assert_eq!(
            resolve_window("percent_rank", &[]).unwrap(),
            Some((WindowFunctionKind::PercentRank, Float))
        );
        assert_eq!(
            resolve_window("cume_dist", &[]).unwrap(),
            Some((WindowFunctionKind::CumeDist, Float))
        );
        assert_eq!(
            resolve_window("ntile", &[Int]).unwrap(),
            Some((WindowFunctionKind::Ntile, Int))
        );
        assert_eq!(
            resolve_window("lag", &[Text]).unwrap(),
            Some((WindowFunctionKind::Lag, Text))
        );
        assert_eq!(
            resolve_window("lead", &[Int, Int, Float]).unwrap(),
            Some((WindowFunctionKind::Lead, Float))
        );
        assert_eq!(
            resolve_window("first_value", &[Date]).unwrap(),
            Some((WindowFunctionKind::FirstValue, Date))
        );
        assert_eq!(
            resolve_window("last_value", &[Int]).unwrap(),
            Some((WindowFunctionKind::LastValue, Int))
        );
        assert_eq!(
            resolve_window("nth_value", &[Text, Int]).unwrap(),
            Some((WindowFunctionKind::NthValue, Text))
        );
        assert_eq!(resolve_window("sum", &[Int]).unwrap(), None);
        assert_eq!(
            resolve_window("ntile", &[Text]).unwrap_err().code,
            SqlState::UNDEFINED_FUNCTION
        );
        assert_eq!(
            resolve_window("row_number", &[Int]).unwrap_err().code,
            SqlState::UNDEFINED_FUNCTION
        );
        assert_eq!(
            resolve_window("lag", &[Int, Int, Text]).unwrap_err().code,
            SqlState::DATATYPE_MISMATCH
        );
    }
}
