//! Migration SQL per dialect, and round trips through real databases.
