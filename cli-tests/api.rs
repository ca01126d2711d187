//! The Rust API end to end on a real file: open, write, reopen, read back every type,
//! transactions in both forms, prepared statements and typed errors.

use covet::{
    Database, Date, Decimal, Error, Interval, Json, Time, Timestamp, TransactionStatus, Uuid, Value,
};

fn count(conn: &covet::Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), (), |r| r.get(0))
        .unwrap()
}

#[test]
fn connection_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<covet::Connection>();
    assert_send::<covet::Rows>();
    assert_send::<covet::Database>();
    fn assert_sync<T: Sync>() {}
    assert_sync::<covet::Database>();
}

#[test]
fn write_reopen_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.covet");
    {
        let db = Database::open(&path).unwrap();
        let conn = db.connect();
        conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY, b TEXT)")
            .unwrap();
        let mut insert = conn.prepare("INSERT INTO t(a, b) VALUES ($1, $2)").unwrap();
        for i in 0..100i64 {
            let b = if i % 10 == 0 {
                None
            } else {
                Some(format!("v{i}"))
            };
            assert_eq!(insert.execute((i, b)).unwrap(), 1);
        }
    }
    let db = Database::open(&path).unwrap();
    let conn = db.connect();
    assert_eq!(count(&conn, "t"), 100);
    let rows: Vec<(i64, Option<String>)> = conn
        .query_as("SELECT a, b FROM t WHERE a < $1 ORDER BY a", (3,))
        .unwrap()
        .collect::<covet::Result<_>>()
        .unwrap();
    assert_eq!(
        rows,
        [
            (0, None),
            (1, Some("v1".to_owned())),
            (2, Some("v2".to_owned()))
        ]
    );
    assert!(db.check_integrity().unwrap().problems.is_empty());
}

