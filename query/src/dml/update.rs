//! UPDATE … SET … [FROM …] [WHERE …] [RETURNING …] and DELETE … [USING …] [WHERE …]
//! [RETURNING …].
//!
//! The target rows come from the planner ([`bind_dml_target`]): each is
//! `[primary key] ++ [target row] ++ [FROM/USING columns]`, found through the access
//! path the WHERE allows (a primary-key or index seek, else a scan). They stream: the
//! executor holds no engine iterator between batches (its scans re-seek after their
//! last key), so each batch's rows are changed before the next batch is read, and
//! memory stays bounded by the batch whatever the table's size.
//!
//! The Halloween problem: when the UPDATE changes a column of the key the target scan
//! runs in (a primary-key column under a full or range scan, a column of the index an
//! index scan uses), a changed row moves ahead of the scan, which would meet it again.
//! Only then are the target rows collected first — bounded by [`MAX_BUFFERED_ROWS`]:
//! past it the statement fails with 54000 rather than use unbounded memory — and
//! changed from that list, each re-read by its key.
//!
//! With FROM/USING, a target row that joins several rows is changed once (the first
//! join row wins, as in PostgreSQL): the keys changed so far are remembered, as keys.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use covet_engine::table::{TableRead, TableSchema, TableWriter};
use covet_engine::value::{encode_key, SortOrder, Value};
use sqlparser::ast::{
    Assignment, AssignmentTarget, Delete, Expr, FromTable, SelectItem,
    SelectItemQualifiedWildcardKind, TableFactor, TableWithJoins, Update, UpdateTableFromKind,
};

use super::coerce::to_column;
use super::constraints::TableConstraints;
use super::insert::{Defaults, DmlResult};
use super::returning::output_name;
use super::scope::{Relation, RowScope, StatementContext};
use crate::binder::{bind_dml_target, DmlTarget, ParamTypes};
use crate::catalog::Catalog;
use crate::error::{QueryError, Result, SqlState};
use crate::expr::ScalarExpr;
use crate::plan::{AccessPath, PhysicalNode, PhysicalPlan};
use crate::session::Column;
use crate::statement::names;
use crate::statement::query::Running;
use crate::types::DataType;

/// Most target rows an UPDATE that moves rows within its own scan collects first.
pub(crate) const MAX_BUFFERED_ROWS: usize = 1 << 20;

/// Binds SET assignments over `relations`: (column position, value, its type).
pub(crate) fn assignments(
    list: &[Assignment],
    schema: &TableSchema,
    relations: &[Relation],
    param_types: &mut Vec<DataType>,
) -> Result<Vec<(usize, ScalarExpr, DataType)>> {
    let mut scope = RowScope {
        relations,
        params: param_types,
        what: "UPDATE",
    };
    let mut out: Vec<(usize, ScalarExpr, DataType)> = Vec::with_capacity(list.len());
    for a in list {
        let AssignmentTarget::ColumnName(name) = &a.target else {
            return Err(QueryError::unsupported("assignment of a column tuple"));
        };
        let column = match name.0.as_slice() {
            [_] => names::object(name)?,
            _ => {
                return Err(QueryError::unsupported(format!(
                    "qualified assignment target {name}"
                )))
            }
        };
        let pos = schema.column_index(&column).ok_or_else(|| {
            QueryError::new(
                SqlState::UNDEFINED_COLUMN,
                format!(
                    "column \"{column}\" of relation \"{}\" does not exist",
                    schema.name
                ),
            )
        })?;
        if out.iter().any(|(p, _, _)| *p == pos) {
            return Err(QueryError::new(
                SqlState::DUPLICATE_COLUMN,
                format!("multiple assignments to same column \"{column}\""),
            ));
        }
        let (expr, ty) = if is_default(&a.value) {
            let v = schema.columns[pos].default.clone().unwrap_or(Value::Null);
            let ty = DataType::of_value(&v);
            (ScalarExpr::Literal(v), ty)
        } else {
            scope.bind_value(&a.value)?
        };
        out.push((pos, expr, ty));
    }
    Ok(out)
}

pub(crate) fn is_default(e: &sqlparser::ast::Expr) -> bool {
    matches!(e, sqlparser::ast::Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}

/// What a bound UPDATE or DELETE needs to run.
pub(crate) struct DmlEnv<'a> {
    /// The parameters.
    pub params: &'a [Value],
    /// The statement's start time.
    pub time_micros: i64,
    /// `work_mem`.
    pub work_mem: usize,
}

