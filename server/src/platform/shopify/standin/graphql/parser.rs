//! The recursive-descent parser behind [`super::parse`].

use super::{Document, Field, Kind, Operation, Selection, SyntaxError, Value};

pub(super) fn document(text: &str) -> Result<Document, SyntaxError> {
    let mut p = Parser { text, pos: 0 };
    let mut doc = Document::default();
    loop {
        p.skip_ignored();
        if p.pos >= text.len() {
            break;
        }
        if p.peek() == Some(b'{') {
            let selection = p.selection_set()?;
            doc.operations.push(Operation {
                kind: Kind::Query,
                name: None,
                variables: Vec::new(),
                selection,
            });
            continue;
        }
        let keyword = p.name()?;
        match keyword.as_str() {
            "query" | "mutation" => doc.operations.push(p.operation(&keyword)?),
            "fragment" => {
                let name = p.name()?;
                p.expect_name("on")?;
                let on = p.name()?;
                p.directives()?;
                let selection = p.selection_set()?;
                doc.fragments.insert(name, (on, selection));
            }
            other => return Err(p.error(&format!("unexpected \"{other}\""))),
        }
    }
    if doc.operations.is_empty() {
        return Err(p.error("no operation in the document"));
    }
    Ok(doc)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn error(&self, what: &str) -> SyntaxError {
        let before = &self.text[..self.pos.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        SyntaxError {
            message: format!("syntax error, {what} at [{line}, {column}]"),
            line,
            column,
        }
    }

    /// Whitespace, commas and comments.
    fn skip_ignored(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => self.pos += 1,
                0xEF if self.bytes()[self.pos..].starts_with(&[0xEF, 0xBB, 0xBF]) => self.pos += 3,
                b'#' => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ignored();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), SyntaxError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected \"{}\"", c as char)))
        }
    }

    fn name(&mut self) -> Result<String, SyntaxError> {
        self.skip_ignored();
        let start = self.pos;
        while let Some(c) = self.peek() {
            let ok =
                c == b'_' || c.is_ascii_alphabetic() || (self.pos > start && c.is_ascii_digit());
            if !ok {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            let found = self.text[self.pos..]
                .chars()
                .next()
                .map_or("end of file".to_owned(), |c| {
                    format!("unexpected invalid token (\"{c}\")")
                });
            return Err(self.error(&found));
        }
        Ok(self.text[start..self.pos].to_owned())
    }

    fn expect_name(&mut self, want: &str) -> Result<(), SyntaxError> {
        let got = self.name()?;
        if got == want {
            Ok(())
        } else {
            Err(self.error(&format!("expected \"{want}\", got \"{got}\"")))
        }
    }

    fn operation(&mut self, keyword: &str) -> Result<Operation, SyntaxError> {
        let kind = if keyword == "mutation" {
            Kind::Mutation
        } else {
            Kind::Query
        };
        self.skip_ignored();
        let name = match self.peek() {
            Some(c) if c == b'_' || c.is_ascii_alphabetic() => Some(self.name()?),
            _ => None,
        };
        let mut variables = Vec::new();
        if self.eat(b'(') {
            while !self.eat(b')') {
                self.expect(b'$')?;
                let var = self.name()?;
                self.expect(b':')?;
                self.type_ref()?;
                let default = if self.eat(b'=') {
                    Some(self.value()?)
                } else {
                    None
                };
                self.directives()?;
                variables.push((var, default));
            }
        }
        self.directives()?;
        let selection = self.selection_set()?;
        Ok(Operation {
            kind,
            name,
            variables,
            selection,
        })
    }

    fn type_ref(&mut self) -> Result<(), SyntaxError> {
        if self.eat(b'[') {
            self.type_ref()?;
            self.expect(b']')?;
        } else {
            self.name()?;
        }
        self.eat(b'!');
        Ok(())
    }

    fn directives(&mut self) -> Result<(), SyntaxError> {
        while self.eat(b'@') {
            self.name()?;
            self.arguments()?;
        }
        Ok(())
    }

    fn arguments(&mut self) -> Result<Vec<(String, Value)>, SyntaxError> {
        let mut args = Vec::new();
        if self.eat(b'(') {
            while !self.eat(b')') {
                let name = self.name()?;
                self.expect(b':')?;
                args.push((name, self.value()?));
            }
        }
        Ok(args)
    }

    fn selection_set(&mut self) -> Result<Vec<Selection>, SyntaxError> {
        self.expect(b'{')?;
        let mut out = Vec::new();
        while !self.eat(b'}') {
            self.skip_ignored();
            if self.bytes()[self.pos..].starts_with(b"...") {
                self.pos += 3;
                self.skip_ignored();
                if self.peek() == Some(b'{') || self.peek() == Some(b'@') {
                    self.directives()?;
                    out.push(Selection::Inline(None, self.selection_set()?));
                    continue;
                }
                let name = self.name()?;
                if name == "on" {
                    let on = self.name()?;
                    self.directives()?;
                    out.push(Selection::Inline(Some(on), self.selection_set()?));
                } else {
                    self.directives()?;
                    out.push(Selection::Spread(name));
                }
                continue;
            }
            if self.pos >= self.text.len() {
                return Err(self.error("unexpected end of file"));
            }
            let first = self.name()?;
            let (alias, name) = if self.eat(b':') {
                (Some(first), self.name()?)
            } else {
                (None, first)
            };
            let args = self.arguments()?;
            self.directives()?;
            self.skip_ignored();
            let selection = if self.peek() == Some(b'{') {
                self.selection_set()?
            } else {
                Vec::new()
            };
            out.push(Selection::Field(Field {
                alias,
                name,
                args,
                selection,
            }));
        }
        Ok(out)
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        self.skip_ignored();
        match self.peek() {
            Some(b'$') => {
                self.pos += 1;
                Ok(Value::Var(self.name()?))
            }
            Some(b'"') => self.string().map(Value::Str),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                while !self.eat(b']') {
                    items.push(self.value()?);
                }
                Ok(Value::List(items))
            }
            Some(b'{') => {
                self.pos += 1;
                let mut fields = Vec::new();
                while !self.eat(b'}') {
                    let name = self.name()?;
                    self.expect(b':')?;
                    fields.push((name, self.value()?));
                }
                Ok(Value::Object(fields))
            }
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number(),
            Some(_) => {
                let name = self.name()?;
                Ok(match name.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => Value::Enum(name),
                })
            }
            None => Err(self.error("unexpected end of file")),
        }
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = &self.text[start..self.pos];
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Int(i));
        }
        text.parse::<f64>()
            .map(Value::Float)
            .map_err(|_| self.error(&format!("invalid number \"{text}\"")))
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        if self.bytes()[self.pos..].starts_with(b"\"\"\"") {
            self.pos += 3;
            let rest = &self.text[self.pos..];
            let end = rest
                .find("\"\"\"")
                .ok_or_else(|| self.error("unterminated block string"))?;
            let raw = rest[..end].replace("\\\"\"\"", "\"\"\"");
            self.pos += end + 3;
            return Ok(block_string_value(&raw));
        }
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let (_, e) = chars
                        .next()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'u' => {
                            let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                            let code = u32::from_str_radix(&hex, 16)
                                .map_err(|_| self.error("invalid unicode escape"))?;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        other => out.push(other),
                    }
                }
                '\n' => return Err(self.error("unterminated string")),
                c => out.push(c),
            }
        }
        Err(self.error("unterminated string"))
    }
}

/// A block string's value: common indentation and blank first/last lines removed.
fn block_string_value(raw: &str) -> String {
    let lines: Vec<&str> = raw.lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                (*l).to_owned()
            } else {
                l.get(indent..).unwrap_or("").to_owned()
            }
        })
        .collect();
    while out.first().is_some_and(|l| l.trim().is_empty()) {
        out.remove(0);
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out.join("\n")
}