#[test]
fn every_type_round_trips_through_a_table() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE every(
            b BOOLEAN, i SMALLINT, j INTEGER, k BIGINT, r REAL, d DOUBLE PRECISION,
            n NUMERIC(10, 2), s TEXT, v VARCHAR(5), y BYTEA, dt DATE, tm TIME,
            ts TIMESTAMP, tz TIMESTAMPTZ, iv INTERVAL, u UUID, js JSON)",
    )
    .unwrap();
    let n: Decimal = "12.34".parse().unwrap();
    let date = Date::from_ymd(2024, 2, 29).unwrap();
    let time = Time::from_hms_micro(13, 14, 15, 500).unwrap();
    let ts = Timestamp::from_date_time(date, time).unwrap();
    let iv = Interval::new(1, 2, 3_000_000);
    let uuid: Uuid = "67e55044-10b1-426f-9247-bb680e5fe0c8".parse().unwrap();
    let inserted = conn
        .execute(
            "INSERT INTO every VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)",
            covet::params![
                true,
                7i16,
                -8i32,
                9_000_000_000i64,
                1.5f32,
                2.25f64,
                n,
                "text",
                "vc",
                &b"\x00\xff"[..],
                date,
                time,
                ts,
                covet::TimestampTz(ts),
                iv,
                uuid,
                Json(r#"{"a":1}"#.into())
            ],
        )
        .unwrap();
    assert_eq!(inserted, 1);
    let row = conn
        .query_row("SELECT * FROM every", (), |r| Ok(r.clone()))
        .unwrap();
    assert!(row.get::<_, bool>("b").unwrap());
    assert_eq!(row.get::<_, i16>("i").unwrap(), 7);
    assert_eq!(row.get::<_, i32>("j").unwrap(), -8);
    assert_eq!(row.get::<_, i64>("k").unwrap(), 9_000_000_000);
    assert_eq!(row.get::<_, f32>("r").unwrap(), 1.5);
    assert_eq!(row.get::<_, f64>("d").unwrap(), 2.25);
    assert_eq!(row.get::<_, Decimal>("n").unwrap(), n);
    assert_eq!(row.get::<_, String>("s").unwrap(), "text");
    assert_eq!(row.get::<_, String>("v").unwrap(), "vc");
    assert_eq!(row.get::<_, Vec<u8>>("y").unwrap(), vec![0, 255]);
    assert_eq!(row.get::<_, Date>("dt").unwrap(), date);
    assert_eq!(row.get::<_, Time>("tm").unwrap(), time);
    assert_eq!(row.get::<_, Timestamp>("ts").unwrap(), ts);
    assert_eq!(row.get::<_, covet::TimestampTz>("tz").unwrap().0, ts);
    assert_eq!(row.get::<_, Interval>("iv").unwrap(), iv);
    assert_eq!(row.get::<_, Uuid>("u").unwrap(), uuid);
    assert_eq!(row.get::<_, [u8; 16]>("u").unwrap(), uuid.0);
    assert_eq!(row.get::<_, Json>("js").unwrap().0, r#"{"a":1}"#);
    assert_eq!(row.get::<_, Value>("k").unwrap(), Value::Int(9_000_000_000));
    // u8 from 9e9 is out of range, a string from an integer is a type error.
    assert!(matches!(
        row.get::<_, u8>("k"),
        Err(Error::OutOfRange { ref column, expected: "u8", .. }) if column == "k"
    ));
    assert!(matches!(
        row.get::<_, String>("k"),
        Err(Error::FromSql { ref column, expected: "String", found: "bigint" }) if column == "k"
    ));
}

#[test]
fn closure_transactions_commit_or_roll_back() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY)")
        .unwrap();
    let v: i64 = conn
        .transaction(|tx| {
            tx.execute("INSERT INTO t VALUES (1), (2)", ())?;
            tx.query_row("SELECT sum(a) FROM t", (), |r| r.get(0))
        })
        .unwrap();
    assert_eq!(v, 3);
    let err = conn
        .transaction(|tx| -> covet::Result<()> {
            tx.execute("INSERT INTO t VALUES (3)", ())?;
            tx.execute("INSERT INTO t VALUES (1)", ())?;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(err.sqlstate().as_str(), "23505");
    assert_eq!(conn.transaction_status(), TransactionStatus::Idle);
    assert_eq!(count(&conn, "t"), 2);
    // A second block on the same connection is refused while one is open.
    let tx = conn.begin().unwrap();
    assert_eq!(conn.begin().unwrap_err().sqlstate().as_str(), "25001");
    drop(tx);
    assert_eq!(conn.transaction_status(), TransactionStatus::Idle);
}

#[test]
fn other_connections_see_only_committed_rows() {
    let db = Database::memory().unwrap();
    let writer = db.connect();
    let reader = db.connect();
    writer.execute_batch("CREATE TABLE t(a INT)").unwrap();
    let tx = writer.begin().unwrap();
    tx.execute("INSERT INTO t VALUES (1)", ()).unwrap();
    assert_eq!(count(&reader, "t"), 0);
    tx.commit().unwrap();
    assert_eq!(count(&reader, "t"), 1);
}

#[test]
fn rows_stream_and_a_connection_moves_to_a_thread() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY)")
        .unwrap();
    let mut insert = conn.prepare("INSERT INTO t VALUES ($1)").unwrap();
    conn.transaction(|_| {
        for i in 0..5000 {
            insert.execute((i,))?;
        }
        Ok(())
    })
    .unwrap();
    drop(insert);
    let total = std::thread::spawn(move || {
        let mut sum = 0i64;
        for row in conn.query("SELECT a FROM t", ()).unwrap() {
            sum += row.unwrap().get::<_, i64>(0).unwrap();
        }
        sum
    })
    .join()
    .unwrap();
    assert_eq!(total, 4999 * 5000 / 2);
}

#[test]
fn sql_errors_keep_their_sqlstate() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    let e = conn.execute("SELECT * FROM missing", ()).unwrap_err();
    assert_eq!(e.sqlstate().as_str(), "42P01");
    let e = conn
        .query_row("SELECT 1/0", (), |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(e.sqlstate().as_str(), "22012");
    let e = conn.execute("SELECT $1", (u64::MAX,)).unwrap_err();
    assert!(matches!(e, Error::ToSql(_)));
}

#[test]
fn every_kind_of_params() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY, b TEXT)")
        .unwrap();
    assert_eq!(
        conn.execute("INSERT INTO t VALUES ($1, $2)", (1, "one"))
            .unwrap(),
        1
    );
    assert_eq!(
        conn.execute(
            "INSERT INTO t VALUES ($1, $2)",
            covet::params![2, String::from("two")]
        )
        .unwrap(),
        1
    );
    let dynamic: &[&dyn covet::ToSql] = &[&3i64, &"three"];
    assert_eq!(
        conn.execute("INSERT INTO t VALUES ($1, $2)", dynamic)
            .unwrap(),
        1
    );
    assert_eq!(
        conn.execute(
            "INSERT INTO t VALUES ($1, $2)",
            vec![Value::Int(4), Value::Text("four".into())]
        )
        .unwrap(),
        1
    );
    assert_eq!(
        conn.execute("INSERT INTO t(a) VALUES ($1), ($2)", [5u8, 6u8])
            .unwrap(),
        2
    );
    let names: Vec<Option<String>> = conn
        .query_map("SELECT b FROM t WHERE a >= $1 ORDER BY a", (2u64,), |r| {
            r.get(0)
        })
        .unwrap()
        .collect::<covet::Result<_>>()
        .unwrap();
    assert_eq!(
        names,
        [
            Some("two".into()),
            Some("three".into()),
            Some("four".into()),
            None,
            None
        ]
    );
    // Too few parameters is 42P02, named.
    let err = conn
        .execute("INSERT INTO t VALUES ($1, $2)", (7,))
        .unwrap_err();
    assert_eq!(err.sqlstate().as_str(), "42P02");
}

