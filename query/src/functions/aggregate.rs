//! Aggregate functions: resolution ([`resolve_aggregate`]) and their accumulators.
//!
//! Every aggregate but `count(*)` and `json_agg` skips NULL inputs; over no (non-NULL)
//! rows `count` is 0, `total` is 0.0 and the others are NULL. `DISTINCT` is applied
//! by a wrapper that remembers the key encoding of each argument list it has seen (two
//! values are the same exactly when their encodings are, so `1` and `1.0` are one
//! value). `count`, `sum` and `avg` over exact numbers can retract, for sliding window
//! frames; float sums cannot (retraction would drift), nor can DISTINCT.

use std::collections::HashSet;

use covet_engine::value::{encode_key, Decimal, Interval, Value};

use super::{Accumulator, AggregateFunction};
use crate::error::{QueryError, Result, SqlState};
use crate::ops::{self, numeric, out_of_range, output_text as to_text, ArithOp};
use crate::types::DataType::{self, *};

/// The names [`resolve_aggregate`] knows (what `is_aggregate_name` answers).
pub(super) const AGGREGATE_NAMES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "total",
    "group_concat",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
    "json_agg",
    "jsonb_agg",
];

fn make<A: Accumulator + Default + 'static>() -> Box<dyn Fn() -> Box<dyn Accumulator> + Send + Sync>
{
    Box::new(|| Box::new(A::default()))
}

fn not_found(name: &str, args: &[DataType]) -> QueryError {
    let types: Vec<&str> = args.iter().map(DataType::name).collect();
    QueryError::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", types.join(", ")),
    )
}

/// Resolves an aggregate call (`count(*)` has no arguments). 42883 when unknown.
pub fn resolve_aggregate(
    name: &str,
    args: &[DataType],
    distinct: bool,
) -> Result<AggregateFunction> {
    let name = name.to_ascii_lowercase();
    type Create = Box<dyn Fn() -> Box<dyn Accumulator> + Send + Sync>;
    let (canonical, return_type, retractable, create): (&'static str, DataType, bool, Create) =
        match (name.as_str(), args) {
            ("count", []) if !distinct => ("count", Int, true, make::<CountStar>()),
            ("count", [_]) => ("count", Int, true, make::<Count>()),
            ("sum", [Int]) => ("sum", Int, true, make::<SumInt>()),
            ("sum", [Decimal]) => ("sum", Decimal, true, make::<SumDecimal>()),
            ("sum", [Float]) => ("sum", Float, false, make::<SumFloat>()),
            ("sum", [Interval]) => ("sum", Interval, true, make::<SumInterval>()),
            ("avg", [Int | Decimal]) => ("avg", Decimal, true, make::<AvgDecimal>()),
            ("avg", [Float]) => ("avg", Float, false, make::<AvgFloat>()),
            ("avg", [Interval]) => ("avg", Interval, true, make::<AvgInterval>()),
            ("min" | "max", [t]) if *t != Unknown && *t != Json => {
                let want_max = name == "max";
                let create: Create = Box::new(move || {
                    Box::new(MinMax {
                        want_max,
                        best: None,
                    })
                });
                (if want_max { "max" } else { "min" }, *t, false, create)
            }
            ("total", [Int | Decimal | Float]) => ("total", Float, false, make::<Total>()),
            ("group_concat", [_])
            | ("group_concat", [_, Text | Unknown])
            | ("string_agg", [_, Text | Unknown]) => {
                let fixed_sep = args.len() == 1;
                let create: Create = Box::new(move || {
                    Box::new(StringAgg {
                        fixed_sep,
                        out: None,
                    })
                });
                (
                    if name == "string_agg" {
                        "string_agg"
                    } else {
                        "group_concat"
                    },
                    Text,
                    false,
                    create,
                )
            }
            ("bool_and" | "every", [Bool | Unknown]) => {
                ("bool_and", Bool, false, make::<BoolAnd>())
            }
            ("bool_or", [Bool | Unknown]) => ("bool_or", Bool, false, make::<BoolOr>()),
            (
                "stddev" | "stddev_samp" | "stddev_pop" | "variance" | "var_samp" | "var_pop",
                [t @ (Int | Decimal | Float)],
            ) => {
                let kind = match name.as_str() {
                    "stddev" | "stddev_samp" => Spread::StddevSamp,
                    "stddev_pop" => Spread::StddevPop,
                    "variance" | "var_samp" => Spread::VarSamp,
                    _ => Spread::VarPop,
                };
                let exact = *t != Float;
                let create: Create = Box::new(move || {
                    Box::new(Moments {
                        kind,
                        exact,
                        ..Moments::default()
                    })
                });
                let canonical = match kind {
                    Spread::StddevSamp => "stddev_samp",
                    Spread::StddevPop => "stddev_pop",
                    Spread::VarSamp => "var_samp",
                    Spread::VarPop => "var_pop",
                };
                (
                    canonical,
                    if exact { Decimal } else { Float },
                    false,
                    create,
                )
            }
            ("json_agg" | "jsonb_agg", [_]) => ("json_agg", Json, false, make::<JsonAgg>()),
            ("sum" | "avg", [Unknown]) => {
                return Err(QueryError::new(
                    SqlState::AMBIGUOUS_FUNCTION,
                    format!("function {name}(unknown) is not unique"),
                ))
            }
            _ => return Err(not_found(&name, args)),
        };
    let create: Create = if distinct {
        Box::new(move || {
            Box::new(Distinct {
                seen: HashSet::new(),
                inner: create(),
            })
        })
    } else {
        create
    };
    Ok(AggregateFunction {
        name: canonical,
        return_type,
        distinct,
        retractable: retractable && !distinct,
        create,
    })
}

fn first(args: &[Value]) -> &Value {
    args.first().unwrap_or(&Value::Null)
}

fn not_retractable() -> QueryError {
    QueryError::internal("this aggregate cannot retract")
}

/// DISTINCT: feeds the inner accumulator each distinct argument list once (argument
/// lists with a NULL pass through: the inner aggregate skips them anyway).
struct Distinct {
    seen: HashSet<Vec<u8>>,
    inner: Box<dyn Accumulator>,
}

impl Accumulator for Distinct {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        let mut key = Vec::new();
        encode_key(args, &[], &mut key);
        if self.seen.insert(key) {
            self.inner.update(args)?;
        }
        Ok(())
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        self.inner.evaluate()
    }
    fn memory_bytes(&self) -> usize {
        self.seen.iter().map(|k| k.len() + 32).sum::<usize>() + self.inner.memory_bytes()
    }
}

