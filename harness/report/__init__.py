"""What a run leaves behind for CI: annotations, step summary, JSON report, shards, merge.

Every module here is a host-side pytest plugin (or pure logic such a plugin uses) fed by the
*replayed* reports through pytest's standard hooks, so it works the same for every runtime
and would work for a native pytest session too.
"""
