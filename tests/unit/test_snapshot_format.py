"""The memory snapshot file format (``browsers/snapshot.mjs``, which Node and the pages share):
every kind of damage is refused with its own reason before Pyodide sees the heap. The
end-to-end tests (tests/test_snapshot.py, tests/test_browsers.py) damage one real snapshot
and check that the run then boots cold with the same results; this checks each refusal."""

from __future__ import annotations

import json
import subprocess

import browsers

JS = """
import { parseSnapshot, snapshotHead } from %s;
const snap = { format: 1, key: "k-1" };
const payload = new Uint8Array(4099).map((_, i) => (i * 7 + 3) & 0xff);  // not a multiple of 4
const file = new Uint8Array([...snapshotHead(payload, snap, "314.0.7"), ...payload]);
const damaged = {
  good: file,
  flip: file.map((b, i) => (i >= file.length - 2000 && i < file.length - 1936 ? b ^ 0x5a : b)),
  truncate: file.subarray(0, Math.floor(file.length / 3)),
  garbage: new Uint8Array(file.length).fill(7),
  empty: new Uint8Array(0),
};
const out = {};
for (const [name, bytes] of Object.entries(damaged)) {
  try {
    const got = parseSnapshot(bytes, snap);
    out[name] = got.length === payload.length && got.every((b, i) => b === payload[i]) ? "ok" : "wrong payload";
  } catch (error) {
    out[name] = error.message;
  }
}
for (const [name, other] of [["other key", { ...snap, key: "k-2" }], ["other format", { ...snap, format: 2 }]]) {
  try { parseSnapshot(file, other); out[name] = "accepted"; } catch (error) { out[name] = error.message; }
}
process.stdout.write(JSON.stringify(out));
"""


def test_each_damage_is_refused_with_its_reason() -> None:
    module = json.dumps(browsers.entry("snapshot.mjs").as_uri())
    done = subprocess.run(
        ["node", "--input-type=module", "-e", JS % module], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == {
        "good": "ok",
        "flip": "checksum mismatch",
        "truncate": "truncated",
        "garbage": "not a snapshot",
        "empty": "not a snapshot",
        "other key": "other key",
        "other format": "other format",
    }
