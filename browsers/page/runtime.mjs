// The browser runtime, started by page.mjs on the page's thread or in a module Web Worker
// (http://127.0.0.1:PORT/runtime.mjs); every URL below is relative to this script. Each
// request carries the run's session cookie, which the browser got with the page and which
// no script can read (HttpOnly): nothing here handles a secret.
//
// Transport (see docs/protocol.md):
//   events   runtime -> host over a WebSocket: one protocol line per text message; Python's
//            output as binary messages, first byte the fd. `send` on a socket goes out even
//            while Python keeps this thread busy, so results stream live during a test.
//   commands host -> runtime by long-poll with a synchronous XMLHttpRequest: the thread
//            has nothing else to do while Python waits for its next command, and a
//            synchronous request is the one way a page's thread can block for it (in a
//            worker it is the ordinary way).
// The socket closing is the end of the stream for the host (its `eof`), whatever the cause.
import { boot, describe, install, preload } from "./boot.mjs";
import { bytecodeCache } from "./bytecode.mjs";
import { checkRestored, growMemoryOnInstantiate, parseSnapshot, reason, snapshotHead } from "./snapshot.mjs";

/** Open the event socket; resolves once it can send. */
function openSocket() {
  const url = new URL("events", import.meta.url);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error(`cannot open the event socket ${url}`));
  });
}

/** The synchronous line channel: events on the socket, commands by long-poll. */
function socketChannel(socket) {
  return {
    send(line) {
      socket.send(line);
    },
    recv() {
      for (;;) {
        const request = new XMLHttpRequest();
        request.open("GET", new URL("command", import.meta.url), false);
        try {
          request.send();
        } catch {
          return null; // the server is gone
        }
        if (request.status === 200) return request.responseText;
        if (request.status !== 204) return null; // 410: the host is done with us
      }
    },
  };
}

/** Fetch bytes from the run's server; one line of error if it refuses. */
async function fetchBytes(url) {
  const response = await fetch(new URL(url, import.meta.url));
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Write a packed tree (harness/bundle.py has the format) into the in-memory FS. */
function unpack(FS, bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength)));
  for (const [path] of header.dirs) FS.mkdirTree(path);
  let offset = 4 + headerLength;
  for (const [path, size, mode, mtime] of header.files) {
    FS.writeFile(path, bytes.subarray(offset, offset + size));
    offset += size;
    FS.chmod(path, mode);
    FS.utime(path, mtime * 1000, mtime * 1000);
  }
  for (const [path, target] of header.links) FS.symlink(target, path);
  // Directories last: adding their entries changed their mtime, and a read-only one
  // would have refused them.
  for (const [path, mode, mtime] of header.dirs.slice().reverse()) {
    FS.chmod(path, mode);
    FS.utime(path, mtime * 1000, mtime * 1000);
  }
}

/**
 * Make a WebAssembly compile/instantiate failure fatal at once. Pyodide's browser loader
 * catches it, logs "wasm instantiation failed!" and never settles `loadPyodide` (Node's
 * rejects with the CompileError), so a corrupt `pyodide.asm.wasm` would hang the boot.
 */
function failFastOnWasmErrors(onError) {
  const originals = {};
  for (const name of ["instantiate", "instantiateStreaming", "compile", "compileStreaming"]) {
    const original = WebAssembly[name];
    if (typeof original !== "function") continue;
    originals[name] = original;
    WebAssembly[name] = function (...args) {
      return original.apply(this, args).catch((error) => {
        onError(error);
        throw error;
      });
    };
  }
  // Once Pyodide is up, a test's own failing compile is its business: undo.
  return () => Object.assign(WebAssembly, originals);
}

const socket = await openSocket();
const channel = socketChannel(socket);
const config = JSON.parse(new TextDecoder().decode(await fetchBytes("boot.json")));

// The runtime-side Python and the packed trees are fetched while Pyodide loads, instead of
// one after another once it is up. Each prefetched answer is used once: a cold boot that
// makes a snapshot installs twice, and the second install fetches again.
const prefetched = new Map(
  [...config.files.map(([, source]) => source), ...Object.values(config.bundles)].map((url) => {
    const bytes = fetchBytes(url);
    bytes.catch(() => {}); // a failure surfaces where the bytes are awaited
    return [url, bytes];
  }),
);
function fetchPrefetched(url) {
  const bytes = prefetched.get(url);
  prefetched.delete(url);
  return bytes ?? fetchBytes(url);
}

