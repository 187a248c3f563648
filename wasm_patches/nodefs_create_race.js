// JS half of wasm_patches/nodefs_create_race.py, evaluated with pyodide.code.run_js; its
// value is the function below, which answers {install, race, state} for one Module (a
// plain script, so Node and browsers can evaluate it alike; browsers have no NODEFS).
//
// Why: creating a file on a host (NODEFS) directory is not atomic in Emscripten. FS.open
// looks the name up, and only if it is missing calls FS.mknod, which looks it up again
// (EEXIST if found) and then has NODEFS write an empty file with fs.writeFileSync. When
// another process (a second runtime under -n, a tool on the host) creates the same file
// between those steps, open(path, "a") fails with FileExistsError, or the other process's
// content is truncated away. Natively O_CREAT without O_EXCL never fails that way and never
// truncates. The fix: NODEFS creates files with O_CREAT|O_EXCL on the host (so losing the
// race is an EEXIST instead of a truncation), and FS.open retries a create without O_EXCL
// that lost the race, which then opens the file the other process made.
(function nodefsCreateRace(Module) {
  "use strict";
  const FS = Module.FS;
  const NODEFS = Module.NODEFS;
  const EEXIST = 20;
  const O_CREAT = 64;
  const O_EXCL = 128;
  const RETRIES = 5;
  const KEY = "__harnessNodefsCreateRace";
  const state = (Module[KEY] ??= { enabled: true, installed: "" });
  const nodeFs = () =>
    globalThis.process?.getBuiltinModule?.("fs") ?? globalThis.require?.("fs") ?? null;

  // Whether an FS.open call creates without insisting on a new file (flags are a number
  // from the open syscall, or a mode string such as "a" from JS callers).
  function createsWithoutExcl(flags) {
    if (typeof flags === "number") return (flags & O_CREAT) !== 0 && (flags & O_EXCL) === 0;
    return typeof flags === "string" && /^[wa]/.test(flags) && !flags.includes("x");
  }

  function install() {
    if (state.installed || !NODEFS || !nodeFs()) return state.installed;
    const fs = nodeFs();
    const mknod = NODEFS.node_ops.mknod;
    NODEFS.node_ops.mknod = function (parent, name, mode, dev) {
      if (!state.enabled || !FS.isFile(mode)) return mknod.call(this, parent, name, mode, dev);
      const path = `${NODEFS.realPath(parent)}/${name}`;
      const { O_CREAT: CREAT, O_EXCL: EXCL, O_WRONLY } = fs.constants;
      try {
        fs.closeSync(fs.openSync(path, CREAT | EXCL | O_WRONLY, mode & 0o7777));
      } catch (e) {
        if (!e?.code) throw e;
        throw new FS.ErrnoError(NODEFS.convertNodeCode(e) ?? 28);
      }
      return NODEFS.createNode(parent, name, mode, dev);
    };
    const open = FS.open;
    FS.open = function (path, flags, ...rest) {
      for (let attempt = 0; ; attempt++) {
        try {
          return open.call(this, path, flags, ...rest);
        } catch (e) {
          const lostRace = e?.errno === EEXIST && typeof path === "string" && createsWithoutExcl(flags);
          if (!state.enabled || !lostRace || attempt === RETRIES) throw e;
        }
      }
    };
    state.installed = "NODEFS.node_ops.mknod,FS.open";
    return state.installed;
  }

  // For the probe: run `openIt` while "another process" creates `name` in the NODEFS
  // directory `dir` with `content` — just before FS.mknod ("lookup": after FS.open found
  // nothing) or just before NODEFS's own mknod ("create": after FS.mknod's EEXIST check).
  // The other process is a second NODEFS mount of the same host directory, whose nodes
  // Emscripten's cache does not share with the first.
  function race(dir, name, content, stage, openIt) {
    const other = `/.harness-create-race-${Date.now()}`;
    FS.mkdir(other);
    FS.mount(NODEFS, { root: NODEFS.realPath(FS.lookupPath(dir).node) }, other);
    const [owner, key] = stage === "lookup" ? [FS, "mknod"] : [NODEFS.node_ops, "mknod"];
    const original = owner[key];
    let fired = false;
    owner[key] = function (...args) {
      if (!fired) {
        fired = true;
        FS.writeFile(`${other}/${name}`, content);
      }
      return original.apply(this, args);
    };
    try {
      return openIt();
    } finally {
      owner[key] = original;
      FS.unmount(other);
      FS.rmdir(other);
    }
  }

  return { install, race, state };
});
