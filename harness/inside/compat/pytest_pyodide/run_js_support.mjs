// What `selenium.run_js` needs in the runtime (read and evaluated by runner.py; the file is
// one function expression, so evaluating its text gives the function).
//
// pytest-pyodide runs each `run_js(code)` as the body of an async function on a page that
// defines a few globals for tests: `pyodide`, `sleep`, `assert`, `assertAsync`,
// `assertThrows`, `assertThrowsAsync`. They are defined here the same way (only where the
// global does not exist yet). `compile(body)` makes a plain function of the body when it does
// not await (so it runs while Python waits, in any runtime) and an async one when it does.
// `teeConsole(sink)` sends console output to `sink(method, text)` (for `selenium.logs`) until undone.
(function (pyodideApi) {
  const AsyncFunction = (async () => {}).constructor;

  const define = (name, value) => {
    if (!(name in globalThis)) globalThis[name] = value;
  };

  const failed = (what, message) => {
    const note = message ? `\n${message}` : "";
    return new Error(`Assertion failed: ${what}${note}`);
  };

  const checkError = (error, errname, pattern, call) => {
    const regex = typeof pattern === "string" ? new RegExp(pattern) : pattern;
    if (!error) throw new Error(`${call} failed, no error thrown`);
    if (error.constructor.name !== errname) {
      throw new Error(`${call} failed, expected error of type '${errname}' got type '${error.constructor.name}'`);
    }
    if (!regex.test(error.message)) {
      throw new Error(`${call} failed, expected error message to match pattern ${pattern} got:\n${error.message}`);
    }
  };

  define("pyodide", pyodideApi);
  define("sleep", (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  define("assert", (check, message = "") => {
    if (check() !== true) throw failed(check.toString(), message);
  });
  define("assertAsync", async (check, message = "") => {
    if ((await check()) !== true) throw failed(check.toString(), message);
  });
  define("assertThrows", (fn, errname, pattern) => {
    let error;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    checkError(error, errname, pattern, `assertThrows(${fn}, "${errname}", ${pattern})`);
  });
  define("assertThrowsAsync", async (fn, errname, pattern) => {
    let error;
    try {
      await fn();
    } catch (e) {
      error = e;
    }
    checkError(error, errname, pattern, `assertThrowsAsync(${fn}, "${errname}", ${pattern})`);
  });

  return {
    compile(body) {
      try {
        return { awaits: false, fn: new Function(body) };
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
      }
      // `await` outside an async function is a SyntaxError; a real syntax error throws again here.
      return { awaits: true, fn: new AsyncFunction(body) };
    },

    teeConsole(sink) {
      // As on pytest-pyodide's pages, console output goes to the logs (and here to the test's
      // captured output) instead of the runtime's own stdout.
      const methods = ["log", "info", "warn", "error", "debug"];
      const originals = methods.map((name) => console[name]);
      for (const name of methods) {
        console[name] = (...args) => sink(name, args.map((arg) => String(arg)).join(" "));
      }
      return () => methods.forEach((name, i) => (console[name] = originals[i]));
    },

    errorText(error) {
      const stack = error && error.stack ? String(error.stack) : "";
      const head = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return [head, stack];
    },
  };
});