// The runtime cannot go on (os._exit, a wasm trap, a JS error): tell the host why, then
// end the stream; the host restarts the browser. Firefox's `stack` lists frames only, so
// the message leads with "Name: message" as V8's does.
/** Python's output to the host: a binary message, first byte the fd. */
function write(fd, bytes) {
  const message = new Uint8Array(bytes.length + 1);
  message[0] = fd;
  message.set(bytes, 1);
  socket.send(message);
  return bytes.length;
}

let ended = false;
const fatal = (error) => {
  if (ended) return;
  ended = true;
  const message = describe(error);
  channel.send(JSON.stringify({ v: config.protocol_version, type: "error", kind: "fatal", message }));
  socket.close();
};

// ---- memory snapshots (format: snapshot.mjs; key and storage: harness/runtimes/snapshot.py) --
// The run's server holds the host's snapshot for this browser (its user agent completes the
// key): restore it, or boot cold and send a new one; one that fails is reported, and the
// host deletes it.

/** {snap: {key, format}, bytes: the file or null} when the run uses snapshots, else null. */
async function lookupSnapshot() {
  if (!config.snapshot) return null;
  const url = new URL("snapshot", import.meta.url);
  url.searchParams.set("agent", navigator.userAgent);
  const response = await fetch(url);
  if (response.status !== 200 && response.status !== 204) return null;
  const snap = { key: response.headers.get("X-Harness-Snapshot"), format: config.snapshot.format };
  const bytes = response.status === 200 ? new Uint8Array(await response.arrayBuffer()) : null;
  return { snap, bytes };
}

/** A Pyodide restored from `payload` (Pyodide's own snapshot bytes) made for `key`. */
async function restore(loadPyodide, options, payload, key) {
  const undo = growMemoryOnInstantiate(payload.length);
  let pyodide;
  try {
    pyodide = await loadPyodide({ ...options, _loadSnapshot: payload });
  } finally {
    undo();
  }
  checkRestored(pyodide, key);
  return pyodide;
}

/** A Pyodide restored from the host's file, or null (with `notes` saying why) to boot cold. */
async function restoreFound(loadPyodide, options, found, notes) {
  const bytes = found.bytes;
  found.bytes = null; // tens of MB: not kept for the run
  try {
    return await restore(loadPyodide, options, parseSnapshot(bytes, found.snap), found.snap.key);
  } catch (error) {
    await fetch(new URL("snapshot-discard", import.meta.url), { method: "POST" }).catch(() => {});
    notes.push(`memory snapshot discarded (${reason(error)}); booted cold, saving a new one`);
    return null;
  }
}

