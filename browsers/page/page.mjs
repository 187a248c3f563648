// Page entry point: runs the runtime (runtime.mjs) on the page's own thread, or, with
// `?mode=worker` in the page's URL, in a module Web Worker so the page stays idle. Both
// talk to the host the same way; only what Python's `js` module sees differs (a worker has
// no `document`).
if (new URLSearchParams(location.search).get("mode") === "worker") {
  new Worker(new URL("runtime.mjs", location.href), { type: "module" });
} else {
  await import("./runtime.mjs");
}
