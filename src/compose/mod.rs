//! docker compose: YAML with spans → interpolation → files merged into a project (`include`, `extends`,
//! overrides, profiles) → the model rules read. Loaded the way Docker Compose v2 (`docker compose config`)
//! loads it, and checked against it by `tests/compose_differential.rs`.

pub mod interp;
pub mod load;
pub mod merge;
pub mod model;
pub mod ports;
pub mod schema;
pub mod yaml;

pub use load::{load, Loaded, LoadedProject, UndefinedVar};
pub use model::{Project, Service, Spanned};
pub use ports::{PortBinding, PortRange};