#[derive(Default)]
struct CountStar(i64);

impl Accumulator for CountStar {
    fn update(&mut self, _: &[Value]) -> Result<()> {
        self.0 += 1;
        Ok(())
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        self.0 -= 1;
        Ok(())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(Value::Int(self.0))
    }
    fn memory_bytes(&self) -> usize {
        8
    }
}

#[derive(Default)]
struct Count(i64);

impl Accumulator for Count {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        if !first(args).is_null() {
            self.0 += 1;
        }
        Ok(())
    }
    fn retract(&mut self, args: &[Value]) -> Result<()> {
        if !first(args).is_null() {
            self.0 -= 1;
        }
        Ok(())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(Value::Int(self.0))
    }
    fn memory_bytes(&self) -> usize {
        8
    }
}

/// `sum(bigint)`: an i128 running total (so retraction and intermediate overflow are
/// exact); the result must fit bigint (22003), see COMPAT.md.
#[derive(Default)]
struct SumInt {
    total: i128,
    count: i64,
}

impl Accumulator for SumInt {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        if let Value::Int(i) = first(args) {
            self.total += i128::from(*i);
            self.count += 1;
        }
        Ok(())
    }
    fn retract(&mut self, args: &[Value]) -> Result<()> {
        if let Value::Int(i) = first(args) {
            self.total -= i128::from(*i);
            self.count -= 1;
        }
        Ok(())
    }
    fn evaluate(&self) -> Result<Value> {
        if self.count == 0 {
            return Ok(Value::Null);
        }
        i64::try_from(self.total)
            .map(Value::Int)
            .map_err(|_| out_of_range("bigint"))
    }
    fn memory_bytes(&self) -> usize {
        24
    }
}

#[derive(Default)]
struct SumDecimal {
    total: Option<Decimal>,
    count: i64,
}

impl SumDecimal {
    fn add(&mut self, d: &Decimal) -> Result<()> {
        self.total = Some(match &self.total {
            None => *d,
            Some(t) => numeric::add(t, d)?,
        });
        Ok(())
    }
}

