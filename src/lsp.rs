//! `wirelint lsp`: a language server over stdio.
//!
//! On open, change, save and close of a document, the server checks the whole stack the document belongs
//! to (the directory of the nearest compose file above it inside the workspace, else the workspace), with
//! every open document's unsaved text in place of the disk, and publishes the findings of every file in
//! that stack — so editing a compose file re-publishes the findings it changes in nginx or php-fpm files.
//! Hover over a finding (or over a rule code in a suppression comment) shows the rule's docs; findings
//! with a safe fix offer it as a quick fix.

// `WorkspaceEdit::changes` is keyed by `Uri`, whose lazily cached parts trip this lint; hashing does not
// touch them.
#![allow(clippy::mutable_key_type)]

use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::StdinFile;
use crate::rules;
use crate::source::{normalize, SourceMap, Span};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{CodeActionRequest, HoverRequest, Request as _};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOptions, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, DiagnosticRelatedInformation, DiagnosticSeverity, Hover,
    HoverContents, HoverParams, HoverProviderCapability, InitializeParams, Location, MarkupContent,
    MarkupKind, MessageType, NumberOrString, Position, PublishDiagnosticsParams, Range,
    ServerCapabilities, ShowMessageParams, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, TextEdit, Uri, WorkspaceEdit,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Runs the server on standard input and output until the client shuts it down.
