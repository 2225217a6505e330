//! Source files and byte spans.
//!
//! Every parser works on byte offsets into a [`SourceFile`]; line and column are computed only when a
//! diagnostic is rendered ([`SourceMap::location`]). Files are identified by a small [`FileId`] so spans are
//! `Copy` and cheap to store in syntax trees.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        debug_assert!(start <= end);
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// A zero-length span at `offset`.
    pub fn point(file: FileId, offset: usize) -> Span {
        Span::new(file, offset, offset)
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both (same file).
    pub fn to(self, other: Span) -> Span {
        debug_assert_eq!(self.file, other.file);
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as it is shown to the user (relative to the working directory when the user gave a relative
    /// path), with `/` separators.
    pub name: String,
    /// Where the text was read from on disk, if anywhere (stdin and built-in stock files have none).
    pub path: Option<PathBuf>,
    pub text: SourceText,
    /// Byte offset of the first byte that was not valid UTF-8, if the file was not. The text then holds a
    /// lossy decoding (U+FFFD for each bad sequence); spans refer to that text.
    pub invalid_utf8_at: Option<usize>,
    /// Where each line starts, found on first use: only a file with findings (or suppression comments)
    /// needs it, and for a large configuration [`SourceFile::index_lines`] finds it beside other work.
    line_starts: std::sync::OnceLock<Vec<u32>>,
}

/// A file's text: owned, or for a large file read from disk, the file's pages mapped read-only. Cheap to
/// clone (shared). Derefs to `&str`.
///
/// Reading a 5 MB file into the heap costs a copy into fresh memory (1,250 page faults) and took 5–14 ms
/// here; mapping it takes under 1 ms. As with ripgrep's memory maps, a file truncated by another process
/// while wirelint reads it can end the run with SIGBUS; small files, where mapping gains nothing, are read.
#[derive(Clone)]
pub struct SourceText(Arc<Backing>);

enum Backing {
    Owned(String),
    /// Checked to be UTF-8 when mapped.
    Mapped(memmap2::Mmap),
}

/// Files at least this large are mapped instead of read.
const MAP_BYTES: u64 = 1 << 20;

impl SourceText {
    /// Maps `file` if it is large and valid UTF-8; `None` means read it instead.
    fn map(file: &std::fs::File, len: u64) -> Option<SourceText> {
        // Only in a one-shot `check`: a long-lived process (the language server) could be ended by an
        // editor truncating a file it has mapped.
        if len < MAP_BYTES || !crate::process::one_shot() {
            return None;
        }
        // SAFETY: the map is read-only and private; see the type's docs for a concurrent truncation.
        let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
        std::str::from_utf8(&map).ok()?;
        Some(SourceText(Arc::new(Backing::Mapped(map))))
    }

    pub fn as_str(&self) -> &str {
        match &*self.0 {
            Backing::Owned(s) => s,
            // SAFETY: `map` checked these bytes to be UTF-8.
            Backing::Mapped(m) => unsafe { std::str::from_utf8_unchecked(m) },
        }
    }
}

impl std::ops::Deref for SourceText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SourceText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for SourceText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<String> for SourceText {
    fn from(s: String) -> SourceText {
        SourceText(Arc::new(Backing::Owned(s)))
    }
}

impl From<&str> for SourceText {
    fn from(s: &str) -> SourceText {
        SourceText::from(s.to_string())
    }
}

/// The largest character boundary of `text` at or before `at` (`text.len()` past the end); the
/// standard library's `str::floor_char_boundary` needs a newer Rust than the crate's minimum.
pub fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl SourceFile {
    pub fn new(name: String, path: Option<PathBuf>, text: impl Into<SourceText>) -> SourceFile {
        SourceFile {
            name,
            path,
            text: text.into(),
            invalid_utf8_at: None,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// Builds a file from raw bytes; invalid UTF-8 is decoded lossily and remembered.
    pub fn from_bytes(name: String, path: Option<PathBuf>, bytes: Vec<u8>) -> SourceFile {
        match String::from_utf8(bytes) {
            Ok(text) => SourceFile::new(name, path, text),
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
                let mut file = SourceFile::new(name, path, text);
                file.invalid_utf8_at = Some(at);
                file
            }
        }
    }

    /// Finds where the lines start now, if not done yet (otherwise the first line lookup does).
    pub fn index_lines(&self) {
        self.starts();
    }

    fn starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| line_starts(&self.text))
    }

    /// 1-based line and 1-based column (in characters) of a byte offset. Offsets past the end clamp to it;
    /// offsets inside a multi-byte character count that character.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_near(offset, usize::MAX);
        (line + 1, self.column(line, offset))
    }

    /// 1-based column of `offset` (clamped) on the 0-based line `line` that holds it.
    fn column(&self, line: usize, offset: usize) -> usize {
        let start = self.starts()[line] as usize;
        let end = floor_char_boundary(&self.text, offset);
        char_count(&self.text[start..end]) + 1
    }

    /// 0-based index of the line holding `offset` (at most the text's length). When line `hint` starts at
    /// or before it, the search gallops forward from there: a report's findings come sorted by position,
    /// the next one usually a few lines after the last (a binary search over the 170,000 lines of the
    /// benchmark configuration took 17 steps for each of its 13,600 positions).
    fn line_near(&self, offset: usize, hint: usize) -> usize {
        let starts = self.starts();
        let target = offset as u32;
        match starts.get(hint) {
            Some(&s) if s <= target => {
                let mut lo = hint;
                let mut step = 1;
                while starts.get(lo + step).is_some_and(|&s| s <= target) {
                    lo += step;
                    step *= 2;
                }
                // `starts[lo]` is at or before the offset, `starts[lo + step]` (if any) after it.
                let hi = (lo + step).min(starts.len());
                lo + starts[lo..hi].partition_point(|&s| s <= target) - 1
            }
            _ => starts.partition_point(|&s| s <= target) - 1,
        }
    }

    /// [`line_col`](Self::line_col) of the span's start and end. An end on the start's line (nearly
    /// always) is found from the start without a second search or counting the line again.
    pub fn line_cols(&self, span: Span) -> ((usize, usize), (usize, usize)) {
        let mut no_hint = usize::MAX;
        self.line_cols_near(span, &mut no_hint)
    }

    /// [`line_cols`](Self::line_cols), searching the line forward from the 0-based line `*hint` when the
    /// span starts at or after it (`usize::MAX`: no hint), and leaving the start's line in `*hint` for
    /// the next span: the line of each span of a sorted report is found from the previous one.
    pub fn line_cols_near(&self, span: Span, hint: &mut usize) -> ((usize, usize), (usize, usize)) {
        let text = &*self.text;
        let start = (span.start as usize).min(text.len());
        let end = (span.end as usize).min(text.len());
        let line = self.line_near(start, *hint);
        *hint = line;
        let column = self.column(line, start);
        let next_line = self
            .starts()
            .get(line + 1)
            .map_or(usize::MAX, |&s| s as usize);
        if end < start || end >= next_line {
            let end_line = self.line_near(end, line);
            return (
                (line + 1, column),
                (end_line + 1, self.column(end_line, end)),
            );
        }
        let end_column = column
            + char_count(&text[floor_char_boundary(text, start)..floor_char_boundary(text, end)]);
        ((line + 1, column), (line + 1, end_column))
    }

    /// The text of the 1-based line `line`, without its line terminator.
    pub fn line_text(&self, line: usize) -> &str {
        let starts = self.starts();
        let start = starts[line - 1] as usize;
        let end = starts
            .get(line)
            .map(|&e| e as usize)
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// 0-based index of the line holding byte `offset` (clamped to the text), by binary search.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_index_near(offset, usize::MAX)
    }

    /// [`line_index`](Self::line_index), searched forward from the 0-based line `hint` when `offset` is
    /// at or after its start (see [`SourceFile::line_cols_near`]).
    pub fn line_index_near(&self, offset: usize, hint: usize) -> usize {
        self.line_near(offset.min(self.text.len()), hint)
    }

    /// Byte offset where the 0-based line `index` starts; the text's length past the last line.
    pub fn line_start(&self, index: usize) -> usize {
        self.starts()
            .get(index)
            .map_or(self.text.len(), |&s| s as usize)
    }

    pub fn line_count(&self) -> usize {
        self.starts().len()
    }
}

