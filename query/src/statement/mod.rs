//! Statements: parsing one statement, classifying it, and running it with the
//! session's transaction (dispatch by kind to `control.rs`, `utility.rs`, the DDL and
//! DML modules and the query path).
//!
//! Every statement other than transaction control runs in the failed-block check
//! (25P02) and marks the block failed when it errors. A statement that writes runs
//! under [`Transaction::begin_write`](crate::txn::Transaction::begin_write) /
//! `end_write`: its own transaction outside a block, a savepoint inside one, so that
//! it is atomic either way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use covet_engine::value::Value;
use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::error::{QueryError, Result, SqlState};
use crate::session::{Column, CommandTag, Outcome, RowStream, Session};
use crate::types::DataType;

mod control;
pub(crate) mod names;
pub(crate) mod query;
mod utility;

/// What kind of statement it is, for dispatch and for the failed-block rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK TO, SET TRANSACTION.
    Control,
    /// SET / SHOW / RESET.
    Setting,
    /// A query: SELECT, VALUES, WITH, set operations.
    Query,
    /// EXPLAIN [ANALYZE].
    Explain,
    /// Writes the database (DDL, DML, ANALYZE).
    Write,
    /// VACUUM (its own transaction, outside blocks only).
    Vacuum,
    /// REINDEX (covet's indexes never need rebuilding: it checks the name and does
    /// nothing). sqlparser has no REINDEX: the target is in `PreparedInner::special`.
    Reindex,
}

/// A statement sqlparser does not parse, read by covet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Special {
    /// REINDEX.
    Reindex(ReindexTarget),
    /// SQLite's CREATE TRIGGER.
    CreateTrigger(crate::ddl::trigger::CreateTrigger),
    /// DROP TRIGGER.
    DropTrigger(crate::ddl::trigger::DropTrigger),
}

/// What REINDEX names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReindexTarget {
    /// Bare REINDEX (SQLite): every index.
    All,
    /// `REINDEX TABLE t`.
    Table(String),
    /// `REINDEX INDEX i`.
    Index(String),
    /// SQLite's `REINDEX name`: a table or an index.
    Either(String),
}

/// A prepared statement's state (shared by the clones of a [`Prepared`](crate::Prepared)
/// and by the plan cache).
pub(crate) struct PreparedInner {
    pub sql: String,
    /// The statement (for the statements sqlparser does not parse, an empty COMMIT
    /// that nothing reads: `special` holds them).
    pub ast: Statement,
    /// A statement covet reads itself (REINDEX, CREATE/DROP TRIGGER).
    pub special: Option<Special>,
    pub kind: Kind,
    pub columns: Vec<Column>,
    pub param_types: Vec<DataType>,
    pub returns_rows: bool,
    /// A query's plan, with the schema it was made for.
    pub plan: query::PlanSlot,
    /// An INSERT bound against the committed schema of this cookie (reused by its
    /// executions while the cookie stays).
    pub insert: Mutex<Option<(u64, Arc<crate::dml::BoundInsert>)>>,
    /// An UPDATE or DELETE bound and planned against the committed schema of this
    /// cookie (reused as `insert` is).
    pub change: Mutex<Option<(u64, Arc<crate::dml::BoundChange>)>>,
}

impl PreparedInner {
    /// Whether the plan cache keeps it: statements that run often with the same text
    /// (DML and queries), not DDL or transaction control.
    pub fn cacheable(&self) -> bool {
        matches!(
            self.ast,
            Statement::Insert(_)
                | Statement::Update(_)
                | Statement::Delete(_)
                | Statement::Query(_)
        )
    }
}

/// The per-database plan cache, keyed by SQL text. A cached statement checks the
/// schema cookie when it runs and re-plans itself, so DDL never leaves a stale plan in
/// use; the cache holds at most [`PlanCache::CAPACITY`] statements.
#[derive(Default)]
pub(crate) struct PlanCache {
    entries: Mutex<HashMap<String, Arc<PreparedInner>>>,
}

impl PlanCache {
    /// Most statements kept; past it the cache starts over (the statements that run
    /// often come back at once).
    pub const CAPACITY: usize = 512;

    pub fn get(&self, sql: &str) -> Option<Arc<PreparedInner>> {
        self.lock().get(sql).cloned()
    }