/// A bound RETURNING list over the target row layout.
struct TargetReturning {
    columns: Vec<Column>,
    exprs: Vec<ScalarExpr>,
}

fn bind_returning(
    target: &mut DmlTarget<'_>,
    items: &[SelectItem],
    qualifier: &str,
) -> Result<TargetReturning> {
    let mut columns = Vec::new();
    let mut exprs = Vec::new();
    for item in items {
        match item {
            SelectItem::Wildcard(_) => {
                for (i, c) in target.star()? {
                    exprs.push(ScalarExpr::Column(i));
                    columns.push(c);
                }
            }
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), _)
                if names::object(n)? == qualifier =>
            {
                for (i, c) in target.star()? {
                    exprs.push(ScalarExpr::Column(i));
                    columns.push(c);
                }
            }
            SelectItem::UnnamedExpr(e) => {
                let (bound, ty) = target.bind_expr(e)?;
                exprs.push(bound);
                columns.push(Column {
                    name: output_name(e),
                    ty,
                });
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                let (bound, ty) = target.bind_expr(expr)?;
                exprs.push(bound);
                columns.push(Column {
                    name: names::ident(alias),
                    ty,
                });
            }
            other => return Err(QueryError::unsupported(format!("RETURNING item {other}"))),
        }
    }
    Ok(TargetReturning { columns, exprs })
}

/// A quoted literal is of unknown type when stored into a column.
fn untyped_literal(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Value(v) if matches!(
            v.value,
            sqlparser::ast::Value::SingleQuotedString(_)
                | sqlparser::ast::Value::EscapedStringLiteral(_)
                | sqlparser::ast::Value::DollarQuotedString(_)
                | sqlparser::ast::Value::Null
        )
    )
}

/// The scans of `table` in `node`.
fn target_scans<'p>(node: &'p PhysicalNode, table: &str, out: &mut Vec<&'p AccessPath>) {
    if let PhysicalNode::Scan {
        table: t, access, ..
    } = node
    {
        if t.name == table {
            out.push(access);
        }
    }
    for input in node.inputs() {
        target_scans(input, table, out);
    }
}

/// Whether assigning `changed` columns may move rows ahead of a scan of `plan` over
/// `schema`'s table (see the module documentation).
fn moves_rows_ahead(plan: &PhysicalPlan, schema: &TableSchema, changed: &[usize]) -> bool {
    let mut scans = Vec::new();
    target_scans(&plan.root, &schema.name, &mut scans);
    let pk_changed = schema
        .primary_key
        .as_ref()
        .is_some_and(|pk| pk.iter().any(|c| changed.contains(c)));
    scans.iter().any(|access| match access {
        AccessPath::FullScan => pk_changed,
        AccessPath::PrimaryKey(bounds) => {
            pk_changed && !(bounds.is_point() && bounds.is_equality())
        }
        AccessPath::Index { index, .. } => {
            pk_changed || index.columns.iter().any(|(c, _)| changed.contains(c))
        }
    })
}

fn target_of(factor: &TableFactor) -> Result<String> {
    match factor {
        TableFactor::Table { name, alias, .. } => Ok(alias
            .as_ref()
            .map(|a| names::ident(&a.name))
            .unwrap_or(names::object(name)?)),
        other => Err(QueryError::unsupported(format!("DML target {other}"))),
    }
}

/// Encodes a primary key for the set of keys already changed.
pub(super) fn key_bytes(pk: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(pk, &vec![SortOrder::Asc; pk.len()], &mut out);
    out
}

/// One assignment: the column, its value over the target row, and the value's type.
type Set = (usize, ScalarExpr, DataType);

/// An UPDATE bound and planned.
pub(crate) struct BoundUpdate {
    plan: Arc<PhysicalPlan>,
    schema: TableSchema,
    k: usize,
    sets: Vec<Set>,
    returning: Option<TargetReturning>,
    has_from: bool,
    /// Columns assigned `DEFAULT`: their value comes from the column's default at each
    /// row (a per-row default such as an identity's `nextval` included).
    defaulted: Vec<usize>,
    /// The table's defaults and constraints, loaded at the first execution (they belong
    /// to the schema the statement was bound against, as the plan does).
    table_state: OnceLock<(Defaults, TableConstraints)>,
}

