//! Random queries over the tables of [`super::schema`], each a pure function of the seed and
//! its number ([`QueryGen::query`]).
//!
//! Every query's answer is determined by the data: `LIMIT` comes only after an `ORDER BY` that
//! ends with every output column (rows equal in every column are interchangeable), window
//! functions whose value depends on the row order inside a partition order by a unique key
//! (`id`) last, and a scalar subquery is an aggregate (one row). Results without `ORDER BY` are
//! compared as multisets.

use super::expr::{ColRef, Expr, ExprGen};
use super::rng::Rng;
use super::schema::{Ty, COLUMNS, TABLES};

/// The kind of a generated query (for the tallies of a run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// `SELECT exprs FROM t WHERE cond`.
    Filter,
    /// The same with `ORDER BY … LIMIT … [OFFSET …]`.
    OrderLimit,
    /// Joins of 2–4 tables.
    Join,
    /// Aggregates, with or without GROUP BY / HAVING.
    Aggregate,
    /// Window functions.
    Window,
    /// IN / NOT IN / EXISTS / scalar subqueries.
    Subquery,
    /// UNION / INTERSECT / EXCEPT.
    SetOp,
    /// `SELECT DISTINCT`, and a derived table.
    Distinct,
}

impl Shape {
    /// Every shape, with the weight of its share of the queries.
    const WEIGHTED: [(Shape, u64); 8] = [
        (Shape::Filter, 22),
        (Shape::OrderLimit, 12),
        (Shape::Join, 16),
        (Shape::Aggregate, 16),
        (Shape::Window, 10),
        (Shape::Subquery, 12),
        (Shape::SetOp, 6),
        (Shape::Distinct, 6),
    ];
}

/// One generated query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Its text.
    pub sql: String,
    /// Its kind.
    pub shape: Shape,
    /// Whether the row order is part of the answer (`ORDER BY` with a total order).
    pub ordered: bool,
}

/// The query generator of one seed.
#[derive(Clone, Copy, Debug)]
pub struct QueryGen {
    seed: u64,
}

/// The columns of table alias `alias`.
fn columns_of(alias: &str) -> Vec<ColRef> {
    COLUMNS
        .iter()
        .map(|(c, ty)| ColRef {
            sql: format!("{alias}.{c}"),
            ty: *ty,
        })
        .collect()
}

/// A `FROM` clause and the columns it brings into scope.
struct From {
    sql: String,
    scope: Vec<ColRef>,
    /// The aliases, in order (each has the columns `id`, `i`, …).
    aliases: Vec<&'static str>,
}

const ALIASES: [&str; 4] = ["a", "b", "c", "d"];

/// The types `GROUP BY` keys and `ORDER BY` keys are drawn from.
const KEY_TYPES: [Ty; 7] = [
    Ty::Int,
    Ty::Float,
    Ty::Numeric,
    Ty::Text,
    Ty::Bool,
    Ty::Date,
    Ty::Timestamp,
];

impl QueryGen {
    /// The generator of `seed`.
    pub fn new(seed: u64) -> QueryGen {
        QueryGen { seed }
    }

    /// Query number `index`.
    pub fn query(&self, index: u64) -> Query {
        let mut rng = Rng::for_item(self.seed, index);
        let total: u64 = Shape::WEIGHTED.iter().map(|w| w.1).sum();
        let mut pick = rng.below(total);
        let mut shape = Shape::Filter;
        for (s, w) in Shape::WEIGHTED {
            if pick < w {
                shape = s;
                break;
            }
            pick -= w;
        }
        let mut b = Builder { rng: &mut rng };
        let (sql, ordered) = match shape {
            Shape::Filter => (b.filter(), false),
            Shape::OrderLimit => (b.order_limit(), true),
            Shape::Join => (b.join(), false),
            Shape::Aggregate => {
                let sql = b.aggregate();
                let ordered = sql.contains(" ORDER BY ");
                (sql, ordered)
            }
            Shape::Window => (b.window(), false),
            Shape::Subquery => (b.subquery(), false),
            Shape::SetOp => (b.set_op(), false),
            Shape::Distinct => (b.distinct(), false),
        };
        Query {
            sql,
            shape,
            ordered,
        }
    }
}

