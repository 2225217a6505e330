//! The command line. Parses arguments into [`Settings`], runs, prints, and maps the outcome to an exit
//! status: 0 clean, 1 findings at or above `--min-severity`, 2 usage or I/O error.

use crate::diagnostic::Severity;
use crate::lint::{self, StdinFile};
use crate::report::{self, Format, Summary};
use crate::rules::{self, Selection};
use crate::settings::{Kind, PathMapping, Settings, Version};
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "wirelint",
    version,
    about = "Lints the wiring between nginx, php-fpm and docker compose configs, from the files alone"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
// Parsed once per run; boxing `CheckArgs` would only complicate matching on it.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Check files or directories (default: the current directory).
    Check(CheckArgs),
    /// List every rule: code, name, default severity, summary (`--format md`: the full rule reference).
    Rules {
        #[arg(long, value_enum, default_value = "text")]
        format: RulesFormat,
    },
    /// Show one rule's documentation.
    Rule {
        /// A rule code (`N001`) or name (`stale-upstream-dns`).
        code: String,
    },
    /// Show the effective configuration PATH loads to, with the file and line of every value and what it
    /// overrode (php-fpm pool files and directories); or, for a compose SERVICE name, the service's wiring.
    Explain(ExplainArgs),
    /// Draw the stack (compose services, published ports, nginx → upstream edges, findings highlighted) as
    /// Mermaid or Graphviz DOT.
    Graph(GraphArgs),
    /// Print a shell completion script (e.g. `wirelint completions bash > /etc/bash_completion.d/wirelint`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `wirelint man > wirelint.1`.
    Man,
    /// Run the language server on standard input and output (for editors).
    Lsp,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RulesFormat {
    /// One line per rule.
    #[default]
    Text,
    /// The rule reference in Markdown (`docs/rules.md`).
    Md,
}

/// How php-fpm is run: its prefix, image and environment.
#[derive(Args, Debug, Clone, Default)]
pub struct PhpFpmArgs {
    /// php-fpm's prefix (`-p`): where relative `include=` paths and unix sockets resolve (default: the main
    /// config's directory, or its parent when that directory is `etc`).
    #[arg(long, value_name = "DIR")]
    pub php_prefix: Option<PathBuf>,
    /// The image php-fpm runs in, e.g. `php:8.2.20-fpm`, `php:8.3-fpm` (or the package layouts
    /// `debian:php8.2`, `alpine:php83`): its stock pool files load around a pool directory's own files, and
    /// where a given php-fpm.conf's `include=` reaches the image's pool directory (relative includes then
    /// resolve against the image's prefix).
    #[arg(long, value_name = "IMAGE")]
    pub php_image: Option<String>,
    /// A file of `KEY=VALUE` lines: the environment php-fpm starts with. Resolves `${VAR}` and reports
    /// unset ones (P007).
    #[arg(long, value_name = "FILE")]
    pub php_env: Option<PathBuf>,
}

impl PhpFpmArgs {
    /// The php-fpm settings; reads the `--php-env` file.
    pub fn settings(&self) -> Result<crate::settings::PhpFpmSettings, String> {
        let env = match &self.php_env {
            Some(path) => {
                let text = crate::source::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                Some(parse_env_file(&text))
            }
            None => None,
        };
        Ok(crate::settings::PhpFpmSettings {
            prefix: self.php_prefix.clone(),
            image: self.php_image.clone(),
            env,
        })
    }
}