    pub fn put(&self, sql: &str, stmt: Arc<PreparedInner>) {
        let mut entries = self.lock();
        if entries.len() >= Self::CAPACITY {
            entries.clear();
        }
        entries.insert(sql.to_string(), stmt);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<PreparedInner>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// sqlparser's recursion limit. Its default, 50, counts several levels per nested
/// parenthesis and refuses a WHERE clause of 20-odd nested parentheses (the SQLite
/// corpus has 28), far below the expression layer's own bound of 256 levels (54001).
/// 200 still parses, binds and runs within a 2 MiB thread stack (sql-slt's
/// tests/tests/parser_depth.rs checks it).
const PARSER_RECURSION_LIMIT: usize = 200;

/// Parses `sql` as exactly one statement (42601 for none, several, or bad syntax).
pub(crate) fn parse_one(sql: &str) -> Result<Statement> {
    if starts_with_words(sql, &["create", "trigger"])
        || starts_with_words(sql, &["drop", "trigger"])
    {
        // Read by `ddl::trigger` (see `prepare`); not a statement sqlparser knows.
        return Err(QueryError::unsupported(
            "CREATE/DROP TRIGGER inside another statement",
        ));
    }
    // SQLite's REPLACE INTO is INSERT OR REPLACE INTO; the PostgreSQL dialect only
    // parses the latter.
    let rewritten;
    let text = if starts_with_words(sql, &["replace"]) {
        let skip = sql.len() - sql.trim_start().len() + "replace".len();
        rewritten = format!("INSERT OR REPLACE{}", &sql[skip..]);
        rewritten.as_str()
    } else {
        sql
    };
    let mut stmts = Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(PARSER_RECURSION_LIMIT)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| {
            if has_frame_exclusion(text) {
                // sqlparser does not parse it; name the feature rather than a token.
                QueryError::unsupported("EXCLUDE in a window frame")
            } else if has_question_mark(text) {
                question_mark_unsupported()
            } else {
                QueryError::syntax(parser_message(e))
            }
        })?;
    match stmts.len() {
        1 => Ok(stmts.remove(0)),
        0 => Err(QueryError::syntax("empty statement")),
        n => Err(QueryError::syntax(format!(
            "a prepared statement holds one statement, not {n}"
        ))),
    }
}

/// Whether `sql` has a bare `?` outside strings, identifiers and comments. SQLite's
/// positional parameter cannot be read: the PostgreSQL dialect tokenizes `?` as the
/// jsonb key-exists operator, so `a = ?` does not parse (COMPAT.md, parameters).
fn has_question_mark(sql: &str) -> bool {
    Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize()
        .is_ok_and(|tokens| tokens.iter().any(|t| matches!(t, Token::Question)))
}

fn question_mark_unsupported() -> QueryError {
    QueryError::unsupported("positional parameters `?`")
        .with_hint("Number the parameters: $1, $2, …")
}

fn parser_message(e: sqlparser::parser::ParserError) -> String {
    match e {
        sqlparser::parser::ParserError::ParserError(m)
        | sqlparser::parser::ParserError::TokenizerError(m) => m,
        sqlparser::parser::ParserError::RecursionLimitExceeded => {
            "statement nested too deeply".to_string()
        }
    }
}

/// Whether the first words of `sql` (past blanks and comments) are `words`, in any case.
fn starts_with_words(sql: &str, words: &[&str]) -> bool {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return false;
    };
    let mut seen = tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_)));
    words.iter().all(|w| match seen.next() {
        Some(Token::Word(word)) => word.quote_style.is_none() && word.value.eq_ignore_ascii_case(w),
        _ => false,
    })
}

/// Whether `sql` has a window frame's EXCLUDE clause: a frame bound's last word
/// (`ROW`, `PRECEDING`, `FOLLOWING`) then `EXCLUDE CURRENT ROW | GROUP | TIES | NO
/// OTHERS`, as tokens (so not inside a string or a comment).
fn has_frame_exclusion(sql: &str) -> bool {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return false;
    };
    let words: Vec<Option<String>> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .map(|t| match t {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        })
        .collect();
    let word = |i: usize| words.get(i).and_then(|w| w.as_deref());
    (1..words.len()).any(|i| {
        matches!(word(i - 1), Some("ROW" | "PRECEDING" | "FOLLOWING"))
            && word(i) == Some("EXCLUDE")
            && match word(i + 1) {
                Some("CURRENT") => word(i + 2) == Some("ROW"),
                Some("GROUP" | "TIES") => true,
                Some("NO") => word(i + 2) == Some("OTHERS"),
                _ => false,
            }
    })
}

