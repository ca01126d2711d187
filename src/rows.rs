//! Results: [`Rows`] (a streaming iterator), [`Row`] (typed access by index or name),
//! [`FromRow`] (a row onto a Rust type) and [`MappedRows`].

use std::sync::Arc;

use covet_engine::value::Value;
use covet_query::{Column, RowStream};

use crate::convert::FromSql;
use crate::error::{Error, Result};

/// The rows of a query, streamed: each `next` pulls one row from the executor, so a
/// query over millions of rows runs in bounded memory. Dropping it early ends the
/// query.
///
/// ```
/// let db = covet::Database::memory()?;
/// let conn = db.connect();
/// let mut total = 0;
/// for row in conn.query("SELECT * FROM (VALUES (1), (2), (3)) AS v(x)", ())? {
///     total += row?.get::<_, i64>("x")?;
/// }
/// assert_eq!(total, 6);
/// # Ok::<(), covet::Error>(())
/// ```
pub struct Rows {
    /// `None` for a statement that returned no rows (an INSERT given to `query`).
    stream: Option<RowStream>,
    columns: Arc<[Column]>,
}

impl Rows {
    pub(crate) fn new(stream: RowStream) -> Rows {
        let columns = stream.columns().into();
        Rows {
            stream: Some(stream),
            columns,
        }
    }

    /// Rows of `stream`, sharing `known` as their columns when the stream's are the
    /// same (a prepared statement run again: no copy of the column names per run).
    pub(crate) fn with_known_columns(stream: RowStream, known: &mut Arc<[Column]>) -> Rows {
        if stream.columns() != &known[..] {
            *known = stream.columns().into();
        }
        Rows {
            columns: Arc::clone(known),
            stream: Some(stream),
        }
    }

    pub(crate) fn empty() -> Rows {
        Rows {
            stream: None,
            columns: Arc::from(Vec::new()),
        }
    }

    /// The result columns (empty for a statement without rows).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let rows = db.connect().query("SELECT 1 AS one, 'a' AS letter", ())?;
    /// let names: Vec<&str> = rows.columns().iter().map(|c| c.name.as_str()).collect();
    /// assert_eq!(names, ["one", "letter"]);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
}

impl Iterator for Rows {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        let stream = self.stream.as_mut()?;
        match stream.next()? {
            Ok(values) => Some(Ok(Row {
                columns: Arc::clone(&self.columns),
                values,
            })),
            Err(e) => {
                // A failed stream yields nothing more: the query is over.
                self.stream = None;
                Some(Err(e.into()))
            }
        }
    }
}

/// One result row: its values and the result's columns.
///
/// ```
/// let db = covet::Database::memory()?;
/// let conn = db.connect();
/// let row = conn.query_row("SELECT 7 AS n, NULL AS nothing", (), |r| Ok(r.clone()))?;
/// assert_eq!(row.get::<_, i64>(0)?, 7);
/// assert_eq!(row.get::<_, i64>("n")?, 7);
/// assert_eq!(row.get::<_, Option<String>>("nothing")?, None);
/// assert!(row.get::<_, i64>("nothing").is_err()); // NULL needs an Option
/// assert!(row.get::<_, i64>(5).is_err());
/// # Ok::<(), covet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[Column]>,
    values: Vec<Value>,
}

impl Row {
    /// A row of `values` under `columns` (for tests and adapters).
    ///
    /// ```
    /// use covet::{Column, DataType, Row, Value};
    /// let row = Row::new(vec![Column { name: "a".into(), ty: DataType::Int }].into(), vec![Value::Int(1)]);
    /// assert_eq!(row.get::<_, i64>("a")?, 1);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn new(columns: Arc<[Column]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    /// The value of column `index` (a position from 0, or a name) as `T`.
    pub fn get<I: RowIndex, T: FromSql>(&self, index: I) -> Result<T> {
        let i = index.position(self)?;
        T::from_sql(&self.values[i]).map_err(|e| e.in_column(self.column_label(i)))
    }

    /// The raw value of column `index`.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let v = db.connect().query_row("SELECT 'a'", (), |r| Ok(r.value(0)?.clone()))?;
    /// assert_eq!(v, covet::Value::Text("a".into()));
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn value<I: RowIndex>(&self, index: I) -> Result<&Value> {
        let i = index.position(self)?;
        Ok(&self.values[i])
    }

