//! A manifest document as a tree of values with where each came from, whether it was
//! written as TOML or JSON: the one shape the manifest reader walks.

use std::ops::Range;

use crate::error::{Error, Result};

/// A value of the document, with its byte span in the text when known.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub value: Value,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    Int(i128),
    Bool(bool),
    Array(Vec<Node>),
    Table(Vec<(Key, Node)>),
    /// A value no manifest key takes (a float, a date), by what it is.
    Other(&'static str),
}

/// A table key, with its span.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub name: String,
    pub span: Option<Range<usize>>,
}

/// Where a problem is: the file, and line and column when the text is known.
#[derive(Debug, Clone)]
pub(crate) struct Source<'t> {
    pub file: &'t str,
    pub text: &'t str,
}

impl Source<'_> {
    /// `file:line:column` for a byte offset (1-based, columns in characters).
    pub fn at(&self, span: &Option<Range<usize>>) -> String {
        let Some(span) = span else {
            return self.file.to_owned();
        };
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        format!("{}:{line}:{column}", self.file)
    }

    /// An invalid-manifest error naming the field, located in the file.
    pub fn invalid(
        &self,
        span: &Option<Range<usize>>,
        field: &str,
        reason: impl std::fmt::Display,
    ) -> Error {
        Error::invalid(field, reason).context(self.at(span))
    }
}

/// Parse TOML into the tree, with spans.
pub(crate) fn from_toml(source: &Source<'_>) -> Result<Node> {
    let doc = toml::de::DeTable::parse(source.text).map_err(|e| {
        let span = e.span();
        source.invalid(&span, "toml", e.message().trim_end())
    })?;
    let span = doc.span();
    Ok(Node {
        value: toml_table(doc.into_inner()),
        span: Some(span),
    })
}

fn toml_table(table: toml::de::DeTable<'_>) -> Value {
    Value::Table(
        table
            .into_iter()
            .map(|(k, v)| {
                let key = Key {
                    span: Some(k.span()),
                    name: k.into_inner().into_owned(),
                };
                (key, toml_node(v))
            })
            .collect(),
    )
}

fn toml_node(v: toml::Spanned<toml::de::DeValue<'_>>) -> Node {
    use toml::de::DeValue;
    let span = Some(v.span());
    let value = match v.into_inner() {
        DeValue::String(s) => Value::Text(s.into_owned()),
        DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix())
            .map_or(Value::Other("an integer beyond 128 bits"), Value::Int),
        DeValue::Float(_) => Value::Other("a float"),
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(_) => Value::Other("a date"),
        DeValue::Array(items) => Value::Array(items.into_iter().map(toml_node).collect()),
        DeValue::Table(t) => toml_table(t),
    };
    Node { value, span }
}

/// Parse JSON into the tree. serde_json keeps no spans: problems are located by their
/// field path (syntax errors by line and column).
pub(crate) fn from_json(source: &Source<'_>) -> Result<Node> {
    let doc: serde_json::Value = serde_json::from_str(source.text).map_err(|e| {
        Error::invalid("json", e.to_string()).context(format!(
            "{}:{}:{}",
            source.file,
            e.line(),
            e.column()
        ))
    })?;
    Ok(json_node(doc))
}

fn json_node(v: serde_json::Value) -> Node {
    use serde_json::Value as J;
    let value = match v {
        J::String(s) => Value::Text(s),
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)) {
            Some(i) => Value::Int(i),
            None => Value::Other("a float"),
        },
        J::Array(items) => Value::Array(items.into_iter().map(json_node).collect()),
        J::Object(map) => Value::Table(
            map.into_iter()
                .map(|(k, v)| {
                    (
                        Key {
                            name: k,
                            span: None,
                        },
                        json_node(v),
                    )
                })
                .collect(),
        ),
        J::Null => Value::Other("null"),
    };
    Node { value, span: None }
}

impl Value {
    /// What the value is, for messages.
    pub fn shape(&self) -> &'static str {
        match self {
            Value::Text(_) => "text",
            Value::Int(_) => "an integer",
            Value::Bool(_) => "true or false",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
            Value::Other(what) => what,
        }
    }
}
