//! wirelint: lints the wiring between nginx, php-fpm and docker compose configs, from the files alone.
//!
//! Data flows one way: `source` → language modules (`nginx`, later `phpfpm`, `compose`) → `stack` →
//! `rules` → `report`. `lint` runs it; `cli` is the command line over it.

pub mod changed;
pub mod cli;
pub mod compose;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod docs;
pub mod fix;
pub mod fsglob;
pub mod heap;
pub mod lint;
pub mod lsp;
pub mod nginx;
pub mod phpfpm;
pub mod process;
pub mod report;
pub mod rules;
pub mod settings;
pub mod source;
pub mod stack;
pub mod suppress;
pub mod swar;
pub mod timing;
