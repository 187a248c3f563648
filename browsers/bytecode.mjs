// The bytecode archive of a browser runtime (page or worker): the page's side of
// harness/runtimes/bytecode.py, which documents the layout and why nothing in it can be stale:
//
//   0   8   magic "HRNSPYCA"
//   8   4   format
//   12  4   CRC-32 of every byte from offset 16 on
//   16  4   length N of the JSON header (bytes)
//   20  N   {"key": ..., "files": [[path, size], ...]}  (paths relative to the prefix)
//   20+N    the files' bytes, concatenated in header order
//
// Only plain typed arrays and Emscripten's FS here: a page and a worker both import it.

const MAGIC = "HRNSPYCA";
const FIXED = 20;

let crcTable = null;

/** CRC-32 (zlib's) of `bytes`. */
export function crc32(bytes) {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Whether `path` may name an archive's file: relative, plain components, a `.pyc`. */
export function safePath(path) {
  if (typeof path !== "string" || !path.endsWith(".pyc") || path.startsWith("/")) return false;
  if (path.includes("\\") || path.includes("\0")) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/** The files ([[path, bytes]]) of an archive made for `key`; throws an Error saying why not. */
export function parseArchive(buf, key) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < FIXED || String.fromCharCode(...buf.subarray(0, 8)) !== MAGIC) {
    throw new Error("not a bytecode archive");
  }
  if (view.getUint32(8, true) !== 1) throw new Error("other format");
  if (crc32(buf.subarray(16)) !== view.getUint32(12, true)) throw new Error("checksum mismatch");
  const length = view.getUint32(16, true);
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(FIXED, FIXED + length)));
  } catch {
    throw new Error("bad header");
  }
  if (!header || header.key !== key) throw new Error("other key");
  if (!Array.isArray(header.files)) throw new Error("bad header");
  const files = [];
  let offset = FIXED + length;
  for (const entry of header.files) {
    const [path, size] = Array.isArray(entry) ? entry : [];
    if (!Number.isInteger(size) || size < 0) throw new Error("bad header");
    if (!safePath(path)) throw new Error("unsafe path");
    files.push([path, buf.subarray(offset, offset + size)]);
    offset += size;
  }
  if (offset !== buf.byteLength) throw new Error("truncated");
  return files;
}

/** The archive of `files` ([[path, bytes]]) for `key`. */
export function packArchive(files, key) {
  const header = new TextEncoder().encode(JSON.stringify({ key, files: files.map(([p, b]) => [p, b.length]) }));
  const total = FIXED + header.length + files.reduce((sum, [, bytes]) => sum + bytes.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, 1, true);
  view.setUint32(16, header.length, true);
  out.set(header, FIXED);
  let offset = FIXED + header.length;
  for (const [, bytes] of files) {
    out.set(bytes, offset);
    offset += bytes.length;
  }
  view.setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

/** What identifies a file's content in the in-memory FS: its size and mtime. */
function stamp(FS, path) {
  const st = FS.stat(path);
  return `${st.size}:${Number(st.mtime)}`;
}

/**
 * The `.pyc` files under `prefix` ({relative path: stamp}); temp files of a write that
 * did not finish (`NAME.pyc.1234`) are not `.pyc`s.
 */
function listFiles(FS, prefix) {
  const found = {};
  const walk = (dir, rel) => {
    for (const name of FS.readdir(dir)) {
      if (name === "." || name === "..") continue;
      const path = `${dir}/${name}`;
      const mode = FS.lstat(path).mode;
      const relative = rel ? `${rel}/${name}` : name;
      if (FS.isDir(mode)) walk(path, relative);
      else if (FS.isFile(mode) && safePath(relative)) found[relative] = stamp(FS, path);
    }
  };
  walk(prefix, "");
  return found;
}

/**
 * The runtime's bytecode cache (`config.bytecode`: {key, prefix, max_bytes}). `load(bytes)`
 * writes an archive's files under the prefix (returns a boot note if it refused it);
 * `save(upload)` packs the files added or rewritten under the prefix since the load or the
 * last save, if any, and hands that archive to `upload(bytes)` (which returns null or why
 * it failed; the host merges it into what it holds); it returns null or a line saying why
 * nothing was kept.
 */
export function bytecodeCache(FS, config) {
  const { key, prefix, max_bytes: maxBytes } = config;
  let known = {};
  return {
    load(bytes) {
      FS.mkdirTree(prefix);
      if (bytes === null) return null;
      try {
        for (const [path, data] of parseArchive(bytes, key)) {
          const target = `${prefix}/${path}`;
          FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
          FS.writeFile(target, data);
        }
      } catch (error) {
        return `bytecode cache discarded (${error.message || error}); compiling afresh`;
      } finally {
        known = listFiles(FS, prefix); // whatever is there now came from the host
      }
      return null;
    },
    save(upload) {
      const now = listFiles(FS, prefix);
      const changed = Object.keys(now).filter((p) => known[p] !== now[p]);
      if (changed.length === 0) return null;
      const files = changed.sort().map((p) => [p, FS.readFile(`${prefix}/${p}`)]);
      const archive = packArchive(files, key);
      if (archive.length > maxBytes) return `bytecode cache not saved: over ${maxBytes >> 20} MB`;
      const refused = upload(archive);
      if (refused) return `bytecode cache not saved: ${refused}`;
      known = now;
      return null;
    },
  };
}
