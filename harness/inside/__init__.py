"""Runtime-side pytest plugin and runner; copied into Pyodide, imports nothing from the host side."""
