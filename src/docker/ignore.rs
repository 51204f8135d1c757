//! `.dockerignore`, applied exactly as the docker CLI applies it when it sends
//! a build context to the engine (the classic builder's path): lines read as
//! moby/patternmatcher's `ignorefile.ReadAll` reads them, patterns compiled as
//! `patternmatcher.New` compiles them, and paths judged the way go-archive's
//! tar walk judges them, folder by folder, each one knowing what matched its
//! parent.
//!
//! Docker turns each pattern into a Go regular expression (`*` is `[^/]*`,
//! `**` is `(.*/)?`, brackets and backslashes pass through to the regexp
//! engine), with shortcuts for plain, `prefix/**` and `**/suffix` patterns.
//! This module builds the same expression and compiles it into a small
//! automaton at parse time, so the odd corners agree with Docker too: `a/**`
//! leaves the folder `a` itself in, `[^x]` can match a `/`, `\d` is a digit,
//! a `**` not followed by `/` behaves like `(.*/)?`. Regular-expression
//! escapes Docker would honour but that have no place in a file name (`\b`,
//! `\p{..}`, `\x..`, octal, `\Q`) are refused with an error instead.
//!
//! The Dockerfile and `.dockerignore` must reach the engine even when listed:
//! [`DockerIgnore::keeping_build_files`] adds the exceptions the CLI adds for
//! them; the engine itself drops them from the build afterwards.

use std::cell::RefCell;
use std::mem;

/// The longest line (in bytes, without its newline) Docker's reader accepts.
const MAX_LINE: usize = 64 * 1024 - 1;
/// The most instructions a pattern's automaton may have; its tables grow
/// with the square of this (a few thousand characters of pattern).
const MAX_PROGRAM: usize = 4096;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Buffers for judging one path, kept per thread between calls.
#[derive(Default)]
struct Scratch {
    ends: Vec<usize>,
    hits: Vec<bool>,
    computed: Vec<bool>,
    parent: Vec<bool>,
    current: Vec<bool>,
    threads: Threads,
}

/// The compiled rules of one `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

impl DockerIgnore {
    /// Parses `.dockerignore` text. An invalid pattern is an error naming its
    /// line: "line N: pattern '...' is not valid: ...".
    pub fn parse(text: &str) -> Result<DockerIgnore, String> {
        let mut pieces: Vec<&str> = text.split('\n').collect();
        if pieces.last() == Some(&"") {
            pieces.pop();
        }
        let mut patterns = Vec::new();
        for (index, piece) in pieces.into_iter().enumerate() {
            let number = index + 1;
            if piece.len() > MAX_LINE {
                return Err(format!(
                    "line {number}: longer than the {MAX_LINE} bytes Docker reads in one line"
                ));
            }
            let line = if index == 0 {
                piece.strip_prefix('\u{feff}').unwrap_or(piece)
            } else {
                piece
            };
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with('#') {
                continue;
            }
            let Some(listed) = listed_form(line) else {
                continue;
            };
            match Pattern::new(&listed) {
                Ok(Some(pattern)) => patterns.push(pattern),
                Ok(None) => {}
                Err(reason) => {
                    return Err(format!(
                        "line {number}: pattern '{}' is not valid: {reason}",
                        line.trim()
                    ));
                }
            }
        }
        Ok(DockerIgnore { patterns })
    }

    /// No rules: nothing is left out.
    pub fn empty() -> DockerIgnore {
        DockerIgnore::default()
    }

    /// Adds the exceptions the docker CLI adds so that `.dockerignore` and the
    /// Dockerfile (`dockerfile`, relative to the context) are always sent, as
    /// the engine needs them; it removes them from the build itself when
    /// `.dockerignore` lists them.
    pub fn keeping_build_files(mut self, dockerfile: &str) -> DockerIgnore {
        let dockerfile = clean(dockerfile);
        for file in [".dockerignore", dockerfile.as_str()] {
            if self.excludes(file)
                && let Ok(Some(pattern)) = Pattern::new(&format!("!{file}"))
            {
                self.patterns.push(pattern);
            }
        }
        self
    }

    /// Is this path (relative to the context, `/`-separated, no leading
    /// `./`) left out of the context? A path under an excluded folder that
    /// Docker does not walk into (see [`Self::may_reinclude_under`]) is left
    /// out even when an exception names it.
    pub fn excludes(&self, path: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let owned;
        let path = if is_clean_relative(path) {
            path
        } else {
            owned = clean(path).trim_start_matches('/').to_string();
            owned.as_str()
        };
        if path.is_empty() || path == "." {
            return false;
        }
        SCRATCH
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => self.judge(path, &mut scratch),
                Err(_) => self.judge(path, &mut Scratch::default()),
            })
            .unwrap_or_else(|_| self.judge(path, &mut Scratch::default()))
    }

    /// The tar walk's verdict, prefix by prefix: a pattern that matched the
    /// parent folder counts as matching; any other is tried on the prefix
    /// itself, and only when it could change the verdict so far.
    fn judge(&self, path: &str, scratch: &mut Scratch) -> bool {
        let Scratch {
            ends,
            hits,
            computed,
            parent,
            current,
            threads,
        } = scratch;
        ends.clear();
        ends.extend(path.match_indices('/').map(|(at, _)| at));
        ends.push(path.len());
        let depth = ends.len();
        let count = self.patterns.len();
        for flags in [&mut *hits, &mut *computed, &mut *parent, &mut *current] {
            flags.clear();
        }
        hits.resize(count * depth, false);
        computed.resize(count, false);
        parent.resize(count, false);
        current.resize(count, false);
        let mut excluded = false;
        for (level, &end) in ends.iter().enumerate() {
            excluded = false;
            for (index, pattern) in self.patterns.iter().enumerate() {
                let mut matched = level > 0 && parent[index];
                if !matched {
                    if pattern.exception != excluded {
                        current[index] = false;
                        continue;
                    }
                    let row = &mut hits[index * depth..(index + 1) * depth];
                    if !computed[index] {
                        pattern
                            .matcher
                            .match_prefixes(&pattern.text, path, ends, row, threads);
                        computed[index] = true;
                    }
                    matched = row[level];
                }
                current[index] = matched;
                if matched {
                    excluded = !pattern.exception;
                }
            }
            if excluded && level + 1 < depth && !self.may_reinclude_under(&path[..end]) {
                return true;
            }
            mem::swap(parent, current);
        }
        excluded
    }

    /// For an excluded folder: does Docker still walk into it, because an
    /// exception could re-include something under it? Docker decides this
    /// on the text alone: an exception must literally start with the
    /// folder's path (`!dir/keep.txt` or `!dir/*.txt` for `dir`; never
    /// `!**/keep.txt` or `!d*/keep.txt`).
    pub fn may_reinclude_under(&self, dir: &str) -> bool {
        let owned;
        let dir = if is_clean_relative(dir) {
            dir
        } else {
            owned = clean(dir).trim_start_matches('/').to_string();
            owned.as_str()
        };
        let mut exceptions = self.patterns.iter().filter(|p| p.exception);
        if dir.is_empty() || dir == "." {
            return exceptions.next().is_some();
        }
        exceptions.any(|p| {
            p.text.starts_with(dir) && matches!(p.text.as_bytes().get(dir.len()), None | Some(b'/'))
        })
    }
}

