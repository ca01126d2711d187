//! Random typed scalar expressions over the columns in scope, in the SQL both engines speak.
//!
//! [`ExprGen::expr`] builds an expression of a requested [`Ty`] to a requested depth from
//! columns, literals (typed so that PostgreSQL resolves them as covet does: a double literal is
//! a `CAST`, a `NULL` is cast to its type), operators, `CASE`, `COALESCE`, `NULLIF`, casts and
//! the string, math and date functions both engines have with the same signature. Two rules
//! keep PostgreSQL's typing equal to covet's: integer arithmetic between two column-free
//! operands casts one to `BIGINT` (PostgreSQL would do it in 32 bits), and the integer
//! arguments of `substr`, `left`, `lpad`, `date + n`, … are small literals (PostgreSQL's
//! `integer` parameters take no `bigint`). Divisors are mostly wrapped in `NULLIF(x, 0)` so that
//! division by zero (an error in both) stays one case among many.
//!
//! `constant_safe`: an operation that can fail on its input (`/`, `%`, `mod`, `sqrt`, a cast of
//! text to `bigint`) never gets a constant input that makes it fail: a constant divisor is
//! always `NULLIF(x, 0)`, a constant `sqrt` argument is `abs(x)`, a constant text cast to
//! `bigint` is of digits. PostgreSQL evaluates constant subexpressions when it plans, so it
//! raises their errors even when no row would evaluate them; covet's constant folding never
//! raises (DESIGN.md), so it raises them only for a row that evaluates them. That accepted
//! difference (`query/COMPAT.md`) is left out; errors that come from the data stay in.

use super::rng::Rng;
use super::schema::{self, Ty};

/// A column in scope: its qualified name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColRef {
    /// The SQL that names it (`a.i`).
    pub sql: String,
    /// Its type.
    pub ty: Ty,
}

/// A generated expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// Its SQL text (parenthesized where it is not atomic).
    pub sql: String,
    /// Whether it refers to a column (so it is not a constant).
    pub has_col: bool,
}

impl Expr {
    fn lit(sql: impl Into<String>) -> Expr {
        Expr {
            sql: sql.into(),
            has_col: false,
        }
    }
}

/// Builds expressions over a scope.
pub struct ExprGen<'a> {
    /// The random stream.
    pub rng: &'a mut Rng,
    /// The columns that may be referenced.
    pub scope: &'a [ColRef],
}

/// Text patterns for LIKE.
const PATTERNS: [&str; 10] = [
    "a%", "%b%", "%c", "_b%", "%", "a_c", "ABC", "%\\%%", "%x\\_y%", "",
];

