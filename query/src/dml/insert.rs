//! INSERT: multi-row VALUES, column lists, DEFAULT (the keyword, and DEFAULT VALUES),
//! ON CONFLICT [(cols) | ON CONSTRAINT name] DO NOTHING / DO UPDATE SET … [WHERE …]
//! with `excluded.`, SQLite's INSERT OR REPLACE / REPLACE INTO / INSERT OR IGNORE, and
//! RETURNING.
//!
//! Rows are inserted one at a time through the engine, which refuses a row (NOT NULL,
//! primary key, unique index) before changing anything: a conflict is handled from that
//! refusal, and any other error ends the statement (whose savepoint or own transaction
//! then undoes the rows before it: a multi-row INSERT is atomic).

use std::collections::HashSet;

use covet_engine::table::{KeyRange, TableRead, TableSchema, TableWriter};
use covet_engine::value::Value;
use covet_engine::{Error, TableError};
use sqlparser::ast::{
    ConflictTarget, Expr, Insert, OnConflictAction, OnInsert, Query, SetExpr, SqliteOnConflict,
    TableObject, Values,
};

use super::update::{key_bytes, MAX_BUFFERED_ROWS};
use crate::catalog::Catalog;
use crate::ddl::default::RowDefault;
use crate::plan::{PhysicalNode, PhysicalPlan};
use crate::statement::query::Running;

use super::coerce::to_column;
use super::constraints::TableConstraints;
use super::returning::Returning;
use super::scope::{is_true, Relation, RowScope, StatementContext};
use super::update::assignments;
use crate::ddl::undefined_table;
use crate::error::{QueryError, Result, SqlState};
use crate::expr::{evaluate, ScalarExpr};
use crate::statement::names;
use crate::types::DataType;

/// What an INSERT did: the rows it inserted or updated, and its RETURNING rows.
pub(crate) struct DmlResult {
    pub count: u64,
    pub returning: Option<(Vec<crate::session::Column>, Vec<Vec<Value>>)>,
}

/// How conflicts are handled.
enum OnConflict {
    /// Fail (23505).
    Error,
    /// DO NOTHING / OR IGNORE: skip the row. `arbiter`: the conflict the clause names
    /// (`None`: any unique constraint).
    Nothing { arbiter: Option<Arbiter> },
    /// DO UPDATE on the named conflict.
    Update {
        arbiter: Arbiter,
        sets: Vec<(usize, ScalarExpr, DataType)>,
        filter: Option<ScalarExpr>,
    },
    /// OR REPLACE: delete every row the new one conflicts with, then insert it.
    Replace,
}

/// The constraint a conflict clause names: the primary key, or a unique index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arbiter {
    PrimaryKey,
    Index(String),
}

/// The source rows, bound: each a full-width row template (`None`: the column's
/// default) over no input columns.
type RowTemplates = Vec<Vec<Option<(ScalarExpr, DataType)>>>;

/// Whether an INSERT's source is a query the planner must run (not plain VALUES).
pub(crate) fn has_query_source(ins: &Insert) -> bool {
    ins.source
        .as_ref()
        .is_some_and(|q| plain_values(q).is_none())
}

fn plain_values(source: &Query) -> Option<&Values> {
    match source.body.as_ref() {
        SetExpr::Values(v)
            if source.with.is_none()
                && source.order_by.is_none()
                && source.limit_clause.is_none() =>
        {
            Some(v)
        }
        _ => None,
    }
}

/// Where the new rows come from.
enum Source {
    /// VALUES rows (or DEFAULT VALUES), bound here.
    Rows(RowTemplates),
    /// A query's rows, one value per target column in column-list order.
    Query(Box<PhysicalPlan>),
}