/// The number of parameters `$1…$n` the text uses (the highest `n`).
fn count_params(sql: &str) -> Result<usize> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize()
        .map_err(|e| QueryError::syntax(e.to_string()))?;
    let mut n = 0;
    for t in tokens {
        if let Token::Placeholder(p) = t {
            if let Some(k) = p.strip_prefix('$').and_then(|d| d.parse::<usize>().ok()) {
                n = n.max(k);
            }
        }
    }
    Ok(n)
}

/// Prepares one statement for `session`.
/// REINDEX [TABLE | INDEX] [name], if `sql` is one.
fn parse_reindex(sql: &str) -> Result<Option<ReindexTarget>> {
    if !starts_with_words(sql, &["reindex"]) {
        return Ok(None);
    }
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize()
        .map_err(|e| QueryError::syntax(e.to_string()))?;
    let words: Vec<String> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::SemiColon))
        .skip(1)
        .map(|t| match t {
            Token::Word(w) => Ok(names::ident(&sqlparser::ast::Ident {
                value: w.value.clone(),
                quote_style: w.quote_style,
                span: sqlparser::tokenizer::Span::empty(),
            })),
            other => Err(QueryError::syntax(format!(
                "syntax error at or near \"{other}\" in REINDEX"
            ))),
        })
        .collect::<Result<_>>()?;
    let kind = |w: &str| {
        tokens.iter().any(|t| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w)))
    };
    Ok(Some(match words.as_slice() {
        [] => ReindexTarget::All,
        [name] => ReindexTarget::Either(name.clone()),
        [_, name] if kind("table") => ReindexTarget::Table(name.clone()),
        [_, name] if kind("index") => ReindexTarget::Index(name.clone()),
        _ => return Err(QueryError::unsupported(format!("REINDEX form {sql}"))),
    }))
}

pub(crate) fn prepare(session: &mut Session, sql: &str) -> Result<PreparedInner> {
    let special = if let Some(target) = parse_reindex(sql)? {
        Some((Kind::Reindex, Special::Reindex(target)))
    } else if starts_with_words(sql, &["create", "trigger"])
        || starts_with_words(sql, &["create", "temp", "trigger"])
        || starts_with_words(sql, &["create", "temporary", "trigger"])
    {
        Some((
            Kind::Write,
            Special::CreateTrigger(crate::ddl::trigger::parse_create(sql)?),
        ))
    } else if starts_with_words(sql, &["drop", "trigger"]) {
        Some((
            Kind::Write,
            Special::DropTrigger(crate::ddl::trigger::parse_drop(sql)?),
        ))
    } else {
        None
    };
    if let Some((kind, special)) = special {
        session.txn.check_not_failed()?;
        return Ok(PreparedInner {
            sql: sql.to_string(),
            ast: Statement::Commit {
                chain: false,
                end: false,
                modifier: None,
            },
            special: Some(special),
            kind,
            columns: Vec::new(),
            param_types: Vec::new(),
            returns_rows: false,
            plan: query::PlanSlot::default(),
            insert: Mutex::new(None),
            change: Mutex::new(None),
        });
    }
    let ast = parse_one(sql)?;
    let kind = classify(&ast)?;
    if kind != Kind::Control {
        // In a failed block only ROLLBACK (or COMMIT) is accepted: refuse before binding,
        // so that the error is 25P02 and not what binding would find.
        session.txn.check_not_failed()?;
    }
    let mut param_types = vec![DataType::Unknown; count_params(sql)?];
    if let Statement::Query(q) = &ast {
        let reader = session.txn.peek_reader()?;
        let (catalog, key) = query::catalog(session.engine(), &reader)?;
        let (plan, types) = query::plan(q, &catalog)?;
        for (slot, ty) in param_types.iter_mut().zip(types) {
            *slot = ty;
        }
        return Ok(PreparedInner {
            sql: sql.to_string(),
            columns: plan.columns.clone(),
            ast,
            special: None,
            kind,
            param_types,
            returns_rows: true,
            plan: query::PlanSlot::with(query::CachedPlan {
                key,
                plan: Arc::new(plan),
            }),
            insert: Mutex::new(None),
            change: Mutex::new(None),
        });
    }
    if let Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) = &ast {
        // Bound once here for the statement's description (RETURNING columns and
        // parameter types); bound again at each execution, against the schema then.
        let reader = session.txn.peek_reader()?;
        let (catalog, key) = query::catalog(session.engine(), &reader)?;
        // An UPDATE or DELETE bound here over a committed schema is its first
        // execution's too. A view's INSTEAD OF triggers are found when it runs.
        let on_view = |e: QueryError| match crate::trigger::targets_view(&ast, &catalog) {
            true => Ok(Vec::new()),
            false => Err(e),
        };
        let mut change = None;
        let columns = match &ast {
            Statement::Insert(i) => {
                crate::dml::describe_insert(i, &catalog, &mut param_types).or_else(on_view)?
            }
            _ => match crate::dml::BoundChange::bind(&ast, &catalog, &mut param_types) {
                Ok(bound) => {
                    let columns = bound.columns();
                    change = key.map(|k| (k, Arc::new(bound)));
                    columns
                }
                Err(e) => on_view(e)?,
            },
        };
        let returns_rows = match &ast {
            Statement::Insert(i) => i.returning.is_some(),
            Statement::Update(u) => u.returning.is_some(),
            Statement::Delete(d) => d.returning.is_some(),
            _ => false,
        };
        return Ok(PreparedInner {
            sql: sql.to_string(),
            ast,
            special: None,
            kind,
            columns,
            param_types,
            returns_rows,
            plan: query::PlanSlot::default(),
            insert: Mutex::new(None),
            change: Mutex::new(change),
        });
    }
    let (columns, returns_rows) = match (&ast, kind) {
        (Statement::Explain { .. }, _) => (
            vec![Column {
                name: "QUERY PLAN".into(),
                ty: DataType::Text,
            }],
            true,
        ),
        (Statement::ShowVariable { variable }, _) => (utility::show_columns(variable), true),
        _ => (Vec::new(), false),
    };
    Ok(PreparedInner {
        sql: sql.to_string(),
        ast,
        special: None,
        kind,
        columns,
        param_types,
        returns_rows,
        plan: query::PlanSlot::default(),
        insert: Mutex::new(None),
        change: Mutex::new(None),
    })
}