/// One line as Docker's reader hands it on: trimmed, `!` split off and
/// trimmed again, cleaned, a leading `/` dropped; `None` for a blank line.
fn listed_form(line: &str) -> Option<String> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return None;
    }
    let (invert, rest) = match trimmed.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, trimmed),
    };
    let mut pattern = String::new();
    if !rest.is_empty() {
        pattern = clean(rest);
        if pattern.len() > 1 && pattern.starts_with('/') {
            pattern.remove(0);
        }
    }
    Some(if invert {
        format!("!{pattern}")
    } else {
        pattern
    })
}

/// Go's `filepath.Clean` for `/`-separated paths.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    let mut leading_dotdots = 0;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.len() > leading_dotdots {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                    leading_dotdots += 1;
                }
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

fn is_clean_relative(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

#[derive(Debug, Clone)]
struct Pattern {
    /// As Docker keeps it: cleaned twice, without the leading `!`.
    text: String,
    exception: bool,
    matcher: Matcher,
}

impl Pattern {
    /// What `patternmatcher.New` makes of one listed pattern; `None` when
    /// nothing is left of it.
    fn new(listed: &str) -> Result<Option<Pattern>, String> {
        let trimmed = listed.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        let cleaned = clean(trimmed);
        let (exception, text) = match cleaned.strip_prefix('!') {
            Some("") => return Err("a '!' needs a pattern after it".to_string()),
            Some(rest) => (true, rest.to_string()),
            None => (false, cleaned),
        };
        check_go_syntax(&text)?;
        let matcher = Matcher::compile(&text)?;
        Ok(Some(Pattern {
            text,
            exception,
            matcher,
        }))
    }
}

/// The syntax check Docker makes with Go's `filepath.Match`.
fn check_go_syntax(text: &str) -> Result<(), String> {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        match c {
            '\\' => {
                if at + 1 >= chars.len() {
                    return Err("it ends with a lone '\\'".to_string());
                }
                at += 2;
            }
            '[' => {
                at += 1;
                if chars.get(at) == Some(&'^') {
                    at += 1;
                }
                let mut ranges = 0;
                loop {
                    if chars.get(at) == Some(&']') && ranges > 0 {
                        at += 1;
                        break;
                    }
                    at = go_class_char(&chars, at)?;
                    if chars.get(at) == Some(&'-') {
                        at = go_class_char(&chars, at + 1)?;
                    }
                    ranges += 1;
                }
            }
            _ => at += 1,
        }
    }
    Ok(())
}

fn go_class_char(chars: &[char], mut at: usize) -> Result<usize, String> {
    match chars.get(at) {
        None => return Err("a '[' is never closed".to_string()),
        Some('-' | ']') => {
            return Err(
                "a '-' or ']' is out of place in a [...] class (escape it with '\\')".to_string(),
            );
        }
        Some('\\') => at += 1,
        Some(_) => {}
    }
    at += 1;
    if at >= chars.len() {
        return Err("a '[' is never closed".to_string());
    }
    Ok(at)
}

#[derive(Debug, Clone)]
enum Matcher {
    /// The whole path equals the pattern.
    Exact,
    /// `foo/**`: the path starts with `foo/`.
    Prefix(String),
    /// `**/foo`: the path ends with `/foo` or is `foo` (`**foo`: ends with `foo`).
    Suffix(String),
    Regex(Program),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regex,
}