/// The RETURNING columns of `ins` and its parameter types, bound against `catalog`
/// without running it (for a prepared statement's description).
pub(crate) fn describe_insert(
    ins: &Insert,
    catalog: &Catalog,
    param_types: &mut Vec<DataType>,
) -> Result<Vec<crate::session::Column>> {
    let TableObject::TableName(name) = &ins.table else {
        return Err(QueryError::unsupported("INSERT INTO a table function"));
    };
    let table = names::object(name)?;
    let info = catalog
        .table(&table)
        .ok_or_else(|| undefined_table(&table))?;
    let schema = info.schema.clone();
    let positions = target_positions(&schema, ins)?;
    match &ins.source {
        Some(q) if plain_values(q).is_none() => {
            let (_, types) = crate::statement::query::plan(q, catalog)?;
            merge_params(param_types, &types);
        }
        _ => {
            bind_rows(ins, &schema, &positions, param_types)?;
        }
    }
    let alias = ins
        .table_alias
        .as_ref()
        .map(|a| names::ident(&a.alias))
        .unwrap_or_else(|| table.clone());
    let target = Relation {
        name: alias,
        columns: schema
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty))
            .collect(),
    };
    Ok(match &ins.returning {
        Some(items) => Returning::bind(items, std::slice::from_ref(&target), param_types)?.columns,
        None => Vec::new(),
    })
}

/// An INSERT bound against one schema: what every execution of a prepared INSERT
/// reuses while the schema cookie stays (the parameters' values come at each run).
pub(crate) struct BoundInsert {
    table: String,
    schema: TableSchema,
    positions: Vec<usize>,
    source: Source,
    on_conflict: OnConflict,
    returning: Option<Returning>,
    constraints: TableConstraints,
    defaults: Defaults,
}

/// Binds `ins` through `w` (and `catalog` for a query source), recording parameter types.
pub(crate) fn bind_insert(
    w: &TableWriter<'_>,
    ins: &Insert,
    catalog: Option<&Catalog>,
    param_types: &mut Vec<DataType>,
) -> Result<BoundInsert> {
    refuse_unsupported(ins)?;
    let TableObject::TableName(name) = &ins.table else {
        return Err(QueryError::unsupported("INSERT INTO a table function"));
    };
    let table = names::object(name)?;
    if !w.table_exists(&table)? {
        return Err(undefined_table(&table));
    }
    let schema = w.table_schema(&table)?;
    let alias = ins
        .table_alias
        .as_ref()
        .map(|a| names::ident(&a.alias))
        .unwrap_or_else(|| table.clone());
    let target = Relation {
        name: alias,
        columns: schema
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty))
            .collect(),
    };
    let positions = target_positions(&schema, ins)?;
    let source = match (&ins.source, catalog) {
        (Some(q), Some(catalog)) if plain_values(q).is_none() => {
            let (plan, types) = crate::statement::query::plan(q, catalog)?;
            if plan.columns.len() != positions.len() {
                return Err(QueryError::syntax(
                    if plan.columns.len() > positions.len() {
                        "INSERT has more expressions than target columns"
                    } else {
                        "INSERT has more target columns than expressions"
                    },
                ));
            }
            merge_params(param_types, &types);
            Source::Query(Box::new(plan))
        }
        _ => Source::Rows(bind_rows(ins, &schema, &positions, param_types)?),
    };
    let on_conflict = bind_conflict(w, ins, &schema, &target, param_types)?;
    let returning = match &ins.returning {
        Some(items) => Some(Returning::bind(
            items,
            std::slice::from_ref(&target),
            param_types,
        )?),
        None => None,
    };
    let constraints = TableConstraints::load(w, &schema)?;
    let defaults = Defaults::load(w, &schema)?;
    Ok(BoundInsert {
        table,
        schema,
        positions,
        source,
        on_conflict,
        returning,
        constraints,
        defaults,
    })
}

