// JS half of wasm_patches/umask_on_create.py, evaluated with pyodide.code.run_js; its value
// is the installer below (a plain script, so Node and browsers can evaluate it alike).
//
// Why: Emscripten 4+ (Pyodide 0.28 and later) has FS.open create a file with every
// permission and then FS.chmod it to the requested mode, and FS.mkdir passes the mode
// through unmasked: the process umask is never applied. A test that creates a file on the
// host mount leaves it world-writable (0666) where native Python makes 0644. The wrappers
// mask the requested mode with `state.umask` (kept current by the Python side) while
// `state.enabled`; the probe turns them off to measure the runtime itself.
(function installUmaskOnCreate(Module, state) {
  "use strict";
  const FS = Module.FS;
  if (FS.__harnessUmask) {
    FS.__harnessUmask.state = state; // a new Python-side state (for example after a restore)
    return "open,mkdir";
  }
  const hook = { state };
  const O_CREAT = 64;
  const open = FS.open;
  FS.open = function (path, flags, mode, ...rest) {
    if (hook.state.enabled && typeof flags === "number" && flags & O_CREAT) {
      mode = (mode === undefined ? 0o666 : mode) & ~hook.state.umask;
    }
    return open.call(this, path, flags, mode, ...rest);
  };
  const mkdir = FS.mkdir;
  FS.mkdir = function (path, mode, ...rest) {
    if (hook.state.enabled) mode = (mode === undefined ? 0o777 : mode) & ~hook.state.umask;
    return mkdir.call(this, path, mode, ...rest);
  };
  FS.__harnessUmask = hook;
  return "open,mkdir";
});
