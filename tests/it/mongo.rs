//! Live introspection of a real server started by tests/servers (in progress).
