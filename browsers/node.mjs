// Node entry point: `node node.mjs BOOT.json`.
//
// The host passes two pipe file descriptors in BOOT.json: `event_fd` (runtime -> host,
// one JSON event per line) and `command_fd` (host -> runtime). They are separate from
// stdout/stderr so nothing a test prints can corrupt the event stream. Both are used with
// synchronous I/O because Python runs on this thread and never yields to the event loop
// while a test runs; that is also what makes streaming live.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { boot } from "./boot.mjs";

/** Write all of `bytes` to `fd`, retrying when a non-blocking pipe is momentarily full. */
function writeAll(fd, bytes) {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
    }
  }
}

/** The synchronous line channel over the two pipes. */
function pipeChannel(eventFd, commandFd) {
  let pending = Buffer.alloc(0);
  const chunk = Buffer.alloc(1 << 16);
  return {
    send(line) {
      writeAll(eventFd, Buffer.from(line + "\n", "utf8"));
    },
    recv() {
      for (;;) {
        const newline = pending.indexOf(10);
        if (newline >= 0) {
          const line = pending.subarray(0, newline).toString("utf8");
          pending = pending.subarray(newline + 1);
          return line;
        }
        let count;
        try {
          count = fs.readSync(commandFd, chunk, 0, chunk.length, null);
        } catch (error) {
          if (error.code === "EAGAIN") continue;
          throw error;
        }
        if (count === 0) return null; // the host went away: leave the command loop
        pending = Buffer.concat([pending, chunk.subarray(0, count)]);
      }
    },
  };
}

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const channel = pipeChannel(config.event_fd, config.command_fd);
// The runtime cannot go on (a test called os._exit, a wasm trap, a JS RangeError, ...):
// tell the host why, then exit with the program's own status when it has one.
const fatal = (error) => {
  const message = String(error && error.stack ? error.stack : error);
  channel.send(JSON.stringify({ v: config.protocol_version, type: "error", kind: "fatal", message }));
  const exit = /Program terminated with exit\((\d+)\)/.exec(message);
  process.exit(exit ? Number(exit[1]) : 70);
};

try {
  const { loadPyodide } = await import(pathToFileURL(path.join(config.dist, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({ indexURL: config.dist + path.sep });
  const host = {
    readFile: async (file) => fs.readFileSync(file),
    write: (fd, bytes) => {
      writeAll(fd, bytes);
      return bytes.length;
    },
    mount: (dir) => {
      pyodide.FS.mkdirTree(dir);
      pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: dir }, dir);
    },
  };
  await boot(pyodide, config, channel, host);
  process.exit(0);
} catch (error) {
  fatal(error);
}