#[test]
fn a_prepared_statement_survives_a_schema_change() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY); INSERT INTO t VALUES (1), (2);")
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT * FROM t WHERE a >= $1 ORDER BY a")
        .unwrap();
    let before: Vec<(i64,)> = stmt
        .query_as((1,))
        .unwrap()
        .collect::<covet::Result<_>>()
        .unwrap();
    assert_eq!(before, [(1,), (2,)]);
    conn.execute_batch("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'd'")
        .unwrap();
    let after: Vec<(i64, String)> = stmt
        .query_as((2,))
        .unwrap()
        .collect::<covet::Result<_>>()
        .unwrap();
    assert_eq!(after, [(2, "d".to_owned())]);
}

#[test]
fn dropping_rows_early_ends_the_query() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY)")
        .unwrap();
    conn.transaction(|tx| {
        let mut insert = tx.prepare("INSERT INTO t VALUES ($1)")?;
        for i in 0..3000 {
            insert.execute((i,))?;
        }
        Ok(())
    })
    .unwrap();
    let mut rows = conn.query("SELECT a FROM t ORDER BY a", ()).unwrap();
    assert_eq!(rows.next().unwrap().unwrap().get::<_, i64>(0).unwrap(), 0);
    drop(rows);
    // The connection is free for a write at once.
    assert_eq!(
        conn.execute("DELETE FROM t WHERE a < $1", (1000,)).unwrap(),
        1000
    );
    assert_eq!(count(&conn, "t"), 2000);
}

#[test]
fn execute_counts_returned_rows_and_batch_stops_at_an_error() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY)")
        .unwrap();
    assert_eq!(
        conn.execute("INSERT INTO t VALUES (1), (2), (3) RETURNING a", ())
            .unwrap(),
        3
    );
    let err = conn
        .execute_batch(
            "INSERT INTO t VALUES (4); INSERT INTO t VALUES (1); INSERT INTO t VALUES (5);",
        )
        .unwrap_err();
    assert_eq!(err.sqlstate().as_str(), "23505");
    assert_eq!(count(&conn, "t"), 4);
}

#[test]
fn savepoints_undo_part_of_a_block() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY)")
        .unwrap();
    let tx = conn.begin().unwrap();
    tx.execute("INSERT INTO t VALUES (1)", ()).unwrap();
    {
        let sp = tx.savepoint().unwrap();
        sp.execute("INSERT INTO t VALUES (2)", ()).unwrap();
        assert_eq!(
            sp.execute("INSERT INTO t VALUES (2)", ())
                .unwrap_err()
                .sqlstate()
                .as_str(),
            "23505"
        );
        assert_eq!(conn.transaction_status(), TransactionStatus::Failed);
    }
    // The dropped savepoint rolled back its row and the failure.
    assert_eq!(conn.transaction_status(), TransactionStatus::InTransaction);
    let sp = tx.savepoint().unwrap();
    sp.execute("INSERT INTO t VALUES (3)", ()).unwrap();
    sp.release().unwrap();
    tx.commit().unwrap();
    let rows: Vec<(i64,)> = conn
        .query_as("SELECT a FROM t ORDER BY a", ())
        .unwrap()
        .collect::<covet::Result<_>>()
        .unwrap();
    assert_eq!(rows, [(1,), (3,)]);
}

#[test]
fn a_prepared_insert_knows_its_parameter_types() {
    let db = Database::memory().unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT, b TEXT)").unwrap();
    let stmt = conn.prepare("INSERT INTO t VALUES ($1, $2)").unwrap();
    assert_eq!(
        stmt.param_types(),
        [covet::DataType::Int, covet::DataType::Text]
    );
    assert!(!stmt.returns_rows());
    assert!(stmt.columns().is_empty());
}