/// Runs a bound INSERT with `params`.
pub(crate) fn run_insert(
    w: &mut TableWriter<'_>,
    b: &BoundInsert,
    params: &[Value],
    time_micros: i64,
    work_mem: usize,
) -> Result<DmlResult> {
    let BoundInsert {
        table,
        schema,
        positions,
        source,
        on_conflict,
        returning,
        constraints,
        defaults,
    } = b;
    let triggers = crate::trigger::load_for_insert(
        w,
        schema,
        matches!(on_conflict, OnConflict::Update { .. }),
        time_micros,
        work_mem,
    )?;
    let mut ctx = StatementContext {
        params,
        time_micros,
    };
    let mut count = 0;
    let mut out_rows = Vec::new();
    let mut touched = Touched::for_rule(on_conflict);
    let mut store = |w: &mut TableWriter<'_>, row: Vec<Value>, ctx: &mut StatementContext<'_>| {
        if !crate::trigger::before_change(&triggers, w, None, Some(&row))? {
            return Ok(());
        }
        let stored = insert_one(
            w,
            table,
            schema,
            row,
            on_conflict,
            constraints,
            ctx,
            &mut touched,
        )?;
        if let Some(stored) = stored {
            count += 1;
            crate::trigger::after(&triggers, w, None, Some(&stored))?;
            if let Some(r) = returning {
                out_rows.push(r.row(&stored, ctx)?);
            }
        }
        Ok::<(), QueryError>(())
    };
    match source {
        Source::Rows(templates) => {
            for template in templates {
                let row = build_row(w, defaults, template, &mut ctx)?;
                store(w, row, &mut ctx)?;
            }
        }
        Source::Query(plan) => {
            let types: Vec<DataType> = plan.columns.iter().map(|c| c.ty).collect();
            let mut running = Running::new(plan, params, work_mem)?;
            // A query reading the table it inserts into would meet its own new rows
            // (its scans re-seek after their last key): its rows are collected first,
            // up to MAX_BUFFERED_ROWS. Any other query streams.
            let reads_target = plan_reads(&plan.root, table)
                || plan.subqueries.iter().any(|s| plan_reads(&s.root, table));
            let mut buffered: Vec<Vec<Value>> = Vec::new();
            while let Some(batch) = running.next_with(&*w)? {
                if reads_target {
                    if buffered.len() + batch.len() > MAX_BUFFERED_ROWS {
                        return Err(QueryError::new(
                            SqlState::PROGRAM_LIMIT_EXCEEDED,
                            format!(
                                "an INSERT … SELECT reading its own table inserts at most {MAX_BUFFERED_ROWS} rows"
                            ),
                        ));
                    }
                    buffered.extend(batch);
                    continue;
                }
                for values in batch {
                    let row = query_row(w, defaults, positions, &types, values, &mut ctx)?;
                    store(w, row, &mut ctx)?;
                }
            }
            for values in buffered {
                let row = query_row(w, defaults, positions, &types, values, &mut ctx)?;
                store(w, row, &mut ctx)?;
            }
        }
    }
    Ok(DmlResult {
        count,
        returning: returning.as_ref().map(|r| (r.columns.clone(), out_rows)),
    })
}

fn refuse_unsupported(ins: &Insert) -> Result<()> {
    if ins.overwrite || ins.partitioned.is_some() || !ins.after_columns.is_empty() {
        return Err(QueryError::unsupported("INSERT OVERWRITE / PARTITION"));
    }
    if ins.overriding.is_some() {
        return Err(QueryError::unsupported("INSERT … OVERRIDING"));
    }
    if !ins.assignments.is_empty() {
        return Err(QueryError::unsupported("INSERT … SET"));
    }
    if matches!(ins.on, Some(OnInsert::DuplicateKeyUpdate(_))) {
        return Err(QueryError::unsupported("ON DUPLICATE KEY UPDATE"));
    }
    match ins.or {
        None | Some(SqliteOnConflict::Replace) | Some(SqliteOnConflict::Ignore) => Ok(()),
        Some(other) => Err(QueryError::unsupported(format!("INSERT {other}"))),
    }
}

/// The table positions the column list names, in its order (all columns without one).
fn target_positions(schema: &TableSchema, ins: &Insert) -> Result<Vec<usize>> {
    if ins.columns.is_empty() {
        return Ok((0..schema.columns.len()).collect());
    }
    let mut out: Vec<usize> = Vec::with_capacity(ins.columns.len());
    for col in &ins.columns {
        let name = names::object(col)?;
        let i = schema.column_index(&name).ok_or_else(|| {
            QueryError::new(
                SqlState::UNDEFINED_COLUMN,
                format!(
                    "column \"{name}\" of relation \"{}\" does not exist",
                    schema.name
                ),
            )
        })?;
        if out.contains(&i) {
            return Err(QueryError::new(
                SqlState::DUPLICATE_COLUMN,
                format!("column \"{name}\" specified more than once"),
            ));
        }
        out.push(i);
    }
    Ok(out)
}

