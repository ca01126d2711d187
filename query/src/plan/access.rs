//! Access-path selection: which key of a table a scan's conjuncts can seek on.
//!
//! A conjunct is *sargable* on column `c` when it is `c = v`, `c < v`, `c <= v`,
//! `c > v`, `c >= v` (either way round) or `c BETWEEN v AND w`, where `v` does not read
//! the row (a literal, a parameter, an outer column) and, when it is a literal, has the
//! column's kind of value (numbers with numbers: the key order compares them exactly).
//! A key (the primary key, or an index) is usable for equalities on a leading prefix of
//! its columns and then a range on the next one. The rule: the primary key when it is
//! fixed entirely, else the key with the longest equality prefix (ties: a range on the
//! next column, then unique indexes, then the primary key), else a full scan.
//!
//! The conjuncts a seek uses are exact (the range excludes NULLs itself), so they are
//! removed from the scan's filter.

use crate::catalog::TableInfo;
use crate::expr::{BinaryOp, ScalarExpr};
use crate::plan::{has_subquery, AccessPath, KeyBounds};
use crate::types::DataType;

/// How one conjunct constrains one column.
#[derive(Clone)]
enum Constraint {
    Eq(ScalarExpr),
    Lower(ScalarExpr, bool),
    Upper(ScalarExpr, bool),
    Between(ScalarExpr, ScalarExpr),
}

fn row_independent(e: &ScalarExpr) -> bool {
    let mut cols = Vec::new();
    e.collect_columns(&mut cols);
    cols.is_empty() && !has_subquery(e)
}

fn compatible(table: &TableInfo, col: usize, v: &ScalarExpr) -> bool {
    let Some(c) = table.columns.get(col) else {
        return false;
    };
    match v {
        ScalarExpr::Literal(value) => {
            let (a, b) = (c.data_type(), DataType::of_value(value));
            a == b || (a.is_numeric() && b.is_numeric())
        }
        _ => true,
    }
}

/// The constraint `conjunct` puts on a column, if it is sargable.
fn constraint(table: &TableInfo, conjunct: &ScalarExpr) -> Option<(usize, Constraint)> {
    match conjunct {
        ScalarExpr::Binary { op, left, right } => {
            let (col, value, flipped) = match (&**left, &**right) {
                (ScalarExpr::Column(c), v) if row_independent(v) => (*c, v, false),
                (v, ScalarExpr::Column(c)) if row_independent(v) => (*c, v, true),
                _ => return None,
            };
            if !compatible(table, col, value) {
                return None;
            }
            let v = value.clone();
            let c = match (op, flipped) {
                (BinaryOp::Eq, _) => Constraint::Eq(v),
                (BinaryOp::Gt, false) | (BinaryOp::Lt, true) => Constraint::Lower(v, false),
                (BinaryOp::GtEq, false) | (BinaryOp::LtEq, true) => Constraint::Lower(v, true),
                (BinaryOp::Lt, false) | (BinaryOp::Gt, true) => Constraint::Upper(v, false),
                (BinaryOp::LtEq, false) | (BinaryOp::GtEq, true) => Constraint::Upper(v, true),
                _ => return None,
            };
            Some((col, c))
        }
        ScalarExpr::Between {
            expr,
            low,
            high,
            negated: false,
            symmetric: false,
        } => match &**expr {
            ScalarExpr::Column(c)
                if row_independent(low)
                    && row_independent(high)
                    && compatible(table, *c, low)
                    && compatible(table, *c, high) =>
            {
                Some((*c, Constraint::Between((**low).clone(), (**high).clone())))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The bounds a key gets from the constraints, and which conjuncts they used.
fn bounds_for(
    key: &[(usize, bool)],
    constraints: &[(usize, usize, Constraint)],
) -> (KeyBounds, Vec<usize>) {
    let mut b = KeyBounds {
        key_columns: key.to_vec(),
        eq: Vec::new(),
        lower: None,
        upper: None,
    };
    let mut used = Vec::new();
    for &(col, _) in key {
        let eq = constraints
            .iter()
            .find(|(_, c, k)| *c == col && matches!(k, Constraint::Eq(_)));
        if let Some((i, _, Constraint::Eq(v))) = eq {
            b.eq.push(v.clone());
            used.push(*i);
            continue;
        }
        for (i, c, k) in constraints {
            if *c != col {
                continue;
            }
            match k {
                Constraint::Lower(v, inc) if b.lower.is_none() => {
                    b.lower = Some((v.clone(), *inc));
                    used.push(*i);
                }
                Constraint::Upper(v, inc) if b.upper.is_none() => {
                    b.upper = Some((v.clone(), *inc));
                    used.push(*i);
                }
                Constraint::Between(lo, hi) if b.lower.is_none() && b.upper.is_none() => {
                    b.lower = Some((lo.clone(), true));
                    b.upper = Some((hi.clone(), true));
                    used.push(*i);
                }
                _ => {}
            }
        }
        break;
    }
    (b, used)
}

/// How good a key is for the conjuncts, compared lexicographically: (fixes the whole
/// primary key, equality prefix length, has a range, unique, is the primary key).
type Score = (bool, usize, bool, bool, bool);

/// Chooses the access path for a scan of `table` with `conjuncts` (over the table row);
/// returns it with the conjuncts it does not enforce.
pub(super) fn choose(
    table: &TableInfo,
    conjuncts: Vec<ScalarExpr>,
) -> (AccessPath, Vec<ScalarExpr>) {
    let constraints: Vec<(usize, usize, Constraint)> = conjuncts
        .iter()
        .enumerate()
        .filter_map(|(i, c)| constraint(table, c).map(|(col, k)| (i, col, k)))
        .collect();
    if constraints.is_empty() {
        return (AccessPath::FullScan, conjuncts);
    }
    // (score, path, used conjuncts); a higher score wins.
    let mut best: Option<(Score, AccessPath, Vec<usize>)> = None;
    let mut consider = |score: Score, path: AccessPath, used: Vec<usize>| {
        if used.is_empty() {
            return;
        }
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, path, used));
        }
    };
    if let Some(pk) = &table.primary_key {
        let key: Vec<(usize, bool)> = pk.iter().map(|&c| (c, false)).collect();
        let (b, used) = bounds_for(&key, &constraints);
        let score = (b.is_point(), b.eq.len(), !b.is_equality(), true, true);
        consider(score, AccessPath::PrimaryKey(b), used);
    }
    for index in &table.indexes {
        let key: Vec<(usize, bool)> = index
            .columns
            .iter()
            .map(|&(c, o)| (c, o == covet_engine::value::SortOrder::Desc))
            .collect();
        let (b, used) = bounds_for(&key, &constraints);
        let score = (
            false,
            b.eq.len(),
            !b.is_equality(),
            index.unique && b.is_point(),
            false,
        );
        consider(
            score,
            AccessPath::Index {
                index: index.clone(),
                bounds: b,
            },
            used,
        );
    }
    match best {
        Some((_, path, used)) => {
            let rest = conjuncts
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !used.contains(i))
                .map(|(_, c)| c)
                .collect();
            (path, rest)
        }
        None => (AccessPath::FullScan, conjuncts),
    }
}