/// The kind of `stmt`, or 0A000 for statements covet does not run.
fn classify(stmt: &Statement) -> Result<Kind> {
    use Statement as S;
    Ok(match stmt {
        S::StartTransaction { .. }
        | S::Commit { .. }
        | S::Rollback { .. }
        | S::Savepoint { .. }
        | S::ReleaseSavepoint { .. } => Kind::Control,
        S::Set(sqlparser::ast::Set::SetTransaction { .. }) => Kind::Control,
        S::Set(_) | S::ShowVariable { .. } => Kind::Setting,
        S::Vacuum(_) => Kind::Vacuum,
        S::Query(_) => Kind::Query,
        S::Explain { .. } => Kind::Explain,
        S::CreateTable(_)
        | S::CreateIndex(_)
        | S::Drop { .. }
        | S::Truncate(_)
        | S::Insert(_)
        | S::Update(_)
        | S::Delete(_)
        | S::Analyze(_)
        | S::AlterTable(_)
        | S::CreateView(_) => Kind::Write,
        other => {
            let text = other.to_string();
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            return Err(QueryError::unsupported(format!(
                "statement {}",
                words.join(" ")
            )));
        }
    })
}

fn check_params(stmt: &PreparedInner, params: &[Value]) -> Result<()> {
    let wanted = stmt.param_types.len();
    if params.len() < wanted {
        return Err(QueryError::new(
            SqlState::UNDEFINED_PARAMETER,
            format!("there is no parameter ${}", params.len() + 1),
        ));
    }
    if params.len() > wanted {
        return Err(QueryError::new(
            SqlState::UNDEFINED_PARAMETER,
            format!(
                "bind message supplies {} parameters, but prepared statement requires {wanted}",
                params.len()
            ),
        ));
    }
    Ok(())
}

/// Runs `stmt` with `params` in `session`.
pub(crate) fn execute(
    session: &mut Session,
    stmt: &PreparedInner,
    params: &[Value],
) -> Result<Outcome> {
    if stmt.kind == Kind::Control {
        return control::run(session, &stmt.ast);
    }
    session.txn.check_not_failed()?;
    let deadline = session
        .settings
        .statement_timeout()
        .map(|t| std::time::Instant::now() + t);
    let result = crate::exec::with_statement_deadline(deadline, || {
        check_params(stmt, params).and_then(|()| run(session, stmt, params))
    });
    if result.is_err() {
        session.txn.mark_failed();
    }
    result
}