/// `s.chars().count()`, eight bytes at a time: the bytes that do not continue a character
/// (`0b10xx_xxxx`). The standard library counts a short text (a line up to a finding) a byte at a time;
/// the columns of a report's 13,600 positions took 2.9 M instructions that way.
fn char_count(s: &str) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let bytes = s.as_bytes();
    let mut words = bytes.chunks_exact(8);
    let mut continuing = 0;
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        // The high bit of each byte whose next bit is clear, moved to the byte's low bit; the multiply
        // adds the eight bytes up in the top byte.
        let flags = (w & !(w << 1) & HIGH) >> 7;
        continuing += (flags.wrapping_mul(ONES) >> 56) as usize;
    }
    continuing += words
        .remainder()
        .iter()
        .filter(|&&b| b & 0xc0 == 0x80)
        .count();
    bytes.len() - continuing
}

/// Where each line starts: 0, and the offset after each `\n`.
fn line_starts(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
    starts.push(0);
    let done = line_starts_simd(bytes, &mut starts);
    // SIMD search for the rest (all of it off x86_64): this runs over every byte of every file.
    starts.extend(memchr::memchr_iter(b'\n', &bytes[done..]).map(|i| (done + i) as u32 + 1));
    starts
}

/// [`line_starts`] of the whole 16-byte blocks at the start of `bytes`, pushed to `starts`; returns
/// how many bytes it covered. A line is about 30 bytes long, so `memchr` restarting after each line
/// break cost more than its scan: one compare and one bit mask per 16 bytes took 11.6 M → 5.9 M
/// instructions on a 5 MB file.
#[cfg(target_arch = "x86_64")]
fn line_starts_simd(bytes: &[u8], starts: &mut Vec<u32>) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut at = 0;
    // SAFETY: SSE2 is part of every x86_64 CPU; each unaligned load reads `bytes[at..at + 16]`, which
    // is in bounds.
    unsafe {
        let newline = _mm_set1_epi8(b'\n' as i8);
        while at + 16 <= bytes.len() {
            let block = _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>());
            let mut mask = _mm_movemask_epi8(_mm_cmpeq_epi8(block, newline)) as u32;
            while mask != 0 {
                starts.push((at + mask.trailing_zeros() as usize) as u32 + 1);
                mask &= mask - 1;
            }
            at += 16;
        }
    }
    at
}

