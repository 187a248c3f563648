// JS half of wasm_patches/sockets_listen.py, evaluated with pyodide.code.run_js; its value
// is an object with `probe(Module)` and `install(Module)`.
//
// Why: in Node, Emscripten's SOCKFS implements listen() with the npm package "ws"
// (`require("ws").Server`). Without it the require throws a plain JS error, which is not
// an Emscripten errno, so Pyodide dies with a fatal error on any socket.listen(),
// socket.socketpair() or asyncio server: the whole runtime goes down. In a browser the same
// call fails with ENOTSUP (errno 138), an ordinary OSError. The wrapper makes Node do that.
({
  probe(Module) {
    const ops = Module.SOCKFS && Module.SOCKFS.websocket_sock_ops;
    if (!ops || !ops.listen) return false;
    const fake = { server: null, saddr: "127.0.0.1", sport: 0, stream: { fd: -1 } };
    try {
      ops.listen(fake, 1);
    } catch (error) {
      return !(error instanceof Module.FS.ErrnoError);
    } finally {
      if (fake.server && fake.server.close) fake.server.close();
    }
    return false;
  },
  install(Module) {
    const ops = Module.SOCKFS.websocket_sock_ops;
    if (ops.__harnessListen) return "already";
    const listen = ops.listen;
    ops.listen = function (sock, backlog) {
      try {
        return listen.call(this, sock, backlog);
      } catch (error) {
        if (error instanceof Module.FS.ErrnoError) throw error;
        throw new Module.FS.ErrnoError(138); // what browsers answer: not supported
      }
    };
    ops.__harnessListen = true;
    return "SOCKFS.listen";
  },
});
