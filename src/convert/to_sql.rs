//! [`ToSql`]: a Rust value as a SQL parameter.

use covet_engine::value::{Date, Decimal, Interval, Time, Timestamp, Value};

use crate::error::{Error, Result};

/// A Rust value that can be bound to a parameter `$n`.
///
/// Object safe, so a slice of `&dyn ToSql` can carry parameters of mixed types.
///
/// ```
/// use covet::{ToSql, Value};
/// assert_eq!(42i32.to_sql()?, Value::Int(42));
/// assert_eq!("x".to_sql()?, Value::Text("x".into()));
/// assert_eq!(None::<i64>.to_sql()?, Value::Null);
/// assert!(u64::MAX.to_sql().is_err());
/// # Ok::<(), covet::Error>(())
/// ```
pub trait ToSql {
    /// The SQL value; an error when the Rust value has none (a `u64` above `i64::MAX`).
    fn to_sql(&self) -> Result<Value>;
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_sql(&self) -> Result<Value> {
        (**self).to_sql()
    }
}

impl<T: ToSql + ?Sized> ToSql for Box<T> {
    fn to_sql(&self) -> Result<Value> {
        (**self).to_sql()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> Result<Value> {
        match self {
            Some(v) => v.to_sql(),
            None => Ok(Value::Null),
        }
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> Result<Value> {
        Ok(self.clone())
    }
}

macro_rules! lossless_int {
    ($($t:ty)*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> Result<Value> {
                Ok(Value::Int(i64::from(*self)))
            }
        }
    )*};
}
lossless_int!(i8 i16 i32 i64 u8 u16 u32);

macro_rules! checked_int {
    ($($t:ty)*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> Result<Value> {
                i64::try_from(*self).map(Value::Int).map_err(|_| {
                    Error::ToSql(format!(
                        "{} {} is out of range for bigint",
                        stringify!($t),
                        self
                    ))
                })
            }
        }
    )*};
}
checked_int!(u64 isize usize);

impl ToSql for bool {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Bool(*self))
    }
}

impl ToSql for f64 {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Float(*self))
    }
}

impl ToSql for f32 {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Float(f64::from(*self)))
    }
}

impl ToSql for str {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Text(self.to_owned()))
    }
}

impl ToSql for String {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Text(self.clone()))
    }
}

impl ToSql for [u8] {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Blob(self.to_vec()))
    }
}

impl ToSql for Vec<u8> {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Blob(self.clone()))
    }
}

/// A 16-byte array is a UUID (as [`Uuid`](crate::Uuid)); send other byte strings as
/// `&[u8]`.
impl ToSql for [u8; 16] {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Uuid(*self))
    }
}

impl ToSql for Decimal {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Decimal(*self))
    }
}

impl ToSql for Date {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Date(*self))
    }
}

impl ToSql for Time {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Time(*self))
    }
}

impl ToSql for Timestamp {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Timestamp(*self))
    }
}

impl ToSql for Interval {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Interval(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_widen_and_u64_is_checked() {
        assert_eq!(255u8.to_sql().unwrap(), Value::Int(255));
        assert_eq!(u32::MAX.to_sql().unwrap(), Value::Int(4_294_967_295));
        assert_eq!((i64::MAX as u64).to_sql().unwrap(), Value::Int(i64::MAX));
        let err = (i64::MAX as u64 + 1).to_sql().unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter cannot be sent to SQL: u64 9223372036854775808 is out of range for bigint"
        );
    }

    #[test]
    fn texts_blobs_and_options() {
        assert_eq!(String::from("é").to_sql().unwrap(), Value::Text("é".into()));
        assert_eq!(b"ab"[..].to_sql().unwrap(), Value::Blob(vec![b'a', b'b']));
        assert_eq!(Some(1.5f32).to_sql().unwrap(), Value::Float(1.5));
        assert_eq!(None::<String>.to_sql().unwrap(), Value::Null);
        assert_eq!([7u8; 16].to_sql().unwrap(), Value::Uuid([7; 16]));
    }
}