#[cfg(not(target_arch = "x86_64"))]
fn line_starts_simd(_: &[u8], _: &mut Vec<u32>) -> usize {
    0
}

/// A resolved position for output.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_start: usize,
    pub byte_end: usize,
}

/// Opens `path` to read it, with its metadata. A FIFO, socket or device is an error rather than a wait:
/// opening a FIFO blocks until something writes to it (`include conf.d/*.conf;` matching one hung the run).
/// A directory opens (reading it fails, as it does for nginx).
fn open_for_reading(path: &Path) -> std::io::Result<(std::fs::File, std::fs::Metadata)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Opening a FIFO without a writer returns at once; regular files and directories are unaffected.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() && !meta.is_dir() {
        return Err(std::io::Error::other(
            "not a regular file (a FIFO, socket or device)",
        ));
    }
    Ok((file, meta))
}

/// The rest of a file [`open_for_reading`] opened, in a buffer sized from its metadata.
///
/// A file is read up to the size its metadata gave, in one `read` as a rule, and not asked for its size
/// again: `read_to_end` asks first (`statx` and `lseek`) and reads once more to see the end, three of the
/// eight system calls each of 2,000 included files cost. A file that grows while it is read is read as it
/// was when opened; one whose size says nothing (0, as in `/proc`) is read to its end.
fn read_opened(mut file: std::fs::File, meta: &std::fs::Metadata) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let size = meta.len() as usize;
    if size == 0 {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    let mut bytes = vec![0u8; size];
    let mut filled = 0;
    while filled < size {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// [`std::fs::read`], failing on a FIFO, socket or device instead of waiting on it (see
/// [`open_for_reading`]).
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let (file, meta) = open_for_reading(path)?;
    read_opened(file, &meta)
}

/// [`std::fs::read_to_string`], failing on a FIFO, socket or device instead of waiting on it.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
}

