//! `covet`: for now, a short tour of the storage engine on a real file.
//!
//! `cargo run --release [-- PATH [ROWS]]` creates (or reopens) a database at
//! PATH (default: a new file in the system temp directory), loads ROWS rows
//! (default 200,000) in batches of durable commits, reads them back at random,
//! scans a range, checks integrity and takes an online backup, printing what
//! each step took. The SQL shell replaces this once the SQL layer exists.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use covet::engine::{Database, Options};

fn key(i: u64) -> [u8; 24] {
    let mut k = [0u8; 24];
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    k[..8].copy_from_slice(&x.to_be_bytes());
    k[8..16].copy_from_slice(&(!x).to_be_bytes());
    k[16..].copy_from_slice(&i.to_be_bytes());
    k
}

fn run() -> covet::engine::Result<()> {
    let mut args = std::env::args().skip(1);
    let given = args.next().map(PathBuf::from);
    let temporary = given.is_none();
    let path = given.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("covet-demo-{}.covet", std::process::id()))
    });
    let rows: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    println!("covet engine tour on {} ({rows} rows)", path.display());
    let db = Database::open(&path, Options::default())?;

    let t0 = Instant::now();
    let batch = 10_000;
    let mut done = 0;
    while done < rows {
        let mut w = db.begin_write()?;
        let t = w.open_or_create_tree("demo")?;
        for i in done..(done + batch).min(rows) {
            w.insert(
                &t,
                &key(i),
                format!("value of row {i:>12} {}", "x".repeat(100)).as_bytes(),
            )?;
        }
        w.commit()?;
        done = (done + batch).min(rows);
    }
    println!(
        "load        {:>8.1} ms  ({} durable commits of {batch})",
        ms(t0),
        rows.div_ceil(batch)
    );

    let t0 = Instant::now();
    let r = db.begin_read()?;
    let t = r.open_tree("demo")?;
    let mut found = 0u64;
    for i in 0..rows {
        let j = i.wrapping_mul(7919) % rows;
        if r.get(&t, &key(j))?.is_some() {
            found += 1;
        }
    }
    println!("point reads {:>8.1} ms  ({found} of {rows} found)", ms(t0));

    let t0 = Instant::now();
    let scanned = r.range(&t, key(0).as_slice()..).take(10_000).count();
    println!("range scan  {:>8.1} ms  ({scanned} entries)", ms(t0));
    drop(r);

    let t0 = Instant::now();
    let report = db.check_integrity()?;
    println!(
        "integrity   {:>8.1} ms  ({} pages, {} entries, {} problems)",
        ms(t0),
        report.page_count,
        report.entries,
        report.problems.len()
    );

    let backup = path.with_extension("backup.covet");
    let _ = std::fs::remove_file(&backup);
    let t0 = Instant::now();
    let out = db.backup_to(&backup)?;
    println!(
        "backup      {:>8.1} ms  ({} pages to {})",
        ms(t0),
        out.pages,
        backup.display()
    );
    let stats = db.cache_stats();
    println!(
        "page cache  {} of {} bytes in use",
        stats.bytes, stats.capacity
    );
    drop(db);
    if temporary {
        for p in [
            path.clone(),
            backup,
            PathBuf::from(format!("{}-wal", path.display())),
        ] {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