/// `KEY=VALUE` lines; `#` comments, blank lines, `export ` and surrounding quotes are ignored.
pub fn parse_env_file(text: &str) -> std::collections::HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// Files or directories holding the stack (default: the current directory).
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: crate::stack::graph::GraphFormat,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A compose service name (searched in the compose projects under `--dir`), or a php-fpm main config,
    /// pool file or pool directory (`php-fpm.d/`, `pool.d/`).
    pub path: PathBuf,
    /// Where to look for the compose projects of a SERVICE (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub phpfpm: PhpFpmArgs,
    /// Treat every file as this kind instead of telling it from name and content.
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// Map a container path to a repository path, e.g. `--map /usr/local/etc=./php`. Repeatable.
    #[arg(long = "map", value_name = "CONTAINER=HOST", value_parser = parse_mapping)]
    pub maps: Vec<PathMapping>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check. Directories are walked, respecting `.gitignore`.
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: FormatArg,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only these rules: codes, code prefixes (`N`, `N00`), names, or `ALL`. Comma-separated or repeated.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Skip these rules (same forms as --select).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Exit with status 1 when a finding has at least this severity [default: warning].
    #[arg(long, value_parser = parse_severity)]
    pub min_severity: Option<Severity>,
    /// Treat every given file as this kind instead of telling it from name and content.
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// Read the text of the file at PATH from standard input (for editors). PATH is used for its name,
    /// kind and include resolution.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// nginx's config prefix: where relative `include` paths resolve (default: the main config's directory).
    #[arg(long, value_name = "DIR")]
    pub nginx_prefix: Option<PathBuf>,
    /// The nginx version the configs run on (e.g. 1.27.3); changes which fixes are suggested.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub nginx_version: Option<Version>,
    #[command(flatten)]
    pub phpfpm: PhpFpmArgs,
    /// Map a container path to a repository path, e.g. `--map /etc/nginx=./nginx`. Repeatable.
    #[arg(long = "map", value_name = "CONTAINER=HOST", value_parser = parse_mapping)]
    pub maps: Vec<PathMapping>,
    /// A compose file of the project to check (repeatable, merged in order like `docker compose -f`).
    #[arg(short = 'f', long = "compose-file", value_name = "FILE")]
    pub compose_files: Vec<PathBuf>,
    /// A file of variables for compose interpolation, used instead of the project's `.env` (repeatable).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// The compose project name (default: `name:`, else the project directory's name).
    #[arg(long, value_name = "NAME")]
    pub project_name: Option<String>,
    /// Read settings from this file instead of the `.wirelint.toml` found from the working directory up.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore every `.wirelint.toml`.
    #[arg(long)]
    pub no_config: bool,
    /// The given files are changed files (as pre-commit passes them): check the whole stack each belongs
    /// to and report the findings that touch them.
    #[arg(long, conflicts_with = "stdin_filename")]
    pub stack: bool,
    /// Apply the safe fixes findings carry, write the files, and report what remains.
    #[arg(long)]
    pub fix: bool,
    /// Print the fixes as a unified diff instead of writing them (exit status 1 when there is one).
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// Also apply fixes that change behaviour (with `--fix` or `--diff`).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// When to color human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
}

/// Output of `explain`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExplainFormat {
    #[default]
    Human,
    Json,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FormatArg {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
    Gitlab,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorArg {
    #[default]
    Auto,
    Always,
    Never,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("`{s}` is not one of info, warning, error"))
}

fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s).ok_or_else(|| format!("`{s}` is not a version like 1.27.3"))
}

fn parse_mapping(s: &str) -> Result<PathMapping, String> {
    let (container, host) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not CONTAINER=HOST"))?;
    if !container.starts_with('/') {
        return Err(format!("container path `{container}` must be absolute"));
    }
    Ok(PathMapping {
        container: container.into(),
        host: host.into(),
    })
}

impl CheckArgs {
    /// The settings of the flags alone, without any config file.
    pub fn flag_settings(&self) -> Settings {
        Settings {
            rules: Selection {
                select: self.select.clone(),
                ignore: self.ignore.clone(),
            },
            min_severity: self.min_severity.unwrap_or(Severity::Warning),
            kind: self.kind,
            nginx: crate::settings::NginxSettings {
                prefix: self.nginx_prefix.clone(),
                version: self.nginx_version,
                container: None,
            },
            phpfpm: crate::settings::PhpFpmSettings {
                prefix: self.phpfpm.php_prefix.clone(),
                image: self.phpfpm.php_image.clone(),
                env: None,
            },
            path_map: self.maps.clone(),
            compose: crate::settings::ComposeSettings {
                // From `[compose] dev-ports` in `.wirelint.toml` (see `config::Config::apply`).
                dev_ports: None,
                files: self.compose_files.clone(),
                env_files: self.env_files.clone(),
                project_name: self.project_name.clone(),
                environment: std::env::vars().collect(),
            },
            ..Settings::default()
        }
    }

