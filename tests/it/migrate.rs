//! `baas migrate` and `baas check` through the real binary and real databases.
