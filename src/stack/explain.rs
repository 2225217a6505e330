//! `wirelint explain SERVICE`.
