//! Python source through tree-sitter: a concrete syntax tree with byte
//! offsets, so a rewrite touches exactly the text it means to, and an
//! error-tolerant parse, so a broken file can still be read and reported.

use tree_sitter::{Node, Parser, Tree};

/// One parsed Python file of the app.
pub struct Source {
    /// Path relative to the app folder, with `/`.
    pub rel: String,
    pub text: String,
    pub tree: Tree,
}

/// Where a file stops being Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based.
    pub line: usize,
    pub column: usize,
}

impl Source {
    pub fn parse(rel: &str, text: String) -> Result<Source, String> {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .map_err(|e| format!("the Python grammar could not be loaded: {e}"))?;
        let tree = parser
            .parse(&text, None)
            .ok_or_else(|| format!("{rel} could not be parsed"))?;
        Ok(Source {
            rel: rel.to_string(),
            text,
            tree,
        })
    }

    pub fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    pub fn text_of(&self, node: Node) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// The first syntax error, if the file does not parse cleanly. Each
    /// error node points at where parsing went wrong (a missing token right
    /// after what precedes it; an error node after the last piece that still
    /// parsed); the earliest of those points is the one reported.
    pub fn syntax_error(&self) -> Option<SyntaxError> {
        let root = self.root();
        if !root.has_error() {
            return None;
        }
        let mut earliest: Option<tree_sitter::Point> = None;
        walk(root, &mut |node| {
            let point = if node.is_missing() {
                node.prev_sibling()
                    .map(|p| p.end_position())
                    .unwrap_or(node.start_position())
            } else if node.is_error() {
                let mut cursor = node.walk();
                let children: Vec<Node> = node.children(&mut cursor).collect();
                match children.as_slice() {
                    [.., before, _last] => before.end_position(),
                    _ => node.start_position(),
                }
            } else {
                return;
            };
            if earliest.is_none_or(|e| point < e) {
                earliest = Some(point);
            }
        });
        let point = earliest.unwrap_or(root.start_position());
        Some(SyntaxError {
            line: point.row + 1,
            column: point.column + 1,
        })
    }

    /// The value of a plain string literal (not an f-string, no concatenation).
    pub fn string_value(&self, node: Node) -> Option<String> {
        if node.kind() != "string" {
            return None;
        }
        let mut cursor = node.walk();
        if node
            .children(&mut cursor)
            .any(|c| c.kind() == "interpolation")
        {
            return None;
        }
        let text = self.text_of(node);
        let body = text.trim_start_matches(['r', 'R', 'u', 'U', 'b', 'B']);
        for quote in ["\"\"\"", "'''", "\"", "'"] {
            if let Some(inner) = body
                .strip_prefix(quote)
                .and_then(|rest| rest.strip_suffix(quote))
            {
                return Some(inner.to_string());
            }
        }
        None
    }
}

/// Visits `node` and everything under it, depth first, in source order.
pub fn walk<'t>(node: Node<'t>, visit: &mut impl FnMut(Node<'t>)) {
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        visit(current);
        let children: Vec<Node<'t>> = current.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
}

/// The dotted name of a callee: `app.run`, `pd.read_csv`, `Dash`.
pub fn callee_name(source: &Source, call: Node) -> Option<String> {
    let function = call.child_by_field_name("function")?;
    match function.kind() {
        "identifier" | "attribute" => {
            Some(source.text_of(function).replace(char::is_whitespace, ""))
        }
        _ => None,
    }
}

/// True when `node` sits inside `if __name__ == "__main__":` or inside a
/// function or class body (code that importing the module does not run).
pub fn runs_only_as_main(source: &Source, node: Node) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        match n.kind() {
            "function_definition" | "class_definition" | "lambda" => return true,
            "if_statement" => {
                if let Some(condition) = n.child_by_field_name("condition") {
                    let text = source.text_of(condition);
                    if text.contains("__name__") && text.contains("__main__") {
                        return true;
                    }
                }
            }
            _ => {}
        }
        current = n.parent();
    }
    false
}

