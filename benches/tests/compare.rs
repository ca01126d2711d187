//! The `compare` binary end to end, at tiny N: children are spawned per engine and round, the
//! settings lines come first, every result line has its median and spread over the rounds, and
//! a bad command line or a failing child gives a non-zero exit status.

use std::process::{Command, Output};

fn compare(args: &[&str]) -> (Output, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_compare"))
        .args(args)
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let lines = String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    // Every child's directory is gone once the run is over.
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "{args:?}"
    );
    (output, lines)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn kv_runs_each_engine_per_round_in_rotated_order() {
    let (output, lines) = compare(&[
        "kv",
        "--n",
        "300",
        "--rounds",
        "3",
        "--engines",
        "covet,lmdb",
        // Only bulk_load: a later workload would make the loads after it run as setup.
        "--workloads",
        "bulk_load",
    ]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    for order in [
        "== kv round 1/3: covet, lmdb",
        "== kv round 2/3: lmdb, covet",
        "== kv round 3/3: covet, lmdb",
    ] {
        assert!(err.contains(order), "{order}: {err}");
    }
    assert_eq!(lines.len(), 2 + 2, "{lines:#?}");
    assert!(lines[0].starts_with(
        "{\"suite\":\"kv\",\"engine\":\"covet\",\"settings\":{\"read_back\":{\"page_size\":4096,"
    ));
    assert!(lines[1].starts_with(
        "{\"suite\":\"kv\",\"engine\":\"lmdb\",\"settings\":{\"read_back\":{\"map_size_bytes\":"
    ));
    for (line, workload, unit) in [
        (&lines[2], "bulk_load", "ms"),
        (&lines[3], "peak_rss", "KiB"),
    ] {
        let head = format!(
            "{{\"suite\":\"kv\",\"workload\":\"{workload}\",\"n\":300,\"unit\":\"{unit}\",\"rounds\":3,\"results\":{{\"covet\":"
        );
        assert!(line.starts_with(&head), "{line}");
        assert!(line.contains(",\"spread\":{\"covet\":["), "{line}");
        assert!(line.contains("],\"lmdb\":["), "{line}");
        assert!(!line.contains("null"), "{line}");
    }
}

#[test]
fn commits_and_load_savepoint_give_their_lines() {
    let (output, lines) = compare(&[
        "commits",
        "--n",
        "20",
        "--rounds",
        "2",
        "--durability",
        "off",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    // 2 settings, 10 buckets, last_over_first, wal_bytes, close, peak_rss.
    assert_eq!(lines.len(), 2 + 10 + 4, "{lines:#?}");
    assert!(lines[1].starts_with(
        "{\"suite\":\"commits\",\"engine\":\"sqlite\",\"durability\":\"off\",\"settings\":{\"read_back\":{\"journal_mode\":\"wal\",\"synchronous\":\"OFF (0)\",\"wal_autocheckpoint\":0,"
    ));
    assert!(lines[11].starts_with(
        "{\"suite\":\"commits\",\"workload\":\"bucket\",\"bucket\":9,\"first_commit\":18,\"commits\":2,\"durability\":\"off\",\"n\":20,\"unit\":\"ms\",\"rounds\":2,\"results\":{\"covet\":"
    ), "{}", lines[11]);

    let (output, lines) = compare(&["load_savepoint", "--n", "300", "--rounds", "2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let workloads: Vec<&str> = lines
        .iter()
        .map(|l| {
            l.split("\"workload\":\"")
                .nth(1)
                .map_or("settings", |rest| rest.split('"').next().unwrap())
        })
        .collect();
    assert_eq!(
        workloads,
        [
            "settings",
            "settings",
            "load",
            "close",
            "load_and_close",
            "peak_rss",
            "file_size",
            "load_ratio",
            "load_and_close_ratio"
        ]
    );
    assert!(
        lines[7].contains("\"results\":{\"savepoint_over_plain\":"),
        "{}",
        lines[7]
    );
}

#[test]
fn bad_runs_fail() {
    let (output, lines) = compare(&["kv", "--engines", "covet,mysql"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(lines.is_empty());
    assert!(stderr(&output).contains("unknown engine \"mysql\""));

    // A child that cannot do its work makes the run fail and its values null.
    let (output, lines) = compare(&["--child", "commits", "redb", "off", "--n", "5"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(lines.is_empty(), "{lines:?}");
    assert!(stderr(&output).contains("redb: the harness runs it only with synced commits"));
}
