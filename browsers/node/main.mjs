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

// ---- memory snapshots (see harness/snapshot.py for the file layout and the key) ----------

const SNAP_MAGIC = "HRNSSNAP";
const SNAP_FIXED = 40; // magic 8, format 4, header length 4, checksum 16, payload length 8

/** Four 32-bit lanes over the payload: catches truncation, garbage and flipped bits. */
function checksum(bytes) {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  let a = 1, b = 0, c = 0, d = 0;
  const n = words.length & ~3;
  for (let i = 0; i < n; i += 4) {
    a = (a + words[i]) | 0;
    b = (b + words[i + 1]) | 0;
    c = (c ^ words[i + 2]) | 0;
    d = (d + a + words[i + 3]) | 0;
  }
  for (let i = n; i < words.length; i++) d = (d + words[i] + i) | 0;
  for (let i = words.length * 4; i < bytes.byteLength; i++) c = (c + bytes[i] * (i + 1)) | 0;
  return [a >>> 0, b >>> 0, c >>> 0, d >>> 0];
}

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
  const fail = (why) => {
    const error = new Error(why);
    error.ino = ino;
    throw error;
  };
  if (buf.length < SNAP_FIXED || buf.toString("latin1", 0, 8) !== SNAP_MAGIC) fail("not a snapshot");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(8, true) !== snap.format) fail("other format");
  const headerLength = view.getUint32(12, true);
  const payloadLength = view.getUint32(32, true) + view.getUint32(36, true) * 2 ** 32;
  const offset = Math.ceil((SNAP_FIXED + headerLength) / 16) * 16;
  if (offset + payloadLength !== buf.length) fail("truncated");
  let header;
  try {
    header = JSON.parse(buf.toString("utf8", SNAP_FIXED, SNAP_FIXED + headerLength));
  } catch {
    fail("bad header");
  }
  if (!header || header.key !== snap.key) fail("other key");
  let payload = buf.subarray(offset);
  if (payload.byteOffset % 4) payload = Uint8Array.from(payload); // Pyodide reads it as u32
  const expected = [0, 1, 2, 3].map((i) => view.getUint32(16 + 4 * i, true));
  const got = checksum(payload);
  if (got.some((value, i) => value !== expected[i])) fail("checksum mismatch");
  return { payload, ino };
}

/** Write the snapshot atomically: a temp file in the same directory, then rename. */
function writeSnapshot(snap, payload, pyodideVersion) {
  const header = Buffer.from(JSON.stringify({ key: snap.key, pyodide: pyodideVersion }), "utf8");
  const offset = Math.ceil((SNAP_FIXED + header.length) / 16) * 16;
  const head = Buffer.alloc(offset);
  head.write(SNAP_MAGIC, 0, "latin1");
  head.writeUInt32LE(snap.format, 8);
  head.writeUInt32LE(header.length, 12);
  checksum(payload).forEach((value, i) => head.writeUInt32LE(value, 16 + 4 * i));
  head.writeUInt32LE(payload.length % 2 ** 32, 32);
  head.writeUInt32LE(Math.floor(payload.length / 2 ** 32), 36);
  header.copy(head, SNAP_FIXED);
  const dir = path.dirname(snap.path);
  const tmp = path.join(dir, `${snap.tmp_prefix}${process.pid}-${Date.now()}-${path.basename(snap.path)}`);
  const fd = fs.openSync(tmp, "wx", 0o644);
  try {
    try {
      fs.writeSync(fd, head);
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

/**
 * Pyodide 314+ defines its memory inside the wasm module, so `INITIAL_MEMORY` (set from the
 * snapshot size) has no effect and restoring overruns the heap. Grow the exported memory to
 * `bytes` as soon as the instance exists, before Emscripten builds its views of it.
 * Returns the function that undoes the wrapping.
 */
function growMemoryOnInstantiate(bytes) {
  const original = WebAssembly.instantiate;
  WebAssembly.instantiate = async function (...args) {
    const result = await original.apply(this, args);
    const memory = (result.instance ?? result).exports?.memory;
    if (memory instanceof WebAssembly.Memory && memory.buffer.byteLength < bytes) {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    }
    return result;
  };
  return () => {
    WebAssembly.instantiate = original;
  };
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
    // The heap must hold our runner, preloaded for this very key (its files are not in the
    // fresh file system yet, so an import that is not already done fails here).
    const runner = pyodide.pyimport("harness.inside.runner");
    const key = runner.preloaded_key();
    runner.destroy();
    if (key !== snap.key) throw new Error("restored heap does not match");
    // Pyodide keeps its config, snapshot bytes included (tens of MB): let them go.
    if (pyodide._api && pyodide._api.config) pyodide._api.config._loadSnapshot = undefined;
    return pyodide;
  } catch (error) {
    if (error && error.code === "ENOENT") return null; // removed meanwhile: just boot cold
    discardSnapshot(snap, error && error.ino !== undefined ? error.ino : ino);
    const reason = String((error && error.message) || error).split("\n")[0];
    notes.push(`memory snapshot discarded (${reason}); booted cold, saving a new one`);
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
        notes.push(`memory snapshot not saved: ${String((error && error.message) || error).split("\n")[0]}`);
      }
    };
  }
  await boot(pyodide, config, channel, host);
  process.exit(0);
} catch (error) {
  fatal(error);
}