    /// The settings of this run: `.wirelint.toml` (found or `--config`), overridden by the flags.
    pub fn settings(&self) -> Result<Settings, String> {
        let mut settings = self.flag_settings();
        if self.no_config {
            return Ok(settings);
        }
        let config = crate::config::load(self.config.as_deref()).map_err(|e| e.to_string())?;
        if let Some(config) = config {
            config.apply(
                &mut settings,
                &crate::config::CliOverrides {
                    select: !self.select.is_empty(),
                    ignore: !self.ignore.is_empty(),
                    min_severity: self.min_severity.is_some(),
                    nginx_prefix: self.nginx_prefix.is_some(),
                    nginx_version: self.nginx_version.is_some(),
                },
            );
        }
        Ok(settings)
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = err.exit_code();
            let _ = err.print();
            return ExitCode::from(if code == 0 { 0 } else { 2 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("wirelint: error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// The result of writing to standard output. A reader that went away (`wirelint check | head`) is not an
/// error: the rest of the output is dropped quietly, as other command-line tools do, and the exit
/// status still tells whether there were findings.
fn written(r: std::io::Result<()>) -> Result<(), String> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| format!("writing output: {e}")),
    }
}

/// Runs a parsed command; returns the exit status, or an error message for status 2.
pub fn run(cli: Cli) -> Result<u8, String> {
    if let Command::Lsp = cli.command {
        // Before locking stdout below: the server's writer thread owns it.
        crate::lsp::run()?;
        return Ok(0);
    }
    let mut out = std::io::stdout().lock();
    let write = |out: &mut dyn Write, text: &str| written(out.write_all(text.as_bytes()));
    match cli.command {
        Command::Rules { format } => {
            let text = match format {
                RulesFormat::Text => rules_table(),
                RulesFormat::Md => crate::docs::rules_markdown(),
            };
            write(&mut out, &text)?;
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "wirelint", &mut buf);
            write(&mut out, &String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Lsp => unreachable!("handled above"),
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buf)
                .map_err(|e| format!("rendering the man page: {e}"))?;
            write(&mut out, &String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Rule { code } => {
            let rule = rules::by_code(&code)
                .ok_or_else(|| format!("no rule `{code}`; `wirelint rules` lists them"))?;
            write(&mut out, &rule_docs(rule))?;
            Ok(0)
        }
        Command::Explain(args) => {
            write(&mut out, &explain(&args)?)?;
            Ok(0)
        }
        Command::Graph(args) => {
            write(&mut out, &graph(&args)?)?;
            Ok(0)
        }
        Command::Check(args) => {
            // One run, then the process exits (the language server above runs for long).
            crate::process::set_one_shot();
            let color = match args.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            let color = color && args.output.is_none();
            let code = match &args.output {
                // Written once the run is done, so a failed run leaves no file behind.
                Some(path) => {
                    let (text, code) = check(&args, color)?;
                    std::fs::write(path, &text)
                        .map_err(|e| format!("writing {}: {e}", path.display()))?;
                    code
                }
                None => {
                    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut out);
                    let code = check_to(&args, color, &mut buffered)?;
                    written(buffered.flush())?;
                    code
                }
            };
            crate::timing::phase("write");
            Ok(code)
        }
    }
}

/// Runs `check` and renders its output; returns the text and the exit status.
pub fn check(args: &CheckArgs, color: bool) -> Result<(String, u8), String> {
    let mut out = Vec::new();
    let code = check_to(args, color, &mut out)?;
    Ok((
        String::from_utf8(out).map_err(|e| format!("output is not UTF-8: {e}"))?,
        code,
    ))
}

/// Runs `check` and writes its output to `out` (a large report part by part as it is rendered); returns
/// the exit status.
pub fn check_to(args: &CheckArgs, color: bool, out: &mut dyn Write) -> Result<u8, String> {
    let mut settings = args.settings()?;
    // `--php-env` is read here (flag_settings cannot fail).
    settings.phpfpm.env = args.phpfpm.settings()?.env;
    let stdin = match &args.stdin_filename {
        Some(path) => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("reading standard input: {e}"))?;
            Some(StdinFile {
                path: path.clone(),
                text,
            })
        }
        None => None,
    };
    let mut paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    // `--stack`: the changed files, absolute; empty when a change affects whole stacks.
    let mut changed = Vec::new();
    if args.stack {
        let cwd = std::env::current_dir().map_err(|e| format!("working directory: {e}"))?;
        if !paths.iter().any(|p| crate::changed::affects_whole_stack(p)) {
            changed = paths.iter().map(|p| crate::source::normalize(p)).collect();
        }
        paths = crate::changed::stack_roots(&paths, &cwd)
            .into_iter()
            .map(|root| match root.strip_prefix(&cwd) {
                Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
                Ok(rel) => rel.to_path_buf(),
                Err(_) => root,
            })
            .collect();
    }
    if args.fix && stdin.is_some() {
        return Err("--fix cannot rewrite standard input; use --diff".into());
    }
    let lint_once = |stdin: Option<StdinFile>| -> Result<lint::Outcome, String> {
        let mut outcome = lint::check(&paths, stdin, &settings).map_err(|e| e.to_string())?;
        if !changed.is_empty() {
            let sources = &outcome.sources;
            outcome
                .diagnostics
                .retain(|d| crate::changed::touches(sources, d, &changed));
        }
        Ok(outcome)
    };
    let mut outcome = lint_once(stdin.clone())?;
    if args.diff {
        let plan = crate::fix::plan(&outcome.sources, &outcome.diagnostics, args.unsafe_fixes);
        let text: String = plan.files.iter().map(crate::fix::unified_diff).collect();
        eprintln!("{}", fix_summary("would fix", &plan));
        written(out.write_all(text.as_bytes()))?;
        return Ok(u8::from(!plan.files.is_empty()));
    }
    if args.fix {
        let mut fixed = 0;
        let mut last = crate::fix::Plan::default();
        // Overlapping fixes are applied in later rounds, each after a fresh lint of the fixed files.
        for _round in 0..8 {
            last = crate::fix::plan(&outcome.sources, &outcome.diagnostics, args.unsafe_fixes);
            if last.files.is_empty() {
                break;
            }
            for file in &last.files {
                if let Some(path) = &file.path {
                    std::fs::write(path, &file.new)
                        .map_err(|e| format!("writing {}: {e}", path.display()))?;
                }
            }
            fixed += last.applied;
            outcome = lint_once(None)?;
        }
        last.applied = fixed;
        eprintln!("{}", fix_summary("fixed", &last));
    }
    for path in &outcome.skipped {
        eprintln!(
            "wirelint: skipped {}: not recognised as nginx, php-fpm or compose (use --kind)",
            path.display()
        );
    }
    let summary = Summary::new(outcome.files, &outcome.diagnostics);
    let format = match args.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
        FormatArg::Gitlab => Format::Gitlab,
    };
    written(report::write(
        format,
        &outcome.sources,
        &outcome.diagnostics,
        summary,
        color,
        out,
    ))?;
    crate::timing::phase("render");
    let failed = outcome
        .diagnostics
        .iter()
        .any(|d| d.severity >= settings.min_severity);
    if crate::process::one_shot() {
        // Freeing every finding and source of a large run one by one only delays the exit.
        std::mem::forget(outcome);
    }
    Ok(u8::from(failed))
}