impl BoundUpdate {
    /// The plan of the target rows.
    pub fn plan(&self) -> &PhysicalPlan {
        &self.plan
    }

    /// The target table's name.
    pub fn table(&self) -> &str {
        &self.schema.name
    }

    /// The RETURNING columns (empty without RETURNING).
    pub fn columns(&self) -> Vec<Column> {
        self.returning
            .as_ref()
            .map(|r| r.columns.clone())
            .unwrap_or_default()
    }
}

/// Binds and plans `up` against `catalog`, recording its parameter types.
pub(crate) fn bind_update(
    up: &Update,
    catalog: &Catalog,
    param_types: &mut Vec<DataType>,
) -> Result<BoundUpdate> {
    if up.or.is_some() || up.limit.is_some() || !up.order_by.is_empty() {
        return Err(QueryError::unsupported("UPDATE OR / ORDER BY / LIMIT"));
    }
    if !up.table.joins.is_empty() {
        return Err(QueryError::unsupported("UPDATE of a join"));
    }
    let from: Vec<TableWithJoins> = match &up.from {
        Some(UpdateTableFromKind::BeforeSet(f)) | Some(UpdateTableFromKind::AfterSet(f)) => {
            f.clone()
        }
        None => Vec::new(),
    };
    let qualifier = target_of(&up.table.relation)?;
    let mut pt = ParamTypes::with_types(param_types.clone());
    let mut target = bind_dml_target(
        catalog,
        &mut pt,
        &up.table.relation,
        &from,
        up.selection.as_ref(),
    )?;
    let info = target.table().clone();
    let schema = info.schema.clone();
    let k = info.pk_width();
    let mut sets: Vec<Set> = Vec::with_capacity(up.assignments.len());
    let mut param_hints = Vec::new();
    let mut defaulted = Vec::new();
    for a in &up.assignments {
        let pos = assigned_column(a, &schema)?;
        if sets.iter().any(|(p, _, _)| *p == pos) {
            return Err(QueryError::new(
                SqlState::DUPLICATE_COLUMN,
                format!(
                    "multiple assignments to same column \"{}\"",
                    schema.columns[pos].name
                ),
            ));
        }
        let (expr, ty) = if is_default(&a.value) {
            defaulted.push(pos);
            let v = schema.columns[pos].default.clone().unwrap_or(Value::Null);
            let ty = DataType::of_value(&v);
            (ScalarExpr::Literal(v), ty)
        } else {
            let (e, ty) = target.bind_expr(&a.value)?;
            (
                e,
                if untyped_literal(&a.value) {
                    DataType::Unknown
                } else {
                    ty
                },
            )
        };
        // A parameter assigned to a column takes the column's type when nothing else
        // fixed it.
        if let (ScalarExpr::Param(i), DataType::Unknown) = (&expr, ty) {
            param_hints.push((*i, DataType::of_sql_type(&schema.columns[pos].ty)));
        }
        sets.push((pos, expr, ty));
    }
    let returning = match &up.returning {
        Some(items) => Some(bind_returning(&mut target, items, &qualifier)?),
        None => None,
    };
    let plan = Arc::new(target.finish()?);
    for (i, ty) in param_hints {
        pt.record(i, Some(ty));
    }
    pt_into(param_types, &mut pt);
    Ok(BoundUpdate {
        plan,
        schema,
        k,
        sets,
        returning,
        has_from: !from.is_empty(),
        defaulted,
        table_state: OnceLock::new(),
    })
}

/// An UPDATE or DELETE bound and planned against one schema: what every execution of a
/// prepared statement reuses while the schema cookie stays (the parameters' values come
/// at each run).
pub(crate) enum BoundChange {
    Update(BoundUpdate),
    Delete(BoundDelete),
}

impl BoundChange {
    /// Binds and plans `stmt` (an UPDATE or a DELETE) against `catalog`.
    pub fn bind(
        stmt: &sqlparser::ast::Statement,
        catalog: &Catalog,
        param_types: &mut Vec<DataType>,
    ) -> Result<BoundChange> {
        match stmt {
            sqlparser::ast::Statement::Update(u) => {
                Ok(BoundChange::Update(bind_update(u, catalog, param_types)?))
            }
            sqlparser::ast::Statement::Delete(d) => {
                Ok(BoundChange::Delete(bind_delete(d, catalog, param_types)?))
            }
            _ => Err(QueryError::internal(
                "a change bound from neither UPDATE nor DELETE",
            )),
        }
    }