    /// Every value, in column order.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let row = db.connect().query_row("SELECT 1, 2", (), |r| Ok(r.clone()))?;
    /// assert_eq!(row.values(), [covet::Value::Int(1), covet::Value::Int(2)]);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The values, taken out of the row.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let v = db.connect().query_row("SELECT true", (), |r| Ok(r.clone().into_values()))?;
    /// assert_eq!(v, vec![covet::Value::Bool(true)]);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// The result's columns.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let n = db.connect().query_row("SELECT 1 AS x", (), |r| Ok(r.columns()[0].name.clone()))?;
    /// assert_eq!(n, "x");
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The number of values.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// assert_eq!(db.connect().query_row("SELECT 1, 2, 3", (), |r| Ok(r.len()))?, 3);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no values.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// assert!(!db.connect().query_row("SELECT 1", (), |r| Ok(r.is_empty()))?);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn column_label(&self, i: usize) -> String {
        match self.columns.get(i) {
            Some(c) => c.name.clone(),
            None => format!("#{i}"),
        }
    }
}

/// What [`Row::get`] accepts as a column: a position (`usize`, from 0) or a name.
/// Names match exactly first, then ignoring ASCII case; the first match wins.
///
/// ```
/// let db = covet::Database::memory()?;
/// let row = db.connect().query_row("SELECT 1 AS a, 2 AS b", (), |r| Ok(r.clone()))?;
/// use covet::RowIndex;
/// assert_eq!("b".position(&row)?, 1);
/// assert_eq!("B".position(&row)?, 1);
/// assert!(2usize.position(&row).is_err());
/// # Ok::<(), covet::Error>(())
/// ```
pub trait RowIndex {
    /// The position of the column in `row`.
    fn position(&self, row: &Row) -> Result<usize>;
}

impl RowIndex for usize {
    fn position(&self, row: &Row) -> Result<usize> {
        if *self < row.values.len() {
            Ok(*self)
        } else {
            Err(Error::NoSuchColumn(format!(
                "{self} (the row has {} columns)",
                row.values.len()
            )))
        }
    }
}

impl RowIndex for &str {
    fn position(&self, row: &Row) -> Result<usize> {
        let cols = &row.columns;
        cols.iter()
            .position(|c| c.name == *self)
            .or_else(|| cols.iter().position(|c| c.name.eq_ignore_ascii_case(self)))
            .filter(|&i| i < row.values.len())
            .ok_or_else(|| Error::NoSuchColumn(format!("{self:?}")))
    }
}

impl RowIndex for &String {
    fn position(&self, row: &Row) -> Result<usize> {
        self.as_str().position(row)
    }
}

/// A Rust type built from a whole row. Tuples of [`FromSql`] types read the columns
/// in order and need exactly as many columns; [`Row`] itself is one.
///
/// ```
/// use covet::{FromRow, Row, Result};
/// struct Point { x: i64, y: i64 }
/// impl FromRow for Point {
///     fn from_row(row: &Row) -> Result<Point> {
///         Ok(Point { x: row.get("x")?, y: row.get("y")? })
///     }
/// }
/// let db = covet::Database::memory()?;
/// let conn = db.connect();
/// let points: Vec<Point> = conn
///     .query_as::<Point>("SELECT 1 AS x, 2 AS y", ())?
///     .collect::<Result<_>>()?;
/// assert_eq!((points[0].x, points[0].y), (1, 2));
/// let pair: (i64, String) = conn.query_row("SELECT 3, 'c'", (), <(i64, String)>::from_row)?;
/// assert_eq!(pair, (3, "c".to_owned()));
/// # Ok::<(), covet::Error>(())
/// ```
pub trait FromRow: Sized {
    /// The value built from `row`.
    fn from_row(row: &Row) -> Result<Self>;
}

impl FromRow for Row {
    fn from_row(row: &Row) -> Result<Row> {
        Ok(row.clone())
    }
}

macro_rules! tuple_from_row {
    ($($n:literal => ($($name:ident : $i:tt),+))*) => {$(
        impl<$($name: FromSql),+> FromRow for ($($name,)+) {
            fn from_row(row: &Row) -> Result<Self> {
                if row.len() != $n {
                    return Err(Error::ColumnCount { expected: $n, found: row.len() });
                }
                Ok(($(row.get::<usize, $name>($i)?,)+))
            }
        }
    )*};
}