/// The names a module defines at module level (assignments, imports,
/// functions, classes; also inside top-level `if`, `try`, `with` and `for`
/// blocks), each with the byte where its statement starts. A star import
/// defines any name: it is listed as `*`.
pub fn module_names(source: &Source) -> Vec<(String, usize)> {
    fn block<'t>(source: &Source, node: Node<'t>, out: &mut Vec<(String, usize)>) {
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            statement(source, child, out);
        }
    }
    fn targets(source: &Source, node: Node, at: usize, out: &mut Vec<(String, usize)>) {
        match node.kind() {
            "identifier" => out.push((source.text_of(node).to_string(), at)),
            "pattern_list" | "tuple_pattern" | "list_pattern" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    targets(source, child, at, out);
                }
            }
            _ => {}
        }
    }
    fn statement(source: &Source, node: Node, out: &mut Vec<(String, usize)>) {
        let at = node.start_byte();
        match node.kind() {
            "expression_statement" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    let mut assignment = Some(child);
                    // a = b = Dash(...): every target.
                    while let Some(a) = assignment.filter(|a| a.kind() == "assignment") {
                        if let Some(left) = a.child_by_field_name("left") {
                            targets(source, left, at, out);
                        }
                        assignment = a.child_by_field_name("right");
                    }
                }
            }
            "function_definition" | "class_definition" => {
                if let Some(name) = node.child_by_field_name("name") {
                    out.push((source.text_of(name).to_string(), at));
                }
            }
            "decorated_definition" => {
                if let Some(def) = node.child_by_field_name("definition") {
                    statement(source, def, out);
                }
            }
            "import_statement" | "import_from_statement" => {
                let mut cursor = node.walk();
                for name in node.children_by_field_name("name", &mut cursor) {
                    let defined = match name.kind() {
                        "aliased_import" => name
                            .child_by_field_name("alias")
                            .map(|a| source.text_of(a).to_string()),
                        _ => source.text_of(name).split('.').next().map(str::to_string),
                    };
                    if let Some(defined) = defined {
                        out.push((defined, at));
                    }
                }
                let mut cursor = node.walk();
                if node
                    .children(&mut cursor)
                    .any(|c| c.kind() == "wildcard_import")
                {
                    out.push(("*".to_string(), at));
                }
            }
            "if_statement" | "try_statement" | "with_statement" | "for_statement"
            | "while_statement" | "else_clause" | "elif_clause" | "except_clause"
            | "finally_clause" | "block" => {
                let mut cursor = node.walk();
                // A block's statements; a compound statement's blocks and clauses.
                for child in node.named_children(&mut cursor) {
                    let nested = matches!(
                        child.kind(),
                        "block"
                            | "else_clause"
                            | "elif_clause"
                            | "except_clause"
                            | "finally_clause"
                    );
                    if nested || node.kind() == "block" {
                        statement(source, child, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    block(source, source.root(), &mut out);
    out
}

/// The statement directly under the module that contains `node`.
pub fn top_level_statement(node: Node) -> Node {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if parent.kind() == "module" {
            return current;
        }
        current = parent;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_level_names_are_what_the_module_defines_outside_functions() {
        let src = Source::parse(
            "a.py",
            "import os, dash.html as h\nfrom x import y as z, w\napp = server = make()\na, (b, c) = 1, (2, 3)\n\
             def f():\n    inner = 1\n@dec\nclass K: pass\nif os.environ.get('X'):\n    cond = 1\nelse:\n    other = 2\n\
             try:\n    t = 1\nexcept E:\n    e = 2\n"
                .into(),
        )
        .unwrap();
        let names: Vec<String> = module_names(&src).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "os", "h", "z", "w", "app", "server", "a", "b", "c", "f", "K", "cond", "other",
                "t", "e"
            ]
        );
        let star = Source::parse("b.py", "from dash import *\n".into()).unwrap();
        assert!(module_names(&star).iter().any(|(n, _)| n == "*"));
    }

    #[test]
    fn strings_errors_and_guards() {
        let src = Source::parse(
            "a.py",
            "x = open('data/a.csv')\ny = f'{x}'\nif __name__ == '__main__':\n    app.run()\n"
                .into(),
        )
        .unwrap();
        assert_eq!(src.syntax_error(), None);
        let mut strings = Vec::new();
        let mut calls = Vec::new();
        walk(src.root(), &mut |n| {
            if n.kind() == "string" {
                strings.push(src.string_value(n));
            }
            if n.kind() == "call" {
                calls.push((callee_name(&src, n), runs_only_as_main(&src, n)));
            }
        });
        assert_eq!(
            strings,
            vec![Some("data/a.csv".into()), None, Some("__main__".into())]
        );
        assert_eq!(
            calls,
            vec![(Some("open".into()), false), (Some("app.run".into()), true)]
        );
        let broken = Source::parse("b.py", "x = 1\ndef f(:\n    pass\n".into()).unwrap();
        assert_eq!(broken.syntax_error().map(|e| e.line), Some(2));
    }
}