impl Accumulator for SumDecimal {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        match first(args) {
            Value::Decimal(d) => {
                self.add(d)?;
                self.count += 1;
            }
            Value::Int(i) => {
                self.add(&Decimal::from(*i))?;
                self.count += 1;
            }
            _ => {}
        }
        Ok(())
    }
    fn retract(&mut self, args: &[Value]) -> Result<()> {
        let d = match first(args) {
            Value::Decimal(d) => *d,
            Value::Int(i) => Decimal::from(*i),
            _ => return Ok(()),
        };
        self.add(&-d)?;
        self.count -= 1;
        Ok(())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(match (&self.total, self.count) {
            (Some(t), n) if n > 0 => Value::Decimal(*t),
            _ => Value::Null,
        })
    }
    fn memory_bytes(&self) -> usize {
        40
    }
}

#[derive(Default)]
struct SumFloat {
    total: f64,
    count: i64,
}

impl Accumulator for SumFloat {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        if let Some(f) = as_f64(first(args)) {
            self.total += f;
            self.count += 1;
        }
        Ok(())
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(if self.count == 0 {
            Value::Null
        } else {
            Value::Float(self.total)
        })
    }
    fn memory_bytes(&self) -> usize {
        16
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Decimal(d) => Some(d.to_f64()),
        _ => None,
    }
}

#[derive(Default)]
struct SumInterval {
    total: Option<Value>,
    count: i64,
}

impl Accumulator for SumInterval {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        let v = first(args);
        if let Value::Interval(_) = v {
            self.total = Some(match &self.total {
                None => v.clone(),
                Some(t) => ops::binary_arith(ArithOp::Add, t, v)?,
            });
            self.count += 1;
        }
        Ok(())
    }
    fn retract(&mut self, args: &[Value]) -> Result<()> {
        let v = first(args);
        if let (Value::Interval(_), Some(t)) = (v, &self.total) {
            self.total = Some(ops::binary_arith(ArithOp::Sub, t, v)?);
            self.count -= 1;
        }
        Ok(())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(match &self.total {
            Some(t) if self.count > 0 => t.clone(),
            _ => Value::Null,
        })
    }
    fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Interval>() + 16
    }
}

/// `avg` of exact numbers: the exact sum over the count, with numeric's division scale.
#[derive(Default)]
struct AvgDecimal {
    sum: SumDecimal,
}

impl Accumulator for AvgDecimal {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        self.sum.update(args)
    }
    fn retract(&mut self, args: &[Value]) -> Result<()> {
        self.sum.retract(args)
    }
    fn evaluate(&self) -> Result<Value> {
        match (&self.sum.total, self.sum.count) {
            (Some(t), n) if n > 0 => numeric::div(t, &Decimal::from(n)).map(Value::Decimal),
            _ => Ok(Value::Null),
        }
    }
    fn memory_bytes(&self) -> usize {
        self.sum.memory_bytes()
    }
}

/// `avg(interval)`: the interval sum divided by the count (PostgreSQL's interval
/// division, fractional months cascading into days).
#[derive(Default)]
struct AvgInterval {
    sum: SumInterval,
}

impl Accumulator for AvgInterval {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        self.sum.update(args)
    }
    fn retract(&mut self, args: &[Value]) -> Result<()> {
        self.sum.retract(args)
    }
    fn evaluate(&self) -> Result<Value> {
        match &self.sum.total {
            Some(t) if self.sum.count > 0 => {
                ops::binary_arith(ArithOp::Div, t, &Value::Int(self.sum.count))
            }
            _ => Ok(Value::Null),
        }
    }
    fn memory_bytes(&self) -> usize {
        self.sum.memory_bytes()
    }
}

#[derive(Default)]
struct AvgFloat {
    sum: SumFloat,
}

impl Accumulator for AvgFloat {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        self.sum.update(args)
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(if self.sum.count == 0 {
            Value::Null
        } else {
            Value::Float(self.sum.total / self.sum.count as f64)
        })
    }
    fn memory_bytes(&self) -> usize {
        16
    }
}

/// `min`/`max` under SQL comparison (42883 if values of two types meet).
struct MinMax {
    want_max: bool,
    best: Option<Value>,
}

impl Accumulator for MinMax {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        let v = first(args);
        if v.is_null() {
            return Ok(());
        }
        let replace = match &self.best {
            None => true,
            Some(b) => {
                let o = ops::compare(if self.want_max { ">" } else { "<" }, v, b)?;
                o == Some(if self.want_max {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Less
                })
            }
        };
        if replace {
            self.best = Some(v.clone());
        }
        Ok(())
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(self.best.clone().unwrap_or(Value::Null))
    }
    fn memory_bytes(&self) -> usize {
        64 + self.best.as_ref().and_then(to_text).map_or(0, |s| s.len())
    }
}