/// All files of one run. Files are only ever added, so a [`FileId`] stays valid.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    by_path: HashMap<PathBuf, FileId>,
    /// Texts that replace what is on disk (`--stdin-filename`, an editor's unsaved buffer).
    overlays: HashMap<PathBuf, String>,
    /// Files already read from disk (while discovery told their kind), taken by [`SourceMap::load`].
    preloaded: HashMap<PathBuf, Vec<u8>>,
    /// Files known not to be read through a symlink (a glob's directory listing said so), which
    /// [`SourceMap::is_symlink`] need not ask the file system about.
    not_symlinks: std::collections::HashSet<FileId>,
}

/// Largest file wirelint reads. Larger files are an I/O error (exit 2) rather than a slow run.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug)]
pub enum LoadError {
    Io { path: PathBuf, err: std::io::Error },
    TooLarge { path: PathBuf, size: u64 },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io { path, err } => write!(f, "{}: {}", path.display(), err),
            LoadError::TooLarge { path, size } => write!(
                f,
                "{}: file is {} bytes, larger than the {} byte limit",
                path.display(),
                size,
                MAX_FILE_BYTES
            ),
        }
    }
}

impl std::error::Error for LoadError {}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        let key = file.path.as_deref().map(normalize);
        self.add_keyed(file, key)
    }

    /// [`add`](Self::add) with the file's path already normalised.
    fn add_keyed(&mut self, file: SourceFile, key: Option<PathBuf>) -> FileId {
        let id = FileId(self.files.len() as u32);
        if let Some(key) = key {
            self.by_path.insert(key, id);
        }
        self.files.push(file);
        id
    }

    /// Makes `path` read as `text` instead of what is on disk.
    pub fn set_overlay(&mut self, path: &Path, text: String) {
        self.overlays.insert(normalize(path), text);
    }

    /// Room for `n` more files and preloaded files, without growing (and rehashing) the maps by path.
    pub fn reserve(&mut self, n: usize) {
        self.by_path.reserve(n);
        self.preloaded.reserve(n);
    }

    /// Gives `load` the bytes of `path` as just read from disk, so it need not read the file again.
    pub fn preload(&mut self, path: &Path, bytes: Vec<u8>) {
        self.preloaded.insert(normalize(path), bytes);
    }

    /// Reads the files of `paths` that [`SourceMap::load`] would read from disk, on all cores, for `load` to
    /// take: a glob of 2,000 small files took 26–30 ms to read one by one. Large files (mapped by `load`)
    /// and files that fail to read are left to `load`.
    pub fn read_ahead(&mut self, paths: &[PathBuf]) {
        let todo: Vec<(PathBuf, &Path)> = paths
            .iter()
            .map(|p| (normalize(p), p.as_path()))
            .filter(|(key, _)| {
                !self.by_path.contains_key(key)
                    && !self.overlays.contains_key(key)
                    && !self.preloaded.contains_key(key)
            })
            .collect();
        let read = |(_, path): &(PathBuf, &Path)| -> Option<Vec<u8>> {
            let (file, meta) = open_for_reading(path).ok()?;
            if !meta.is_file() || meta.len() >= MAP_BYTES {
                return None;
            }
            read_opened(file, &meta).ok()
        };
        let read = parallel_map(&todo, threads(), read);
        self.preloaded.reserve(todo.len());
        for ((key, _), bytes) in todo.into_iter().zip(read) {
            if let Some(bytes) = bytes {
                self.preloaded.insert(key, bytes);
            }
        }
    }

    /// Whether `path` exists, on disk or as an overlay.
    pub fn exists(&self, path: &Path) -> bool {
        self.overlays.contains_key(&normalize(path)) || path.exists()
    }

    /// Reads `path` (an overlay first, then the disk) once; later calls return the same id. `name` is how
    /// the file is shown to the user.
    pub fn load(&mut self, path: &Path, name: String) -> Result<FileId, LoadError> {
        // Normalised once for the lookups and the new entry (three times over 2,000 files was 4 % of a run).
        let key = normalize(path);
        if let Some(&id) = self.by_path.get(&key) {
            return Ok(id);
        }
        if let Some(text) = self.overlays.get(&key) {
            let file = SourceFile::new(name, Some(path.to_path_buf()), text.clone());
            return Ok(self.add_keyed(file, Some(key)));
        }
        if let Some(bytes) = self.preloaded.remove(&key) {
            let file = SourceFile::from_bytes(name, Some(path.to_path_buf()), bytes);
            return Ok(self.add_keyed(file, Some(key)));
        }
        let io = |err| LoadError::Io {
            path: path.to_path_buf(),
            err,
        };
        let (file, meta) = open_for_reading(path).map_err(io)?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(LoadError::TooLarge {
                path: path.to_path_buf(),
                size: meta.len(),
            });
        }
        if let Some(text) = SourceText::map(&file, meta.len()) {
            let file = SourceFile::new(name, Some(path.to_path_buf()), text);
            return Ok(self.add_keyed(file, Some(key)));
        }
        let bytes = read_opened(file, &meta).map_err(io)?;
        let file = SourceFile::from_bytes(name, Some(path.to_path_buf()), bytes);
        Ok(self.add_keyed(file, Some(key)))
    }

    /// Notes that file `id` was not read through a symlink.
    pub fn mark_not_symlink(&mut self, id: FileId) {
        self.not_symlinks.insert(id);
    }

    /// Whether file `id` was read from disk through a symlink (one `lstat`, unless already known).
    pub fn is_symlink(&self, id: FileId) -> bool {
        if self.not_symlinks.contains(&id) {
            return false;
        }
        self.get(id).path.as_ref().is_some_and(|p| p.is_symlink())
    }

    /// The file already loaded from `path`, if any.
    pub fn find_path(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(&normalize(path)).copied()
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn text(&self, span: Span) -> &str {
        &self.get(span.file).text[span.range()]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn location(&self, span: Span) -> Location {
        let file = self.get(span.file);
        let ((line, column), (end_line, end_column)) = file.line_cols(span);
        Location {
            file: file.name.clone(),
            line,
            column,
            end_line,
            end_column,
            byte_start: span.start as usize,
            byte_end: span.end as usize,
        }
    }
}

/// The working directory, asked once: wirelint never changes it, and asking per path was two system calls
/// per file of a run (4,000 for 2,000 files).
fn working_dir() -> Option<&'static Path> {
    static CWD: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().ok()).as_deref()
}