impl ExprGen<'_> {
    /// A column of type `ty`, if the scope has one.
    pub fn column(&mut self, ty: Ty) -> Option<Expr> {
        let matching: Vec<&ColRef> = self.scope.iter().filter(|c| c.ty == ty).collect();
        if matching.is_empty() {
            return None;
        }
        Some(Expr {
            sql: self.rng.pick(&matching).sql.clone(),
            has_col: true,
        })
    }

    /// A literal of `ty` (sometimes a typed NULL).
    pub fn literal(&mut self, ty: Ty) -> Expr {
        if self.rng.pct(8) {
            return Expr::lit(format!("CAST(NULL AS {})", ty.sql()));
        }
        let rng = &mut *self.rng;
        Expr::lit(match ty {
            Ty::Int => match rng.range(-20, 40) {
                v if v < 0 => format!("({v})"),
                v => v.to_string(),
            },
            Ty::Float => schema::float_literal(rng),
            Ty::Numeric => match schema::numeric_literal(rng, 1000) {
                n if n.starts_with('-') => format!("({n})"),
                n => n,
            },
            Ty::Text => schema::text_literal(rng),
            Ty::Bool => schema::bool_literal(rng),
            Ty::Date => schema::date_literal(rng),
            Ty::Timestamp => schema::timestamp_literal(rng),
        })
    }

    /// An expression of type `ty` whose type PostgreSQL knows without context: a constant is
    /// cast (a bare `'abc'` is `unknown`, which polymorphic functions such as `lag` and `min`
    /// refuse).
    pub fn typed(&mut self, ty: Ty, depth: u32) -> Expr {
        let e = self.expr(ty, depth);
        if e.has_col {
            e
        } else {
            cast(e, ty)
        }
    }

    /// A leaf: mostly a column, else a literal.
    pub fn leaf(&mut self, ty: Ty) -> Expr {
        if self.rng.pct(75) {
            if let Some(c) = self.column(ty) {
                return c;
            }
        }
        self.literal(ty)
    }

    /// An expression of type `ty`, at most `depth` operators deep.
    pub fn expr(&mut self, ty: Ty, depth: u32) -> Expr {
        if depth == 0 || self.rng.pct(30) {
            return self.leaf(ty);
        }
        let d = depth - 1;
        // The forms every type has: CASE, COALESCE, NULLIF.
        match self.rng.below(14) {
            0 => return self.case(ty, d),
            1 => {
                let (a, b) = (self.expr(ty, d), self.expr(ty, d));
                return call("COALESCE", &[a, b]);
            }
            2 if ty != Ty::Bool => {
                let (a, b) = (self.expr(ty, d), self.leaf(ty));
                return call("NULLIF", &[a, b]);
            }
            _ => {}
        }
        match ty {
            Ty::Int => self.int(d),
            Ty::Float => self.float(d),
            Ty::Numeric => self.numeric(d),
            Ty::Text => self.text(d),
            Ty::Bool => self.boolean(d),
            Ty::Date => self.date(d),
            Ty::Timestamp => self.timestamp(d),
        }
    }

    /// `CASE WHEN c THEN x [WHEN c THEN y] [ELSE z] END`, or the simple form.
    fn case(&mut self, ty: Ty, d: u32) -> Expr {
        let mut sql = String::from("CASE");
        let mut has_col = false;
        let simple = self.rng.pct(25);
        let operand_ty = *self.rng.pick(&[Ty::Int, Ty::Text]);
        if simple {
            let op = self.expr(operand_ty, d);
            has_col |= op.has_col;
            sql.push(' ');
            sql.push_str(&op.sql);
        }
        for _ in 0..self.rng.range(1, 2) {
            let when = if simple {
                self.leaf(operand_ty)
            } else {
                self.expr(Ty::Bool, d)
            };
            let then = self.expr(ty, d);
            has_col |= when.has_col || then.has_col;
            sql.push_str(&format!(" WHEN {} THEN {}", when.sql, then.sql));
        }
        if self.rng.pct(70) {
            let e = self.expr(ty, d);
            has_col |= e.has_col;
            sql.push_str(&format!(" ELSE {}", e.sql));
        }
        sql.push_str(" END");
        Expr { sql, has_col }
    }

    /// A divisor: mostly `NULLIF(x, 0)`.
    fn divisor(&mut self, ty: Ty, d: u32) -> Expr {
        let x = self.expr(ty, d);
        // A constant divisor is always guarded (see `constant_safe`).
        if self.rng.pct(80) || !x.has_col {
            let zero = match ty {
                Ty::Float => "CAST(0 AS DOUBLE PRECISION)",
                _ => "0",
            };
            call("NULLIF", &[x, Expr::lit(zero)])
        } else {
            x
        }
    }

    fn int(&mut self, d: u32) -> Expr {
        match self.rng.below(15) {
            0..=4 => {
                let op = *self.rng.pick(&["+", "-", "*", "/", "%"]);
                let mut a = self.expr(Ty::Int, d);
                let b = if op == "/" || op == "%" {
                    self.divisor(Ty::Int, d)
                } else {
                    self.expr(Ty::Int, d)
                };
                if !a.has_col && !b.has_col {
                    // Both constant: PostgreSQL would compute in 32 bits.
                    a = cast(a, Ty::Int);
                }
                binary(a, op, b)
            }
            5 => unary("-", self.expr(Ty::Int, d)),
            6 => call("abs", &[self.expr(Ty::Int, d)]),
            7 => {
                let f = *self.rng.pick(&["greatest", "least"]);
                let (a, b) = (self.expr(Ty::Int, d), self.expr(Ty::Int, d));
                call(f, &[a, b])
            }
            8 => call("length", &[self.expr(Ty::Text, d)]),
            9 => {
                // No boolean: PostgreSQL casts boolean to integer but not to bigint.
                let from = *self.rng.pick(&[Ty::Float, Ty::Numeric, Ty::Text]);
                let e = self.expr(from, d);
                if from == Ty::Text && !e.has_col {
                    // See `constant_safe`: a constant text cast is of digits.
                    cast(cast(self.literal(Ty::Int), Ty::Text), Ty::Int)
                } else {
                    cast(e, Ty::Int)
                }
            }
            10 => {
                // date - date is PostgreSQL's `integer`: made BIGINT like every integer here.
                let (a, b) = (self.expr(Ty::Date, d), self.expr(Ty::Date, d));
                cast(binary(a, "-", b), Ty::Int)
            }
            11 => {
                let field = *self.rng.pick(&["YEAR", "MONTH", "DAY"]);
                let from = *self.rng.pick(&[Ty::Date, Ty::Timestamp]);
                let e = self.expr(from, d);
                let has_col = e.has_col;
                let extract = Expr {
                    sql: format!("EXTRACT({field} FROM {})", e.sql),
                    has_col,
                };
                cast(extract, Ty::Int)
            }
            12 => {
                let (a, b) = (self.expr(Ty::Int, d), self.divisor(Ty::Int, d));
                call("mod", &[a, b])
            }
            13 => {
                let s = self.expr(Ty::Text, d);
                let needle = self.literal(Ty::Text);
                if self.rng.pct(50) {
                    Expr {
                        has_col: s.has_col,
                        sql: format!("position({} IN {})", needle.sql, s.sql),
                    }
                } else {
                    call("strpos", &[s, needle])
                }
            }
            _ => call("ascii", &[self.expr(Ty::Text, d)]),
        }
    }

    fn float(&mut self, d: u32) -> Expr {
        match self.rng.below(10) {
            0..=3 => {
                let op = *self.rng.pick(&["+", "-", "*", "/"]);
                let a = self.expr(Ty::Float, d);
                let b = if op == "/" {
                    self.divisor(Ty::Float, d)
                } else {
                    let ty = *self.rng.pick(&[Ty::Float, Ty::Float, Ty::Int]);
                    self.expr(ty, d)
                };
                binary(a, op, b)
            }
            4 => {
                let f = *self.rng.pick(&["abs", "floor", "ceil", "round", "sqrt"]);
                let arg = self.expr(Ty::Float, d);
                if f == "sqrt" && !arg.has_col {
                    // See `constant_safe`.
                    call(f, &[call("abs", &[arg])])
                } else {
                    call(f, &[arg])
                }
            }
            5 => {
                let from = *self.rng.pick(&[Ty::Int, Ty::Numeric]);
                cast(self.expr(from, d), Ty::Float)
            }
            6 => {
                let e = self.expr(Ty::Float, d);
                let p = Expr::lit(self.rng.range(0, 3).to_string());
                call("power", &[e, p])
            }
            7 => unary("-", self.expr(Ty::Float, d)),
            _ => {
                let f = *self.rng.pick(&["greatest", "least"]);
                let (a, b) = (self.expr(Ty::Float, d), self.expr(Ty::Float, d));
                call(f, &[a, b])
            }
        }
    }

    fn numeric(&mut self, d: u32) -> Expr {
        match self.rng.below(10) {
            0..=3 => {
                // Division is rarer: its result scale is a rule of its own.
                let op = *self.rng.pick(&["+", "-", "*", "+", "-", "*", "/"]);
                let a = self.expr(Ty::Numeric, d);
                let b = if op == "/" {
                    self.divisor(Ty::Numeric, d)
                } else {
                    let ty = *self.rng.pick(&[Ty::Numeric, Ty::Numeric, Ty::Int]);
                    self.expr(ty, d)
                };
                binary(a, op, b)
            }
            4 => call("abs", &[self.expr(Ty::Numeric, d)]),
            5 => {
                let f = *self.rng.pick(&["round", "trunc"]);
                let e = self.expr(Ty::Numeric, d);
                let places = Expr::lit(self.rng.range(0, 2).to_string());
                call(f, &[e, places])
            }
            6 => {
                let f = *self.rng.pick(&["floor", "ceil", "round"]);
                call(f, &[self.expr(Ty::Numeric, d)])
            }
            7 => cast(self.expr(Ty::Int, d), Ty::Numeric),
            8 => unary("-", self.expr(Ty::Numeric, d)),
            _ => {
                let f = *self.rng.pick(&["greatest", "least"]);
                let (a, b) = (self.expr(Ty::Numeric, d), self.expr(Ty::Numeric, d));
                call(f, &[a, b])
            }
        }
    }

    fn small(&mut self, lo: i64, hi: i64) -> Expr {
        Expr::lit(self.rng.range(lo, hi).to_string())
    }

    fn text(&mut self, d: u32) -> Expr {
        match self.rng.below(15) {
            12 => {
                let s = self.expr(Ty::Text, d);
                call("split_part", &[s, Expr::lit("'-'"), self.small(1, 3)])
            }
            13 => call("chr", &[self.small(65, 90)]),
            14 => call("btrim", &[self.expr(Ty::Text, d), Expr::lit("'a'")]),
            0 | 1 => {
                let (a, b) = (self.expr(Ty::Text, d), self.expr(Ty::Text, d));
                binary(a, "||", b)
            }
            2 => {
                let f = *self
                    .rng
                    .pick(&["lower", "upper", "trim", "ltrim", "rtrim", "reverse"]);
                call(f, &[self.expr(Ty::Text, d)])
            }
            3 => {
                let s = self.expr(Ty::Text, d);
                let (from, len) = (self.small(0, 4), self.small(0, 4));
                if self.rng.pct(50) {
                    call("substr", &[s, from])
                } else {
                    call("substr", &[s, from, len])
                }
            }
            4 => {
                let s = self.expr(Ty::Text, d);
                let (a, b) = (self.literal(Ty::Text), self.literal(Ty::Text));
                call("replace", &[s, a, b])
            }
            5 => {
                let f = *self.rng.pick(&["left", "right", "repeat"]);
                let s = self.expr(Ty::Text, d);
                call(f, &[s, self.small(0, 3)])
            }
            6 => {
                let f = *self.rng.pick(&["lpad", "rpad"]);
                let s = self.expr(Ty::Text, d);
                let n = self.small(0, 8);
                call(f, &[s, n, Expr::lit("'*'")])
            }
            7 => {
                let (a, b) = (self.expr(Ty::Text, d), self.expr(Ty::Text, d));
                call("concat", &[a, b])
            }
            8 => {
                let from = *self.rng.pick(&[Ty::Int, Ty::Bool, Ty::Date, Ty::Timestamp]);
                cast(self.expr(from, d), Ty::Text)
            }
            9 => {
                let from = *self.rng.pick(&[Ty::Float, Ty::Numeric]);
                cast(self.expr(from, d), Ty::Text)
            }
            _ => {
                let (a, b) = (self.expr(Ty::Text, d), self.expr(Ty::Text, d));
                call("concat_ws", &[Expr::lit("'-'"), a, b])
            }
        }
    }

    /// A comparable type for a comparison.
    fn comparable(&mut self) -> Ty {
        *self.rng.pick(&[
            Ty::Int,
            Ty::Int,
            Ty::Float,
            Ty::Numeric,
            Ty::Text,
            Ty::Text,
            Ty::Bool,
            Ty::Date,
            Ty::Timestamp,
        ])
    }

    /// A second operand for a comparison with an operand of `ty` (numbers mix).
    fn partner(&mut self, ty: Ty) -> Ty {
        if ty.is_number() && self.rng.pct(30) {
            *self.rng.pick(&[Ty::Int, Ty::Float, Ty::Numeric])
        } else {
            ty
        }
    }

    fn boolean(&mut self, d: u32) -> Expr {
        match self.rng.below(16) {
            0..=4 => {
                let ty = self.comparable();
                let a = self.expr(ty, d);
                let other = self.partner(ty);
                let b = self.expr(other, d);
                let op = *self.rng.pick(&["=", "<>", "<", "<=", ">", ">="]);
                binary(a, op, b)
            }
            5 | 6 => {
                let op = *self.rng.pick(&["AND", "OR"]);
                let (a, b) = (self.expr(Ty::Bool, d), self.expr(Ty::Bool, d));
                binary(a, op, b)
            }
            7 => unary("NOT", self.expr(Ty::Bool, d)),
            8 => {
                let ty = *self.rng.pick(&Ty::ALL);
                let e = self.expr(ty, d);
                let test = *self.rng.pick(&["IS NULL", "IS NOT NULL"]);
                postfix(e, test)
            }
            9 => {
                let ty = self.comparable();
                let a = self.expr(ty, d);
                let b = self.expr(ty, d);
                let op = *self.rng.pick(&["IS DISTINCT FROM", "IS NOT DISTINCT FROM"]);
                binary(a, op, b)
            }
            10 => {
                let ty = self.comparable();
                let e = self.expr(ty, d);
                let (lo, hi) = (self.leaf(ty), self.leaf(ty));
                let not = if self.rng.pct(25) { "NOT " } else { "" };
                Expr {
                    has_col: e.has_col || lo.has_col || hi.has_col,
                    sql: format!("({} {not}BETWEEN {} AND {})", e.sql, lo.sql, hi.sql),
                }
            }
            11 => {
                let ty = *self.rng.pick(&[Ty::Int, Ty::Text, Ty::Numeric, Ty::Date]);
                let e = self.expr(ty, d);
                let items: Vec<String> = (0..self.rng.range(1, 4))
                    .map(|_| self.literal(ty).sql)
                    .collect();
                let not = if self.rng.pct(30) { "NOT " } else { "" };
                Expr {
                    has_col: e.has_col,
                    sql: format!("({} {not}IN ({}))", e.sql, items.join(", ")),
                }
            }
            12 => {
                let e = self.expr(Ty::Text, d);
                let pattern = schema::quote(self.rng.pick::<&str>(&PATTERNS));
                let op = *self.rng.pick(&["LIKE", "NOT LIKE", "ILIKE"]);
                if self.rng.pct(20) {
                    // Another escape character: `!%` is a literal percent sign.
                    let pattern = *self.rng.pick(&["'a!%%'", "'%!_%'", "'!!%'", "'%b'"]);
                    return Expr {
                        has_col: e.has_col,
                        sql: format!("({} {op} {pattern} ESCAPE '!')", e.sql),
                    };
                }
                Expr {
                    has_col: e.has_col,
                    sql: format!("({} {op} {pattern})", e.sql),
                }
            }
            13 => {
                let e = self.expr(Ty::Bool, d);
                let test = *self
                    .rng
                    .pick(&["IS TRUE", "IS NOT TRUE", "IS FALSE", "IS NOT FALSE"]);
                postfix(e, test)
            }
            _ => self.leaf(Ty::Bool),
        }
    }

    fn date(&mut self, d: u32) -> Expr {
        match self.rng.below(4) {
            0 | 1 => {
                let e = self.expr(Ty::Date, d);
                let op = *self.rng.pick(&["+", "-"]);
                binary(e, op, self.small(0, 400))
            }
            2 => cast(self.expr(Ty::Timestamp, d), Ty::Date),
            _ => {
                let f = *self.rng.pick(&["greatest", "least"]);
                let (a, b) = (self.expr(Ty::Date, d), self.expr(Ty::Date, d));
                call(f, &[a, b])
            }
        }
    }

    fn timestamp(&mut self, d: u32) -> Expr {
        match self.rng.below(4) {
            0 => {
                let e = self.expr(Ty::Timestamp, d);
                let op = *self.rng.pick(&["+", "-"]);
                let interval = *self.rng.pick(&[
                    "INTERVAL '1 day'",
                    "INTERVAL '2 hours'",
                    "INTERVAL '1 month'",
                    "INTERVAL '90 minutes'",
                ]);
                binary(e, op, Expr::lit(interval))
            }
            1 => cast(self.expr(Ty::Date, d), Ty::Timestamp),
            2 => {
                let unit = *self.rng.pick(&["'year'", "'month'", "'day'", "'hour'"]);
                let e = self.expr(Ty::Timestamp, d);
                call("date_trunc", &[Expr::lit(unit), e])
            }
            _ => {
                let f = *self.rng.pick(&["greatest", "least"]);
                let (a, b) = (self.expr(Ty::Timestamp, d), self.expr(Ty::Timestamp, d));
                call(f, &[a, b])
            }
        }
    }
}