fn is_default_keyword(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}

/// The inferred parameter types of a planned source, into the statement's list.
fn merge_params(param_types: &mut Vec<DataType>, types: &[DataType]) {
    if types.len() > param_types.len() {
        param_types.resize(types.len(), DataType::Unknown);
    }
    for (slot, ty) in param_types.iter_mut().zip(types) {
        if *slot == DataType::Unknown {
            *slot = *ty;
        }
    }
}

/// Whether `node` scans `table`.
pub(crate) fn plan_reads(node: &PhysicalNode, table: &str) -> bool {
    if let PhysicalNode::Scan { table: t, .. } = node {
        if t.name == table {
            return true;
        }
    }
    node.inputs().into_iter().any(|n| plan_reads(n, table))
}

/// A full row from a query's row: defaults, then each value cast to its column.
fn query_row(
    w: &mut TableWriter<'_>,
    defaults: &Defaults,
    positions: &[usize],
    types: &[DataType],
    values: Vec<Value>,
    ctx: &mut StatementContext<'_>,
) -> Result<Vec<Value>> {
    let schema = &defaults.schema;
    let mut given: Vec<Option<Value>> = vec![None; schema.columns.len()];
    for ((&pos, v), ty) in positions.iter().zip(values).zip(types) {
        let col = &schema.columns[pos];
        given[pos] = Some(to_column(v, *ty, &col.name, &col.ty)?);
    }
    given
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Some(v) => Ok(v),
            None => defaults.value(w, i, ctx),
        })
        .collect()
}

/// The defaults of a table's columns for one statement: constants, or per-row
/// expressions (identity `nextval`, `now()`, …) bound once.
pub(crate) struct Defaults {
    schema: TableSchema,
    per_row: Vec<Option<RowDefault>>,
}

impl Defaults {
    pub fn load(w: &TableWriter<'_>, schema: &TableSchema) -> Result<Defaults> {
        let per_row = w
            .column_default_sql(&schema.name)?
            .into_iter()
            .map(|sql| sql.map(|s| RowDefault::bind(&s)).transpose())
            .collect::<Result<Vec<_>>>()?;
        Ok(Defaults {
            schema: schema.clone(),
            per_row,
        })
    }

    /// The default of column `i` for one new row.
    pub fn value(
        &self,
        w: &mut TableWriter<'_>,
        i: usize,
        ctx: &mut StatementContext<'_>,
    ) -> Result<Value> {
        let col = &self.schema.columns[i];
        match self.per_row.get(i).and_then(Option::as_ref) {
            Some(d) => d.value(w, ctx, &col.name, &col.ty),
            None => Ok(col.default.clone().unwrap_or(Value::Null)),
        }
    }
}

fn bind_rows(
    ins: &Insert,
    schema: &TableSchema,
    positions: &[usize],
    param_types: &mut Vec<DataType>,
) -> Result<RowTemplates> {
    let Some(source) = &ins.source else {
        // DEFAULT VALUES.
        return Ok(vec![vec![None; schema.columns.len()]]);
    };
    let Some(values) = plain_values(source) else {
        return Err(QueryError::internal(
            "INSERT … SELECT bound without a catalog",
        ));
    };
    let mut scope = RowScope {
        relations: &[],
        params: param_types,
        what: "VALUES",
    };
    let mut out = Vec::with_capacity(values.rows.len());
    for row in &values.rows {
        let exprs = &row.content;
        if exprs.len() > positions.len() {
            return Err(QueryError::syntax(
                "INSERT has more expressions than target columns",
            ));
        }
        if exprs.len() < positions.len() {
            return Err(QueryError::syntax(
                "INSERT has more target columns than expressions",
            ));
        }
        let mut template = vec![None; schema.columns.len()];
        for (expr, &pos) in exprs.iter().zip(positions) {
            if is_default_keyword(expr) {
                continue;
            }
            let (bound, ty) = scope.bind_value(expr)?;
            // A parameter takes the column's type when nothing else fixed it.
            let ty = match (&bound, ty) {
                (ScalarExpr::Param(i), DataType::Unknown) => {
                    let col_ty = DataType::of_sql_type(&schema.columns[pos].ty);
                    scope.param(*i, Some(col_ty))?
                }
                (_, ty) => ty,
            };
            template[pos] = Some((bound, ty));
        }
        out.push(template);
    }
    Ok(out)
}

