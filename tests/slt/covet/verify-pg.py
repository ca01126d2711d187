#!/usr/bin/env python3
"""Checks that PostgreSQL gives the expected results of covet's own sqllogictest files.

usage: verify-pg.py [--host H] [--port P] [--user U] [--db D] [--complete] [FILE_OR_DIR ...]

Every `.test` file (default: the files beside this script) runs on one connection in a
fresh schema of its own (`slt_<file name>`, dropped first), on the engine named
`postgresql`: a record marked `skipif postgresql` or `onlyif <another engine>` is not
run. Each record is judged as covet-slt judges it on covet:

- `statement ok` must succeed; `statement error` must fail, and with
  `statement error SQLSTATE [TEXT...]` fail with that SQLSTATE and a message that
  contains TEXT (case-insensitively);
- `query TYPES SORT` must return len(TYPES) columns whose values, printed as
  covet-slt prints covet's values (see `format_value`), sorted as SORT says, are the
  expected ones (or hash to the expected MD5).

With `--complete`, a query record whose values PostgreSQL does not match gets
PostgreSQL's values written into the file instead of a failure (for writing new
records; review the diff: the values become the test's truth).

It speaks PostgreSQL's simple query protocol itself (trust authentication only), so
that it needs nothing but Python 3. Prints each failure, then `N passed, N failed,
N skipped`; exits 1 when a record failed.

What must stay true: the printing rules here are covet-slt's (tests/src/slt/format.rs)
applied to PostgreSQL's text output, so that a file PostgreSQL passes here states
PostgreSQL's answers in the form covet-slt compares covet's with.
"""

import argparse
import decimal
import hashlib
import math
import os
import re
import socket
import struct
import sys

ENGINE = "postgresql"
HASH_THRESHOLD = 8

# PostgreSQL type OIDs whose text output covet-slt's printing treats specially.
BOOL, BYTEA, FLOAT4, FLOAT8, NUMERIC = 16, 17, 700, 701, 1700
INTEGERS = {20, 21, 23, 26}


class PgError(Exception):
    def __init__(self, fields):
        self.sqlstate = fields.get("C", "?????")
        self.message = fields.get("M", "")
        super().__init__(f"{self.sqlstate}: {self.message}")


class Pg:
    """One connection speaking the simple query protocol."""

    def __init__(self, host, port, user, db):
        self.sock = socket.create_connection((host, port))
        body = struct.pack("!i", 196608)
        for k, v in (("user", user), ("database", db), ("client_encoding", "UTF8")):
            body += k.encode() + b"\0" + v.encode() + b"\0"
        body += b"\0"
        self.sock.sendall(struct.pack("!i", len(body) + 4) + body)
        self.buf = b""
        while True:
            kind, payload = self._message()
            if kind == b"R":
                (code,) = struct.unpack("!i", payload[:4])
                if code != 0:
                    raise RuntimeError(f"authentication method {code} is not supported (trust only)")
            elif kind == b"E":
                raise PgError(_fields(payload))
            elif kind == b"Z":
                return

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _message(self):
        kind = self._read(1)
        (length,) = struct.unpack("!i", self._read(4))
        return kind, self._read(length - 4)

    def run(self, sql):
        """Runs one statement: (type OIDs, rows of text or None) or (None, None) for no
        rows; raises PgError with the statement's error."""
        data = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", len(data) + 4) + data)
        oids, rows, error = None, [], None
        while True:
            kind, payload = self._message()
            if kind == b"T":
                (n,) = struct.unpack("!h", payload[:2])
                pos, oids = 2, []
                for _ in range(n):
                    pos = payload.index(b"\0", pos) + 1
                    _table, _attnum, oid, _len, _mod, _fmt = struct.unpack("!ihihih", payload[pos:pos + 18])
                    oids.append(oid)
                    pos += 18
            elif kind == b"D":
                (n,) = struct.unpack("!h", payload[:2])
                pos, row = 2, []
                for _ in range(n):
                    (length,) = struct.unpack("!i", payload[pos:pos + 4])
                    pos += 4
                    if length < 0:
                        row.append(None)
                    else:
                        row.append(payload[pos:pos + length].decode())
                        pos += length
                rows.append(row)
            elif kind == b"E":
                error = PgError(_fields(payload))
            elif kind == b"Z":
                if error:
                    raise error
                return (oids, rows) if oids is not None else (None, None)


def _fields(payload):
    out = {}
    for part in payload.split(b"\0"):
        if part:
            out[chr(part[0])] = part[1:].decode(errors="replace")
    return out