impl Matcher {
    /// Docker's `Pattern.compile`: the shortcut kind, or the regexp it writes.
    fn compile(text: &str) -> Result<Matcher, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut regex = String::from("^");
        let mut kind = Kind::Exact;
        let mut at = 0;
        let mut first = true;
        while let Some(&c) = chars.get(at) {
            at += 1;
            match c {
                '*' if chars.get(at) == Some(&'*') => {
                    at += 1;
                    if chars.get(at) == Some(&'/') {
                        at += 1;
                    }
                    if at == chars.len() {
                        if kind == Kind::Exact {
                            kind = Kind::Prefix;
                        } else {
                            regex.push_str(".*");
                            kind = Kind::Regex;
                        }
                    } else {
                        regex.push_str("(.*/)?");
                        kind = Kind::Regex;
                    }
                    if first {
                        kind = Kind::Suffix;
                    }
                }
                '*' => {
                    regex.push_str("[^/]*");
                    kind = Kind::Regex;
                }
                '?' => {
                    regex.push_str("[^/]");
                    kind = Kind::Regex;
                }
                '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                    regex.push('\\');
                    regex.push(c);
                }
                '\\' => match chars.get(at) {
                    Some(&next) => {
                        at += 1;
                        regex.push('\\');
                        regex.push(next);
                        kind = Kind::Regex;
                    }
                    None => regex.push('\\'),
                },
                '[' | ']' => {
                    regex.push(c);
                    kind = Kind::Regex;
                }
                _ => regex.push(c),
            }
            first = false;
        }
        Ok(match kind {
            Kind::Exact => Matcher::Exact,
            Kind::Prefix => Matcher::Prefix(text.strip_suffix("**").unwrap_or(text).to_string()),
            Kind::Suffix => Matcher::Suffix(text.strip_prefix("**").unwrap_or(text).to_string()),
            Kind::Regex => {
                regex.push('$');
                Matcher::Regex(Program::compile(&regex)?)
            }
        })
    }

    /// Marks in `hits` which of the path's prefixes (ending at `ends`) match.
    fn match_prefixes(
        &self,
        text: &str,
        path: &str,
        ends: &[usize],
        hits: &mut [bool],
        threads: &mut Threads,
    ) {
        let mut mark = |test: &dyn Fn(&str) -> bool| {
            for (hit, &end) in hits.iter_mut().zip(ends) {
                *hit = test(&path[..end]);
            }
        };
        match self {
            Matcher::Exact => mark(&|prefix| prefix == text),
            Matcher::Prefix(start) => mark(&|prefix| prefix.starts_with(start.as_str())),
            Matcher::Suffix(tail) => mark(&|prefix| {
                prefix.ends_with(tail.as_str())
                    || tail.strip_prefix('/').is_some_and(|bare| prefix == bare)
            }),
            Matcher::Regex(program) => program.match_prefixes(path, hits, threads),
        }
    }
}

/// The part of Go's regexp syntax Docker's generated expressions can hold.
#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Set(Vec<(u32, u32)>),
    AnyButNewline,
    Begin,
    End,
    Group(Vec<Node>),
    Repeat(Box<Node>, Repeat),
}

#[derive(Debug, Clone, Copy)]
enum Repeat {
    ZeroOrMore,
    OneOrMore,
    ZeroOrOne,
}

struct RegexParser {
    chars: Vec<char>,
    at: usize,
}

impl RegexParser {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn sequence(&mut self, depth: usize) -> Result<Vec<Node>, String> {
        let mut nodes = Vec::new();
        let mut after_repeat = false;
        while let Some(c) = self.peek(0) {
            self.at += 1;
            let node = match c {
                '(' => {
                    if self.peek(0) == Some('?') {
                        return Err(unsupported("(?"));
                    }
                    let inner = self.sequence(depth + 1)?;
                    if self.peek(0) != Some(')') {
                        return Err("missing closing ')'".to_string());
                    }
                    self.at += 1;
                    Node::Group(inner)
                }
                ')' if depth > 0 => {
                    self.at -= 1;
                    return Ok(nodes);
                }
                ')' => return Err("unexpected ')'".to_string()),
                '|' => return Err(unsupported("|")),
                '*' | '+' | '?' => {
                    let Some(last) = nodes.pop() else {
                        return Err(format!("missing argument to repetition operator '{c}'"));
                    };
                    if after_repeat {
                        return Err(format!("invalid nested repetition operator '{c}'"));
                    }
                    let repeat = match c {
                        '*' => Repeat::ZeroOrMore,
                        '+' => Repeat::OneOrMore,
                        _ => Repeat::ZeroOrOne,
                    };
                    nodes.push(Node::Repeat(Box::new(last), repeat));
                    if self.peek(0) == Some('?') {
                        self.at += 1;
                    }
                    after_repeat = true;
                    continue;
                }
                '[' => Node::Set(self.class()?),
                '.' => Node::AnyButNewline,
                '^' => Node::Begin,
                '$' => Node::End,
                '\\' => match self.peek(0) {
                    Some('A') => {
                        self.at += 1;
                        Node::Begin
                    }
                    Some('z') => {
                        self.at += 1;
                        Node::End
                    }
                    Some(name @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                        self.at += 1;
                        Node::Set(perl_class(name))
                    }
                    Some(name @ ('b' | 'B' | 'p' | 'P' | 'Q')) => {
                        return Err(unsupported(&format!("\\{name}")));
                    }
                    _ => Node::Char(self.escaped_char()?),
                },
                _ => Node::Char(c),
            };
            nodes.push(node);
            after_repeat = false;
        }
        Ok(nodes)
    }

    /// After a `\`: the character it stands for.
    fn escaped_char(&mut self) -> Result<char, String> {
        let Some(c) = self.peek(0) else {
            return Err("it ends with a lone '\\'".to_string());
        };
        self.at += 1;
        match c {
            'a' => Ok('\x07'),
            'f' => Ok('\x0c'),
            't' => Ok('\t'),
            'n' => Ok('\n'),
            'r' => Ok('\r'),
            'v' => Ok('\x0b'),
            'x' | '0'..='7' => Err(unsupported(&format!("\\{c}"))),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok(c),
            c => Err(format!("'\\{c}' is not a valid escape")),
        }
    }

    /// After a `[`: the ranges of the class, as Go's regexp reads it.
    fn class(&mut self) -> Result<Vec<(u32, u32)>, String> {
        let negated = self.peek(0) == Some('^');
        if negated {
            self.at += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek(0) else {
                return Err("a '[' is never closed".to_string());
            };
            if c == ']' && !first {
                self.at += 1;
                break;
            }
            first = false;
            if c == '['
                && self.peek(1) == Some(':')
                && let Some(named) = self.named_class()?
            {
                ranges.extend(named);
                continue;
            }
            if c == '\\' {
                match self.peek(1) {
                    Some(name @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                        self.at += 2;
                        ranges.extend(perl_class(name));
                        continue;
                    }
                    Some(name @ ('p' | 'P')) => return Err(unsupported(&format!("\\{name}"))),
                    _ => {}
                }
            }
            let low = self.class_char()?;
            let mut high = low;
            if self.peek(0) == Some('-') && self.peek(1).is_some_and(|next| next != ']') {
                self.at += 1;
                high = self.class_char()?;
                if high < low {
                    return Err(format!("'{low}-{high}' is a backwards range"));
                }
            }
            ranges.push((u32::from(low), u32::from(high)));
        }
        let ranges = normalize(ranges);
        Ok(if negated { complement(&ranges) } else { ranges })
    }