use crate::expr::BindScope as _;

/// A full row from its template: defaults, then each expression cast to its column.
fn build_row(
    w: &mut TableWriter<'_>,
    defaults: &Defaults,
    template: &[Option<(ScalarExpr, DataType)>],
    ctx: &mut StatementContext<'_>,
) -> Result<Vec<Value>> {
    let schema = &defaults.schema;
    let mut row = Vec::with_capacity(schema.columns.len());
    for (i, (col, item)) in schema.columns.iter().zip(template).enumerate() {
        row.push(match item {
            None => defaults.value(w, i, ctx)?,
            Some((expr, ty)) => {
                let v = evaluate(expr, &[], ctx)?;
                // A parameter's value carries its own type.
                let ty = match expr {
                    ScalarExpr::Param(_) => DataType::of_value(&v),
                    _ => *ty,
                };
                to_column(v, ty, &col.name, &col.ty)?
            }
        });
    }
    Ok(row)
}

fn bind_conflict(
    w: &TableWriter<'_>,
    ins: &Insert,
    schema: &TableSchema,
    target: &Relation,
    param_types: &mut Vec<DataType>,
) -> Result<OnConflict> {
    if ins.replace_into || ins.or == Some(SqliteOnConflict::Replace) {
        return Ok(OnConflict::Replace);
    }
    if ins.or == Some(SqliteOnConflict::Ignore) {
        return Ok(OnConflict::Nothing { arbiter: None });
    }
    match &ins.on {
        Some(OnInsert::OnConflict(oc)) => {
            let arbiter = match &oc.conflict_target {
                None => None,
                Some(t) => Some(arbiter(w, schema, t)?),
            };
            match &oc.action {
                OnConflictAction::DoNothing => Ok(OnConflict::Nothing { arbiter }),
                OnConflictAction::DoUpdate(du) => {
                    let arbiter = arbiter.ok_or_else(|| {
                        QueryError::syntax(
                            "ON CONFLICT DO UPDATE requires inference specification or constraint name",
                        )
                        .with_hint("For example, ON CONFLICT (column_name).")
                    })?;
                    let excluded = Relation {
                        name: "excluded".into(),
                        columns: target.columns.clone(),
                    };
                    let relations = [target.clone(), excluded];
                    let sets = assignments(&du.assignments, schema, &relations, param_types)?;
                    // DEFAULT here is bound as the column's constant default: a per-row
                    // default (identity, now()) would need evaluating per row.
                    let per_row = w.column_default_sql(&schema.name)?;
                    for a in &du.assignments {
                        if !super::update::is_default(&a.value) {
                            continue;
                        }
                        let name = a.target.to_string().to_lowercase();
                        if let Some(i) = schema.column_index(&name) {
                            if per_row.get(i).is_some_and(Option::is_some) {
                                return Err(QueryError::unsupported(format!(
                                    "ON CONFLICT DO UPDATE SET {name} = DEFAULT of a per-row default"
                                )));
                            }
                        }
                    }
                    let filter = match &du.selection {
                        Some(e) => {
                            let mut scope = RowScope {
                                relations: &relations,
                                params: param_types,
                                what: "ON CONFLICT DO UPDATE WHERE",
                            };
                            Some(scope.bind(e)?.0)
                        }
                        None => None,
                    };
                    Ok(OnConflict::Update {
                        arbiter,
                        sets,
                        filter,
                    })
                }
            }
        }
        _ => Ok(OnConflict::Error),
    }
}