fn run(session: &mut Session, stmt: &PreparedInner, params: &[Value]) -> Result<Outcome> {
    #[cfg(test)]
    injected_panic(InjectedPanic::BeforeRun);
    match stmt.kind {
        Kind::Control => control::run(session, &stmt.ast),
        Kind::Setting => utility::run_setting(session, &stmt.ast),
        Kind::Reindex => {
            let reader = session.txn.reader()?;
            let target = match &stmt.special {
                Some(Special::Reindex(t)) => Some(t),
                _ => None,
            };
            reader.with_tables(|t| utility::reindex(t, target))?;
            Ok(done("REINDEX", None))
        }
        Kind::Vacuum => {
            session.txn.vacuum()?;
            Ok(done("VACUUM", None))
        }
        Kind::Write => run_write(session, stmt, params),
        Kind::Query => run_query(session, stmt, params),
        Kind::Explain => run_explain(session, stmt, params),
    }
}

/// Runs a query: a stream through the reader the isolation level gives.
fn run_query(session: &mut Session, stmt: &PreparedInner, params: &[Value]) -> Result<Outcome> {
    let Statement::Query(q) = &stmt.ast else {
        return Err(QueryError::internal("a query kind without a query"));
    };
    let reader = session.txn.reader()?;
    let key = reader.catalog_key()?;
    let engine = session.engine().clone();
    let plan = stmt.plan.get_or_plan(key, || {
        let (catalog, _) = query::catalog(&engine, &reader)?;
        Ok(query::plan(q, &catalog)?.0)
    })?;
    let fail_mark = session.txn.in_block().then(|| session.txn.slot());
    let stream = query::stream(plan, reader, params, session.work_mem(), fail_mark)?;
    Ok(Outcome::Rows(stream))
}

/// Runs EXPLAIN [ANALYZE] [(FORMAT TEXT|JSON)].
fn run_explain(session: &mut Session, stmt: &PreparedInner, params: &[Value]) -> Result<Outcome> {
    let Statement::Explain {
        analyze,
        statement,
        format,
        options,
        verbose,
        ..
    } = &stmt.ast
    else {
        return Err(QueryError::internal("an EXPLAIN kind without EXPLAIN"));
    };
    let mut json = matches!(
        format,
        Some(sqlparser::ast::AnalyzeFormatKind::Keyword(
            sqlparser::ast::AnalyzeFormat::JSON
        )) | Some(sqlparser::ast::AnalyzeFormatKind::Assignment(
            sqlparser::ast::AnalyzeFormat::JSON
        ))
    );
    let mut analyze = *analyze;
    for opt in options.iter().flatten() {
        let name = opt.name.value.to_ascii_lowercase();
        let arg = opt.arg.as_ref().map(|a| a.to_string().to_ascii_lowercase());
        match (name.as_str(), arg.as_deref()) {
            ("format", Some("json")) => json = true,
            ("format", Some("text")) => json = false,
            ("analyze", None | Some("true") | Some("on")) => analyze = true,
            ("analyze", Some("false") | Some("off")) => analyze = false,
            ("verbose" | "costs", _) => {}
            _ => return Err(QueryError::unsupported(format!("EXPLAIN option {opt}"))),
        }
    }
    let _ = verbose;
    if analyze && !matches!(statement.as_ref(), Statement::Query(_)) {
        return Err(QueryError::unsupported(
            "EXPLAIN ANALYZE of a statement that writes",
        ));
    }
    let reader = session.txn.reader()?;
    let (catalog, _) = query::catalog(session.engine(), &reader)?;
    let mut lines = query::explain_lines(statement, &catalog)?;
    if let (true, Statement::Query(q)) = (analyze, statement.as_ref()) {
        let (plan, _) = query::plan(q, &catalog)?;
        let mut running = query::Running::new(&plan, params, session.work_mem())?;
        let mut rows = 0u64;
        while let Some(batch) = running.next(&reader)? {
            rows += batch.len() as u64;
        }
        lines.push(format!("Actual rows: {rows}"));
    }
    let rows = if json {
        let items: Vec<String> = lines.iter().map(|l| json_string(l)).collect();
        vec![vec![Value::Text(format!(
            "[{{\"Plan\": [{}]}}]",
            items.join(", ")
        ))]]
    } else {
        lines.into_iter().map(|l| vec![Value::Text(l)]).collect()
    };
    Ok(Outcome::Rows(RowStream::materialized(
        stmt.columns.clone(),
        rows,
    )))
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Runs a writing statement under the transaction's write scope.
fn run_write(session: &mut Session, stmt: &PreparedInner, params: &[Value]) -> Result<Outcome> {
    let scope = session.txn.begin_write()?;
    // A panic (a bug) ends the scope as a failed statement: rolled back, never left
    // holding the writer lock.
    let result = crate::error::catch_panic(|| write_in_scope(session, stmt, params));
    // A trigger's RAISE(FAIL) keeps the statement's earlier changes; its
    // RAISE(ROLLBACK) ends the whole block (see `trigger/raise.rs`).
    let keep = match &result {
        Ok(_) => true,
        Err(e) => crate::trigger::keeps_changes(e),
    };
    session.txn.end_write(scope, keep)?;
    if result.as_ref().is_err_and(crate::trigger::rolls_back) {
        session.txn.rollback();
    }
    result
}

/// Test hook: where the next statement of this thread panics, standing in for a bug.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InjectedPanic {
    /// In a writing statement, after its changes.
    AfterWrite,
    /// In any statement, before it runs.
    BeforeRun,
}