/// `(a op b)`.
pub fn binary(a: Expr, op: &str, b: Expr) -> Expr {
    Expr {
        sql: format!("({} {op} {})", a.sql, b.sql),
        has_col: a.has_col || b.has_col,
    }
}

/// `(op e)` (a space after the operator: `- -1` must never become the comment `--1`).
pub fn unary(op: &str, e: Expr) -> Expr {
    Expr {
        sql: format!("({} {})", op.trim_end(), e.sql),
        has_col: e.has_col,
    }
}

/// `(e test)`.
pub fn postfix(e: Expr, test: &str) -> Expr {
    Expr {
        sql: format!("({} {test})", e.sql),
        has_col: e.has_col,
    }
}

/// `f(args…)`.
pub fn call(f: &str, args: &[Expr]) -> Expr {
    let sqls: Vec<&str> = args.iter().map(|a| a.sql.as_str()).collect();
    Expr {
        sql: format!("{f}({})", sqls.join(", ")),
        has_col: args.iter().any(|a| a.has_col),
    }
}

/// `CAST(e AS ty)`.
pub fn cast(e: Expr, ty: Ty) -> Expr {
    Expr {
        sql: format!("CAST({} AS {})", e.sql, ty.sql()),
        has_col: e.has_col,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Vec<ColRef> {
        schema::COLUMNS
            .iter()
            .map(|(c, ty)| ColRef {
                sql: format!("a.{c}"),
                ty: *ty,
            })
            .collect()
    }

    #[test]
    fn expressions_are_deterministic_balanced_and_reference_the_scope() {
        let scope = scope();
        let gen = |seed| {
            let mut rng = Rng::new(seed);
            let mut g = ExprGen {
                rng: &mut rng,
                scope: &scope,
            };
            (0..50)
                .map(|k| g.expr(Ty::ALL[k % 7], 3).sql)
                .collect::<Vec<_>>()
        };
        let a = gen(1);
        assert_eq!(a, gen(1));
        assert_ne!(a, gen(2));
        for sql in &a {
            let opens = sql.matches('(').count();
            assert_eq!(opens, sql.matches(')').count(), "{sql}");
            assert!(!sql.contains("--"), "{sql}");
        }
        assert!(a.iter().any(|s| s.contains("a.")));
    }

    #[test]
    fn constant_integer_arithmetic_is_done_in_bigint() {
        let mut rng = Rng::new(3);
        let mut g = ExprGen {
            rng: &mut rng,
            scope: &[],
        };
        let (a, b) = (Expr::lit("2"), Expr::lit("3"));
        assert_eq!(
            binary(cast(a, Ty::Int), "*", b).sql,
            "(CAST(2 AS BIGINT) * 3)"
        );
        let mut arithmetic = 0;
        for _ in 0..500 {
            let e = g.int(1);
            assert!(!e.has_col);
            if [" + ", " - ", " * ", " / ", " % "]
                .iter()
                .any(|op| e.sql.contains(op))
            {
                arithmetic += 1;
                assert!(e.sql.contains("AS BIGINT)"), "{}", e.sql);
            }
        }
        assert!(arithmetic > 50);
    }

    #[test]
    fn constant_inputs_of_failing_operations_are_safe() {
        let mut rng = Rng::new(8);
        let mut g = ExprGen {
            rng: &mut rng,
            scope: &[],
        };
        let (mut divisions, mut roots) = (0, 0);
        for k in 0..3000 {
            let e = g.expr(Ty::ALL[k % 3], 3).sql;
            for op in [" / ", " % "] {
                for (at, _) in e.match_indices(op) {
                    divisions += 1;
                    assert!(e[at + 3..].starts_with("NULLIF("), "{e}");
                }
            }
            for (at, _) in e.match_indices("sqrt(") {
                roots += 1;
                assert!(e[at + 5..].starts_with("abs("), "{e}");
            }
        }
        assert!(
            divisions > 20 && roots > 5,
            "{divisions} divisions, {roots} roots"
        );
    }
}