/// The constraint an ON CONFLICT target names (42P10 when none matches).
fn arbiter(w: &TableWriter<'_>, schema: &TableSchema, t: &ConflictTarget) -> Result<Arbiter> {
    match t {
        ConflictTarget::Columns { columns, predicate } => {
            if predicate.is_some() {
                return Err(QueryError::unsupported("ON CONFLICT (…) WHERE"));
            }
            let mut wanted = Vec::new();
            for c in columns {
                let name = names::ident(c);
                let i = schema.column_index(&name).ok_or_else(|| {
                    QueryError::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column \"{name}\" does not exist"),
                    )
                })?;
                wanted.push(i);
            }
            wanted.sort_unstable();
            if let Some(pk) = &schema.primary_key {
                let mut pk = pk.clone();
                pk.sort_unstable();
                if pk == wanted {
                    return Ok(Arbiter::PrimaryKey);
                }
            }
            for idx in w.indexes(&schema.name)? {
                let mut cols: Vec<usize> = idx.columns.iter().map(|(c, _)| *c).collect();
                cols.sort_unstable();
                if idx.unique && cols == wanted {
                    return Ok(Arbiter::Index(idx.name));
                }
            }
            Err(QueryError::new(
                SqlState::INVALID_COLUMN_REFERENCE,
                "there is no unique or exclusion constraint matching the ON CONFLICT specification",
            ))
        }
        ConflictTarget::OnConstraint(name) => {
            let name = names::object(name)?;
            if name == format!("{}_pkey", schema.name) && schema.primary_key.is_some() {
                return Ok(Arbiter::PrimaryKey);
            }
            match w
                .indexes(&schema.name)?
                .into_iter()
                .find(|i| i.name == name)
            {
                Some(i) if i.unique => Ok(Arbiter::Index(i.name)),
                _ => Err(QueryError::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!(
                        "constraint \"{name}\" for table \"{}\" does not exist",
                        schema.name
                    ),
                )),
            }
        }
    }
}

/// The constraint a refused insert ran into, if it was a uniqueness conflict.
fn conflict_of(e: &Error) -> Option<Arbiter> {
    match e {
        Error::Table(TableError::DuplicateKey { .. }) => Some(Arbiter::PrimaryKey),
        Error::Table(TableError::UniqueViolation { index, .. }) => {
            Some(Arbiter::Index(index.clone()))
        }
        _ => None,
    }
}

/// The primary key of the row that `row` conflicts with on `arbiter`.
fn conflicting_row(
    w: &TableWriter<'_>,
    table: &str,
    schema: &TableSchema,
    row: &[Value],
    arbiter: &Arbiter,
) -> Result<Option<covet_engine::table::Row>> {
    match arbiter {
        Arbiter::PrimaryKey => {
            let pk: Vec<Value> = schema
                .primary_key
                .as_ref()
                .map(|p| p.iter().map(|&i| row[i].clone()).collect())
                .unwrap_or_default();
            Ok(w.get_row(table, &pk)?
                .map(|values| covet_engine::table::Row { pk, values }))
        }
        Arbiter::Index(index) => {
            let def = w.index_def(index)?;
            let key: Vec<Value> = def.columns.iter().map(|(c, _)| row[*c].clone()).collect();
            let found = w
                .index_scan(index, &KeyRange::prefix(key))?
                .next()
                .transpose()?;
            Ok(found)
        }
    }
}

/// The rows an INSERT … ON CONFLICT DO UPDATE inserted or updated so far, by primary
/// key: as in PostgreSQL, the statement may not update a row it already touched
/// (21000), since which proposed row wins would depend on their order.
struct Touched(Option<HashSet<Vec<u8>>>);

impl Touched {
    /// Tracking for DO UPDATE only (DO NOTHING skips a second proposal silently).
    fn for_rule(rule: &OnConflict) -> Touched {
        Touched(matches!(rule, OnConflict::Update { .. }).then(HashSet::new))
    }