/// Makes `path` absolute (against the working directory) and removes `.` and `..` lexically, without
/// touching the file system: container paths and missing files normalise too.
pub fn normalize(path: &Path) -> PathBuf {
    let joined;
    let path = if path.is_absolute() {
        path
    } else {
        joined = working_dir().unwrap_or(Path::new("/")).join(path);
        &joined
    };
    // Most paths are normal already: copying them is a tenth of taking them apart (2,200 instructions a
    // path, 8.8 M on the 2,000 included files of the split benchmark, each normalised twice).
    if is_lexically_normal(path.as_os_str().as_encoded_bytes()) {
        return path.to_path_buf();
    }
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Whether an absolute path is what [`normalize`] makes of it: no empty, `.` or `..` component and no
/// trailing `/` (but `/` itself).
fn is_lexically_normal(bytes: &[u8]) -> bool {
    if bytes == b"/" {
        return true;
    }
    if bytes.first() != Some(&b'/') || bytes.last() == Some(&b'/') {
        return false;
    }
    // Each component, after its `/`, is neither empty nor `.` nor `..`.
    bytes[1..]
        .split(|&b| b == b'/')
        .all(|c| !matches!(c, b"" | b"." | b".."))
}

/// Shows `path` the way the user would expect: relative paths stay as given (normalised to `/`), absolute
/// paths under the working directory become relative to it.
pub fn display_name(path: &Path) -> String {
    let shown = if path.is_absolute() {
        working_dir()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// How many threads the parallel paths use (the cores available, at most 8), asked once: the standard
/// library reads the cgroup files under /proc on every call (a third of a run that asked per include).
pub fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// `f` of each item, in order, computed on `threads` threads (this one among them) taking the next item
/// as they finish one; on this thread alone when `threads` is 1 or less.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    parallel_map_with(items, threads, || {}, f)
}

/// [`parallel_map`], with `start` run first on each thread it starts (not on this one).
pub fn parallel_map_with<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    start: impl Fn() + Sync,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if threads < 2 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = |started: bool| {
        if started {
            start();
        }
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                break done;
            };
            done.push((i, f(item)));
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(|| work(true))).collect();
        let mut results = work(false);
        for other in others {
            results.extend(
                other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        results
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_paths_are_kept_and_the_rest_taken_apart() {
        let by_components = |p: &str| {
            let mut out = PathBuf::new();
            for c in Path::new(p).components() {
                match c {
                    Component::CurDir => {}
                    Component::ParentDir => {
                        out.pop();
                    }
                    other => out.push(other.as_os_str()),
                }
            }
            out
        };
        for p in [
            "/",
            "//",
            "/a",
            "/a/",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/a/b/.",
            "/a/b/..",
            "/..",
            "/.",
            "/a/.b",
            "/a/..b",
            "/a/b..",
            "/a.b/c",
            "/etc/nginx/conf.d/x.conf",
            "/a/...",
            "///a",
        ] {
            assert_eq!(normalize(Path::new(p)), by_components(p), "{p}");
        }
        assert!(is_lexically_normal(b"/a/.b/c..d"));
        assert!(!is_lexically_normal(b"/a/./b"));
        assert!(!is_lexically_normal(b"a/b"));
    }

    #[test]
    fn parallel_map_keeps_order_and_starts_each_new_thread_once() {
        let items: Vec<u32> = (0..500).collect();
        let started = std::sync::atomic::AtomicUsize::new(0);
        let start = || {
            started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let doubled = parallel_map_with(&items, 3, start, |x| x * 2);
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        // Two threads started (this one works too, without `start`).
        assert_eq!(started.load(std::sync::atomic::Ordering::Relaxed), 2);
        let single = parallel_map_with(&items, 1, start, |x| x + 1);
        assert_eq!(single, items.iter().map(|x| x + 1).collect::<Vec<_>>());
        assert_eq!(started.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[test]
    fn files_read_ahead_load_as_read_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        std::fs::write(path("a.conf"), "events {}\n").unwrap();
        std::fs::write(path("empty.conf"), "").unwrap();
        std::fs::write(path("latin1.conf"), b"# caf\xe9\nx;\n").unwrap();
        std::fs::create_dir(path("dir.conf")).unwrap();
        let names = [
            "a.conf",
            "empty.conf",
            "latin1.conf",
            "dir.conf",
            "missing.conf",
        ];
        let paths: Vec<PathBuf> = names.iter().map(|n| path(n)).collect();

        let load_all = |map: &mut SourceMap| -> Vec<Result<(String, Option<usize>), String>> {
            paths
                .iter()
                .zip(names)
                .map(|(p, n)| {
                    map.load(p, n.to_string())
                        .map(|id| (map.get(id).text.to_string(), map.get(id).invalid_utf8_at))
                        .map_err(|e| e.to_string())
                })
                .collect()
        };
        let mut plain = SourceMap::default();
        let expected = load_all(&mut plain);
        assert!(expected[0].is_ok() && expected[3].is_err() && expected[4].is_err());

        let mut ahead = SourceMap::default();
        ahead.read_ahead(&paths);
        // What `load` returns was read ahead: a change on disk since is not seen.
        std::fs::write(path("a.conf"), "changed;\n").unwrap();
        assert_eq!(load_all(&mut ahead), expected);
        // A path read ahead twice, or already loaded, is not read again.
        ahead.read_ahead(&paths);
        assert_eq!(
            ahead
                .load(&paths[0], "a.conf".into())
                .map(|id| ahead.get(id).text.to_string())
                .ok(),
            Some("events {}\n".to_string())
        );
    }

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("a".into(), None, "ab\nçd\r\nx");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(5), (2, 2)); // after the two-byte ç
        assert_eq!(f.line_col(8), (3, 1));
        assert_eq!(f.line_col(100), (3, 2));
        assert_eq!(f.line_text(2), "çd");
    }

    #[test]
    fn line_cols_equal_line_col_of_both_ends() {
        let f = SourceFile::new("a".into(), None, "ab\nçd€\r\nx\n\nyz");
        let len = f.text.len() + 2;
        for start in 0..len {
            for end in 0..len {
                let span = Span {
                    file: FileId(0),
                    start: start as u32,
                    end: end as u32,
                };
                assert_eq!(
                    f.line_cols(span),
                    (f.line_col(start), f.line_col(end)),
                    "{start}..{end}"
                );
            }
        }
    }

    #[test]
    fn positions_equal_a_count_from_the_start_whatever_the_hint() {
        let text = "ab\nçd€\r\nx\n\nyz\n".repeat(5)
            + "a line longer than sixteen bytes, with é and €, then more text\n\nend";
        let f = SourceFile::new("a".into(), None, text.clone());
        let naive = |offset: usize| {
            let before = &text[..floor_char_boundary(&text, offset.min(text.len()))];
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            (before.matches('\n').count() + 1, column)
        };
        let lines = f.line_count();
        for start in 0..text.len() + 2 {
            assert_eq!(f.line_col(start), naive(start), "{start}");
            for end in [
                0,
                start.saturating_sub(3),
                start,
                start + 1,
                start + 7,
                start + 40,
            ] {
                let span = Span {
                    file: FileId(0),
                    start: start as u32,
                    end: end as u32,
                };
                for hint in [usize::MAX, 0, 1, 4, lines / 2, lines - 1, lines, lines + 5] {
                    let mut h = hint;
                    let found = f.line_cols_near(span, &mut h);
                    assert_eq!(
                        found,
                        (naive(start), naive(end)),
                        "{start}..{end} from {hint}"
                    );
                    assert_eq!(h + 1, found.0 .0);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn char_count_counts_chars(s in "\\PC{0,40}") {
            proptest::prop_assert_eq!(char_count(&s), s.chars().count());
        }
    }

    #[test]
    fn large_files_are_mapped_and_read_the_same() {
        crate::process::set_one_shot();
        let dir = std::env::temp_dir().join(format!("wirelint-map-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let line = "location /é { proxy_pass http://10.0.0.1:8080; }\n";
        let text = line.repeat(MAP_BYTES as usize / line.len() + 1);
        let mut bad = text.clone().into_bytes();
        bad[MAP_BYTES as usize - 7] = 0xff;
        std::fs::write(dir.join("big.conf"), &text).unwrap();
        std::fs::write(dir.join("bad.conf"), &bad).unwrap();
        std::fs::write(dir.join("small.conf"), line).unwrap();

        let mut m = SourceMap::new();
        let big = m.load(&dir.join("big.conf"), "big.conf".into()).unwrap();
        assert!(matches!(&*m.get(big).text.0, Backing::Mapped(_)));
        assert_eq!(&*m.get(big).text, text.as_str());
        assert_eq!(m.get(big).line_count(), text.lines().count() + 1);
        // Not UTF-8: read and decoded lossily, as a small file would be.
        let bad = m.load(&dir.join("bad.conf"), "bad.conf".into()).unwrap();
        assert!(matches!(&*m.get(bad).text.0, Backing::Owned(_)));
        assert_eq!(m.get(bad).invalid_utf8_at, Some(MAP_BYTES as usize - 7));
        let small = m
            .load(&dir.join("small.conf"), "small.conf".into())
            .unwrap();
        assert!(matches!(&*m.get(small).text.0, Backing::Owned(_)));
        assert_eq!(&*m.get(small).text, line);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn line_starts_follow_every_line_break() {
        // Lengths around the 16-byte blocks, breaks at every position of a block, runs of breaks,
        // multi-byte characters across block edges.
        let mut texts: Vec<String> = (0..50).map(|n| "x".repeat(n)).collect();
        for n in 0..40 {
            for at in 0..n {
                let mut t: Vec<u8> = vec![b'a'; n];
                t[at] = b'\n';
                texts.push(String::from_utf8(t).unwrap());
            }
            texts.push("\n".repeat(n));
            texts.push("é\r\n".repeat(n));
            texts.push("ab\nçd€\n".repeat(n));
        }
        for t in texts {
            let expected: Vec<u32> = std::iter::once(0)
                .chain(t.match_indices('\n').map(|(i, _)| i as u32 + 1))
                .collect();
            assert_eq!(line_starts(&t), expected, "{t:?}");
        }
    }

    #[test]
    fn parallel_map_keeps_the_order() {
        let items: Vec<usize> = (0..1000).collect();
        for threads in [0, 1, 2, 5] {
            let squares = parallel_map(&items, threads, |n| n * n);
            assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn invalid_utf8_is_remembered() {
        let f = SourceFile::from_bytes("a".into(), None, b"ok\n\xffbad".to_vec());
        assert_eq!(f.invalid_utf8_at, Some(3));
        assert!(f.text.contains('\u{fffd}'));
    }
}
