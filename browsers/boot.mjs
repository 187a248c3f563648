// Shared boot sequence for every runtime (node/main.mjs; page/runtime.mjs on a page or in a worker).
//
// Each entry point loads Pyodide its own way, then hands over here with `host`, the few
// things that differ per runtime:
//   host.readFile(source) -> Promise<Uint8Array>  bytes of a file the run needs (Node: a
//                                                 host path; browsers: a URL on the run's server)
//   host.write(fd, bytes) -> count                Python's output (1 = stdout, 2 = stderr)
//   host.mount(path) -> Promise | undefined       the host directory at the same path
//                                                 (Node: NODEFS; browsers: a copy in MEMFS)
//   host.saveSnapshot(pyodide)                    optional: save the heap (memory snapshot)
//                                                 right after the preload; never throws
//   host.restored                                 the Pyodide was restored from a snapshot
//   host.sessionEnd()                             optional: called after each pytest session,
//                                                 before its `done`; never throws (browsers
//                                                 hand their bytecode back then)
// and `channel` = { send(line, hold), recv() -> string | null, flush? }, the synchronous
// event/command pipe the Python side talks through (a channel with `flush` may hold lines
// sent with `hold` until then; see node/main.mjs). All data arrives as JSON; no code is generated.

/** The text for anything thrown: an Error, an Emscripten ErrnoError, a plain object. */
export function describe(error) {
  if (error instanceof Error) {
    const stack = String(error.stack || "");
    const head = `${error.name}: ${error.message}`;
    return stack.startsWith(head) ? stack : `${head}\n${stack}`;
  }
  if (error && typeof error === "object") {
    const name = error.name || (error.constructor && error.constructor.name) || "Error";
    const detail = error.message || (error.errno !== undefined ? `errno ${error.errno}` : JSON.stringify(error));
    return `${name}: ${detail}`;
  }
  return String(error);
}

/** Copy the runtime-side Python (harness.inside, wasm_patches) into the in-memory FS. */
async function installFiles(pyodide, files, host) {
  const contents = await Promise.all(files.map(([, source]) => host.readFile(source)));
  files.forEach(([target], i) => {
    pyodide.FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
    pyodide.FS.writeFile(target, contents[i]);
  });
}

/** Route Python's stdout/stderr to the runtime's own streams, unbuffered. */
function routeOutput(pyodide, host) {
  pyodide.setStdout({ write: (bytes) => host.write(1, bytes) });
  pyodide.setStderr({ write: (bytes) => host.write(2, bytes) });
}

/**
 * Load the site-packages' compiled code with Pyodide's own dynamic-library loader, the one its
 * `loadPackage` uses: shared libraries first (`global`), then extension modules. Loading ahead
 * compiles each module asynchronously (a browser's main thread refuses to compile a large
 * module synchronously, which a plain `import` would do) and registers it, so the import
 * finds it loaded. 0.27 takes (path, global, searchDirs); 0.28+ (path) and ignores the rest.
 * Runs after the memory snapshot is saved or restored: the snapshot holds only the heap,
 * never side modules, so they are loaded afresh into every runtime.
 */
async function loadDynlibs(pyodide, dynlibs) {
  for (const { path, global } of dynlibs) {
    await pyodide._api.loadDynlib(path, global, [path.slice(0, path.lastIndexOf("/"))]);
  }
}

/** Put the run's files in place: the runtime-side Python, then every mount. */
export async function install(pyodide, config, host) {
  routeOutput(pyodide, host);
  await installFiles(pyodide, config.files, host);
  for (const path of config.mounts) {
    await host.mount(path);
  }
}

/**
 * After a cold boot and `install`: import everything every run needs (`runner.preload`)
 * for snapshot `key` ("" without one). Returns the runner module.
 */
export function preload(pyodide, config, key) {
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(config.runtime_root)})`);
  const runner = pyodide.pyimport("harness.inside.runner");
  runner.preload(JSON.stringify({ sys_path: config.sys_path, key }));
  return runner;
}

/**
 * Boot the harness inside an already loaded Pyodide and serve host commands until told
 * to exit. Resolves when the command loop ends; rejects if Python raised. `host.restored`:
 * the Pyodide was restored from a memory snapshot (else it was booted cold).
 */
export async function boot(pyodide, config, channel, host) {
  await install(pyodide, config, host);
  let runner;
  if (host.restored) {
    // The heap already holds everything preload imported; only the JS side (files,
    // mounts above) had to be set up again.
    runner = pyodide.pyimport("harness.inside.runner");
    runner.restored();
  } else {
    runner = preload(pyodide, config, config.snapshot ? config.snapshot.key : "");
    if (host.saveSnapshot) host.saveSnapshot(pyodide);
  }
  try {
    await loadDynlibs(pyodide, config.dynlibs || []);
    const jspi = typeof WebAssembly.Suspending === "function" || typeof WebAssembly.Suspender === "function";
    if (config.pytest_pyodide && jspi && runner.serve.callPromising) {
      // Entered through a promising call, Python can block on a Promise with JSPI
      // (`pyodide.ffi.run_sync`): pytest-pyodide style tests that await JavaScript need it.
      await runner.serve.callPromising(JSON.stringify(config), channel.send, channel.recv, channel.flush, host.sessionEnd);
    } else {
      runner.serve(JSON.stringify(config), channel.send, channel.recv, channel.flush, host.sessionEnd);
    }
  } finally {
    runner.destroy();
  }
}