struct Builder<'a> {
    rng: &'a mut Rng,
}

impl Builder<'_> {
    fn exprs(&mut self, scope: &[ColRef], ty: Ty, depth: u32) -> Expr {
        ExprGen {
            rng: self.rng,
            scope,
        }
        .expr(ty, depth)
    }

    /// An expression of a type PostgreSQL knows without context (for function arguments).
    fn typed(&mut self, scope: &[ColRef], ty: Ty, depth: u32) -> Expr {
        ExprGen {
            rng: self.rng,
            scope,
        }
        .typed(ty, depth)
    }

    fn any_type(&mut self) -> Ty {
        *self.rng.pick(&Ty::ALL)
    }

    fn table(&mut self) -> &'static str {
        self.rng.pick(&TABLES).0
    }

    /// `n` output expressions of random types.
    fn select_list(&mut self, scope: &[ColRef], n: u64, depth: u32) -> Vec<(Ty, Expr)> {
        (0..n)
            .map(|_| {
                let ty = self.any_type();
                let d = self.rng.below(u64::from(depth) + 1) as u32;
                (ty, self.exprs(scope, ty, d))
            })
            .collect()
    }

    fn where_clause(&mut self, scope: &[ColRef], percent: u64, depth: u32) -> String {
        if self.rng.pct(percent) {
            format!(" WHERE {}", self.exprs(scope, Ty::Bool, depth).sql)
        } else {
            String::new()
        }
    }

    /// `FROM` one table, or a join of `tables` tables.
    fn from(&mut self, tables: usize) -> From {
        let first = self.table();
        let mut sql = format!("{first} a");
        let mut scope = columns_of("a");
        let mut aliases = vec!["a"];
        for &alias in &ALIASES[1..tables] {
            let table = self.table();
            let kind = if tables == 2 && self.rng.pct(10) {
                "CROSS JOIN"
            } else {
                *self
                    .rng
                    .pick(&["JOIN", "JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"])
            };
            if kind == "CROSS JOIN" {
                sql.push_str(&format!(" CROSS JOIN {table} {alias}"));
                scope.extend(columns_of(alias));
                aliases.push(alias);
                continue;
            }
            let earlier = *self.rng.pick(&aliases);
            let mut on = format!("{earlier}.j = {alias}.j");
            scope.extend(columns_of(alias));
            if kind == "FULL JOIN" {
                // PostgreSQL runs FULL JOIN only on merge- or hash-joinable conditions.
                if self.rng.pct(30) {
                    on.push_str(&format!(" AND {earlier}.b = {alias}.b"));
                }
            } else if self.rng.pct(40) {
                on.push_str(&format!(" AND {}", self.exprs(&scope, Ty::Bool, 1).sql));
            }
            sql.push_str(&format!(" {kind} {table} {alias} ON {on}"));
            aliases.push(alias);
        }
        From {
            sql,
            scope,
            aliases,
        }
    }

    fn joined(list: &[(Ty, Expr)]) -> String {
        list.iter()
            .map(|(_, e)| e.sql.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn filter(&mut self) -> String {
        let from = self.from(1);
        let n = self.rng.range(1, 4) as u64;
        let list = self.select_list(&from.scope, n, 3);
        let filter = self.where_clause(&from.scope, 70, 3);
        format!("SELECT {} FROM {}{filter}", Self::joined(&list), from.sql)
    }

    fn order_limit(&mut self) -> String {
        let tables = if self.rng.pct(70) { 1 } else { 2 };
        let from = self.from(tables);
        let n = self.rng.range(1, 3) as u64;
        let list = self.select_list(&from.scope, n, 2);
        let filter = self.where_clause(&from.scope, 50, 2);
        let mut keys = Vec::new();
        if self.rng.pct(40) {
            // A key that is a column expression (a constant key would be read as a position).
            let ty = *self.rng.pick(&KEY_TYPES);
            let key = self.exprs(&from.scope, ty, 1);
            if key.has_col {
                keys.push(format!("{}{}", key.sql, self.direction()));
            }
        }
        // Every output column, so rows that tie on all keys are equal rows.
        let mut ordinals: Vec<u64> = (1..=n).collect();
        if self.rng.pct(50) {
            ordinals.reverse();
        }
        for k in ordinals {
            keys.push(format!("{k}{}", self.direction()));
        }
        let limit = self.rng.range(0, 12);
        let offset = if self.rng.pct(30) {
            format!(" OFFSET {}", self.rng.range(0, 5))
        } else {
            String::new()
        };
        format!(
            "SELECT {} FROM {}{filter} ORDER BY {} LIMIT {limit}{offset}",
            Self::joined(&list),
            from.sql,
            keys.join(", ")
        )
    }

    fn direction(&mut self) -> &'static str {
        self.rng.pick::<&str>(&[
            "",
            " DESC",
            " ASC NULLS FIRST",
            " DESC NULLS LAST",
            " NULLS LAST",
        ])
    }

    fn join(&mut self) -> String {
        let tables = *self.rng.pick(&[2, 2, 3, 3, 4]);
        let from = self.from(tables);
        let n = self.rng.range(1, 4) as u64;
        let mut list = self.select_list(&from.scope, n, 2);
        if self.rng.pct(50) {
            // A column of each side shows which rows an outer join padded.
            for alias in &from.aliases {
                let col = format!("{alias}.id");
                list.push((
                    Ty::Int,
                    Expr {
                        sql: col,
                        has_col: true,
                    },
                ));
            }
        }
        let filter = self.where_clause(&from.scope, 50, 2);
        format!("SELECT {} FROM {}{filter}", Self::joined(&list), from.sql)
    }

    /// An aggregate call over `scope`.
    fn aggregate_call(&mut self, scope: &[ColRef]) -> String {
        let call = match self.rng.below(9) {
            0 => "count(*)".to_owned(),
            1 => {
                let ty = self.any_type();
                let distinct = if self.rng.pct(30) { "DISTINCT " } else { "" };
                format!("count({distinct}{})", self.typed(scope, ty, 1).sql)
            }
            2 | 3 => {
                let f = *self.rng.pick(&["sum", "avg"]);
                let ty = *self.rng.pick(&[Ty::Int, Ty::Float, Ty::Numeric]);
                let distinct = if self.rng.pct(15) { "DISTINCT " } else { "" };
                format!("{f}({distinct}{})", self.typed(scope, ty, 1).sql)
            }
            4 | 5 => {
                let f = *self.rng.pick(&["min", "max"]);
                let ty = *self.rng.pick(&[
                    Ty::Int,
                    Ty::Float,
                    Ty::Numeric,
                    Ty::Text,
                    Ty::Date,
                    Ty::Timestamp,
                ]);
                format!("{f}({})", self.typed(scope, ty, 1).sql)
            }
            6 => {
                let f = *self.rng.pick(&["bool_and", "bool_or"]);
                format!("{f}({})", self.typed(scope, Ty::Bool, 1).sql)
            }
            7 => {
                let f = *self
                    .rng
                    .pick(&["stddev", "variance", "stddev_pop", "var_pop"]);
                format!("{f}({})", self.typed(scope, Ty::Float, 0).sql)
            }
            _ => {
                let col = self.exprs(scope, Ty::Int, 0).sql;
                format!("sum({col})")
            }
        };
        if self.rng.pct(15) {
            let cond = self.exprs(scope, Ty::Bool, 1).sql;
            format!("{call} FILTER (WHERE {cond})")
        } else {
            call
        }
    }

    /// A grouping key: a column of a key type, or a small expression of one.
    fn group_key(&mut self, scope: &[ColRef]) -> String {
        let alias = scope[self.rng.below(scope.len() as u64) as usize]
            .sql
            .split('.')
            .next()
            .unwrap_or("a")
            .to_owned();
        match self.rng.below(7) {
            0 => format!("({alias}.i % 3)"),
            1 => format!("lower({alias}.s)"),
            2 => format!("{alias}.s"),
            3 => format!("{alias}.b"),
            4 => format!("{alias}.d"),
            5 => format!("{alias}.n"),
            _ => format!("{alias}.j"),
        }
    }

    fn aggregate(&mut self) -> String {
        let tables = if self.rng.pct(75) { 1 } else { 2 };
        let from = self.from(tables);
        let keys: Vec<String> = (0..self.rng.below(3))
            .map(|_| self.group_key(&from.scope))
            .collect();
        let aggs: Vec<String> = (0..self.rng.range(1, 3))
            .map(|_| self.aggregate_call(&from.scope))
            .collect();
        let filter = self.where_clause(&from.scope, 50, 2);
        let mut list = keys.clone();
        list.extend(aggs);
        let mut sql = format!("SELECT {} FROM {}{filter}", list.join(", "), from.sql);
        if !keys.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", keys.join(", ")));
        }
        if self.rng.pct(35) {
            let having = if self.rng.pct(50) {
                format!("count(*) > {}", self.rng.range(0, 3))
            } else {
                let agg = self.aggregate_call(&from.scope);
                format!("{agg} IS NOT NULL")
            };
            sql.push_str(&format!(" HAVING {having}"));
        }
        if !keys.is_empty() && self.rng.pct(25) {
            // Ordered by every output column: a total order on the groups.
            let ordinals: Vec<String> = (1..=list.len())
                .map(|k| format!("{k}{}", self.direction()))
                .collect();
            let limit = self.rng.range(0, 6);
            sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", ordinals.join(", ")));
        }
        sql
    }

    /// A window function call over table alias `a`.
    fn window_call(&mut self, scope: &[ColRef]) -> String {
        let partition = if self.rng.pct(60) {
            format!("PARTITION BY {} ", self.group_key(scope))
        } else {
            String::new()
        };
        let key_ty = *self.rng.pick(&KEY_TYPES);
        let key = self.exprs(scope, key_ty, 0).sql;
        let arg_ty = self.any_type();
        let arg = self.typed(scope, arg_ty, 1).sql;
        let number = *self.rng.pick(&[Ty::Int, Ty::Float, Ty::Numeric]);
        let num_arg = self.typed(scope, number, 1).sql;
        match self.rng.below(10) {
            0 => format!("row_number() OVER ({partition}ORDER BY {key}, a.id)"),
            1 => {
                let f = *self.rng.pick(&["rank", "dense_rank"]);
                format!("{f}() OVER ({partition}ORDER BY {key}{})", self.direction())
            }
            2 => format!(
                "ntile({}) OVER ({partition}ORDER BY {key}, a.id)",
                self.rng.range(1, 4)
            ),
            3 => {
                let f = *self.rng.pick(&["lag", "lead"]);
                let offset = if self.rng.pct(50) { ", 2" } else { "" };
                format!("{f}({arg}{offset}) OVER ({partition}ORDER BY a.id)")
            }
            4 => format!("first_value({arg}) OVER ({partition}ORDER BY {key}, a.id)"),
            5 => {
                let f = *self.rng.pick(&["sum", "count", "avg", "max"]);
                format!("{f}({num_arg}) OVER ({partition})")
            }
            6 => format!("sum({num_arg}) OVER ({partition}ORDER BY a.id)"),
            7 => format!(
                "sum({num_arg}) OVER ({partition}ORDER BY a.id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)"
            ),
            8 => {
                let f = *self.rng.pick(&["last_value", "nth_value"]);
                let nth = if f == "nth_value" { ", 2" } else { "" };
                format!(
                    "{f}({arg}{nth}) OVER ({partition}ORDER BY a.id ROWS BETWEEN UNBOUNDED \
                     PRECEDING AND UNBOUNDED FOLLOWING)"
                )
            }
            _ => format!(
                "count(*) OVER ({partition}ORDER BY a.j RANGE BETWEEN 1 PRECEDING AND CURRENT ROW)"
            ),
        }
    }

    fn window(&mut self) -> String {
        let from = self.from(1);
        let mut list = vec!["a.id".to_owned()];
        if self.rng.pct(50) {
            let ty = self.any_type();
            list.push(self.exprs(&from.scope, ty, 1).sql);
        }
        for _ in 0..self.rng.range(1, 2) {
            list.push(self.window_call(&from.scope));
        }
        let filter = self.where_clause(&from.scope, 40, 2);
        format!("SELECT {} FROM {}{filter}", list.join(", "), from.sql)
    }

    fn subquery(&mut self) -> String {
        let outer = self.from(1);
        let inner_table = self.table();
        let inner_cols = columns_of("b");
        let mut both = inner_cols.clone();
        both.extend(outer.scope.iter().cloned());
        let inner_filter = |b: &mut Self, correlated: bool| {
            let scope = if correlated { &both } else { &inner_cols };
            b.where_clause(scope, 60, 1)
        };
        let predicate = match self.rng.below(5) {
            0 | 1 => {
                let (col, ty) = *self.rng.pick(&[
                    ("i", Ty::Int),
                    ("j", Ty::Int),
                    ("s", Ty::Text),
                    ("d", Ty::Date),
                ]);
                let probe = self.exprs(&outer.scope, ty, 1).sql;
                let correlated = self.rng.pct(30);
                let filter = inner_filter(self, correlated);
                let not = if self.rng.pct(40) { "NOT " } else { "" };
                format!("{probe} {not}IN (SELECT b.{col} FROM {inner_table} b{filter})")
            }
            2 | 3 => {
                let not = if self.rng.pct(40) { "NOT " } else { "" };
                let extra = if self.rng.pct(60) {
                    format!(" AND {}", self.exprs(&both, Ty::Bool, 1).sql)
                } else {
                    String::new()
                };
                format!("{not}EXISTS (SELECT 1 FROM {inner_table} b WHERE b.j = a.j{extra})")
            }
            _ => {
                let ty = *self.rng.pick(&[Ty::Int, Ty::Float, Ty::Numeric]);
                let probe = self.exprs(&outer.scope, ty, 1).sql;
                let f = *self.rng.pick(&["max", "min", "avg", "sum"]);
                let col = *self.rng.pick(&["i", "f", "n"]);
                let correlated = if self.rng.pct(50) {
                    " WHERE b.j = a.j"
                } else {
                    ""
                };
                let op = *self.rng.pick(&["<", ">=", "="]);
                format!("{probe} {op} (SELECT {f}(b.{col}) FROM {inner_table} b{correlated})")
            }
        };
        let mut list = vec!["a.id".to_owned()];
        let ty = self.any_type();
        list.push(self.exprs(&outer.scope, ty, 1).sql);
        if self.rng.pct(40) {
            let scalar = match self.rng.below(5) {
                0 | 1 => format!("(SELECT count(*) FROM {inner_table} b WHERE b.i < a.i)"),
                2 | 3 => format!("(SELECT max(b.s) FROM {inner_table} b WHERE b.j = a.j)"),
                // One row by its own ORDER BY … LIMIT 1; now and then several (21000).
                _ if self.rng.pct(80) => format!(
                    "(SELECT b.n FROM {inner_table} b WHERE b.j = a.j ORDER BY b.id DESC LIMIT 1)"
                ),
                _ => format!("(SELECT b.n FROM {inner_table} b WHERE b.id = a.j + 1 OR b.id = 2)"),
            };
            list.push(scalar);
        }
        let extra = if self.rng.pct(40) {
            format!(" AND {}", self.exprs(&outer.scope, Ty::Bool, 1).sql)
        } else {
            String::new()
        };
        format!(
            "SELECT {} FROM {} WHERE ({predicate}){extra}",
            list.join(", "),
            outer.sql
        )
    }

    fn set_op(&mut self) -> String {
        let types: Vec<Ty> = (0..self.rng.range(1, 3)).map(|_| self.any_type()).collect();
        let mut sides = Vec::new();
        for _ in 0..2 {
            let from = self.from(1);
            let list: Vec<String> = types
                .iter()
                .map(|&ty| self.exprs(&from.scope, ty, 1).sql)
                .collect();
            let filter = self.where_clause(&from.scope, 60, 1);
            sides.push(format!(
                "SELECT {} FROM {}{filter}",
                list.join(", "),
                from.sql
            ));
        }
        let op = *self.rng.pick(&[
            "UNION",
            "UNION ALL",
            "INTERSECT",
            "EXCEPT",
            "INTERSECT ALL",
            "EXCEPT ALL",
        ]);
        format!("{} {op} {}", sides[0], sides[1])
    }

    fn distinct(&mut self) -> String {
        let from = self.from(1);
        if self.rng.pct(50) {
            let n = self.rng.range(1, 3) as u64;
            let list = self.select_list(&from.scope, n, 1);
            let filter = self.where_clause(&from.scope, 50, 2);
            return format!(
                "SELECT DISTINCT {} FROM {}{filter}",
                Self::joined(&list),
                from.sql
            );
        }
        // A derived table: its columns are the outer query's scope. Each refers to a column:
        // PostgreSQL inlines the derived table (or CTE) and evaluates a constant column's
        // expression when it plans, errors included (see `expr`'s `constant_safe`).
        let n = self.rng.range(1, 3) as u64;
        let list: Vec<(Ty, Expr)> = self
            .select_list(&from.scope, n, 2)
            .into_iter()
            .map(|(ty, e)| match e.has_col {
                true => (ty, e),
                false => {
                    let mut g = ExprGen {
                        rng: self.rng,
                        scope: &from.scope,
                    };
                    (ty, g.column(ty).unwrap_or(e))
                }
            })
            .collect();
        let inner_filter = self.where_clause(&from.scope, 50, 1);
        let named: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(k, (_, e))| format!("{} AS c{k}", e.sql))
            .collect();
        let scope: Vec<ColRef> = list
            .iter()
            .enumerate()
            .map(|(k, (ty, _))| ColRef {
                sql: format!("x.c{k}"),
                ty: *ty,
            })
            .collect();
        let count = self.rng.range(1, 2) as u64;
        let outer = self.select_list(&scope, count, 1);
        let outer_filter = self.where_clause(&scope, 60, 1);
        let inner = format!(
            "SELECT {} FROM {}{inner_filter}",
            named.join(", "),
            from.sql
        );
        let outer_list = Self::joined(&outer);
        if self.rng.pct(50) {
            format!("WITH x AS ({inner}) SELECT {outer_list} FROM x{outer_filter}")
        } else {
            format!("SELECT {outer_list} FROM ({inner}) x{outer_filter}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_deterministic_and_cover_every_shape() {
        let gen = QueryGen::new(11);
        let queries: Vec<Query> = (0..400).map(|i| gen.query(i)).collect();
        assert_eq!(queries, (0..400).map(|i| gen.query(i)).collect::<Vec<_>>());
        assert_ne!(queries[0], QueryGen::new(12).query(0));
        for (shape, _) in Shape::WEIGHTED {
            assert!(queries.iter().any(|q| q.shape == shape), "{shape:?}");
        }
        for q in &queries {
            assert!(
                q.sql.starts_with("SELECT ") || q.sql.starts_with("WITH "),
                "{}",
                q.sql
            );
            let top_limit = q.sql.contains(" LIMIT ") && !q.sql.contains(" LIMIT 1)");
            assert_eq!(top_limit, q.ordered, "{}", q.sql);
            assert!(!q.ordered || matches!(q.shape, Shape::OrderLimit | Shape::Aggregate));
            assert_eq!(
                q.sql.matches('(').count(),
                q.sql.matches(')').count(),
                "{}",
                q.sql
            );
        }
        let joins = queries.iter().filter(|q| q.sql.contains(" d ON ")).count();
        assert!(joins > 0, "no 4-table join");
    }
}
