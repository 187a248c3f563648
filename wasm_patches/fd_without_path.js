// JS half of wasm_patches/fd_without_path.py. The Python side evaluates this file with
// pyodide.code.run_js; its value is the installer function below. It is a plain script
// (no import/export) so that run_js can evaluate it in Node and in browsers alike.
//
// Why: Emscripten <= 3.1.58 (Pyodide <= 0.27.x) answers some fd-based syscalls by looking
// the fd's file up again by its path (stream.path, NODEFS.realPath(node)). Once the file has
// been unlinked that lookup fails with ENOENT (errno 44) although the fd is still open. Newer
// Emscripten fixed most of these but FS.utime (used by futimens/os.utime(fd)) is still
// path-based. Every wrapper here first calls the original; only when the original threw
// ENOENT for an fd-based call does it answer from the open stream itself.
//
// The syscalls look FS.* / SYSCALLS.* up at call time, so wrapping the object properties
// reaches every caller (os.fstat, FileIO.truncate, os.utime(fd), ...). The state lives on the
// Emscripten Module, so installing twice is a no-op and a fresh Module (for example after
// a memory-snapshot restore) needs a fresh install.
(function installFdWithoutPath(Module, wantedCsv) {
  "use strict";
  const FS = Module.FS;
  const SYSCALLS = Module.SYSCALLS;
  const NODEFS = Module.NODEFS;
  const ENOENT = 44;
  const KEY = "__wasmPatchesFdWithoutPath";
  const state = (Module[KEY] ??= { enabled: true, ctx: null, originals: {} });

  const isEnoent = (e) => !!e && e.name === "ErrnoError" && e.errno === ENOENT;
  const nodeFs = () =>
    globalThis.process?.getBuiltinModule?.("fs") ?? globalThis.require?.("fs") ?? null;
  const onNodefs = (node) => !!NODEFS && node?.mount?.type === NODEFS;
  const openStream = (fd) => FS.getStream(fd) ?? null;

  // The stream most recently resolved from an fd by SYSCALLS.getStreamFromFD since the last
  // SYSCALLS.getStr: path-based syscalls always call getStr first, fd-based ones (fstat,
  // fstatat(fd, "", AT_EMPTY_PATH), futimens) resolve the fd right before doStat/FS.utime.
  // A context is used only when it is still open and its path equals the failing path.
  function takeCtx(path) {
    const s = state.ctx;
    state.ctx = null;
    return s && s.path === path && FS.getStream(s.fd) === s ? s : null;
  }

  // Run a Node fs call on the host fd; map Node errors to Emscripten errnos like NODEFS does.
  function host(fn, fallbackErr) {
    const fs = nodeFs();
    if (!fs) throw fallbackErr;
    try {
      return fn(fs);
    } catch (e) {
      if (!e?.code) throw e;
      throw new FS.ErrnoError(NODEFS.convertNodeCode(e) ?? 28);
    }
  }

  // Stat of an open stream without any path lookup. NODEFS: the host fd; MEMFS and other
  // node-backed filesystems: node_ops.getattr(node); pipes/sockets (no getattr in
  // Emscripten 3.1.58): synthesized like Emscripten 4's PIPEFS (S_IFIFO|0600, dev 14).
  function statOf(stream, err) {
    const node = stream.node;
    if (onNodefs(node)) {
      if (typeof stream.nfd !== "number") throw err; // NODEFS opens host fds for files only
      const st = host((fs) => fs.fstatSync(stream.nfd), err);
      if (typeof NODEFS.getattr === "function") return NODEFS.getattr(() => st, node);
      return {
        dev: st.dev, ino: st.ino, mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid,
        rdev: st.rdev, size: st.size, atime: st.atime, mtime: st.mtime, ctime: st.ctime,
        blksize: st.blksize, blocks: st.blocks,
      };
    }
    if (typeof node.node_ops?.getattr === "function") return node.node_ops.getattr(node);
    const t = node.pipe?.timestamp ?? new Date(node.timestamp ?? Date.now());
    return {
      dev: node.pipe ? 14 : 0, ino: node.id, mode: node.pipe ? 0o10600 : node.mode, nlink: 1,
      uid: 0, gid: 0, rdev: node.rdev ?? 0, size: 0, atime: t, mtime: t, ctime: t,
      blksize: 4096, blocks: 0,
    };
  }

  // Apply {size} / {mode} / {atime, mtime} (ms, null = leave alone) without a path lookup.
  function setattrOf(stream, attr, err) {
    const node = stream.node;
    if (onNodefs(node)) {
      if (typeof stream.nfd !== "number") throw err;
      const nfd = stream.nfd;
      host((fs) => {
        if (attr.mode !== undefined) fs.fchmodSync(nfd, attr.mode & 0o7777);
        if (attr.atime !== undefined || attr.mtime !== undefined) {
          const cur = fs.fstatSync(nfd);
          const atime = attr.atime ?? cur.atimeMs;
          const mtime = attr.mtime ?? cur.mtimeMs;
          fs.futimesSync(nfd, atime / 1000, mtime / 1000);
        }
        if (attr.size !== undefined) fs.ftruncateSync(nfd, attr.size);
      }, err);
      if (attr.mode !== undefined) node.mode = attr.mode;
      return;
    }
    if (typeof node.node_ops?.setattr !== "function") throw err;
    // Emscripten 3.1.58's MEMFS reads `timestamp`, Emscripten 4+ reads atime/mtime/ctime.
    const a = { ...attr };
    if (a.atime !== undefined || a.mtime !== undefined) {
      a.timestamp = Math.max(a.atime ?? 0, a.mtime ?? 0);
    } else {
      a.timestamp = a.ctime = Date.now();
    }
    node.node_ops.setattr(node, a);
  }

  function wrap(obj, objName, name, make) {
    const key = `${objName}.${name}`;
    if (state.originals[key]) return key;
    const orig = obj?.[name];
    if (typeof orig !== "function") return null;
    state.originals[key] = orig;
    obj[name] = make(orig);
    return key;
  }

  // fd -> stream bookkeeping for the path-only FS entry points (doStat, FS.utime).
  function trackFds() {
    return [
      wrap(SYSCALLS, "SYSCALLS", "getStreamFromFD", (orig) => function (fd) {
        const s = orig.apply(this, arguments);
        if (state.enabled) state.ctx = s;
        return s;
      }),
      wrap(SYSCALLS, "SYSCALLS", "getStr", (orig) => function () {
        state.ctx = null;
        return orig.apply(this, arguments);
      }),
    ];
  }

  // Wrapper for functions whose first argument is an fd: on ENOENT use `fallback(stream, e)`.
  const byFd = (fallback) => (orig) => function (fd) {
    try {
      return orig.apply(this, arguments);
    } catch (e) {
      const s = state.enabled && isEnoent(e) ? openStream(fd) : null;
      if (!s) throw e;
      return fallback(s, e, arguments);
    }
  };

  const hooks = {
    stat: () => [
      ...trackFds(),
      // Emscripten 3.1.x: __syscall_fstat64 -> SYSCALLS.doStat(FS.stat, stream.path, buf).
      wrap(SYSCALLS, "SYSCALLS", "doStat", (orig) => function (func, path, buf) {
        const ctx = takeCtx(path);
        try {
          return orig.apply(this, arguments);
        } catch (e) {
          if (!state.enabled || !isEnoent(e) || !ctx) throw e;
          const st = statOf(ctx, e);
          return orig.call(this, () => st, path, buf);
        }
      }),
      // Emscripten 4+: __syscall_fstat64 -> FS.fstat(fd) (correct there; wrapped for safety).
      wrap(FS, "FS", "fstat", byFd((s, e) => statOf(s, e))),
    ],
    ftruncate: () => [
      wrap(FS, "FS", "ftruncate", byFd((s, e, args) => setattrOf(s, { size: args[1] }, e))),
    ],
    fchmod: () => [
      wrap(FS, "FS", "fchmod", byFd((s, e, args) =>
        setattrOf(s, { mode: (args[1] & 0o7777) | (s.node.mode & ~0o7777) }, e))),
    ],
    // Emscripten ignores uid/gid; the original only touches timestamps, so succeed quietly.
    fchown: () => [wrap(FS, "FS", "fchown", byFd(() => undefined))],
    utime: () => [
      ...trackFds(),
      // utimensat(fd, NULL, ...) -> calculateAt(fd, "") -> FS.utime(stream.path, atime, mtime)
      wrap(FS, "FS", "utime", (orig) => function (path, atime, mtime) {
        const ctx = takeCtx(path);
        try {
          return orig.apply(this, arguments);
        } catch (e) {
          if (!state.enabled || !isEnoent(e) || !ctx) throw e;
          setattrOf(ctx, { atime, mtime }, e);
        }
      }),
    ],
  };

  const installed = new Set();
  for (const name of String(wantedCsv).split(",").filter(Boolean)) {
    for (const key of hooks[name]?.() ?? []) if (key) installed.add(key);
  }
  state.enabled = true;
  return [...installed].join(",");
});
