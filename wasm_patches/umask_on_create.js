// JS half of wasm_patches/umask_on_create.py, evaluated with pyodide.code.run_js; its value
// is the installer below (a plain script, so Node and browsers can evaluate it alike).
//
// Why: Emscripten 4+ (Pyodide 0.28 and later) has FS.open create a file with every
// permission and then FS.chmod it to the requested mode, and FS.mkdir passes the mode
// through unmasked: the process umask is never applied. A test that creates a file on the
// host mount leaves it world-writable (0666) where native Python makes 0644. The wrappers
// mask the requested mode with the umask Python last set (state.umask) before delegating.
(function installUmaskOnCreate(Module, state) {
  "use strict";
  const FS = Module.FS;
  if (FS.__harnessUmask) return "already";
  const O_CREAT = 64;
  const open = FS.open;
  FS.open = function (path, flags, mode, ...rest) {
    if (typeof flags === "number" && flags & O_CREAT) {
      mode = (mode === undefined ? 0o666 : mode) & ~state.umask;
    }
    return open.call(this, path, flags, mode, ...rest);
  };
  const mkdir = FS.mkdir;
  FS.mkdir = function (path, mode, ...rest) {
    return mkdir.call(this, path, (mode === undefined ? 0o777 : mode) & ~state.umask, ...rest);
  };
  FS.__harnessUmask = true;
  return "open,mkdir";
});