#[cfg(test)]
thread_local! {
    pub(crate) static INJECTED_PANIC: std::cell::Cell<Option<InjectedPanic>> =
        const { std::cell::Cell::new(None) };
}

/// Panics if the test hook asks for a panic at `point` (taking the request).
#[cfg(test)]
fn injected_panic(point: InjectedPanic) {
    if INJECTED_PANIC.with(|p| p.get()) == Some(point) {
        INJECTED_PANIC.with(|p| p.set(None));
        panic!("injected panic ({point:?})");
    }
}

/// The body of a writing statement, inside its write scope.
fn write_in_scope(
    session: &mut Session,
    stmt: &PreparedInner,
    params: &[Value],
) -> Result<Outcome> {
    let now = crate::dml::now_micros();
    let needs_catalog = match &stmt.ast {
        Statement::Update(_) | Statement::Delete(_) => true,
        Statement::Insert(i) => crate::dml::has_query_source(i),
        Statement::CreateTable(ct) => ct.query.is_some(),
        _ => false,
    };
    let catalog = match needs_catalog {
        true => Some(query::catalog(session.engine(), &session.txn.write_reader())?.0),
        false => None,
    };
    let work_mem = session.work_mem();
    // A bound INSERT, UPDATE or DELETE is reused only over a committed schema (see
    // `query.rs`).
    let insert_key = match &stmt.ast {
        Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
            session.txn.write_reader().catalog_key()?
        }
        _ => None,
    };
    match &stmt.special {
        Some(Special::CreateTrigger(t)) => {
            return session.txn.with_write(|w| {
                crate::ddl::trigger::create(w, t)?;
                Ok(done("CREATE TRIGGER", None))
            })
        }
        Some(Special::DropTrigger(t)) => {
            return session.txn.with_write(|w| {
                crate::ddl::trigger::drop(w, t)?;
                Ok(done("DROP TRIGGER", None))
            })
        }
        _ => {}
    }
    session.txn.with_write(|w| {
        let mut param_types = stmt.param_types.clone();
        let dml = match (&stmt.ast, &catalog) {
            (Statement::Insert(i), c) => {
                let mut slot = stmt.insert.lock().unwrap_or_else(|p| p.into_inner());
                let bound = match (&*slot, insert_key) {
                    (Some((k, b)), Some(key)) if *k == key => b.clone(),
                    _ => {
                        let b = match crate::dml::bind_insert(w, i, c.as_deref(), &mut param_types)
                        {
                            Ok(b) => Arc::new(b),
                            Err(e) if e.code == SqlState::UNDEFINED_TABLE => {
                                // A view, through its INSTEAD OF triggers.
                                let catalog = crate::catalog::Catalog::load(&*w)?;
                                let env = crate::dml::DmlEnv {
                                    params,
                                    time_micros: now,
                                    work_mem,
                                };
                                match crate::trigger::instead_of(w, &stmt.ast, &catalog, &env)? {
                                    Some(r) => return Ok(done("INSERT", Some(r.count))),
                                    None => return Err(e),
                                }
                            }
                            Err(e) => return Err(e),
                        };
                        if let Some(key) = insert_key {
                            *slot = Some((key, b.clone()));
                        }
                        b
                    }
                };
                drop(slot);
                crate::dml::run_insert(w, &bound, params, now, work_mem)?
            }
            (Statement::CreateTable(ct), Some(c)) if ct.query.is_some() => {
                return crate::ddl::create_table_as(w, ct, c, params, work_mem)
            }
            (Statement::Update(_) | Statement::Delete(_), Some(c)) => {
                let env = crate::dml::DmlEnv {
                    params,
                    time_micros: now,
                    work_mem,
                };
                // A view with INSTEAD OF triggers, else the table.
                match crate::trigger::instead_of(w, &stmt.ast, c, &env)? {
                    Some(r) => r,
                    None => {
                        let mut slot = stmt.change.lock().unwrap_or_else(|p| p.into_inner());
                        let bound = match (&*slot, insert_key) {
                            (Some((k, b)), Some(key)) if *k == key => b.clone(),
                            _ => {
                                let b = Arc::new(crate::dml::BoundChange::bind(
                                    &stmt.ast,
                                    c,
                                    &mut param_types,
                                )?);
                                if let Some(key) = insert_key {
                                    *slot = Some((key, b.clone()));
                                }
                                b
                            }
                        };
                        drop(slot);
                        bound.run(w, &env)?
                    }
                }
            }
            (Statement::Analyze(a), _) => return utility::analyze(w, a),
            (other, _) => return crate::ddl::execute(w, other),
        };
        #[cfg(test)]
        injected_panic(InjectedPanic::AfterWrite);
        let command = match &stmt.ast {
            Statement::Insert(_) => "INSERT",
            Statement::Update(_) => "UPDATE",
            _ => "DELETE",
        };
        Ok(match dml.returning {
            Some((columns, rows)) => Outcome::Rows(RowStream::materialized(columns, rows)),
            None => done(command, Some(dml.count)),
        })
    })
}