    fn class_char(&mut self) -> Result<char, String> {
        let Some(c) = self.peek(0) else {
            return Err("a '[' is never closed".to_string());
        };
        self.at += 1;
        if c == '\\' {
            self.escaped_char()
        } else {
            Ok(c)
        }
    }

    /// At `[:`: a POSIX class such as `[:digit:]`, if one is written here.
    fn named_class(&mut self) -> Result<Option<Vec<(u32, u32)>>, String> {
        let rest = &self.chars[self.at + 2..];
        let Some(close) = rest.windows(2).position(|pair| pair == [':', ']']) else {
            return Ok(None);
        };
        let name: String = self.chars[self.at..self.at + close + 4].iter().collect();
        let inner = &name[2..name.len() - 2];
        let (negated, base) = match inner.strip_prefix('^') {
            Some(base) => (true, base),
            None => (false, inner),
        };
        let ranges: &[(u32, u32)] = match base {
            "alnum" => &[(0x30, 0x39), (0x41, 0x5a), (0x61, 0x7a)],
            "alpha" => &[(0x41, 0x5a), (0x61, 0x7a)],
            "ascii" => &[(0x00, 0x7f)],
            "blank" => &[(0x09, 0x09), (0x20, 0x20)],
            "cntrl" => &[(0x00, 0x1f), (0x7f, 0x7f)],
            "digit" => &[(0x30, 0x39)],
            "graph" => &[(0x21, 0x7e)],
            "lower" => &[(0x61, 0x7a)],
            "print" => &[(0x20, 0x7e)],
            "punct" => &[(0x21, 0x2f), (0x3a, 0x40), (0x5b, 0x60), (0x7b, 0x7e)],
            "space" => &[(0x09, 0x0d), (0x20, 0x20)],
            "upper" => &[(0x41, 0x5a)],
            "word" => &[(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)],
            "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
            _ => return Err(format!("'{name}' is not a character class")),
        };
        self.at += close + 4;
        Ok(Some(if negated {
            complement(ranges)
        } else {
            ranges.to_vec()
        }))
    }
}

fn unsupported(escape: &str) -> String {
    format!(
        "Docker would read '{escape}' as regular-expression syntax, which dashdeploy does not support"
    )
}

fn perl_class(name: char) -> Vec<(u32, u32)> {
    let ranges: &[(u32, u32)] = match name.to_ascii_lowercase() {
        'd' => &[(0x30, 0x39)],
        's' => &[(0x09, 0x0a), (0x0c, 0x0d), (0x20, 0x20)],
        _ => &[(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)],
    };
    if name.is_ascii_uppercase() {
        complement(ranges)
    } else {
        ranges.to_vec()
    }
}

fn normalize(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (low, high) in ranges {
        match merged.last_mut() {
            Some(last) if low <= last.1.saturating_add(1) => last.1 = last.1.max(high),
            _ => merged.push((low, high)),
        }
    }
    merged
}

fn complement(ranges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut next = 0u32;
    for &(low, high) in &normalize(ranges.to_vec()) {
        if low > next {
            out.push((next, low - 1));
        }
        next = high + 1;
    }
    if next <= u32::from(char::MAX) {
        out.push((next, u32::from(char::MAX)));
    }
    out
}

#[derive(Debug, Clone)]
enum Inst {
    Char(char, usize),
    Set(Vec<(u32, u32)>, usize),
    AnyButNewline(usize),
    Split(usize, usize),
    Jump(usize),
    Begin(usize),
    End(usize),
    Match,
}

/// A compiled regexp as a Thompson automaton. The threads reachable from each
/// instruction without reading a character are worked out here, as bitsets,
/// so a step over a character is a few word ORs.
#[derive(Debug, Clone)]
struct Program {
    insts: Vec<Inst>,
    /// Bitset words per thread set.
    words: usize,
    /// For each instruction, `words` words: the threads it leads to.
    closures: Vec<u64>,
    /// The threads at the start of the text.
    start: Vec<u64>,
    /// The `End` threads from which the match completes at the end of the text.
    completes: Vec<u64>,
}

impl Program {
    fn compile(regex: &str) -> Result<Program, String> {
        let mut parser = RegexParser {
            chars: regex.chars().collect(),
            at: 0,
        };
        let nodes = parser.sequence(0)?;
        let mut insts = Vec::new();
        for node in &nodes {
            emit(node, &mut insts);
        }
        insts.push(Inst::Match);
        if insts.len() > MAX_PROGRAM {
            return Err("it is longer than dashdeploy can match".to_string());
        }
        let words = insts.len().div_ceil(64);
        let mut closures = vec![0; insts.len() * words];
        for (pc, closure) in closures.chunks_mut(words).enumerate() {
            reach(&insts, pc, false, closure);
        }
        let mut start = vec![0; words];
        reach(&insts, 0, true, &mut start);
        let mut completes = vec![0; words];
        for (pc, inst) in insts.iter().enumerate() {
            if let Inst::End(next) = inst
                && ends_in_match(&insts, *next)
            {
                completes[pc / 64] |= 1 << (pc % 64);
            }
        }
        Ok(Program {
            insts,
            words,
            closures,
            start,
            completes,
        })
    }