pub fn run() -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io.join().map_err(|e| format!("language server I/O: {e}"))
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// Serves one client on `connection`: initialize, then messages until `shutdown`.
pub fn serve(connection: &Connection) -> Result<(), String> {
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    let params = connection
        .initialize(caps)
        .map_err(|e| format!("language server initialize: {e}"))?;
    let init: InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("initialize params: {e}"))?;
    let mut server = Server::new(workspace_root(&init));
    for msg in &connection.receiver {
        let out = match msg {
            Message::Request(req) => {
                if connection
                    .handle_shutdown(&req)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(());
                }
                vec![Message::Response(server.request(req))]
            }
            Message::Notification(n) => server.notification(n),
            Message::Response(_) => Vec::new(),
        };
        for m in out {
            connection.sender.send(m).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[allow(deprecated)] // `root_uri` is what older clients send.
fn workspace_root(init: &InitializeParams) -> PathBuf {
    init.workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .and_then(|f| uri_to_path(&f.uri))
        .or_else(|| init.root_uri.as_ref().and_then(uri_to_path))
        .or_else(|| std::env::current_dir().ok())
        .map(|p| normalize(&p))
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// A published finding, kept for hover and code actions.
struct Published {
    range: Range,
    code: &'static str,
    lsp: lsp_types::Diagnostic,
    fix: Option<(String, HashMap<Uri, Vec<TextEdit>>)>,
}

struct Server {
    root: PathBuf,
    /// Open documents: path → current text.
    docs: BTreeMap<PathBuf, String>,
    /// Stack root → files that got diagnostics from it last time (to clear them when they are gone).
    published_from: HashMap<PathBuf, BTreeSet<PathBuf>>,
    /// File → its current findings.
    findings: HashMap<PathBuf, Vec<Published>>,
}

impl Server {
    fn new(root: PathBuf) -> Server {
        Server {
            root,
            docs: BTreeMap::new(),
            published_from: HashMap::new(),
            findings: HashMap::new(),
        }
    }

    fn notification(&mut self, n: Notification) -> Vec<Message> {
        let path = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_to_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                self.docs.insert(path.clone(), p.text_document.text);
                path
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_to_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                // Full sync: the last change holds the whole text.
                if let Some(change) = p.content_changes.into_iter().last() {
                    self.docs.insert(path.clone(), change.text);
                }
                path
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_to_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                if let Some(text) = p.text {
                    self.docs.insert(path.clone(), text);
                }
                path
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_to_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                self.docs.remove(&path);
                path
            }
            _ => return Vec::new(),
        };
        self.lint(&path)
    }

    /// Checks the stack `path` belongs to and publishes the findings of all its files.
    fn lint(&mut self, path: &Path) -> Vec<Message> {
        let in_workspace = path.starts_with(&self.root);
        let target = if in_workspace {
            crate::changed::stack_root(path, &self.root)
        } else {
            path.to_path_buf()
        };
        let settings = match crate::config::load(crate::config::discover(&self.root).as_deref()) {
            Ok(Some(config)) => {
                let mut s = crate::settings::Settings::default();
                config.apply(&mut s, &crate::config::CliOverrides::default());
                s
            }
            Ok(None) => crate::settings::Settings::default(),
            Err(e) => return vec![show_error(e.to_string())],
        };
        let overlays: Vec<StdinFile> = self
            .docs
            .iter()
            .map(|(p, t)| StdinFile {
                path: p.clone(),
                text: t.clone(),
            })
            .collect();
        let outcome = match crate::lint::check_with_overlays(
            std::slice::from_ref(&target),
            None,
            &overlays,
            &settings,
        ) {
            Ok(o) => o,
            Err(e) => return vec![show_error(e.to_string())],
        };
        let mut by_file: BTreeMap<PathBuf, Vec<Published>> = BTreeMap::new();
        for d in &outcome.diagnostics {
            let Some(file) = file_path(&outcome.sources, d.span) else {
                continue;
            };
            by_file
                .entry(file)
                .or_default()
                .push(publish(&outcome.sources, d));
        }
        // Every file that had findings from this stack, the open document, and every file with findings now.
        let mut targets: BTreeSet<PathBuf> =
            self.published_from.remove(&target).unwrap_or_default();
        targets.insert(path.to_path_buf());
        targets.extend(by_file.keys().cloned());
        let mut out = Vec::new();
        for file in &targets {
            let found = by_file.remove(file).unwrap_or_default();
            let params = PublishDiagnosticsParams {
                uri: path_to_uri(file),
                diagnostics: found.iter().map(|p| p.lsp.clone()).collect(),
                version: None,
            };
            out.push(Message::Notification(Notification::new(
                PublishDiagnostics::METHOD.to_string(),
                params,
            )));
            self.findings.insert(file.clone(), found);
        }
        self.published_from.insert(target, targets);
        out
    }

    fn request(&mut self, req: Request) -> Response {
        match req.method.as_str() {
            HoverRequest::METHOD => match serde_json::from_value::<HoverParams>(req.params) {
                Ok(p) => Response::new_ok(req.id, self.hover(&p)),
                Err(e) => bad_params(req.id, e),
            },
            CodeActionRequest::METHOD => {
                match serde_json::from_value::<CodeActionParams>(req.params) {
                    Ok(p) => Response::new_ok(req.id, self.code_actions(&p)),
                    Err(e) => bad_params(req.id, e),
                }
            }
            _ => Response::new_err(
                req.id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("unsupported request {}", req.method),
            ),
        }
    }

    fn hover(&self, p: &HoverParams) -> Option<Hover> {
        let doc = &p.text_document_position_params;
        let path = uri_to_path(&doc.text_document.uri)?;
        let pos = doc.position;
        let code = self
            .findings
            .get(&path)
            .and_then(|f| f.iter().find(|f| contains(f.range, pos)))
            .map(|f| (f.code, Some(f.range)))
            .or_else(|| {
                // A rule code written in the document, e.g. in a suppression comment.
                let text = self.text_of(&path)?;
                let (word, range) = word_at(&text, pos)?;
                let rule = rules::RULES
                    .iter()
                    .find(|r| r.code.eq_ignore_ascii_case(&word))?;
                Some((rule.code, Some(range)))
            })?;
        let rule = rules::by_code(code.0)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: crate::cli::rule_docs(rule),
            }),
            range: code.1,
        })
    }

    fn code_actions(&self, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let Some(path) = uri_to_path(&p.text_document.uri) else {
            return Vec::new();
        };
        let Some(found) = self.findings.get(&path) else {
            return Vec::new();
        };
        found
            .iter()
            .filter(|f| overlaps(f.range, p.range))
            .filter_map(|f| {
                let (title, changes) = f.fix.as_ref()?;
                Some(CodeActionOrCommand::CodeAction(CodeAction {
                    title: format!("{} ({})", title, f.code),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![f.lsp.clone()]),
                    edit: Some(WorkspaceEdit {
                        changes: Some(changes.clone()),
                        ..WorkspaceEdit::default()
                    }),
                    is_preferred: Some(true),
                    ..CodeAction::default()
                }))
            })
            .collect()
    }

    fn text_of(&self, path: &Path) -> Option<String> {
        self.docs
            .get(path)
            .cloned()
            .or_else(|| crate::source::read_to_string(path).ok())
    }
}

fn bad_params(id: RequestId, e: serde_json::Error) -> Response {
    Response::new_err(
        id,
        lsp_server::ErrorCode::InvalidParams as i32,
        e.to_string(),
    )
}

