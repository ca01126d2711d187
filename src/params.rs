//! [`Params`]: the values bound to `$1…$n`, and the [`params!`](crate::params) macro.
//!
//! Parameters are always bound as values, never spliced into the SQL text.

use covet_engine::value::Value;

use crate::convert::ToSql;
use crate::error::Result;

/// A list of parameter values: `()`, a tuple of up to 16 [`ToSql`] values, an array
/// `[T; N]`, a slice `&[&dyn ToSql]` (what [`params!`](crate::params) builds), or a
/// `Vec<Value>`.
///
/// ```
/// use covet::{Params, Value};
/// assert_eq!(().into_values()?, vec![]);
/// assert_eq!((1, "x").into_values()?, vec![Value::Int(1), Value::Text("x".into())]);
/// assert_eq!([1.5, 2.5].into_values()?, vec![Value::Float(1.5), Value::Float(2.5)]);
/// assert_eq!(covet::params![1, None::<i64>].into_values()?, vec![Value::Int(1), Value::Null]);
/// # Ok::<(), covet::Error>(())
/// ```
pub trait Params {
    /// The values, `$1` first.
    fn into_values(self) -> Result<Vec<Value>>;
}

impl Params for () {
    fn into_values(self) -> Result<Vec<Value>> {
        Ok(Vec::new())
    }
}

impl Params for Vec<Value> {
    fn into_values(self) -> Result<Vec<Value>> {
        Ok(self)
    }
}

impl Params for &[Value] {
    fn into_values(self) -> Result<Vec<Value>> {
        Ok(self.to_vec())
    }
}

impl Params for &[&dyn ToSql] {
    fn into_values(self) -> Result<Vec<Value>> {
        self.iter().map(|p| p.to_sql()).collect()
    }
}

impl<const N: usize> Params for &[&dyn ToSql; N] {
    fn into_values(self) -> Result<Vec<Value>> {
        self.iter().map(|p| p.to_sql()).collect()
    }
}

impl<T: ToSql, const N: usize> Params for [T; N] {
    fn into_values(self) -> Result<Vec<Value>> {
        self.iter().map(ToSql::to_sql).collect()
    }
}

macro_rules! tuple_params {
    ($(($($name:ident),+))*) => {$(
        impl<$($name: ToSql),+> Params for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_values(self) -> Result<Vec<Value>> {
                let ($($name,)+) = self;
                Ok(vec![$($name.to_sql()?),+])
            }
        }
    )*};
}

tuple_params! {
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
    (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J)
    (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
    (A, B, C, D, E, F, G, H, I, J, K, L, M)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P)
}

/// Parameters of mixed types as a `&[&dyn ToSql]`, for any number of them.
///
/// ```
/// use covet::Params;
/// let name = String::from("ann");
/// let values = covet::params![1, &name, 2.5, true].into_values()?;
/// assert_eq!(values.len(), 4);
/// # Ok::<(), covet::Error>(())
/// ```
#[macro_export]
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::ToSql]
    };
    ($($param:expr),+ $(,)?) => {
        &[$(&$param as &dyn $crate::ToSql),+] as &[&dyn $crate::ToSql]
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_tuple_keeps_order() {
        let v = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "p")
            .into_values()
            .unwrap();
        assert_eq!(v.len(), 16);
        assert_eq!(v[0], Value::Int(1));
        assert_eq!(v[14], Value::Int(15));
        assert_eq!(v[15], Value::Text("p".into()));
    }

    #[test]
    fn a_failing_parameter_fails_the_list() {
        assert!((1, u64::MAX).into_values().is_err());
        assert!(params![u64::MAX].into_values().is_err());
        assert_eq!(params![].into_values().unwrap(), vec![]);
    }
}
