//! Compose rules (C). Findings C000 come from the loader (`crate::compose::load`); the others run on each
//! loaded project through [`crate::rules::ComposeCx`].

pub mod c000_invalid_compose;
pub mod c001_dev_port_collision;
pub mod c002_duplicate_published_port;
pub mod c003_published_on_all_interfaces;
pub mod c004_unquoted_port_mapping;
pub mod c005_undefined_variable;
pub mod c006_ports_ignored_by_network_mode;
pub mod c007_depends_on_not_healthy;