    /// Marks in `hits` which `/`-bounded prefixes of `path` the regexp
    /// matches whole, in one pass over the path.
    fn match_prefixes(&self, path: &str, hits: &mut [bool], threads: &mut Threads) {
        let words = self.words;
        let Threads { current, next } = threads;
        current.clear();
        current.extend_from_slice(&self.start);
        next.clear();
        next.resize(words, 0);
        let mut level = 0;
        for c in path.chars() {
            if c == '/' {
                if let Some(hit) = hits.get_mut(level) {
                    *hit = self.accepts(current);
                }
                level += 1;
            }
            if current.iter().all(|&word| word == 0) {
                return;
            }
            next.fill(0);
            for (index, &word) in current.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let pc = index * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let target = match self.insts.get(pc) {
                        Some(Inst::Char(want, to)) if *want == c => *to,
                        Some(Inst::Set(ranges, to)) if in_ranges(ranges, c) => *to,
                        Some(Inst::AnyButNewline(to)) if c != '\n' => *to,
                        _ => continue,
                    };
                    let closure = &self.closures[target * words..(target + 1) * words];
                    for (slot, add) in next.iter_mut().zip(closure) {
                        *slot |= add;
                    }
                }
            }
            mem::swap(current, next);
        }
        if let Some(hit) = hits.get_mut(level) {
            *hit = self.accepts(current);
        }
    }

    fn accepts(&self, threads: &[u64]) -> bool {
        threads.iter().zip(&self.completes).any(|(a, b)| a & b != 0)
    }
}

fn emit(node: &Node, insts: &mut Vec<Inst>) {
    let here = insts.len();
    match node {
        Node::Char(c) => insts.push(Inst::Char(*c, here + 1)),
        Node::Set(ranges) => insts.push(Inst::Set(ranges.clone(), here + 1)),
        Node::AnyButNewline => insts.push(Inst::AnyButNewline(here + 1)),
        Node::Begin => insts.push(Inst::Begin(here + 1)),
        Node::End => insts.push(Inst::End(here + 1)),
        Node::Group(nodes) => {
            for node in nodes {
                emit(node, insts);
            }
        }
        Node::Repeat(inner, Repeat::ZeroOrMore) => {
            insts.push(Inst::Split(0, 0));
            emit(inner, insts);
            insts.push(Inst::Jump(here));
            insts[here] = Inst::Split(here + 1, insts.len());
        }
        Node::Repeat(inner, Repeat::ZeroOrOne) => {
            insts.push(Inst::Split(0, 0));
            emit(inner, insts);
            insts[here] = Inst::Split(here + 1, insts.len());
        }
        Node::Repeat(inner, Repeat::OneOrMore) => {
            emit(inner, insts);
            insts.push(Inst::Split(here, insts.len() + 1));
        }
    }
}