    /// The RETURNING columns (empty without RETURNING).
    pub fn columns(&self) -> Vec<Column> {
        match self {
            BoundChange::Update(u) => u.columns(),
            BoundChange::Delete(d) => d.columns(),
        }
    }

    /// Runs it with `env`'s parameters.
    pub fn run(&self, w: &mut TableWriter<'_>, env: &DmlEnv<'_>) -> Result<DmlResult> {
        match self {
            BoundChange::Update(u) => update(w, u, env),
            BoundChange::Delete(d) => delete(w, d, env),
        }
    }
}

/// Runs a bound UPDATE.
pub(crate) fn update(
    w: &mut TableWriter<'_>,
    bound: &BoundUpdate,
    env: &DmlEnv<'_>,
) -> Result<DmlResult> {
    let BoundUpdate {
        plan,
        schema,
        k,
        sets,
        returning,
        has_from,
        defaulted,
        table_state,
    } = bound;
    let k = *k;
    let (defaults, constraints) = loaded(table_state, || {
        Ok((
            Defaults::load(w, schema)?,
            TableConstraints::load(w, schema)?,
        ))
    })?;
    let changed: Vec<usize> = sets.iter().map(|(p, _, _)| *p).collect();
    let triggers = crate::trigger::load_for_table(
        w,
        schema,
        crate::trigger::Event::Update,
        &changed,
        env.time_micros,
        env.work_mem,
    )?;
    // Triggers may change the table ahead of the scan: their rows are collected first.
    let buffer = moves_rows_ahead(plan, schema, &changed) || triggers.is_some();
    let mut running = Running::new(&plan, env.params, env.work_mem)?;
    let mut seen: Option<HashSet<Vec<u8>>> = has_from.then(HashSet::new);
    let mut out = UpdateOut {
        count: 0,
        rows: Vec::new(),
    };
    let mut ctx = StatementContext {
        params: env.params,
        time_micros: env.time_micros,
    };
    if buffer {
        let mut all: Vec<Vec<Value>> = Vec::new();
        while let Some(batch) = next_rows(&mut running, w)? {
            if all.len() + batch.len() > MAX_BUFFERED_ROWS {
                return Err(QueryError::new(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    format!(
                        "an UPDATE of the columns its own scan is ordered by changes at most {MAX_BUFFERED_ROWS} rows"
                    ),
                ));
            }
            all.extend(batch);
        }
        for mut row in all {
            // Re-read: an earlier change of this statement (a cascade) may have changed
            // or removed it.
            let Some(fresh) = w.get_row(&schema.name, &row[..k])? else {
                continue;
            };
            row.splice(k..k + schema.columns.len(), fresh);
            update_row(
                w,
                &schema,
                k,
                &sets,
                &returning,
                &constraints,
                &mut running,
                &mut seen,
                &mut ctx,
                row,
                &mut out,
                (&defaulted, &defaults),
                &triggers,
            )?;
        }
    } else {
        while let Some(batch) = next_rows(&mut running, w)? {
            for row in batch {
                update_row(
                    w,
                    &schema,
                    k,
                    &sets,
                    &returning,
                    &constraints,
                    &mut running,
                    &mut seen,
                    &mut ctx,
                    row,
                    &mut out,
                    (&defaulted, &defaults),
                    &triggers,
                )?;
            }
        }
    }
    Ok(DmlResult {
        count: out.count,
        returning: returning.as_ref().map(|r| (r.columns.clone(), out.rows)),
    })
}

/// The parameter types the binder inferred, into the statement's list.
fn pt_into(param_types: &mut Vec<DataType>, pt: &mut ParamTypes) {
    let types = pt.types();
    if types.len() > param_types.len() {
        param_types.resize(types.len(), DataType::Unknown);
    }
    for (slot, ty) in param_types.iter_mut().zip(types) {
        if *slot == DataType::Unknown {
            *slot = *ty;
        }
    }
}

