// The floor: the least a Node script must do to run a pytest suite in Pyodide.
//
//   node bench/bare.mjs DIST_DIR SITE_PACKAGES SUITE_DIR [pytest args...]
//
// Boots the Pyodide distribution in DIST_DIR, mounts SITE_PACKAGES (unpacked pure wheels,
// pytest among them) and SUITE_DIR at their own paths through NODEFS, then runs
// pytest.main(args) from SUITE_DIR. No events, no replay, no patches: output goes straight
// to stdout/stderr and the exit status is pytest's.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [dist, site, suite, ...args] = process.argv.slice(2);

/** Write all bytes to fd (stdout may be a non-blocking pipe). */
function writeAll(fd, bytes) {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
    }
  }
  return bytes.length;
}

const { loadPyodide } = await import(pathToFileURL(path.join(dist, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: dist + path.sep });
pyodide.setStdout({ write: (bytes) => writeAll(1, bytes) });
pyodide.setStderr({ write: (bytes) => writeAll(2, bytes) });
for (const dir of [site, suite]) {
  pyodide.FS.mkdirTree(dir);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: dir }, dir);
}
pyodide.globals.set("BENCH", pyodide.toPy({ site, suite, args }));
const status = pyodide.runPython(`
import os, sys
sys.path.insert(0, BENCH["site"])
os.chdir(BENCH["suite"])
import pytest
int(pytest.main(list(BENCH["args"])))
`);
process.exit(status);
