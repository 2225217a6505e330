//! `wirelint graph`.
