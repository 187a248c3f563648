// The memory snapshot file format, shared by every runtime (node/main.mjs reads and writes
// files itself; page/runtime.mjs gets them from, and sends them to, the run's server).
// harness/runtimes/snapshot.py documents the layout and decides the key:
//
//   0   8   magic "HRNSSNAP"
//   8   4   format
//   12  4   length of the JSON header (bytes)
//   16  16  checksum of the payload (four 32-bit lanes)
//   32  8   payload length (uint64)
//   40  ..  JSON header {"key": ..., "pyodide": ...}, zero-padded to a multiple of 16
//   ..      payload: Pyodide's own snapshot bytes (its magic, build id, heap)
//
// Only plain typed arrays here (no Node Buffer, no DOM): both kinds of runtime import it.

const MAGIC = "HRNSSNAP";
const FIXED = 40; // magic 8, format 4, header length 4, checksum 16, payload length 8

/** Four 32-bit lanes over the payload: catches truncation, garbage and flipped bits. */
export function checksum(bytes) {
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

/**
 * The payload of a snapshot file's bytes, verified against `snap` ({format, key}); throws
 * an Error whose message says why it is refused.
 */
export function parseSnapshot(buf, snap) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = String.fromCharCode(...buf.subarray(0, 8));
  if (buf.byteLength < FIXED || magic !== MAGIC) throw new Error("not a snapshot");
  if (view.getUint32(8, true) !== snap.format) throw new Error("other format");
  const headerLength = view.getUint32(12, true);
  const payloadLength = view.getUint32(32, true) + view.getUint32(36, true) * 2 ** 32;
  const offset = Math.ceil((FIXED + headerLength) / 16) * 16;
  if (offset + payloadLength !== buf.byteLength) throw new Error("truncated");
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(FIXED, FIXED + headerLength)));
  } catch {
    throw new Error("bad header");
  }
  if (!header || header.key !== snap.key) throw new Error("other key");
  let payload = buf.subarray(offset);
  if (payload.byteOffset % 4) payload = Uint8Array.from(payload); // Pyodide reads it as u32
  const expected = [0, 1, 2, 3].map((i) => view.getUint32(16 + 4 * i, true));
  const got = checksum(payload);
  if (got.some((value, i) => value !== expected[i])) throw new Error("checksum mismatch");
  return payload;
}

/** Everything of the file before `payload` (the file is this, then the payload). */
export function snapshotHead(payload, snap, pyodideVersion) {
  const header = new TextEncoder().encode(JSON.stringify({ key: snap.key, pyodide: pyodideVersion }));
  const offset = Math.ceil((FIXED + header.length) / 16) * 16;
  const head = new Uint8Array(offset);
  const view = new DataView(head.buffer);
  for (let i = 0; i < MAGIC.length; i++) head[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, snap.format, true);
  view.setUint32(12, header.length, true);
  checksum(payload).forEach((value, i) => view.setUint32(16 + 4 * i, value, true));
  view.setUint32(32, payload.length % 2 ** 32, true);
  view.setUint32(36, Math.floor(payload.length / 2 ** 32), true);
  head.set(header, FIXED);
  return head;
}

/**
 * Pyodide 314+ defines its memory inside the wasm module, so `INITIAL_MEMORY` (set from the
 * snapshot size) has no effect and restoring overruns the heap. Grow the exported memory to
 * `bytes` as soon as the instance exists, before Emscripten builds its views of it (Node
 * instantiates from bytes, a browser from a streamed response: both are wrapped).
 * Returns the function that undoes the wrapping.
 */
export function growMemoryOnInstantiate(bytes) {
  const originals = {};
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    if (typeof original !== "function") continue;
    originals[name] = original;
    WebAssembly[name] = async function (...args) {
      const result = await original.apply(this, args);
      const memory = (result.instance ?? result).exports?.memory;
      if (memory instanceof WebAssembly.Memory && memory.buffer.byteLength < bytes) {
        memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
      }
      return result;
    };
  }
  return () => Object.assign(WebAssembly, originals);
}

/**
 * After a restore: the heap must hold our runner, preloaded for this very key (its files
 * are not in the fresh file system yet, so an import that is not already done fails here).
 * Then let Pyodide drop its copy of the snapshot bytes (tens of MB).
 */
export function checkRestored(pyodide, key) {
  const runner = pyodide.pyimport("harness.inside.runner");
  const found = runner.preloaded_key();
  runner.destroy();
  if (found !== key) throw new Error("restored heap does not match");
  if (pyodide._api && pyodide._api.config) pyodide._api.config._loadSnapshot = undefined;
}

/** The first line of what was thrown, for a boot note. */
export function reason(error) {
  return String((error && error.message) || error).split("\n")[0];
}
