//! Output formats. Each renders the same [`Diagnostic`]s; line/column are computed here, late.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod sarif;
mod snippet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source excerpts with labels, help and related locations.
    Human,
    /// One JSON document per run (schema in the README).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions annotations (`::error file=…`).
    Github,
    /// GitLab Code Quality report (Code Climate JSON).
    Gitlab,
}

/// Counts for the run's summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn new(files: usize, diagnostics: &[Diagnostic]) -> Summary {
        let mut s = Summary {
            files,
            ..Summary::default()
        };
        for d in diagnostics {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }
}

/// Sorts findings by file name, then position, then code — the order every format prints.
pub fn sort(sources: &SourceMap, diagnostics: &mut [Diagnostic]) {
    // Each comparison only as far as it must go: the same file needs no name comparison, and codes and
    // messages are compared only for findings at the same span.
    diagnostics.sort_by(|a, b| {
        let file = if a.span.file == b.span.file {
            std::cmp::Ordering::Equal
        } else {
            sources
                .get(a.span.file)
                .name
                .cmp(&sources.get(b.span.file).name)
        };
        file.then(a.span.start.cmp(&b.span.start))
            .then(a.span.end.cmp(&b.span.end))
            .then_with(|| a.code.cmp(b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// The decimal digits of 0–99, two bytes each.
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Appends `n` in decimal (the JSON writer's numbers, the human writer's line numbers: thousands per
/// report, without `fmt`'s machinery). Two digits per division: a byte offset has seven.
pub(crate) fn push_decimal(out: &mut String, n: usize) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut rest = n;
    while rest >= 100 {
        let pair = (rest % 100) * 2;
        rest /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if rest >= 10 {
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[rest * 2..rest * 2 + 2]);
    } else {
        at -= 1;
        buf[at] = b'0' + rest as u8;
    }
    // SAFETY: `buf[at..]` holds only ASCII digits. (Pushing them one `char` at a time, or checking them
    // with `from_utf8`, took 140 instructions a number; a report writes four per finding.)
    out.push_str(unsafe { std::str::from_utf8_unchecked(&buf[at..]) });
}

/// Below this many findings, rendering on one thread is faster than starting others.
pub(crate) const PARALLEL_MIN: usize = 256;

/// The last `N` values computed for some keys, the oldest replaced first: the renderers keep the text of
/// a help or related section that thousands of findings repeat, mostly close together in sorted order.
pub(crate) struct Recent<K, const N: usize> {
    entries: Vec<(K, String)>,
    next: usize,
}

impl<K, const N: usize> Default for Recent<K, N> {
    fn default() -> Self {
        Recent {
            entries: Vec::with_capacity(N),
            next: 0,
        }
    }
}

impl<K: PartialEq, const N: usize> Recent<K, N> {
    pub(crate) fn get(&self, key: &K) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, text)| text.as_str())
    }

    pub(crate) fn insert(&mut self, key: K, text: String) {
        if self.entries.len() < N {
            self.entries.push((key, text));
        } else {
            self.entries[self.next] = (key, text);
            self.next = (self.next + 1) % N;
        }
    }
}

/// Findings per part in [`write_parts`]: a part's text (~250 KB of JSON or human output) is written and its
/// memory reused before the report is done.
const PART: usize = 256;

/// About the text of a part of [`PART`] findings.
const PART_BYTES: usize = 256 << 10;

/// Renders `diagnostics` part by part and writes the parts in order, each as soon as it and those before
/// it are done: on all cores when there are many, each thread with its own `state` (a renderer's caches).
///
/// Rendering the report into one string per thread first held the whole output in memory (8.7 MB of JSON,
/// 10 MB of human output for 9,100 findings) at the run's peak.
pub(crate) fn write_parts<'d, S>(
    diagnostics: &'d [Diagnostic],
    out: &mut dyn std::io::Write,
    state: impl Fn() -> S + Sync,
    render: impl Fn(&mut S, &'d [Diagnostic], &mut String) + Sync,
) -> std::io::Result<()> {
    let threads = crate::source::threads();
    if threads < 2 || diagnostics.len() < PARALLEL_MIN {
        let mut state = state();
        let mut text = String::new();
        for part in diagnostics.chunks(PART) {
            text.clear();
            render(&mut state, part, &mut text);
            out.write_all(text.as_bytes())?;
        }
        return Ok(());
    }
    let parts: Vec<&[Diagnostic]> = diagnostics.chunks(PART).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Strings already written, for the workers to render into again.
    let spare: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let (done, finished) = std::sync::mpsc::channel::<(usize, String)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let done = done.clone();
            let (parts, next, spare, state, render) = (&parts, &next, &spare, &state, &render);
            scope.spawn(move || {
                let mut state = state();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(part) = parts.get(i) else { break };
                    // A new part starts at a part's usual size rather than growing to it.
                    let mut text = spare
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .pop()
                        .unwrap_or_else(|| String::with_capacity(PART_BYTES));
                    text.clear();
                    render(&mut state, part, &mut text);
                    if done.send((i, text)).is_err() {
                        break; // writing failed: the writer is gone
                    }
                }
            });
        }
        drop(done);
        // Parts arrive in any order; each is written once all before it are.
        let mut waiting: Vec<Option<String>> = vec![None; parts.len()];
        let mut written = 0;
        for (i, text) in finished {
            waiting[i] = Some(text);
            while let Some(text) = waiting.get_mut(written).and_then(Option::take) {
                out.write_all(text.as_bytes())?;
                spare.lock().unwrap_or_else(|e| e.into_inner()).push(text);
                written += 1;
            }
        }
        Ok(())
    })
}

/// Writes the report in `format` to `out` (large human and JSON reports part by part, see
/// [`write_parts`]).
pub fn write(
    format: Format,
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    summary: Summary,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::write(sources, diagnostics, summary, color, out),
        Format::Json => json::write(sources, diagnostics, summary, out),
        _ => out.write_all(render(format, sources, diagnostics, summary, color).as_bytes()),
    }
}

pub fn render(
    format: Format,
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    summary: Summary,
    color: bool,
) -> String {
    match format {
        Format::Human => human::render(sources, diagnostics, summary, color),
        Format::Json => json::render(sources, diagnostics, summary),
        Format::Sarif => sarif::render(sources, diagnostics),
        Format::Github => github::render(sources, diagnostics),
        Format::Gitlab => gitlab::render(sources, diagnostics),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimals_equal_to_string() {
        let mut numbers: Vec<usize> = (0..1100).collect();
        for digits in 1..20 {
            let p = 10usize.pow(digits);
            numbers.extend([p - 1, p, p + 1, p + 99, 3 * p + 7]);
        }
        numbers.push(usize::MAX);
        for n in numbers {
            let mut out = String::from("x");
            super::push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }
}