/** Send a snapshot's payload to the host; a refusal is a boot note, never fatal. */
async function uploadSnapshot(payload, snap, notes) {
  try {
    const body = new Blob([snapshotHead(payload, snap, config.pyodide_version), payload]);
    const url = new URL("snapshot", import.meta.url);
    url.searchParams.set("key", snap.key);
    const response = await fetch(url, { method: "POST", body });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${(await response.text()).trim()}`);
  } catch (error) {
    notes.push(`memory snapshot not saved: ${reason(error)}`);
  }
}

/**
 * Boot cold in a Pyodide of its own with `_makeSnapshot`, preload, save the heap, send it
 * to the host, and return a Pyodide restored from it (null if that fails: boot cold).
 *
 * The maker is not kept: with `_makeSnapshot` Pyodide reaches every JavaScript global
 * through a recording proxy, and on a page or in a worker the platform's getters refuse
 * it as their `this` (`js.performance`: "Illegal invocation"). A restored Pyodide sees
 * the real globals, so this run goes on exactly as the runs that restore the file will.
 */
async function makeSnapshot(loadPyodide, options, snap, notes) {
  let payload;
  try {
    const maker = await loadPyodide({ ...options, _makeSnapshot: true });
    await install(maker, config, hostFor(maker));
    preload(maker, config, snap.key).destroy();
    payload = maker.makeMemorySnapshot();
  } catch (error) {
    notes.push(`memory snapshot not made: ${reason(error)}`);
    return null;
  }
  await uploadSnapshot(payload, snap, notes);
  try {
    return await restore(loadPyodide, options, payload, snap.key);
  } catch (error) {
    notes.push(`memory snapshot just made does not restore (${reason(error)}); booted cold`);
    return null;
  }
}

// ---- the bytecode cache (format: bytecode.mjs; key and storage: harness/runtimes/bytecode.py) --
// The run's server lends the host's archive for this project and browser; after each
// session the page sends it back if the session compiled anything new.

/** The archive's bytes, or null (none yet, or no cache for this run). */
async function fetchBytecode() {
  if (!config.bytecode) return null;
  try {
    const response = await fetch(new URL("bytecode", import.meta.url));
    return response.status === 200 ? new Uint8Array(await response.arrayBuffer()) : null;
  } catch {
    return null; // compiled afresh, as with none
  }
}

/**
 * Send an archive to the host and wait for its answer: this runs before the session's
 * `done`, after which the host may close the page at any moment. Null, or why it failed.
 */
function uploadBytecode(archive) {
  const request = new XMLHttpRequest();
  request.open("POST", new URL("bytecode", import.meta.url), false);
  try {
    request.send(archive);
  } catch (error) {
    return reason(error);
  }
  return request.status === 204 ? null : `HTTP ${request.status} ${request.responseText.trim()}`;
}

/** Lend `pyodide` the archive `bytes`; the `host.sessionEnd` that hands it back (or none). */
function useBytecode(pyodide, bytes, notes) {
  if (!config.bytecode) return undefined;
  const cache = bytecodeCache(pyodide.FS, config.bytecode);
  const note = cache.load(bytes);
  if (note) notes.push(note);
  return () => {
    let problem;
    try {
      problem = cache.save(uploadBytecode);
    } catch (error) {
      problem = `bytecode cache not saved: ${reason(error)}`;
    }
    if (problem) write(2, new TextEncoder().encode(`harness: ${problem}\n`));
  };
}

/** What boot.mjs needs from this runtime, for one Pyodide instance. */
function hostFor(pyodide) {
  return {
    readFile: fetchPrefetched,
    write,
    mount: async (path) => unpack(pyodide.FS, await fetchPrefetched(config.bundles[path])),
  };
}

const loaded = failFastOnWasmErrors(fatal);
try {
  const distURL = new URL(config.dist, import.meta.url).href;
  const { loadPyodide } = await import(new URL("pyodide.mjs", distURL).href);
  // Until boot.mjs routes Python's output, what Python says while it starts (a "Fatal Python
  // error" if its standard library is damaged) goes to the host's stderr, not the console.
  const early = (fd) => (line) => write(fd, new TextEncoder().encode(line + "\n"));
  const options = { indexURL: distURL, stdout: early(1), stderr: early(2) };
  const bytecode = fetchBytecode(); // meanwhile
  const found = await lookupSnapshot();
  const notes = [];
  let pyodide = found && found.bytes ? await restoreFound(loadPyodide, options, found, notes) : null;
  const restored = pyodide !== null;
  if (!restored && found) pyodide = await makeSnapshot(loadPyodide, options, found.snap, notes);
  const fromSnapshot = pyodide !== null;
  if (!fromSnapshot) pyodide = await loadPyodide(options);
  loaded();
  const sessionEnd = useBytecode(pyodide, await bytecode, notes);
  config.boot_kind = restored ? "snapshot" : "cold"; // this run did not find a usable one
  config.boot_notes = notes;
  if (found) config.snapshot = { ...config.snapshot, key: found.snap.key };
  pyodide.setStdin({ stdin: () => null }); // never a prompt(): stdin is at EOF, as under Node
  const host = { ...hostFor(pyodide), restored: fromSnapshot, sessionEnd };
  await boot(pyodide, config, channel, host);
  socket.close();
} catch (error) {
  fatal(error instanceof SyntaxError ? tooOld(error) : error);
}

/** A SyntaxError while loading Pyodide: name the missing language feature if that is it. */
function tooOld(error) {
  try {
    new Function("class A { static {} }");
  } catch {
    return new SyntaxError(
      `this browser (${navigator.userAgent}) cannot parse class static blocks, which ` +
        `Pyodide ${config.pyodide_version} needs: use a newer browser or Pyodide 0.27 (${error.message})`,
    );
  }
  return error;
}