# ---- printing, as covet-slt's format.rs -------------------------------------------

def leading_int(text):
    m = re.match(r"\s*([+-]?)(\d*)", text)
    digits = m.group(2)
    if not digits:
        return 0
    v = int(digits) * (-1 if m.group(1) == "-" else 1)
    return max(-(2**63), min(2**63 - 1, v))


def leading_float(text):
    m = re.match(r"\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)", text)
    return float(m.group(1)) if m else 0.0


def as_int(text, oid):
    if oid == BOOL:
        return 1 if text == "t" else 0
    if oid in INTEGERS:
        return int(text)
    if oid in (FLOAT4, FLOAT8):
        f = float(text)
        if math.isnan(f):
            return 0
        if math.isinf(f):
            return 2**63 - 1 if f > 0 else -(2**63)
        return max(-(2**63), min(2**63 - 1, int(f)))
    if oid == NUMERIC:
        d = decimal.Decimal(text)
        if d.is_nan():
            return 0
        return max(-(2**63), min(2**63 - 1, int(d)))
    return leading_int(text)


def as_real(text, oid):
    if oid == BOOL:
        return "1.000" if text == "t" else "0.000"
    if oid in INTEGERS or oid == NUMERIC:
        d = decimal.Decimal(text)
    else:
        f = float(text) if oid in (FLOAT4, FLOAT8) else leading_float(text)
        if math.isnan(f) or math.isinf(f):
            return "%.3f" % f
        d = decimal.Decimal(repr(f))
    # SQLite's printf rounds ties away from zero.
    return str(d.quantize(decimal.Decimal("0.001"), rounding=decimal.ROUND_HALF_UP))