/// A [`Outcome::Done`] with this tag.
pub(crate) fn done(command: &str, rows: Option<u64>) -> Outcome {
    Outcome::Done(CommandTag {
        command: command.to_string(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_are_42601_with_the_parsers_message() {
        let e = parse_one("SELEC 1").unwrap_err();
        assert_eq!(e.code, SqlState::SYNTAX_ERROR);
        assert!(e.message.contains("SELEC"), "{}", e.message);
        assert_eq!(parse_one("").unwrap_err().code, SqlState::SYNTAX_ERROR);
        assert_eq!(
            parse_one("SELECT 1; SELECT 2").unwrap_err().message,
            "a prepared statement holds one statement, not 2"
        );
    }

    #[test]
    fn sqlite_spellings() {
        let Statement::Insert(i) = parse_one("REPLACE INTO t VALUES (1)").unwrap() else {
            panic!("not an insert")
        };
        assert_eq!(i.or, Some(sqlparser::ast::SqliteOnConflict::Replace));
        assert_eq!(
            parse_one("create trigger t1 after insert on t begin select 1; end")
                .unwrap_err()
                .code,
            SqlState::FEATURE_NOT_SUPPORTED
        );
    }

    /// The keys of `t`, read through a new session.
    fn keys(engine: &Arc<crate::Engine>) -> Vec<i64> {
        let mut s = Session::new(engine.clone());
        match s.execute_sql("SELECT k FROM t ORDER BY k", &[]).unwrap() {
            Outcome::Rows(rows) => rows
                .map(|r| match r.unwrap().as_slice() {
                    [Value::Int(k)] => *k,
                    other => panic!("{other:?}"),
                })
                .collect(),
            Outcome::Done(t) => panic!("{t:?}"),
        }
    }

    fn injected(s: &mut Session, point: InjectedPanic, sql: &str) -> QueryError {
        INJECTED_PANIC.with(|p| p.set(Some(point)));
        let e = s.execute_sql(sql, &[]).err().expect("the statement failed");
        assert_eq!(
            INJECTED_PANIC.with(|p| p.get()),
            None,
            "the hook did not fire"
        );
        e
    }

    #[test]
    fn a_panic_in_a_statement_is_xx000_and_leaves_the_database_usable() {
        use crate::session::TransactionStatus;
        let engine = crate::Engine::new(covet_engine::Database::memory().unwrap());
        let mut s = Session::new(engine.clone());
        s.execute_batch("CREATE TABLE t(k INT PRIMARY KEY); INSERT INTO t VALUES (1)")
            .unwrap();
        // Outside a block: the statement's own transaction is rolled back.
        let e = injected(
            &mut s,
            InjectedPanic::AfterWrite,
            "INSERT INTO t VALUES (2)",
        );
        assert_eq!(e.code, SqlState::INTERNAL_ERROR);
        assert_eq!(
            e.message,
            "internal error: the statement panicked: injected panic (AfterWrite)"
        );
        assert_eq!(s.transaction_status(), TransactionStatus::Idle);
        assert_eq!(keys(&engine), vec![1]);
        // The writer lock is free: another session writes, and so does this one.
        let mut other = Session::new(engine.clone());
        other.execute_sql("INSERT INTO t VALUES (3)", &[]).unwrap();
        s.execute_sql("INSERT INTO t VALUES (4)", &[]).unwrap();
        assert_eq!(keys(&engine), vec![1, 3, 4]);

        // Inside a block: the block fails; ROLLBACK undoes it and frees the writer.
        s.execute_batch("BEGIN; INSERT INTO t VALUES (5)").unwrap();
        let e = injected(&mut s, InjectedPanic::AfterWrite, "UPDATE t SET k = k + 10");
        assert_eq!(e.code, SqlState::INTERNAL_ERROR);
        assert_eq!(s.transaction_status(), TransactionStatus::Failed);
        assert_eq!(
            s.execute_sql("SELECT 1", &[]).err().map(|e| e.code),
            Some(SqlState::IN_FAILED_SQL_TRANSACTION)
        );
        s.execute_sql("ROLLBACK", &[]).unwrap();
        other.execute_sql("INSERT INTO t VALUES (6)", &[]).unwrap();
        assert_eq!(keys(&engine), vec![1, 3, 4, 6]);

        // A panic outside a write scope (here before a query runs, in a block that
        // wrote) fails the block the same way.
        s.execute_batch("BEGIN; DELETE FROM t WHERE k = 1").unwrap();
        let e = injected(&mut s, InjectedPanic::BeforeRun, "SELECT k FROM t");
        assert_eq!(e.code, SqlState::INTERNAL_ERROR);
        assert_eq!(s.transaction_status(), TransactionStatus::Failed);
        s.execute_sql("ROLLBACK", &[]).unwrap();
        assert_eq!(keys(&engine), vec![1, 3, 4, 6]);
        // And outside a block, before a write's scope opens: nothing is held.
        let e = injected(&mut s, InjectedPanic::BeforeRun, "DELETE FROM t");
        assert_eq!(e.code, SqlState::INTERNAL_ERROR);
        other.execute_sql("DELETE FROM t WHERE k = 6", &[]).unwrap();
        assert_eq!(keys(&engine), vec![1, 3, 4]);
    }

    #[test]
    fn question_mark_parameters_are_0a000() {
        for sql in [
            "SELECT * FROM t WHERE id = ?",
            "INSERT INTO t VALUES (?, ?)",
            "SELECT 1 LIMIT ?",
        ] {
            let e = parse_one(sql).unwrap_err();
            assert_eq!(e.code, SqlState::FEATURE_NOT_SUPPORTED, "{sql}");
            assert_eq!(
                e.message,
                "feature not supported: positional parameters `?`"
            );
        }
        // A `?` in a string, a quoted name or a comment is not a parameter.
        let e = parse_one("SELECT '?' FROM WHERE /* ? */").unwrap_err();
        assert_eq!(e.code, SqlState::SYNTAX_ERROR);
        assert!(parse_one("SELECT '?', \"?\" FROM t -- ?").is_ok());
    }

    #[test]
    fn frame_exclusion_is_0a000_only_as_tokens() {
        for sql in [
            "SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW) FROM t",
            "SELECT sum(x) OVER (ORDER BY x ROWS 1 PRECEDING exclude group) FROM t",
            "SELECT sum(x) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES) FROM t",
            "SELECT sum(x) OVER w FROM t WINDOW w AS (ROWS UNBOUNDED PRECEDING EXCLUDE NO OTHERS)",
        ] {
            let e = parse_one(sql).unwrap_err();
            assert_eq!(e.code, SqlState::FEATURE_NOT_SUPPORTED, "{sql}");
            assert!(e.message.contains("EXCLUDE"), "{}", e.message);
        }
        // Inside a string or a comment it is only text: the syntax error stays.
        for sql in [
            "SELECT 'ROW EXCLUDE TIES' FROM t WHERE",
            "SELECT 1 /* CURRENT ROW EXCLUDE GROUP */ FROM t WHERE",
            "SELECT sum(x) OVER (ORDER BY x ROWS 1 PRECEDING EXCLUDE SOMETHING) FROM t",
        ] {
            assert_eq!(
                parse_one(sql).unwrap_err().code,
                SqlState::SYNTAX_ERROR,
                "{sql}"
            );
        }
    }

    #[test]
    fn parameters_are_counted_by_the_highest_number() {
        assert_eq!(count_params("SELECT $1, $3, '$4'").unwrap(), 3);
        assert_eq!(count_params("SELECT 1").unwrap(), 0);
    }
}
