// Node entry point: `node browsers/node/main.mjs BOOT.json`.
//
// The host passes two pipe file descriptors in BOOT.json: `event_fd` (runtime -> host,
// one JSON event per line) and `command_fd` (host -> runtime). They are separate from
// stdout/stderr so nothing a test prints can corrupt the event stream. Both are used with
// synchronous I/O because Python runs on this thread and never yields to the event loop
// while a test runs; that is also what makes streaming live.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { boot, describe } from "../boot.mjs";
import { checkRestored, growMemoryOnInstantiate, parseSnapshot, reason, snapshotHead } from "../snapshot.mjs";

/** Write all of `bytes` to `fd`, retrying when a non-blocking pipe is momentarily full. */
function writeAll(fd, bytes) {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
    }
  }
}

// Held events are written once this many bytes wait (or sooner: see `send`).
const HOLD_BYTES = 1 << 16;

/**
 * The synchronous line channel over the two pipes.
 *
 * `send(line, hold)`: with `hold` true the line may wait in memory until `flush`, the next
 * line sent without it, the next `recv` or the process's end, whichever comes first. Python
 * holds what a test phase reports until the next phase starts (see EventPlugin.emit): one
 * write per phase instead of one per report or subtest, since each write wakes the host's
 * reader. A dying runtime still flushes (see `fatal`); only a SIGKILL loses held lines.
 */
function pipeChannel(eventFd, commandFd) {
  let pending = Buffer.alloc(0);
  const chunk = Buffer.alloc(1 << 16);
  let held = [];
  let heldBytes = 0;
  const flush = () => {
    if (held.length === 0) return;
    const bytes = Buffer.from(held.join(""), "utf8");
    held = [];
    heldBytes = 0;
    writeAll(eventFd, bytes);
  };
  return {
    flush,
    send(line, hold) {
      held.push(line + "\n");
      heldBytes += line.length + 1;
      if (!hold || heldBytes >= HOLD_BYTES) flush();
    },
    recv() {
      flush();
      for (;;) {
        const newline = pending.indexOf(10);
        if (newline >= 0) {
          const line = pending.subarray(0, newline).toString("utf8");
          pending = pending.subarray(newline + 1);
          return line;
        }
        let count;
        try {
          count = fs.readSync(commandFd, chunk, 0, chunk.length, null);
        } catch (error) {
          if (error.code === "EAGAIN") continue;
          throw error;
        }
        if (count === 0) return null; // the host went away: leave the command loop
        pending = Buffer.concat([pending, chunk.subarray(0, count)]);
      }
    },
  };
}

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// The boot document holds the host's environment: gone from the disk once read, so not
// even a killed host leaves it behind (it is 0600 meanwhile).
fs.rmSync(process.argv[2], { force: true });
const channel = pipeChannel(config.event_fd, config.command_fd);
process.on("exit", () => channel.flush()); // os._exit, process.exit: nothing held is lost
// The runtime cannot go on (a test called os._exit, a wasm trap, a JS RangeError, ...):
// tell the host why, then exit with the program's own status when it has one.
const fatal = (error) => {
  const message = describe(error);
  channel.send(JSON.stringify({ v: config.protocol_version, type: "error", kind: "fatal", message }));
  const exit = /Program terminated with exit\((\d+)\)/.exec(message);
  process.exit(exit ? Number(exit[1]) : 70);
};

// ---- memory snapshots (format: ../snapshot.mjs; key and layout: harness/runtimes/snapshot.py) --

/** Read and verify a snapshot file; returns { payload, ino } or throws with the reason. */
function readSnapshot(snap) {
  const fd = fs.openSync(snap.path, "r");
  let buf, ino;
  try {
    ino = fs.fstatSync(fd).ino;
    buf = fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    return { payload: parseSnapshot(buf, snap), ino };
  } catch (error) {
    error.ino = ino;
    throw error;
  }
}

/** Write the snapshot atomically: a temp file in the same directory, then rename. */
function writeSnapshot(snap, payload, pyodideVersion) {
  const head = snapshotHead(payload, snap, pyodideVersion);
  const dir = path.dirname(snap.path);
  const tmp = path.join(dir, `${snap.tmp_prefix}${process.pid}-${Date.now()}-${path.basename(snap.path)}`);
  const fd = fs.openSync(tmp, "wx", 0o644);
  try {
    try {
      writeAll(fd, head);
      writeAll(fd, payload);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, snap.path);
  } catch (error) {
    try {
      fs.unlinkSync(tmp);
    } catch {}
    throw error;
  }
}

/** Delete a snapshot that failed to verify or restore, unless another run already replaced it. */
function discardSnapshot(snap, ino) {
  try {
    if (ino === undefined || fs.statSync(snap.path).ino === ino) fs.unlinkSync(snap.path);
  } catch {}
}

/** A Pyodide restored from `snap`, or null (with `notes` saying why) to boot cold. */
async function restoreSnapshot(loadPyodide, snap, notes) {
  let ino;
  try {
    const read = readSnapshot(snap);
    ino = read.ino;
    const undo = growMemoryOnInstantiate(read.payload.length);
    let pyodide;
    try {
      pyodide = await loadPyodide({ indexURL: config.dist + path.sep, _loadSnapshot: read.payload });
    } finally {
      undo();
    }
    checkRestored(pyodide, snap.key);
    return pyodide;
  } catch (error) {
    if (error && error.code === "ENOENT") return null; // removed meanwhile: just boot cold
    discardSnapshot(snap, error && error.ino !== undefined ? error.ino : ino);
    notes.push(`memory snapshot discarded (${reason(error)}); booted cold, saving a new one`);
    return null;
  }
}

try {
  const { loadPyodide } = await import(pathToFileURL(path.join(config.dist, "pyodide.mjs")).href);
  const snap = config.snapshot || null;
  const notes = [];
  let pyodide = snap && snap.load ? await restoreSnapshot(loadPyodide, snap, notes) : null;
  const restored = pyodide !== null;
  const makeSnapshot = !restored && snap !== null;
  if (!restored) {
    pyodide = await loadPyodide({
      indexURL: config.dist + path.sep,
      ...(makeSnapshot ? { _makeSnapshot: true } : {}),
    });
  }
  config.boot_kind = restored ? "snapshot" : "cold";
  config.boot_notes = notes;
  const host = {
    restored,
    readFile: async (file) => fs.readFileSync(file),
    write: (fd, bytes) => {
      writeAll(fd, bytes);
      return bytes.length;
    },
    mount: (dir) => {
      pyodide.FS.mkdirTree(dir);
      pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: dir }, dir);
    },
  };
  if (makeSnapshot && typeof pyodide.makeMemorySnapshot === "function") {
    host.saveSnapshot = (instance) => {
      try {
        writeSnapshot(snap, instance.makeMemorySnapshot(), config.pyodide_version);
      } catch (error) {
        // Not fatal: this run goes on, the next one boots cold and tries again.
        notes.push(`memory snapshot not saved: ${reason(error)}`);
      }
    };
  }
  await boot(pyodide, config, channel, host);
  process.exit(0);
} catch (error) {
  fatal(error);
}