/// SQLite's `total`: a float sum that is 0.0 over no rows.
#[derive(Default)]
struct Total(SumFloat);

impl Accumulator for Total {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        self.0.update(args)
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(Value::Float(self.0.total))
    }
    fn memory_bytes(&self) -> usize {
        16
    }
}

/// `string_agg(x, sep)` / `group_concat(x [, sep])`: each value after the first is
/// preceded by its own row's separator (PostgreSQL's rule); group_concat's default
/// separator is `,`.
struct StringAgg {
    fixed_sep: bool,
    out: Option<String>,
}

impl Accumulator for StringAgg {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        let Some(text) = to_text(first(args)) else {
            return Ok(());
        };
        let sep = if self.fixed_sep {
            Some(",".to_owned())
        } else {
            args.get(1).and_then(to_text)
        };
        match &mut self.out {
            None => self.out = Some(text),
            Some(o) => {
                o.push_str(sep.as_deref().unwrap_or(""));
                o.push_str(&text);
            }
        }
        Ok(())
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(self.out.clone().map_or(Value::Null, Value::Text))
    }
    fn memory_bytes(&self) -> usize {
        24 + self.out.as_ref().map_or(0, String::len)
    }
}

#[derive(Default)]
struct BoolAnd(Option<bool>);

impl Accumulator for BoolAnd {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        if let Value::Bool(b) = first(args) {
            self.0 = Some(self.0.unwrap_or(true) && *b);
        }
        Ok(())
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(self.0.map_or(Value::Null, Value::Bool))
    }
    fn memory_bytes(&self) -> usize {
        2
    }
}

#[derive(Default)]
struct BoolOr(Option<bool>);

impl Accumulator for BoolOr {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        if let Value::Bool(b) = first(args) {
            self.0 = Some(self.0.unwrap_or(false) || *b);
        }
        Ok(())
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(self.0.map_or(Value::Null, Value::Bool))
    }
    fn memory_bytes(&self) -> usize {
        2
    }
}

#[derive(Debug, Clone, Copy, Default)]
enum Spread {
    #[default]
    StddevSamp,
    StddevPop,
    VarSamp,
    VarPop,
}

/// Variance and standard deviation by Welford's method (numerically stable), in floats;
/// for exact inputs the result is the decimal of the float's shortest digits.
#[derive(Default)]
struct Moments {
    kind: Spread,
    exact: bool,
    n: i64,
    mean: f64,
    m2: f64,
}

impl Accumulator for Moments {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        if let Some(x) = as_f64(first(args)) {
            self.n += 1;
            let delta = x - self.mean;
            self.mean += delta / self.n as f64;
            self.m2 += delta * (x - self.mean);
        }
        Ok(())
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        let sample = matches!(self.kind, Spread::StddevSamp | Spread::VarSamp);
        let denominator = if sample { self.n - 1 } else { self.n };
        if denominator <= 0 {
            return Ok(Value::Null);
        }
        let var = (self.m2 / denominator as f64).max(0.0);
        let r = match self.kind {
            Spread::StddevSamp | Spread::StddevPop => var.sqrt(),
            _ => var,
        };
        if self.exact {
            Decimal::try_from_f64(r)
                .map(Value::Decimal)
                .map_err(|_| numeric::numeric_overflow())
        } else {
            Ok(Value::Float(r))
        }
    }
    fn memory_bytes(&self) -> usize {
        40
    }
}

/// `json_agg(x)`: a JSON array of every input, NULLs included (as `null`).
#[derive(Default)]
struct JsonAgg(Option<Vec<ops::json::Json>>);

impl Accumulator for JsonAgg {
    fn update(&mut self, args: &[Value]) -> Result<()> {
        self.0
            .get_or_insert_with(Vec::new)
            .push(ops::json::Json::from_value(first(args)));
        Ok(())
    }
    fn retract(&mut self, _: &[Value]) -> Result<()> {
        Err(not_retractable())
    }
    fn evaluate(&self) -> Result<Value> {
        Ok(match &self.0 {
            None => Value::Null,
            Some(items) => Value::Json(ops::json::Json::Array(items.clone()).to_text()),
        })
    }
    fn memory_bytes(&self) -> usize {
        24 + self.0.as_ref().map_or(0, |v| v.len() * 48)
    }
}
