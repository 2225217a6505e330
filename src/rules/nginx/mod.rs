//! nginx rules (N).

pub mod n000_syntax_error;