tuple_from_row! {
    1 => (A: 0)
    2 => (A: 0, B: 1)
    3 => (A: 0, B: 1, C: 2)
    4 => (A: 0, B: 1, C: 2, D: 3)
    5 => (A: 0, B: 1, C: 2, D: 3, E: 4)
    6 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5)
    7 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6)
    8 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7)
    9 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7, I: 8)
    10 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7, I: 8, J: 9)
    11 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7, I: 8, J: 9, K: 10)
    12 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7, I: 8, J: 9, K: 10, L: 11)
    13 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7, I: 8, J: 9, K: 10, L: 11, M: 12)
    14 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7, I: 8, J: 9, K: 10, L: 11, M: 12, N: 13)
    15 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7, I: 8, J: 9, K: 10, L: 11, M: 12, N: 13, O: 14)
    16 => (A: 0, B: 1, C: 2, D: 3, E: 4, F: 5, G: 6, H: 7, I: 8, J: 9, K: 10, L: 11, M: 12, N: 13, O: 14, P: 15)
}

/// The mapping [`Connection::query_as`](crate::Connection::query_as) applies to each
/// row: `T::from_row`.
///
/// ```
/// use covet::FromRow;
/// let map: covet::RowMapper<(i64,)> = <(i64,)>::from_row;
/// let db = covet::Database::memory()?;
/// assert_eq!(db.connect().query_row("SELECT 5", (), map)?, (5,));
/// # Ok::<(), covet::Error>(())
/// ```
pub type RowMapper<T> = fn(&Row) -> Result<T>;

/// Rows mapped by a function, streamed: what
/// [`Connection::query_map`](crate::Connection::query_map) and
/// [`Connection::query_as`](crate::Connection::query_as) return.
///
/// ```
/// let db = covet::Database::memory()?;
/// let doubled: Vec<i64> = db
///     .connect()
///     .query_map("SELECT * FROM (VALUES (1), (2)) AS v(x)", (), |r| Ok(r.get::<_, i64>(0)? * 2))?
///     .collect::<covet::Result<_>>()?;
/// assert_eq!(doubled, [2, 4]);
/// # Ok::<(), covet::Error>(())
/// ```
pub struct MappedRows<F> {
    rows: Rows,
    map: F,
}

impl<F> MappedRows<F> {
    pub(crate) fn new(rows: Rows, map: F) -> MappedRows<F> {
        MappedRows { rows, map }
    }

    /// The result columns.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let m = db.connect().query_as::<(i64,)>("SELECT 1 AS a", ())?;
    /// assert_eq!(m.columns()[0].name, "a");
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn columns(&self) -> &[Column] {
        self.rows.columns()
    }
}

impl<T, F: FnMut(&Row) -> Result<T>> Iterator for MappedRows<F> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        Some(self.rows.next()?.and_then(|row| (self.map)(&row)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use covet_query::DataType;

    fn row() -> Row {
        let columns: Arc<[Column]> = vec![
            Column {
                name: "id".into(),
                ty: DataType::Int,
            },
            Column {
                name: "Name".into(),
                ty: DataType::Text,
            },
        ]
        .into();
        Row::new(columns, vec![Value::Int(1), Value::Text("ann".into())])
    }

    #[test]
    fn access_by_position_and_name() {
        let r = row();
        assert_eq!(r.get::<_, i64>(0).unwrap(), 1);
        assert_eq!(r.get::<_, String>("Name").unwrap(), "ann");
        assert_eq!(r.get::<_, String>("name").unwrap(), "ann");
        assert_eq!(
            r.get::<_, i64>(2).unwrap_err().to_string(),
            "no column 2 (the row has 2 columns) in the result"
        );
        assert_eq!(
            r.get::<_, i64>("nope").unwrap_err().to_string(),
            "no column \"nope\" in the result"
        );
    }

    #[test]
    fn conversion_errors_name_the_column() {
        let err = row().get::<_, i64>("Name").unwrap_err();
        match err {
            Error::FromSql {
                column,
                expected,
                found,
            } => {
                assert_eq!((column.as_str(), expected, found), ("Name", "i64", "text"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn tuples_need_the_exact_column_count() {
        let r = row();
        assert_eq!(
            <(i64, String)>::from_row(&r).unwrap(),
            (1, "ann".to_owned())
        );
        assert!(matches!(
            <(i64,)>::from_row(&r),
            Err(Error::ColumnCount {
                expected: 1,
                found: 2
            })
        ));
    }

    #[test]
    fn an_empty_result_yields_nothing() {
        let mut rows = Rows::empty();
        assert!(rows.columns().is_empty());
        assert!(rows.next().is_none());
    }
}
