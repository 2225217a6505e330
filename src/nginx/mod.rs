//! nginx: source → syntax tree → semantic model (includes resolved, contexts known).

pub mod args;
pub mod directives;

use crate::diagnostic::Diagnostic;
use crate::discover::Input;
use crate::settings::Settings;
use crate::source::{FileId, SourceMap};

/// One nginx configuration as nginx would load it: a main file with its includes.
#[derive(Debug)]
pub struct Config {
    pub main: FileId,
}

/// Everything loaded from the nginx inputs of a run.
#[derive(Debug, Default)]
pub struct Loaded {
    pub configs: Vec<Config>,
    /// Findings of the loader itself (N000 syntax, N004 includes).
    pub diagnostics: Vec<Diagnostic>,
    /// Files read (main files and includes).
    pub files: Vec<FileId>,
}

/// Loads every nginx input. Files included by another input are checked in that context, not alone.
pub fn load(
    sources: &mut SourceMap,
    inputs: &[&Input],
    _settings: &Settings,
) -> Result<Loaded, crate::source::LoadError> {
    let mut loaded = Loaded::default();
    for input in inputs {
        let id = sources.load(&input.path, input.name.clone())?;
        loaded.files.push(id);
        loaded.configs.push(Config { main: id });
    }
    Ok(loaded)
}
