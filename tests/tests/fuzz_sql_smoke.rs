//! The `sql` fuzz target's logic (`covet_tests::fuzz_sql::run_sql`) on seeded
//! pseudo-random inputs, so that `cargo test` exercises it on the stable toolchain;
//! plus regression inputs found by fuzzing.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use covet_engine::value::Value;
use covet_query::Outcome;
use covet_tests::fuzz_sql::{decode_sql, fixture, run_sql, VOCABULARY};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The loop stops after this long even with inputs left (a slow machine keeps the
/// test bounded); the count below takes a few seconds in debug.
const BUDGET: Duration = Duration::from_secs(20);

fn run_case(case: usize, data: &[u8]) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run_sql(data))) {
        let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!(
            "sql fuzz case {case} failed; SQL: {}\ninput: {hex}",
            decode_sql(data)
        );
        resume_unwind(panic);
    }
}

#[test]
fn token_mode_decodes_bytes_to_vocabulary() {
    // Mode byte 1 (odd): each byte picks a token.
    assert_eq!(decode_sql(&[1, 0, 1]), "SELECT FROM ");
    let last = (VOCABULARY.len() - 1) as u8;
    assert_eq!(
        decode_sql(&[3, last]),
        format!("{} ", VOCABULARY[VOCABULARY.len() - 1])
    );
    // Mode byte 0 (even): raw text.
    assert_eq!(decode_sql(b"\x00SELECT 1"), "SELECT 1");
    assert_eq!(decode_sql(&[]), "");
}

#[test]
fn random_token_inputs_never_panic() {
    let mut rng = StdRng::seed_from_u64(0x5eed_0051);
    let start = Instant::now();
    let mut ran = 0;
    for case in 0..3_000 {
        if start.elapsed() > BUDGET {
            break;
        }
        let len = rng.gen_range(1..40);
        let mut data = vec![1u8];
        data.extend((0..len).map(|_| rng.gen::<u8>()));
        run_case(case, &data);
        ran += 1;
    }
    assert!(ran >= 200, "only {ran} inputs ran within the budget");
}

#[test]
fn random_raw_inputs_never_panic() {
    let mut rng = StdRng::seed_from_u64(7);
    let start = Instant::now();
    let mut ran = 0;
    let alphabet = b"SELECT FROM WHERE t1 a b ( ) , ; ' \" $ 1 2 . * + - / = < > : \n\t\\ \xff";
    for case in 0..2_000 {
        if start.elapsed() > BUDGET {
            break;
        }
        let len = rng.gen_range(0..60);
        let mut data = vec![0u8];
        data.extend((0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())]));
        run_case(case, &data);
        ran += 1;
    }
    assert!(ran >= 200, "only {ran} inputs ran within the budget");
}

#[test]
fn the_fixture_answers_queries_exactly() {
    // A fuzz harness whose every input failed at the fixture would test nothing: the
    // fixture loads and answers with exactly its rows.
    let mut session = fixture();
    let rows = |session: &mut covet_query::Session, sql: &str| -> Vec<Vec<Value>> {
        match session.execute_sql(sql, &[]) {
            Ok(Outcome::Rows(rows)) => rows.map(|r| r.expect("row")).collect(),
            Ok(Outcome::Done(tag)) => panic!("{sql}: no rows but {tag:?}"),
            Err(e) => panic!("{sql}: {} {e}", e.code),
        }
    };
    assert_eq!(
        rows(&mut session, "SELECT a, b FROM t1 WHERE a > 1 ORDER BY a"),
        vec![
            vec![Value::Int(2), Value::Null],
            vec![Value::Int(3), Value::Text("three".into())],
            vec![Value::Int(4), Value::Text(String::new())],
        ]
    );
    assert_eq!(
        rows(&mut session, "SELECT count(*), count(x) FROM t2"),
        vec![vec![Value::Int(4), Value::Int(3)]]
    );
    assert_eq!(
        rows(&mut session, "SELECT k FROM t3 WHERE v IS NULL"),
        vec![vec![Value::Int(20)]]
    );
    // And a statement run through the fuzz entry point leaves it intact.
    run_sql(b"\x00DELETE FROM t3 WHERE k = 20");
}