/// Sets in `out` the threads reachable from `pc` without reading a
/// character; `Begin` passes only at the start of the text, `End` never.
fn reach(insts: &[Inst], pc: usize, at_start: bool, out: &mut [u64]) {
    let mut seen = vec![false; insts.len()];
    let mut stack = vec![pc];
    while let Some(pc) = stack.pop() {
        if seen.get(pc).copied().unwrap_or(true) {
            continue;
        }
        seen[pc] = true;
        match insts[pc] {
            Inst::Jump(next) => stack.push(next),
            Inst::Split(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            Inst::Begin(next) => {
                if at_start {
                    stack.push(next);
                }
            }
            Inst::Match => {}
            Inst::Char(..) | Inst::Set(..) | Inst::AnyButNewline(_) | Inst::End(_) => {
                out[pc / 64] |= 1 << (pc % 64);
            }
        }
    }
}

/// Whether `Match` is reachable from `pc` without reading a character, at
/// the end of a non-empty text.
fn ends_in_match(insts: &[Inst], pc: usize) -> bool {
    let mut seen = vec![false; insts.len()];
    let mut stack = vec![pc];
    while let Some(pc) = stack.pop() {
        if seen.get(pc).copied().unwrap_or(true) {
            continue;
        }
        seen[pc] = true;
        match insts[pc] {
            Inst::Match => return true,
            Inst::Jump(next) | Inst::End(next) => stack.push(next),
            Inst::Split(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            _ => {}
        }
    }
    false
}

/// The thread sets of a running program, reused between patterns and paths.
#[derive(Default)]
struct Threads {
    current: Vec<u64>,
    next: Vec<u64>,
}

fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let c = u32::from(c);
    ranges.iter().any(|&(low, high)| low <= c && c <= high)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).expect("valid .dockerignore")
    }

    /// The paths of `paths` that `text` lets into the context.
    fn kept<'a>(text: &str, paths: &[&'a str]) -> Vec<&'a str> {
        let rules = rules(text);
        paths
            .iter()
            .copied()
            .filter(|p| !rules.excludes(p))
            .collect()
    }

    #[test]
    fn star_matches_within_one_segment_at_the_root_only() {
        let r = rules("*.pyc");
        assert!(r.excludes("a.pyc"));
        assert!(r.excludes(".pyc"));
        assert!(!r.excludes("src/a.pyc"));
        assert!(!r.excludes("a.pyc.txt"));
        let all = rules("*");
        assert!(all.excludes("anything"));
        assert!(all.excludes("dir/below/file"));
    }

    #[test]
    fn question_mark_is_one_character_but_never_a_slash() {
        let r = rules("file?.txt");
        assert!(r.excludes("file1.txt"));
        assert!(r.excludes("fileé.txt"));
        assert!(!r.excludes("file10.txt"));
        assert!(!r.excludes("file.txt"));
        assert!(!rules("a?b").excludes("a/b"));
    }

    #[test]
    fn classes_ranges_and_negation() {
        let r = rules("[abc].txt\nlog[0-9]\nx[^0-9]");
        assert!(r.excludes("b.txt"));
        assert!(!r.excludes("d.txt"));
        assert!(r.excludes("log7"));
        assert!(!r.excludes("logx"));
        assert!(r.excludes("xa"));
        assert!(!r.excludes("x1"));
        let bang = rules("[!a]z");
        assert!(bang.excludes("!z"), "'!' is a member, not a negation");
        assert!(bang.excludes("az"));
        assert!(!bang.excludes("bz"));
    }

    #[test]
    fn backslash_escapes_the_next_character() {
        let r = rules("\\*.txt\n\\[x\\]");
        assert!(r.excludes("*.txt"));
        assert!(!r.excludes("a.txt"));
        assert!(r.excludes("[x]"));
        assert!(!r.excludes("x"));
    }

    #[test]
    fn double_star_at_start_middle_and_end() {
        let start = rules("**/cache");
        assert!(start.excludes("cache"));
        assert!(start.excludes("a/cache"));
        assert!(start.excludes("a/b/cache/file"));
        assert!(!start.excludes("a/mycache"));

        let middle = rules("a/**/b");
        assert!(middle.excludes("a/b"));
        assert!(middle.excludes("a/x/b"));
        assert!(middle.excludes("a/x/y/b/z"));
        assert!(!middle.excludes("a/xb"));

        let end = rules("a/**");
        assert!(end.excludes("a/x"));
        assert!(end.excludes("a/x/y"));
        assert!(!end.excludes("a"), "the folder itself stays in");
        assert!(!end.excludes("ab/x"));
    }

    #[test]
    fn double_star_pyc_anywhere_single_star_pyc_at_root() {
        let anywhere = rules("**/*.pyc");
        assert!(anywhere.excludes("a.pyc"));
        assert!(anywhere.excludes("pkg/sub/a.pyc"));
        assert!(!anywhere.excludes("pkg/a.py"));
        let root = rules("*.pyc");
        assert!(root.excludes("a.pyc"));
        assert!(!root.excludes("pkg/a.pyc"));
    }

    #[test]
    fn leading_slash_dot_segments_and_trailing_slash_are_cleaned() {
        assert!(rules("/secret.txt").excludes("secret.txt"));
        assert!(rules("./a/../b").excludes("b"));
        assert!(!rules("./a/../b").excludes("a"));
        let build = rules("build/");
        assert!(build.excludes("build"));
        assert!(build.excludes("build/out.js"));
        assert!(!rules("../outside").excludes("outside"));
    }

    #[test]
    fn the_last_matching_line_wins() {
        let keep = rules("*.md\n!README.md");
        assert!(!keep.excludes("README.md"));
        assert!(keep.excludes("CHANGES.md"));
        let lose = rules("!README.md\n*.md");
        assert!(lose.excludes("README.md"));
    }

    #[test]
    fn an_excluded_folder_takes_its_contents() {
        let r = rules("node_modules");
        assert!(r.excludes("node_modules"));
        assert!(r.excludes("node_modules/x/y/z.js"));
        assert!(!r.excludes("src/node_modules"));
        assert!(!r.excludes("node_modules_extra"));
    }

    #[test]
    fn an_exception_inside_an_excluded_folder() {
        let r = rules("data\n!data/keep.csv");
        assert!(r.excludes("data"));
        assert!(r.may_reinclude_under("data"));
        assert!(!r.excludes("data/keep.csv"));
        assert!(r.excludes("data/other.csv"));
        assert!(!r.may_reinclude_under("src"));

        let glob = rules("data\n!data/*.csv");
        assert!(glob.may_reinclude_under("data"));
        assert!(!glob.excludes("data/a.csv"));
        assert!(glob.excludes("data/a.txt"));

        let deep = rules("data\n!data/sub/keep.csv");
        assert!(deep.may_reinclude_under("data"));
        assert!(deep.may_reinclude_under("data/sub"));
        assert!(!deep.may_reinclude_under("data/other"));
        assert!(!deep.excludes("data/sub/keep.csv"));
        assert!(deep.excludes("data/other/keep.csv"));
    }

    #[test]
    fn comments_and_blank_lines() {
        let r = rules("# a comment\n\n   \n*.log\r\n#*.txt\n");
        assert!(r.excludes("a.log"));
        assert!(!r.excludes("a.txt"));
        assert!(!r.excludes("# a comment"));
        let indented = rules("  # not a comment");
        assert!(indented.excludes("# not a comment"));
        assert!(rules("\u{feff}*.log").excludes("x.log"));
    }

    #[test]
    fn env_files_but_not_the_example() {
        let r = rules(".env*\n!.env.example");
        assert!(r.excludes(".env"));
        assert!(r.excludes(".env.local"));
        assert!(!r.excludes(".env.example"));
        assert!(!r.excludes("app/.env"));
    }

    #[test]
    fn invalid_patterns_name_their_line() {
        let err = DockerIgnore::parse("ok\n# fine\nbad[\n").expect_err("unclosed [");
        assert!(
            err.starts_with("line 3: pattern 'bad[' is not valid: "),
            "{err}"
        );
        let err = DockerIgnore::parse("  !  ").expect_err("bare !");
        assert!(err.starts_with("line 1: pattern '!' is not valid"), "{err}");
        assert!(DockerIgnore::parse("a\\").is_err());
        assert!(DockerIgnore::parse("[]a]").is_err());
        assert!(DockerIgnore::parse("[a-]").is_err());
        assert!(DockerIgnore::parse("[z-a]").is_err());
        assert!(DockerIgnore::parse("x\\y").is_err());
        assert!(DockerIgnore::parse("\\bword").is_err());
        assert!(DockerIgnore::parse("[[:nope:]]").is_err());
        let long = "a".repeat(MAX_LINE + 1);
        assert!(DockerIgnore::parse(&long).is_err());
        assert!(DockerIgnore::parse(&"a".repeat(MAX_LINE)).is_ok());
    }

    #[test]
    fn empty_rules_keep_everything() {
        let r = DockerIgnore::empty();
        assert!(!r.excludes("a"));
        assert!(!r.may_reinclude_under("a"));
        assert!(!rules("").excludes("a"));
        assert!(!rules("*").excludes("."));
    }

    #[test]
    fn build_files_are_kept_when_listed() {
        let r = rules("*\n!app.py").keeping_build_files("Dockerfile");
        assert!(!r.excludes("Dockerfile"));
        assert!(!r.excludes(".dockerignore"));
        assert!(r.excludes("other.py"));
        let nested = rules("docker").keeping_build_files("./docker/Dockerfile");
        assert!(nested.may_reinclude_under("docker"));
        assert!(!nested.excludes("docker/Dockerfile"));
        assert!(nested.excludes("docker/other"));
        let untouched = rules("*.log").keeping_build_files("Dockerfile");
        assert_eq!(untouched.patterns.len(), 1);
    }

    #[test]
    fn go_clean() {
        assert_eq!(clean("a//b/./c/"), "a/b/c");
        assert_eq!(clean("a/../../b"), "../b");
        assert_eq!(clean("/../a"), "/a");
        assert_eq!(clean("./"), ".");
        assert_eq!(clean("/"), "/");
        assert_eq!(clean(""), ".");
    }

    #[test]
    fn unclean_paths_are_cleaned_before_matching() {
        let r = rules("a/b");
        assert!(r.excludes("./a/b"));
        assert!(r.excludes("a//b/"));
        assert!(!r.excludes(""));
    }

    /// Each case was built with the docker CLI 28.2.2 (DOCKER_BUILDKIT=0)
    /// on engine 20.10.24 from a context holding `files`, with `COPY . /ctx`;
    /// `sent` is what arrived in /ctx. Name, .dockerignore, files, sent.
    const CHECKED_WITH_DOCKER: &[(&str, &str, &[&str], &[&str])] = &[
        (
            "comments, root-only *, **/, leading / and ./ cleaning, .env",
            "# comment\n*.pyc\n**/__pycache__\n/secret.txt\n./a/../build/\n.env*\n!.env.example\n  # indented not comment\n\n*/*.log\n",
            &[
                "a.pyc",
                "src/b.pyc",
                "src/__pycache__/x.pyc",
                "__pycache__/y",
                "secret.txt",
                "sub/secret.txt",
                "build/out.js",
                "a/keep",
                ".env",
                ".env.local",
                ".env.example",
                "app/.env",
                "# indented not comment",
                "# comment",
                "app.py",
                "x.log",
                "dir/x.log",
                "a/b/x.log",
            ],
            &[
                "src/b.pyc",
                "sub/secret.txt",
                "a/keep",
                ".env.example",
                "app/.env",
                "# comment",
                "app.py",
                "x.log",
                "a/b/x.log",
            ],
        ),
        (
            "exceptions in an excluded folder, last match wins",
            "docs\n!docs/keep.md\n!**/keep2.md\n!d*/keep3.md\n*.md\n!README.md\n!NOTES.md\nNOTES.md\n",
            &[
                "docs/keep.md",
                "docs/keep2.md",
                "docs/keep3.md",
                "docs/other.md",
                "docs/sub/keep.md",
                "README.md",
                "NOTES.md",
                "CHANGES.md",
                "src/keep2.md",
            ],
            &[
                "docs/keep.md",
                "docs/keep2.md",
                "docs/keep3.md",
                "README.md",
                "src/keep2.md",
            ],
        ),
        (
            "no exception literally under the folder: it is not walked",
            "docs\n!**/keep2.md\n!d*/keep3.md\n",
            &[
                "docs/keep2.md",
                "docs/keep3.md",
                "docs/other.md",
                "src/keep2.md",
            ],
            &["src/keep2.md"],
        ),
        (
            "an exception before the pattern loses",
            "!README.md\n*.md\n",
            &["README.md", "a.md", "b.txt"],
            &["b.txt"],
        ),
        (
            "** at the end, in the middle, glued to text",
            "a/**\nb/**/c\n**foo\nx**\n",
            &[
                "a/f",
                "a/g/h",
                "b/c",
                "b/x/c",
                "b/x/y/c/d",
                "b/xc",
                "barfoo",
                "foo",
                "z/foo",
                "z/barfoo",
                "foo2/bar",
                "xy",
                "x/z",
                "xyz/w",
                "y",
            ],
            &["b/xc", "foo2/bar", "y"],
        ),
        (
            "Docker's regexp corners",
            "a[^x]b\nfile\\d\n^foo*\n^bar\n[[:digit:]]z\n[*]\nm**n\nq?r\n",
            &[
                "a/b", "ayb", "axb", "file1", "filed", "foo", "foobar", "^foo", "^bar", "bar",
                "5z", "az", "]", "[]", "*", "mn", "m/n", "mx/n", "mxn", "mx/y/n", "q/r", "qxr",
            ],
            &["axb", "filed", "^foo", "bar", "az", "*", "mxn", "q/r"],
        ),
        (
            "the walk's per-folder results, not MatchesOrParentMatches",
            "a/x\n!a\nb\n!b/x\nb\n",
            &["a/x", "a/y", "b/x", "b/y"],
            &["a/y", "b/x"],
        ),
        (
            "cleaning twice: '!../../c' becomes 'c', 'd /.' becomes 'd'",
            "!../../c\nd /.\ne/x/..\n/\n.\n",
            &["c", "d", "e/f", "g"],
            &["g"],
        ),
        (
            "escapes",
            "\\*.txt\n\\[x\\]\n\\#hash\n",
            &["*.txt", "a.txt", "[x]", "x", "#hash"],
            &["a.txt", "x"],
        ),
        (
            "classes, '!' as a member, '?' on a multi-byte character",
            "[abc].txt\nlog[0-9]\nx[^0-9]\n[!a]z\ncaf?\n",
            &[
                "b.txt", "d.txt", "log7", "logx", "xa", "x1", "!z", "az", "bz", "café", "cafe",
                "cafés",
            ],
            &["d.txt", "logx", "x1", "bz", "cafés"],
        ),
        (
            "everything but a few",
            "**\n!app.py\n!assets/\n!requirements.txt\n!keep/**\n",
            &[
                "app.py",
                "assets/x.css",
                "assets/img/y.png",
                "requirements.txt",
                "other.py",
                "keep/a",
                "keep/sub/b",
                "data/z",
            ],
            &[
                "app.py",
                "assets/x.css",
                "assets/img/y.png",
                "requirements.txt",
                "keep/a",
                "keep/sub/b",
            ],
        ),
        (
            "all but src, then pyc files inside it",
            "*\n!src\nsrc/**/*.pyc\n",
            &[
                "src/a.py",
                "src/a.pyc",
                "src/sub/b.pyc",
                "src/sub/b.py",
                "other/x",
                "app.py",
            ],
            &["src/a.py", "src/sub/b.py"],
        ),
        (
            "a BOM, CRLF line ends, spaces around patterns and after '!'",
            "\u{feff}*.log\r\n  build   \r\n!  keep.log\r\n\tdist/\t\r\n",
            &["a.log", "keep.log", "build/x", "dist/y", "src/z"],
            &["keep.log", "src/z"],
        ),
        (
            "exceptions two levels down",
            "data\n!data/sub/keep.csv\nnode_modules\n!node_modules/pkg\n",
            &[
                "data/a.csv",
                "data/sub/keep.csv",
                "data/sub/other.csv",
                "data/other/keep.csv",
                "node_modules/pkg/index.js",
                "node_modules/pkg/lib/x.js",
                "node_modules/other/y.js",
            ],
            &[
                "data/sub/keep.csv",
                "node_modules/pkg/index.js",
                "node_modules/pkg/lib/x.js",
            ],
        ),
        (
            "dot files, case",
            ".*\n!.gitignore\n*.PY\n",
            &[
                ".git/config",
                ".gitignore",
                ".venv/lib/x",
                "a.py",
                "B.PY",
                "sub/.hidden",
            ],
            &[".gitignore", "a.py", "sub/.hidden"],
        ),
        (
            "Perl and POSIX classes, an escaped dot",
            "a\\sb\nn[[:^digit:]]\n*\\.txt\nw\\w\n",
            &["a b", "ab", "n1", "nx", "x.txt", "xtxt", "w_", "w-"],
            &["ab", "n1", "xtxt", "w-"],
        ),
        (
            "a folder re-included whole, a folder re-included by a glob",
            "out\n!out/\nlib\n!lib/*.py\n",
            &["out/a", "lib/a.py", "lib/b.txt", "lib/sub/c.py"],
            &["out/a", "lib/a.py"],
        ),
        (
            "logs/* keeps the folder",
            "emptyx\nlogs/*\n!logs/.keep\n",
            &["logs/.keep", "logs/a.log", "logs/old/b.log"],
            &["logs/.keep"],
        ),
    ];

    #[test]
    fn agrees_with_the_docker_cli() {
        for (name, text, files, sent) in CHECKED_WITH_DOCKER {
            assert_eq!(kept(text, files), *sent, "{name}");
        }
    }

    #[test]
    fn folders_as_the_docker_cli_sent_them() {
        let r = rules("a/**\nb/**/c\n**foo\nx**\n");
        assert!(!r.excludes("a"));
        assert!(!r.excludes("b/x/y"));
        assert!(r.excludes("a/g"));
        let empty = rules("emptyx\nlogs/*\n!logs/.keep\n");
        assert!(empty.excludes("emptyx"));
        assert!(!empty.excludes("emptyy"));
        assert!(!empty.excludes("logs"));
        assert!(empty.excludes("logs/old"));
        let all = rules("**\n!keep/**\n");
        assert!(all.excludes("keep"));
        assert!(all.may_reinclude_under("keep"));
        assert!(!all.excludes("keep/sub"));
        assert!(!rules("docs\n!**/keep2.md").may_reinclude_under("docs"));
    }

    #[test]
    fn build_files_as_the_docker_cli_sent_them() {
        let everything = rules("**\n!app.py");
        assert!(everything.excludes("Dockerfile") && everything.excludes(".dockerignore"));
        let sent = everything.keeping_build_files("Dockerfile");
        assert!(!sent.excludes("Dockerfile") && !sent.excludes(".dockerignore"));
        let dots = rules(".*");
        assert!(dots.excludes(".dockerignore") && !dots.excludes("Dockerfile"));
    }

    #[test]
    fn errors_where_the_docker_cli_fails_too() {
        for text in [
            "ok\nbad[\n",
            "!\n",
            "!/\n",
            "[z-a]\n",
            "x\\y\n",
            "[]a]\n",
            "[[:nope:]]\n",
        ] {
            assert!(DockerIgnore::parse(text).is_err(), "{text:?}");
        }
        let long = format!("{}\n", "a".repeat(MAX_LINE + 1));
        assert!(DockerIgnore::parse(&long).is_err());
        assert!(DockerIgnore::parse(&"*a".repeat(MAX_PROGRAM)).is_err());
        assert!(rules(&"a".repeat(MAX_PROGRAM * 2)).excludes(&"a".repeat(MAX_PROGRAM * 2)));
        let longest = format!("{}\nb\n", "a".repeat(MAX_LINE));
        assert!(rules(&longest).excludes("b"));
    }

    #[test]
    fn a_hundred_thousand_paths_are_quick() {
        let r = rules(
            "**/__pycache__\n**/*.pyc\n*.md\n!README.md\n.git\nnode_modules\n.env*\n!.env.example\n\
             build/**\ndata\n!data/keep/*.csv\n**/.DS_Store\ntests/**/fixtures\n",
        );
        let paths: Vec<String> = (0..100_000)
            .map(|i| format!("src/pkg{}/module{}/sub/file_{}.py", i % 7, i % 13, i))
            .collect();
        let started = std::time::Instant::now();
        let excluded = paths.iter().filter(|p| r.excludes(p)).count();
        let took = started.elapsed();
        assert_eq!(excluded, 0);
        assert!(took.as_secs_f64() < 20.0, "took {took:?}");
    }
}
