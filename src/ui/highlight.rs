//! A small syntax highlighter for the wizard's preview of the Dockerfile and
//! .dockerignore it writes. Every character of a line is kept; only styles are added.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

const INSTRUCTIONS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

fn instruction_style() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

fn string_style() -> Style {
    Style::new().fg(Color::Green)
}

fn flag_style() -> Style {
    Style::new().fg(Color::Yellow)
}

fn key_style() -> Style {
    Style::new().fg(Color::Magenta)
}

/// Dockerfile lines: instructions bold cyan, comments dim, strings green,
/// `--flags` yellow, ENV and ARG keys magenta, line continuations dim.
pub fn dockerfile(text: &str) -> Vec<Line<'static>> {
    let mut continued: Option<Instruction> = None;
    text.lines()
        .map(|line| {
            let (styled, next) = dockerfile_line(line, continued);
            continued = next;
            styled
        })
        .collect()
}

/// .dockerignore lines: comments dim, `!` exceptions yellow, patterns plain.
pub fn dockerignore(text: &str) -> Vec<Line<'static>> {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let style = if trimmed.starts_with('#') {
                dim()
            } else if trimmed.starts_with('!') {
                flag_style()
            } else {
                Style::new()
            };
            let mut spans = Spans::default();
            spans.push(line, style);
            spans.into_line()
        })
        .collect()
}

/// The instruction a line belongs to, as far as highlighting cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Instruction {
    /// ENV; on its first line a bare first word is a key (`ENV KEY value`).
    Env {
        first_line: bool,
    },
    /// ARG: every word names an argument.
    Arg,
    Other,
}

impl Instruction {
    fn named(name: &str) -> Self {
        match name {
            "ENV" => Self::Env { first_line: true },
            "ARG" => Self::Arg,
            _ => Self::Other,
        }
    }

    fn continued(self) -> Self {
        match self {
            Self::Env { .. } => Self::Env { first_line: false },
            other => other,
        }
    }
}

/// Styles one line; returns the instruction the next line continues, if any.
fn dockerfile_line(
    line: &str,
    continued: Option<Instruction>,
) -> (Line<'static>, Option<Instruction>) {
    let mut spans = Spans::default();
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.is_empty() {
        spans.push(line, dim());
        return (spans.into_line(), continued);
    }
    let (body, continuation) = match line.trim_end().strip_suffix('\\') {
        Some(body) => line.split_at(body.len()),
        None => (line, ""),
    };
    let mut rest = body;
    let instruction = match continued {
        Some(instruction) => instruction.continued(),
        None => {
            let mut instruction = Instruction::Other;
            while let Some((before, word, after)) = split_word(rest) {
                let name = word.to_ascii_uppercase();
                if !INSTRUCTIONS.contains(&name.as_str()) {
                    break;
                }
                spans.push(before, Style::new());
                spans.push(word, instruction_style());
                rest = after;
                instruction = Instruction::named(&name);
                if name != "ONBUILD" {
                    break;
                }
            }
            instruction
        }
    };
    arguments(&mut spans, rest, instruction);
    spans.push(continuation, dim());
    let next = (!continuation.is_empty()).then_some(instruction);
    (spans.into_line(), next)
}

/// Leading whitespace, the first word, and what follows it; None when there is no word.
fn split_word(text: &str) -> Option<(&str, &str, &str)> {
    let start = text.len() - text.trim_start().len();
    if start == text.len() {
        return None;
    }
    let end = text[start..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| start + i);
    Some((&text[..start], &text[start..end], &text[end..]))
}

/// Styles an instruction's arguments: strings, flags and keys.
fn arguments(spans: &mut Spans, text: &str, instruction: Instruction) {
    let mut rest = text;
    let mut word_start = true;
    let mut first_word = true;
    while let Some(c) = rest.chars().next() {
        let (len, style) = if c.is_whitespace() {
            (rest.len() - rest.trim_start().len(), Style::new())
        } else if c == '"' || c == '\'' {
            (quoted_len(rest, c), string_style())
        } else if word_start && rest.starts_with("--") {
            let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (len, flag_style())
        } else if word_start && let Some(len) = key_len(rest, instruction, first_word) {
            (len, key_style())
        } else {
            (c.len_utf8(), Style::new())
        };
        if word_start && !c.is_whitespace() {
            first_word = false;
        }
        word_start = c.is_whitespace();
        spans.push(&rest[..len], style);
        rest = &rest[len..];
    }
}

/// Length of the key a word of ENV or ARG starts with: `KEY` in `KEY=value`, a bare
/// ARG name, or the first word of the legacy `ENV KEY value`.
fn key_len(word: &str, instruction: Instruction, first_word: bool) -> Option<usize> {
    let bare_is_key = match instruction {
        Instruction::Env { first_line } => first_line && first_word,
        Instruction::Arg => true,
        Instruction::Other => return None,
    };
    let end = word
        .find(|c: char| c.is_whitespace() || matches!(c, '=' | '"' | '\''))
        .unwrap_or(word.len());
    let after = &word[end..];
    let bare = after.is_empty() || after.starts_with(char::is_whitespace);
    (end > 0 && (after.starts_with('=') || (bare && bare_is_key))).then_some(end)
}

/// Length in bytes of the quoted string at the start of `text`, closing quote included;
/// an unclosed string runs to the end. A backslash escapes the next character in `"..."`.
fn quoted_len(text: &str, quote: char) -> usize {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            return i + c.len_utf8();
        }
    }
    text.len()
}

