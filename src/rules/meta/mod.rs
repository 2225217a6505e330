//! Meta findings about wirelint's own inline suppressions (W).

pub mod w001_unused_suppression;
pub mod w002_suppression_without_reason;
pub mod w003_invalid_suppression;
