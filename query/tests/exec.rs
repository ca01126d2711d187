//! The executor's contracts: sorts spill past work_mem and return the same order;
//! scans continue correctly when the transaction writes between batches; the DML
//! target plan yields primary key ++ row ++ FROM columns.

mod common;

use common::*;
use covet_engine::table::{ColumnDef, TableRead, TableSchema};
use covet_engine::value::{SqlType, Value};
use covet_engine::Database;
use covet_query::binder::ParamTypes;
use covet_query::exec::{build, run_to_end, ExecContext, ExecSettings, ExecState, BATCH_SIZE};
use covet_query::{bind_dml_target, Catalog};
use sqlparser::ast::{Statement, UpdateTableFromKind};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

const ROWS: i64 = 3000;

/// `big(k BIGINT PRIMARY KEY, v BIGINT, s TEXT)` with k = 1..=3000, v = (k * 7919) % 1000.
fn big() -> Database {
    let db = Database::memory().unwrap();
    let mut w = db.begin_write().unwrap();
    {
        let mut tw = w.tables();
        tw.create_table(
            TableSchema::new(
                "big",
                vec![
                    ColumnDef::new("k", SqlType::BigInt).not_null(),
                    ColumnDef::new("v", SqlType::BigInt),
                    ColumnDef::new("s", SqlType::Text),
                ],
            )
            .with_primary_key(vec![0]),
        )
        .unwrap();
        for k in 1..=ROWS {
            tw.insert_row(
                "big",
                vec![i(k), i((k * 7919) % 1000), t(&format!("row {k}"))],
            )
            .unwrap();
        }
    }
    w.commit().unwrap();
    db
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("covet-query-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn sort_spills_past_work_mem_and_keeps_the_order() {
    let db = big();
    let sql = "SELECT v, k FROM big ORDER BY v DESC, k";
    let (in_memory, state) = run_with(&db, sql, vec![], ExecSettings::default()).unwrap();
    assert_eq!(state.stats.spill_files, 0);
    let dir = temp_dir("sort");
    let tiny = ExecSettings {
        work_mem: 16 * 1024,
        temp_dir: dir.clone(),
    };
    let (spilled, state) = run_with(&db, sql, vec![], tiny).unwrap();
    assert!(state.stats.spill_files >= 2, "{:?}", state.stats);
    assert!(state.stats.spilled_rows > 0 && state.stats.spilled_rows <= ROWS as u64);
    assert_eq!(spilled, in_memory);
    assert_eq!(spilled.len(), ROWS as usize);
    // Hand-checked first row: 7919 * 321 = 2541999, the smallest k with v = 999.
    assert_eq!(spilled[0], vec![i(999), i(321)]);
    assert!(spilled.windows(2).all(|w| {
        let (a, b) = (&w[0], &w[1]);
        a[0].sql_cmp(&b[0]).is_gt() || (a[0] == b[0] && a[1].sql_cmp(&b[1]).is_lt())
    }));
    // The spill files are gone once the query is.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn window_and_aggregate_over_a_spilled_sort() {
    let db = big();
    let dir = temp_dir("window");
    let tiny = ExecSettings {
        work_mem: 16 * 1024,
        temp_dir: dir.clone(),
    };
    // Small partitions (three rows per v) over an input sort that spills.
    let sql =
        "SELECT k, row_number() OVER (PARTITION BY v ORDER BY k DESC) FROM big ORDER BY k LIMIT 3";
    let (spilled, state) = run_with(&db, sql, vec![], tiny).unwrap();
    let (plain, _) = run_with(&db, sql, vec![], ExecSettings::default()).unwrap();
    assert!(state.stats.spill_files > 0);
    assert_eq!(spilled, plain);
    // v repeats every 1000 k: k = 1, 2, 3 are the first of three rows of their v, last by k DESC.
    assert_eq!(
        spilled,
        vec![vec![i(1), i(3)], vec![i(2), i(3)], vec![i(3), i(3)]]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hash_aggregate_spills_partitions_past_work_mem() {
    let db = big();
    let dir = temp_dir("aggregate");
    let sql = "SELECT v, count(*), sum(k) FROM big GROUP BY v";
    let mut plain = run_with(&db, sql, vec![], ExecSettings::default())
        .unwrap()
        .0;
    let tiny = ExecSettings {
        work_mem: 4 * 1024,
        temp_dir: dir.clone(),
    };
    let (mut spilled, state) = run_with(&db, sql, vec![], tiny).unwrap();
    assert!(state.stats.spill_files > 0);
    plain.sort_by(|a, b| a[0].sql_cmp(&b[0]));
    spilled.sort_by(|a, b| a[0].sql_cmp(&b[0]));
    assert_eq!(spilled.len(), 1000);
    assert_eq!(spilled, plain);
    // v = 0 for k = 1000, 2000, 3000 (7919 * 1000 ends in 000).
    assert_eq!(spilled[0], vec![i(0), i(3), i(6000)]);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    // With no memory at all, repartitioning cannot help: 53200 naming work_mem.
    let none = ExecSettings {
        work_mem: 1,
        temp_dir: dir.clone(),
    };
    let Err(err) = run_with(&db, sql, vec![], none) else {
        panic!("the aggregate fit in 1 byte");
    };
    assert_eq!(err.code.as_str(), "53200");
    assert!(err.message.contains("work_mem"), "{}", err.message);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scans_continue_after_writes_between_batches() {
    let db = big();
    let mut w = db.begin_write().unwrap();
    let mut tw = w.tables();
    let plan = plan(&tw, "SELECT k, v FROM big WHERE k > 0").unwrap();
    let mut state = ExecState::new(&plan, vec![]);
    let mut op = build(&plan).unwrap();
    let first = {
        let mut ctx = ExecContext::new(&tw, &mut state);
        op.next_batch(&mut ctx).unwrap().unwrap()
    };
    assert_eq!(first.rows.len(), BATCH_SIZE);
    assert_eq!(first.rows[BATCH_SIZE - 1][0], i(BATCH_SIZE as i64));
    // Between batches: change a row ahead, delete one ahead, add one ahead and one
    // behind the scan position.
    tw.update_row("big", &[i(2000)], vec![i(2000), i(-1), t("changed")])
        .unwrap();
    assert!(tw.delete_row("big", &[i(1500)]).unwrap());
    tw.insert_row("big", vec![i(5000), i(5), t("new")]).unwrap();
    tw.insert_row("big", vec![i(-7), i(5), t("behind")])
        .unwrap();
    let mut rest = Vec::new();
    loop {
        let mut ctx = ExecContext::new(&tw, &mut state);
        match op.next_batch(&mut ctx).unwrap() {
            Some(b) => rest.extend(b.rows),
            None => break,
        }
    }
    let keys: Vec<i64> = rest
        .iter()
        .map(|r| match r[0] {
            Value::Int(k) => k,
            ref other => panic!("{other:?}"),
        })
        .collect();
    let mut expected: Vec<i64> = (BATCH_SIZE as i64 + 1..=ROWS)
        .filter(|&k| k != 1500)
        .collect();
    expected.push(5000);
    assert_eq!(keys, expected);
    let changed = rest.iter().find(|r| r[0] == i(2000)).unwrap();
    assert_eq!(changed[1], i(-1));
}

#[test]
fn index_scans_continue_after_writes_between_batches() {
    let db = big();
    let mut w = db.begin_write().unwrap();
    let mut tw = w.tables();
    tw.create_index(covet_engine::table::IndexDef::new(
        "big_v",
        "big",
        vec![(1, covet_engine::value::SortOrder::Asc)],
    ))
    .unwrap();
    let plan = plan(&tw, "SELECT v, k FROM big WHERE v >= 0").unwrap();
    assert!(covet_query::explain(&plan)
        .iter()
        .any(|l| l.contains("Index Range Scan on big(v)")));
    let mut state = ExecState::new(&plan, vec![]);
    let mut op = build(&plan).unwrap();
    let mut seen = Vec::new();
    let mut batches = 0;
    loop {
        let batch = {
            let mut ctx = ExecContext::new(&tw, &mut state);
            op.next_batch(&mut ctx).unwrap()
        };
        let Some(b) = batch else { break };
        batches += 1;
        seen.extend(b.rows);
        if batches == 1 {
            // Insert entries behind (v = 0) and far ahead (v = 999) of the position.
            tw.insert_row("big", vec![i(9001), i(0), t("behind")])
                .unwrap();
            tw.insert_row("big", vec![i(9002), i(999), t("ahead")])
                .unwrap();
        }
    }
    assert!(batches >= 3);
    assert_eq!(seen.len(), ROWS as usize + 1);
    assert!(seen.iter().any(|r| r[1] == i(9002)));
    assert!(!seen.iter().any(|r| r[1] == i(9001)));
    // In index order (v, then k), without repeats.
    assert!(seen.windows(2).all(|w| {
        w[0][0]
            .sql_cmp(&w[1][0])
            .then(w[0][1].sql_cmp(&w[1][1]))
            .is_lt()
    }));
}

#[test]
fn dml_target_rows_are_primary_key_then_row_then_from_columns() {
    let db = db();
    let r = db.begin_read().unwrap();
    let tables = r.tables();
    let catalog = Catalog::load(&tables).unwrap();
    let sql =
        "UPDATE t SET b = b + u.id FROM u WHERE t.a = u.t_a AND u.v = 'uno' RETURNING t.a, u.v";
    let Statement::Update(update) = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .unwrap()
        .remove(0)
    else {
        panic!("not an UPDATE");
    };
    let from = match &update.from {
        Some(UpdateTableFromKind::AfterSet(f)) | Some(UpdateTableFromKind::BeforeSet(f)) => {
            f.clone()
        }
        None => vec![],
    };
    let mut params = ParamTypes::new();
    let mut target = bind_dml_target(
        &catalog,
        &mut params,
        &update.table.relation,
        &from,
        update.selection.as_ref(),
    )
    .unwrap();
    assert_eq!(target.table().name, "t");
    let (set, _) = target.bind_expr(&update.assignments[0].value).unwrap();
    let returning: Vec<_> = update
        .returning
        .as_ref()
        .unwrap()
        .iter()
        .map(|item| match item {
            sqlparser::ast::SelectItem::UnnamedExpr(e) => target.bind_expr(e).unwrap().0,
            other => panic!("{other:?}"),
        })
        .collect();
    let plan = target.finish().unwrap();
    let mut state = ExecState::new(&plan, vec![]);
    let rows = run_to_end(&plan, &tables, &mut state).unwrap();
    // pk (a) ++ t's row (a, b, c) ++ u's row (id, t_a, v).
    assert_eq!(
        rows,
        vec![vec![i(1), i(1), i(10), t("x"), i(2), i(1), t("uno")]]
    );
    let mut ctx = ExecContext::new(&tables, &mut state);
    assert_eq!(ctx.eval(&set, &rows[0]).unwrap(), i(12));
    assert_eq!(ctx.eval(&returning[0], &rows[0]).unwrap(), i(1));
    assert_eq!(ctx.eval(&returning[1], &rows[0]).unwrap(), t("uno"));
    let _: &dyn TableRead = &tables;
}
