// The browser runtime, started by page.mjs on the page's thread or in a module Web Worker
// (http://127.0.0.1:PORT/TOKEN/runtime.mjs); every URL below is relative to this script,
// so each request carries the run's token.
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
import { boot } from "./boot.mjs";

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

const socket = await openSocket();
const channel = socketChannel(socket);
const config = JSON.parse(new TextDecoder().decode(await fetchBytes("boot.json")));

// The runtime cannot go on (os._exit, a wasm trap, a JS error): tell the host why, then
// end the stream; the host restarts the browser. Firefox's `stack` lists frames only, so
// the message leads with "Name: message" as V8's does.
const fatal = (error) => {
  const stack = String((error && error.stack) || "");
  const head = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const message = stack.startsWith(head) ? stack : `${head}\n${stack}`;
  channel.send(JSON.stringify({ v: config.protocol_version, type: "error", kind: "fatal", message }));
  socket.close();
};

try {
  const distURL = new URL(config.dist, import.meta.url).href;
  const { loadPyodide } = await import(new URL("pyodide.mjs", distURL).href);
  const pyodide = await loadPyodide({ indexURL: distURL });
  pyodide.setStdin({ stdin: () => null }); // never a prompt(): stdin is at EOF, as under Node
  const host = {
    readFile: fetchBytes,
    write: (fd, bytes) => {
      const message = new Uint8Array(bytes.length + 1);
      message[0] = fd;
      message.set(bytes, 1);
      socket.send(message);
      return bytes.length;
    },
    mount: async (path) => unpack(pyodide.FS, await fetchBytes(config.bundles[path])),
  };
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