/// Runs `explain`: dispatches on what PATH holds (php-fpm today; compose stacks later).
pub fn explain(args: &ExplainArgs) -> Result<String, String> {
    if !args.path.is_file() {
        if let Some(text) = explain_service(args)? {
            return Ok(text);
        }
    }
    let settings = Settings {
        kind: args.kind,
        phpfpm: args.phpfpm.settings()?,
        path_map: args.maps.clone(),
        ..Settings::default()
    };
    let (inputs, _) = crate::discover::discover(std::slice::from_ref(&args.path), args.kind)
        .map_err(|e| e.to_string())?;
    let fpm: Vec<_> = inputs.iter().filter(|i| i.kind == Kind::PhpFpm).collect();
    if fpm.is_empty() {
        return Err(format!(
            "{}: no php-fpm files found (explain shows php-fpm pools; use --kind php-fpm to force)",
            args.path.display()
        ));
    }
    let mut sources = crate::source::SourceMap::new();
    let loaded = crate::phpfpm::load(&mut sources, &fpm, &settings).map_err(|e| e.to_string())?;
    Ok(match args.format {
        ExplainFormat::Human => crate::phpfpm::explain::human(&sources, &loaded),
        ExplainFormat::Json => crate::phpfpm::explain::json(&sources, &loaded),
    })
}