/// Spans being built, neighbours with the same style merged.
#[derive(Default)]
struct Spans(Vec<Span<'static>>);

impl Spans {
    fn push(&mut self, text: &str, style: Style) {
        if text.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(text),
            _ => self.0.push(Span::styled(text.to_string(), style)),
        }
    }

    fn into_line(self) -> Line<'static> {
        Line::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKERFILE: &str = r#"# syntax=docker/dockerfile:1
FROM python:3.12-slim AS app

ARG APP_USER=dash
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT="8050"
ENV LEGACY value with spaces
WORKDIR /app
COPY --chown=dash:dash requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt \
    && useradd --create-home 'dash user' # not a comment
    # a comment inside a continuation
COPY --chown=${APP_USER}:${APP_USER} . .
USER dash
EXPOSE 8050
HEALTHCHECK --interval=30s CMD python -c "import urllib.request as u; u.urlopen('http://localhost:8050/')"
CMD ["gunicorn", "--bind", "0.0.0.0:8050", "app:server"]
run echo "lowercase \"escaped\" works" Ünïcode
ONBUILD RUN echo hi
    "#;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    /// The style of the span holding `needle` on line `index`.
    fn style_of(lines: &[Line], index: usize, needle: &str) -> Style {
        let line = &lines[index];
        line.spans
            .iter()
            .find(|s| s.content.contains(needle))
            .map(|s| s.style)
            .unwrap_or_else(|| panic!("{needle:?} not in {:?}", text(line)))
    }

    #[test]
    fn keeps_every_character_of_every_line() {
        let lines = dockerfile(DOCKERFILE);
        assert_eq!(lines.len(), DOCKERFILE.lines().count());
        for (styled, original) in lines.iter().zip(DOCKERFILE.lines()) {
            assert_eq!(text(styled), original);
        }
        let ignore = ".git\n# secrets\n!keep.env\n  \n*.pyc\n";
        for (styled, original) in dockerignore(ignore).iter().zip(ignore.lines()) {
            assert_eq!(text(styled), original);
        }
    }

    #[test]
    fn instructions_are_bold_cyan_in_any_case() {
        let lines = dockerfile(DOCKERFILE);
        let cyan = instruction_style();
        assert_eq!(style_of(&lines, 1, "FROM"), cyan);
        assert_eq!(style_of(&lines, 8, "WORKDIR"), cyan);
        assert_eq!(style_of(&lines, 18, "run"), cyan);
        assert_eq!(style_of(&lines, 19, "ONBUILD"), cyan);
        assert_eq!(style_of(&lines, 19, "RUN"), cyan);
        assert_eq!(lines[18].spans[0].content, "run");
    }

    #[test]
    fn continuation_lines_are_not_instructions() {
        let lines = dockerfile("RUN echo \\\n    run this\n");
        assert_eq!(style_of(&lines, 1, "run"), Style::new());
        assert_eq!(style_of(&lines, 0, "\\"), dim());
    }

    #[test]
    fn comments_are_dim() {
        let lines = dockerfile(DOCKERFILE);
        assert_eq!(lines[0].spans.len(), 1);
        assert_eq!(lines[0].spans[0].style, dim());
        assert_eq!(style_of(&lines, 12, "# a comment"), dim());
        assert_ne!(style_of(&lines, 11, "# not a comment"), dim());
    }

    #[test]
    fn strings_are_green() {
        let lines = dockerfile(DOCKERFILE);
        assert_eq!(style_of(&lines, 6, "\"8050\""), string_style());
        assert_eq!(style_of(&lines, 11, "'dash user'"), string_style());
        assert_eq!(style_of(&lines, 17, "\"gunicorn\""), string_style());
        assert_eq!(style_of(&lines, 17, "\"app:server\""), string_style());
        assert_eq!(
            style_of(&lines, 18, r#""lowercase \"escaped\" works""#),
            string_style()
        );
        assert_eq!(style_of(&lines, 18, "Ünïcode"), Style::new());
    }

    #[test]
    fn flags_are_yellow() {
        let lines = dockerfile(DOCKERFILE);
        assert_eq!(style_of(&lines, 9, "--chown=dash:dash"), flag_style());
        assert_eq!(style_of(&lines, 10, "--no-cache-dir"), flag_style());
        assert_eq!(style_of(&lines, 11, "--create-home"), flag_style());
        assert_eq!(style_of(&lines, 16, "--interval=30s"), flag_style());
        assert_eq!(style_of(&lines, 10, "-r"), Style::new());
    }

    #[test]
    fn continuations_are_dim() {
        let lines = dockerfile(DOCKERFILE);
        for index in [4, 5, 10] {
            let last = lines[index]
                .spans
                .last()
                .map(|s| (s.content.as_ref(), s.style));
            assert_eq!(last, Some(("\\", dim())), "line {index}");
        }
    }

    #[test]
    fn env_and_arg_keys_are_magenta() {
        let lines = dockerfile(DOCKERFILE);
        assert_eq!(style_of(&lines, 3, "APP_USER"), key_style());
        assert_eq!(style_of(&lines, 4, "PYTHONDONTWRITEBYTECODE"), key_style());
        assert_eq!(style_of(&lines, 5, "PYTHONUNBUFFERED"), key_style());
        assert_eq!(style_of(&lines, 6, "PORT"), key_style());
        assert_eq!(style_of(&lines, 7, "LEGACY"), key_style());
        assert_eq!(style_of(&lines, 7, "value"), Style::new());
        assert_eq!(style_of(&lines, 4, "=1"), Style::new());
    }

    #[test]
    fn dockerignore_styles_comments_and_exceptions() {
        let lines = dockerignore("# comment\n!keep.env\n*.pyc\n\n");
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].spans[0].style, dim());
        assert_eq!(lines[1].spans[0].style, flag_style());
        assert_eq!(lines[1].spans[0].content, "!keep.env");
        assert_eq!(lines[2].spans[0].style, Style::new());
        assert!(lines[3].spans.is_empty());
    }
}