fn show_error(message: String) -> Message {
    Message::Notification(Notification::new(
        ShowMessage::METHOD.to_string(),
        ShowMessageParams {
            typ: MessageType::ERROR,
            message: format!("wirelint: {message}"),
        },
    ))
}

fn file_path(sources: &SourceMap, span: Span) -> Option<PathBuf> {
    sources.get(span.file).path.as_deref().map(normalize)
}

fn publish(sources: &SourceMap, d: &Diagnostic) -> Published {
    let range = range_of(sources, d.span);
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri: path_to_uri(&file_path(sources, r.span)?),
                    range: range_of(sources, r.span),
                },
                message: r.message.clone(),
            })
        })
        .collect();
    let lsp = lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("wirelint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    };
    let fix = d.fix.as_ref().filter(|f| f.safe).and_then(|f| {
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        for e in &f.edits {
            let file = file_path(sources, e.span)?;
            changes
                .entry(path_to_uri(&file))
                .or_default()
                .push(TextEdit {
                    range: range_of(sources, e.span),
                    new_text: e.replacement.clone(),
                });
        }
        Some((f.title.clone(), changes))
    });
    Published {
        range,
        code: d.code,
        lsp,
        fix,
    }
}

/// LSP positions: 0-based lines, columns in UTF-16 code units (the protocol's default encoding).
fn range_of(sources: &SourceMap, span: Span) -> Range {
    let text = &sources.get(span.file).text;
    Range {
        start: position(text, span.start as usize),
        end: position(text, span.end as usize),
    }
}

pub fn position(text: &str, offset: usize) -> Position {
    let before = &text[..crate::source::floor_char_boundary(text, offset)];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: line as u32,
        character: before[line_start..].encode_utf16().count() as u32,
    }
}

/// The byte offset of an LSP position, if it is inside `text`.
pub fn offset(text: &str, pos: Position) -> Option<usize> {
    let mut line_start = 0;
    for _ in 0..pos.line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= pos.character as usize {
            return Some(line_start + i);
        }
        units += c.len_utf16();
    }
    Some(line_end)
}

fn word_at(text: &str, pos: Position) -> Option<(String, Range)> {
    let at = offset(text, pos)?;
    let is_word = |c: char| c.is_ascii_alphanumeric();
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = text[at..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| at + i);
    (start < end).then(|| {
        (
            text[start..end].to_string(),
            Range {
                start: position(text, start),
                end: position(text, end),
            },
        )
    })
}

fn contains(r: Range, p: Position) -> bool {
    let key = |p: Position| (p.line, p.character);
    key(r.start) <= key(p) && key(p) <= key(r.end)
}

fn overlaps(a: Range, b: Range) -> bool {
    let key = |p: Position| (p.line, p.character);
    key(a.start) <= key(b.end) && key(b.start) <= key(a.end)
}

/// `file://` URI of an absolute path, percent-encoding all but unreserved characters and `/`.
pub fn path_to_uri(path: &Path) -> Uri {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&s).expect("a percent-encoded file URI parses")
}

/// The path of a `file:` URI (percent-decoded), normalised.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file://localhost/x` and `file:///x` both name `/x`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let Some(b) = escaped {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(normalize(Path::new(&String::from_utf8(out).ok()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\nç😀x\n";
        assert_eq!(position(text, 0), Position::new(0, 0));
        assert_eq!(position(text, 3), Position::new(1, 0));
        // ç is one UTF-16 unit, 😀 two.
        assert_eq!(position(text, 3 + 2 + 4), Position::new(1, 3));
        assert_eq!(offset(text, Position::new(1, 3)), Some(9));
        assert_eq!(offset(text, Position::new(1, 99)), Some(10));
        assert_eq!(offset(text, Position::new(5, 0)), None);
    }

    #[test]
    fn uris_round_trip() {
        let p = Path::new("/tmp/a b/ç.conf");
        let uri = path_to_uri(p);
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%A7.conf");
        assert_eq!(uri_to_path(&uri), Some(PathBuf::from("/tmp/a b/ç.conf")));
    }

    #[test]
    fn word_under_the_cursor() {
        let text = "# wirelint: ignore[N000] x\n";
        let (w, r) = word_at(text, Position::new(0, 21)).unwrap();
        assert_eq!(w, "N000");
        assert_eq!((r.start.character, r.end.character), (19, 23));
    }
}