struct UpdateOut {
    count: u64,
    rows: Vec<Vec<Value>>,
}

fn next_rows(running: &mut Running, w: &TableWriter<'_>) -> Result<Option<Vec<Vec<Value>>>> {
    running.next_with(w)
}

/// Every target row, at most [`MAX_BUFFERED_ROWS`].
fn collect_rows(running: &mut Running, w: &TableWriter<'_>) -> Result<Vec<Vec<Value>>> {
    let mut all: Vec<Vec<Value>> = Vec::new();
    while let Some(batch) = next_rows(running, w)? {
        if all.len() + batch.len() > MAX_BUFFERED_ROWS {
            return Err(QueryError::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                format!(
                    "a DELETE on a table with triggers changes at most {MAX_BUFFERED_ROWS} rows"
                ),
            ));
        }
        all.extend(batch);
    }
    Ok(all)
}

fn assigned_column(a: &Assignment, schema: &TableSchema) -> Result<usize> {
    let AssignmentTarget::ColumnName(name) = &a.target else {
        return Err(QueryError::unsupported("assignment of a column tuple"));
    };
    let column = match name.0.as_slice() {
        [_] => names::object(name)?,
        _ => {
            return Err(QueryError::unsupported(format!(
                "qualified assignment target {name}"
            )))
        }
    };
    schema.column_index(&column).ok_or_else(|| {
        QueryError::new(
            SqlState::UNDEFINED_COLUMN,
            format!(
                "column \"{column}\" of relation \"{}\" does not exist",
                schema.name
            ),
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn update_row(
    w: &mut TableWriter<'_>,
    schema: &TableSchema,
    k: usize,
    sets: &[Set],
    returning: &Option<TargetReturning>,
    constraints: &TableConstraints,
    running: &mut Running,
    seen: &mut Option<HashSet<Vec<u8>>>,
    ctx: &mut StatementContext<'_>,
    mut row: Vec<Value>,
    out: &mut UpdateOut,
    (defaulted, defaults): (&[usize], &Defaults),
    triggers: &Option<crate::trigger::RowTriggers>,
) -> Result<()> {
    let n = schema.columns.len();
    let pk: Vec<Value> = row[..k].to_vec();
    if let Some(seen) = seen {
        if !seen.insert(key_bytes(&pk)) {
            return Ok(());
        }
    }
    let old: Vec<Value> = row[k..k + n].to_vec();
    let mut new_row = old.clone();
    {
        let mut ectx = running.context(&*w);
        for (pos, expr, ty) in sets {
            let v = ectx.eval(expr, &row)?;
            let col = &schema.columns[*pos];
            new_row[*pos] = to_column(v, *ty, &col.name, &col.ty)?;
        }
    }
    for &pos in defaulted {
        new_row[pos] = defaults.value(w, pos, ctx)?;
    }
    if triggers.is_some() {
        if !crate::trigger::before_change(triggers, w, Some(&old), Some(&new_row))? {
            return Ok(());
        }
        // A BEFORE trigger may have removed the row.
        if w.get_row(&schema.name, &pk)?.is_none() {
            return Ok(());
        }
    }
    if !constraints.is_empty() {
        constraints.check_new_row(w, &new_row, ctx)?;
        constraints.before_update(w, &old, &new_row)?;
    }
    w.update_row(&schema.name, &pk, new_row.clone())?;
    out.count += 1;
    crate::trigger::after(triggers, w, Some(&old), Some(&new_row))?;
    if let Some(r) = returning {
        row.splice(k..k + n, new_row);
        let mut ectx = running.context(&*w);
        let values = r
            .exprs
            .iter()
            .map(|e| ectx.eval(e, &row))
            .collect::<Result<Vec<_>>>()?;
        out.rows.push(values);
    }
    Ok(())
}

/// What `cell` holds, loaded by `load` on first use.
fn loaded<T>(cell: &OnceLock<T>, load: impl FnOnce() -> Result<T>) -> Result<&T> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = load()?;
    // Another execution sharing the statement may have set it meanwhile: same schema,
    // same value.
    Ok(cell.get_or_init(|| v))
}

/// A DELETE bound and planned.
pub(crate) struct BoundDelete {
    plan: PhysicalPlan,
    schema: TableSchema,
    k: usize,
    returning: Option<TargetReturning>,
    /// The table's constraints, loaded at the first execution (see [`BoundUpdate`]).
    constraints: OnceLock<TableConstraints>,
}

impl BoundDelete {
    /// The plan of the target rows.
    pub fn plan(&self) -> &PhysicalPlan {
        &self.plan
    }

    /// The target table's name.
    pub fn table(&self) -> &str {
        &self.schema.name
    }

    /// The RETURNING columns (empty without RETURNING).
    pub fn columns(&self) -> Vec<Column> {
        self.returning
            .as_ref()
            .map(|r| r.columns.clone())
            .unwrap_or_default()
    }
}

/// Binds and plans `del` against `catalog`, recording its parameter types.
pub(crate) fn bind_delete(
    del: &Delete,
    catalog: &Catalog,
    param_types: &mut Vec<DataType>,
) -> Result<BoundDelete> {
    if !del.tables.is_empty() || del.limit.is_some() || !del.order_by.is_empty() {
        return Err(QueryError::unsupported(
            "DELETE with several tables / ORDER BY / LIMIT",
        ));
    }
    let from = match &del.from {
        FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f) => f,
    };
    let [only] = from.as_slice() else {
        return Err(QueryError::unsupported("DELETE from several tables"));
    };
    if !only.joins.is_empty() {
        return Err(QueryError::unsupported("DELETE from a join"));
    }
    let qualifier = target_of(&only.relation)?;
    let using = del.using.as_deref().unwrap_or(&[]);
    let mut pt = ParamTypes::with_types(param_types.clone());
    let mut target = bind_dml_target(
        catalog,
        &mut pt,
        &only.relation,
        using,
        del.selection.as_ref(),
    )?;
    let info = target.table().clone();
    let schema = info.schema.clone();
    let k = info.pk_width();
    let returning = match &del.returning {
        Some(items) => Some(bind_returning(&mut target, items, &qualifier)?),
        None => None,
    };
    let plan = target.finish()?;
    pt_into(param_types, &mut pt);
    Ok(BoundDelete {
        plan,
        schema,
        k,
        returning,
        constraints: OnceLock::new(),
    })
}

/// Runs a bound DELETE.
pub(crate) fn delete(
    w: &mut TableWriter<'_>,
    bound: &BoundDelete,
    env: &DmlEnv<'_>,
) -> Result<DmlResult> {
    let BoundDelete {
        plan,
        schema,
        k,
        returning,
        constraints,
    } = bound;
    let k = *k;
    let n = schema.columns.len();
    let constraints = loaded(constraints, || TableConstraints::load(w, schema))?;
    let triggers = crate::trigger::load_for_table(
        w,
        schema,
        crate::trigger::Event::Delete,
        &[],
        env.time_micros,
        env.work_mem,
    )?;
    let mut running = Running::new(&plan, env.params, env.work_mem)?;
    let mut count = 0;
    let mut out_rows = Vec::new();
    // Triggers may change the table ahead of the scan: their rows are collected first.
    let mut collected = match triggers {
        Some(_) => Some(collect_rows(&mut running, w)?),
        None => None,
    };
    loop {
        let batch = match collected.take() {
            Some(all) => all,
            None if triggers.is_some() => break,
            None => match next_rows(&mut running, w)? {
                Some(b) => b,
                None => break,
            },
        };
        for row in batch {
            let pk = &row[..k];
            // A USING join may name a row twice, or a cascade may have removed it.
            let Some(current) = w.get_row(&schema.name, pk)? else {
                continue;
            };
            if !crate::trigger::before_change(&triggers, w, Some(&current), None)? {
                continue;
            }
            constraints.before_delete(w, &current)?;
            if !w.delete_row(&schema.name, pk)? {
                continue;
            }
            count += 1;
            crate::trigger::after(&triggers, w, Some(&current), None)?;
            if let Some(r) = &returning {
                let mut ectx = running.context(&*w);
                let mut input = row.clone();
                input.splice(k..k + n, current);
                let values = r
                    .exprs
                    .iter()
                    .map(|e| ectx.eval(e, &input))
                    .collect::<Result<Vec<_>>>()?;
                out_rows.push(values);
            }
        }
    }
    Ok(DmlResult {
        count,
        returning: returning.as_ref().map(|r| (r.columns.clone(), out_rows)),
    })
}