    fn record(&mut self, pk: &[Value]) {
        if let Some(keys) = &mut self.0 {
            keys.insert(key_bytes(pk));
        }
    }

    /// 21000 when the row of primary key `pk` was inserted or updated by this statement.
    fn check_untouched(&self, pk: &[Value]) -> Result<()> {
        match &self.0 {
            Some(keys) if keys.contains(&key_bytes(pk)) => Err(QueryError::new(
                SqlState::CARDINALITY_VIOLATION,
                "ON CONFLICT DO UPDATE command cannot affect row a second time",
            )
            .with_hint(
                "Ensure that no rows proposed for insertion within the same command have duplicate constrained values.",
            )),
            _ => Ok(()),
        }
    }
}

/// Inserts one row under the conflict rule; returns the row as stored (inserted or
/// updated), or `None` when it was skipped.
#[allow(clippy::too_many_arguments)]
fn insert_one(
    w: &mut TableWriter<'_>,
    table: &str,
    schema: &TableSchema,
    row: Vec<Value>,
    on_conflict: &OnConflict,
    constraints: &TableConstraints,
    ctx: &mut StatementContext<'_>,
    touched: &mut Touched,
) -> Result<Option<Vec<Value>>> {
    constraints.check_new_row(w, &row, ctx)?;
    // A row conflicts with at most one row per unique constraint: OR REPLACE retries
    // at most once per constraint.
    let attempts = match on_conflict {
        OnConflict::Replace => 2 + w.indexes(table)?.len(),
        // Every other rule ends at the first conflict.
        _ => 1,
    };
    for _ in 0..attempts {
        let err = match w.insert_values(table, &row) {
            Ok(pk) => {
                touched.record(&pk);
                return Ok(Some(row));
            }
            Err(e) => e,
        };
        let Some(hit) = conflict_of(&err) else {
            return Err(err.into());
        };
        match on_conflict {
            OnConflict::Error => return Err(err.into()),
            OnConflict::Nothing { arbiter } => {
                if arbiter.as_ref().is_none_or(|a| *a == hit) {
                    return Ok(None);
                }
                return Err(err.into());
            }
            OnConflict::Replace => {
                let Some(old) = conflicting_row(w, table, schema, &row, &hit)? else {
                    return Err(QueryError::internal(format!(
                        "a conflict on {hit:?} without a conflicting row"
                    )));
                };
                constraints.before_delete(w, &old.values)?;
                w.delete_row(table, &old.pk)?;
            }
            OnConflict::Update {
                arbiter,
                sets,
                filter,
            } => {
                if *arbiter != hit {
                    return Err(err.into());
                }
                let Some(old) = conflicting_row(w, table, schema, &row, &hit)? else {
                    return Err(QueryError::internal(format!(
                        "a conflict on {hit:?} without a conflicting row"
                    )));
                };
                // Before the WHERE, as PostgreSQL: a second proposal fails even when
                // the WHERE would skip it.
                touched.check_untouched(&old.pk)?;
                let mut input = old.values.clone();
                input.extend(row.iter().cloned());
                if let Some(f) = filter {
                    if !is_true(&evaluate(f, &input, ctx)?)? {
                        return Ok(None);
                    }
                }
                let mut new_row = old.values.clone();
                for (pos, expr, ty) in sets {
                    let v = evaluate(expr, &input, ctx)?;
                    let col = &schema.columns[*pos];
                    new_row[*pos] = to_column(v, *ty, &col.name, &col.ty)?;
                }
                constraints.check_new_row(w, &new_row, ctx)?;
                constraints.before_update(w, &old.values, &new_row)?;
                w.update_row(table, &old.pk, new_row.clone())?;
                match &schema.primary_key {
                    Some(pk) => {
                        let new_pk: Vec<Value> = pk.iter().map(|&i| new_row[i].clone()).collect();
                        touched.record(&new_pk);
                    }
                    None => touched.record(&old.pk),
                }
                return Ok(Some(new_row));
            }
        }
    }
    Err(QueryError::internal(
        "INSERT OR REPLACE kept finding conflicts",
    ))
}