/// The settings `explain SERVICE` and `graph` check with: the `.wirelint.toml` found from the working
/// directory, else the defaults.
fn stack_settings() -> Settings {
    let mut settings = Settings::default();
    if let Ok(Some(cfg)) = crate::config::load(None) {
        cfg.apply(
            &mut settings,
            &crate::config::CliOverrides {
                select: false,
                ignore: false,
                min_severity: false,
                nginx_prefix: false,
                nginx_version: false,
            },
        );
    }
    settings.compose.environment = std::env::vars().collect();
    settings
}

/// `explain SERVICE`: `None` when no compose project under `--dir` has a service of that name.
fn explain_service(args: &ExplainArgs) -> Result<Option<String>, String> {
    let name = args.path.to_string_lossy().to_string();
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let settings = stack_settings();
    let outcome = crate::lint::check(&[dir], None, &settings).map_err(|e| e.to_string())?;
    let stack = &outcome.stack;
    let found: Vec<usize> = (0..stack.placements.len())
        .filter(|&i| stack.name(i) == name)
        .collect();
    if found.is_empty() {
        return Ok(None);
    }
    let mut out = String::new();
    for i in found {
        out.push_str(&match args.format {
            ExplainFormat::Human => {
                crate::stack::explain::human(&outcome.sources, stack, i, &outcome.diagnostics)
            }
            ExplainFormat::Json => crate::stack::explain::json(&outcome.sources, stack, i),
        });
    }
    Ok(Some(out))
}

/// `graph`: the stack of PATHS as Mermaid or DOT.
pub fn graph(args: &GraphArgs) -> Result<String, String> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let outcome = crate::lint::check(&paths, None, &stack_settings()).map_err(|e| e.to_string())?;
    if outcome.stack.placements.is_empty() {
        return Err("no compose services found: `graph` draws compose stacks".into());
    }
    Ok(crate::stack::graph::render(
        &outcome.sources,
        &outcome.stack,
        &outcome.diagnostics,
        args.format,
    ))
}

fn fix_summary(verb: &str, plan: &crate::fix::Plan) -> String {
    let mut s = format!(
        "wirelint: {verb} {} finding{}",
        plan.applied,
        if plan.applied == 1 { "" } else { "s" }
    );
    if plan.unsafe_skipped > 0 {
        s.push_str(&format!(
            "; {} more with --unsafe-fixes",
            plan.unsafe_skipped
        ));
    }
    s
}

pub fn rules_table() -> String {
    let mut out = String::from("CODE  NAME                              SEVERITY  SUMMARY\n");
    for r in rules::RULES {
        out.push_str(&format!(
            "{:<5} {:<33} {:<9} {}\n",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary
        ));
    }
    out
}

pub fn rule_docs(rule: &rules::Rule) -> String {
    format!(
        "# {} ({})\n\nDefault severity: {}. Family: {}.\n\n{}\n\n{}",
        rule.code,
        rule.name,
        rule.severity,
        rule.family(),
        rule.summary,
        rule.docs_markdown()
    )
}