def g15(f):
    """format.rs's format_g15: SQLite's %!.15g."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0.0" if math.copysign(1, f) < 0 else "0.0"
    mantissa, exp = ("%.14e" % f).split("e")
    exp = int(exp)

    def trim(s):
        if "." in s:
            s = s.rstrip("0")
            if s.endswith("."):
                s += "0"
        return s

    if not -4 <= exp < 15:
        return f"{trim(mantissa)}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return trim("%.*f" % (max(14 - exp, 0), f))


def as_text(text, oid):
    if oid == BOOL:
        text = "1" if text == "t" else "0"
    elif oid in (FLOAT4, FLOAT8):
        text = g15(float(text.replace("Infinity", "inf")))
    # covet-slt prints a blob's own bytes (as SQLite's runner); PostgreSQL sends hex.
    data = bytes.fromhex(text[2:]) if oid == BYTEA else text.encode()
    if not data:
        return "(empty)"
    return "".join(chr(b) if 0x20 <= b <= 0x7E else "@" for b in data)


def format_value(text, oid, letter):
    if text is None:
        return "NULL"
    if letter == "I":
        return str(as_int(text, oid))
    if letter == "R":
        return as_real(text, oid)
    return as_text(text, oid)


# ---- the file format, as covet-slt's parser.rs -------------------------------------

def records(text):
    """Yields (line, conditions, head tokens, body lines) for each record."""
    lines = []
    for i, raw in enumerate(text.split("\n")):
        line = raw.rstrip("\r")
        if not line.strip():
            line = ""
        if line.startswith("#"):
            continue
        lines.append((i + 1, line))
    i = 0
    while i < len(lines):
        if not lines[i][1]:
            i += 1
            continue
        end = i
        while end < len(lines) and lines[end][1]:
            end += 1
        block = lines[i:end]
        i = end
        conditions = []
        k = 0
        while k < len(block) and block[k][1].split()[0] in ("skipif", "onlyif"):
            words = block[k][1].split()
            conditions.append((words[0], words[1]))
            k += 1
        if k == len(block):
            raise SyntaxError(f"line {block[-1][0]}: conditions without a record")
        yield block[k][0], conditions, block[k][1].split(), [l for _, l in block[k + 1:]]


def runs_here(conditions):
    for word, engine in conditions:
        if word == "skipif" and engine.lower() == ENGINE:
            return False
        if word == "onlyif" and engine.lower() != ENGINE:
            return False
    return True


def md5_of(values):
    h = hashlib.md5()
    for v in values:
        h.update(v.encode() + b"\n")
    return h.hexdigest()


def judge_query(pg, head, body):
    types = head[1]
    sort = head[2] if len(head) > 2 else "nosort"
    split = body.index("----") if "----" in body else len(body)
    sql, expected = "\n".join(body[:split]), body[split + 1:]
    try:
        oids, rows = pg.run(sql)
    except PgError as e:
        return sql, "\n".join(expected), str(e)
    if oids is None:
        return sql, "\n".join(expected), "returned no rows"
    if len(oids) != len(types):
        return sql, f"{len(types)} columns ({types})", f"{len(oids)} columns"
    formatted = [[format_value(v, oid, t) for v, oid, t in zip(row, oids, types)] for row in rows]
    if sort == "rowsort":
        formatted.sort()
    values = [v for row in formatted for v in row]
    if sort == "valuesort":
        values.sort()
    m = re.fullmatch(r"(\d+) values hashing to ([0-9a-f]{32})", expected[0]) if len(expected) == 1 else None
    if m:
        ok = int(m.group(1)) == len(values) and m.group(2) == md5_of(values)
    else:
        ok = values == expected
    return None if ok else (sql, "\n".join(expected), "\n".join(values), values)


def judge_statement(pg, head, body):
    sql = "\n".join(body)
    expect_error = head[1] == "error"
    code = head[2] if expect_error and len(head) > 2 and re.fullmatch(r"[0-9A-Z]{5}", head[2]) else None
    text = " ".join(head[3:]) if code and len(head) > 3 else None
    try:
        pg.run(sql)
    except PgError as e:
        if not expect_error:
            return sql, "ok", str(e)
        if code and (e.sqlstate != code or (text and text.lower() not in e.message.lower())):
            return sql, f"error {code}" + (f' containing "{text}"' if text else ""), str(e)
        return None
    return (sql, "an error" if not code else f"error {code}", "ok") if expect_error else None


def complete(text, completed):
    """The file with the values of the query records at the lines of `completed`
    (1-based) replaced by the given ones."""
    raw = text.split("\n")
    for line in sorted(completed, reverse=True):
        end = line
        while end < len(raw) and raw[end].strip():
            end += 1
        sep = next((i for i in range(line, end) if raw[i].rstrip("\r") == "----"), None)
        values = completed[line]
        if sep is None:
            raw[end:end] = ["----"] + values if values else []
        else:
            raw[sep + 1:end] = values
    return "\n".join(raw)


def run_file(path, args):
    name = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    pg = Pg(args.host, args.port, args.user, args.db)
    pg.run("SET client_min_messages = warning")
    # covet knows one time zone, UTC (COMPAT.md, time zones).
    pg.run("SET TimeZone = 'UTC'")
    pg.run(f"DROP SCHEMA IF EXISTS slt_{name} CASCADE")
    pg.run(f"CREATE SCHEMA slt_{name}")
    pg.run(f"SET search_path TO slt_{name}")
    passed = failed = skipped = 0
    with open(path, encoding="utf-8") as f:
        text = f.read()
    completed = {}
    for line, conditions, head, body in records(text):
        if head[0] == "halt":
            if runs_here(conditions):
                break
            continue
        if head[0] == "hash-threshold":
            continue
        if not runs_here(conditions):
            skipped += 1
            continue
        if head[0] == "statement":
            failure = judge_statement(pg, head, body)
        elif head[0] == "query":
            failure = judge_query(pg, head, body)
        else:
            failure = ("", "a record", " ".join(head))
        if failure and args.complete and len(failure) == 4:
            completed[line] = failure[3]
            passed += 1
        elif failure:
            failed += 1
            sql, expected, actual = failure[:3]
            print(f"FAIL {path}:{line}\n  sql: {sql}\n  expected:\n    "
                  + expected.replace("\n", "\n    ") + "\n  actual:\n    " + actual.replace("\n", "\n    "))
        else:
            passed += 1
    if completed:
        with open(path, "w", encoding="utf-8") as f:
            f.write(complete(text, completed))
        print(f"{path}: wrote PostgreSQL's values into {len(completed)} query records")
    pg.run("ROLLBACK")
    pg.run(f"DROP SCHEMA IF EXISTS slt_{name} CASCADE")
    print(f"{path}: {passed} passed, {failed} failed, {skipped} skipped")
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--user", default="postgres")
    ap.add_argument("--db", default="test")
    ap.add_argument("--complete", action="store_true")
    ap.add_argument("paths", nargs="*")
    args = ap.parse_args()
    paths = args.paths or [os.path.dirname(os.path.abspath(__file__))]
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".test"))
        else:
            files.append(p)
    totals = [0, 0, 0]
    for f in files:
        for i, n in enumerate(run_file(f, args)):
            totals[i] += n
    print(f"{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
