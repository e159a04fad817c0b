//! A consuming cursor over an element tree: typed readers take the attributes and
//! children they know, and whatever is left over becomes the spec's residue, written
//! back in place by the writer (see `write.rs`).

use std::borrow::Cow;
use std::str::FromStr;

use super::tree::{Element, Node, OwnedElement};
use crate::error::{Error, Result};
use crate::units::Size;

/// A cursor over one element. `path` is the dotted field name used in errors
/// (`source.host[1]`): one buffer shared down the tree, extended while a child is
/// visited and cut back after, so that no string is built unless an error needs it.
#[derive(Debug)]
pub(crate) struct Cursor<'a, 'p> {
    el: Element<'a>,
    path: &'p mut String,
}

impl<'a, 'p> Cursor<'a, 'p> {
    pub fn new(el: Element<'a>, path: &'p mut String) -> Self {
        Cursor { el, path }
    }

    /// The field name for an attribute or child of this element.
    pub fn field(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// An invalid-spec error about `name` (attribute or child) of this element.
    pub fn invalid(&self, name: &str, reason: impl std::fmt::Display) -> Error {
        Error::invalid(self.field(name), reason)
    }

    /// Take an attribute.
    pub fn attr(&mut self, name: &str) -> Option<Cow<'a, str>> {
        let i = self.el.attrs.iter().position(|(k, _)| k == name)?;
        Some(self.el.attrs.remove(i).1)
    }

    /// Names of the attributes not taken yet.
    pub fn attr_names(&self) -> Vec<String> {
        self.el.attrs.iter().map(|(k, _)| k.to_string()).collect()
    }

    /// Look at an attribute without taking it.
    pub fn peek_attr(&self, name: &str) -> Option<&str> {
        self.el
            .attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// True when the attribute is present (not taken).
    pub fn has_attr(&self, name: &str) -> bool {
        self.peek_attr(name).is_some()
    }

    /// Take an attribute as an owned string.
    pub fn attr_string(&mut self, name: &str) -> Option<String> {
        self.attr(name).map(Cow::into_owned)
    }

    /// Take a required attribute.
    pub fn required_attr(&mut self, name: &str) -> Result<String> {
        self.attr_string(name)
            .ok_or_else(|| self.invalid(name, "is required"))
    }

    /// Take an attribute and parse it with `FromStr`, naming the field on error.
    pub fn parsed_attr<T: FromStr>(&mut self, name: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        match self.attr(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|e| self.invalid(name, format!("{v:?}: {e}"))),
        }
    }

    /// Take a `yes`/`no` attribute.
    pub fn bool_attr(&mut self, name: &str) -> Result<Option<bool>> {
        match self.attr(name).as_deref() {
            None => Ok(None),
            Some("yes") => Ok(Some(true)),
            Some("no") => Ok(Some(false)),
            Some(other) => Err(self.invalid(name, format!("{other:?} is not 'yes' or 'no'"))),
        }
    }

    /// Take the element's text content (all text children joined).
    pub fn text(&mut self) -> Option<String> {
        let mut out: Option<String> = None;
        for child in &mut self.el.children {
            if let Node::Text(t) = child {
                out.get_or_insert_with(String::new).push_str(t);
                *child = Node::Taken(Cow::Borrowed(""));
            }
        }
        out
    }

    /// Visit the first child element called `name`, taking it. Whatever `f` leaves of
    /// it stays in the tree (marked known) so that it is written back.
    pub fn child<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Cursor<'a, '_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let Some(i) = self.find(name, 0) else {
            return Ok(None);
        };
        self.visit(i, name, None, f).map(Some)
    }

    /// Visit every child element called `name`, in order.
    pub fn children<T>(
        &mut self,
        name: &str,
        mut f: impl FnMut(&mut Cursor<'a, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(i) = self.find(name, from) {
            out.push(self.visit(i, name, Some(out.len()), &mut f)?);
            from = i + 1;
        }
        Ok(out)
    }

    /// Take `<name>text</name>`.
    pub fn child_text(&mut self, name: &str) -> Result<Option<String>> {
        Ok(self.child(name, |c| Ok(c.text()))?.flatten())
    }

    /// Take `<name attr='value'/>`.
    pub fn child_attr(&mut self, name: &str, attr: &str) -> Result<Option<String>> {
        Ok(self.child(name, |c| Ok(c.attr_string(attr)))?.flatten())
    }

    /// Take `<name unit='...'>number</name>` as a size.
    pub fn child_size(&mut self, name: &str) -> Result<Option<Size>> {
        let parsed = self.child(name, |c| {
            let unit = c.attr("unit");
            let text = c.text().unwrap_or_default();
            Size::parse_scaled(&text, unit.as_deref()).map_err(|e| {
                Error::invalid(c.path.clone(), e.message().trim_start_matches("size: "))
            })
        })?;
        Ok(parsed)
    }

    /// Names of the element children not taken yet, in order.
    pub fn remaining_children(&self) -> Vec<String> {
        self.el
            .children
            .iter()
            .filter_map(|c| match c {
                Node::Element(e) if !e.known => Some(e.name.to_string()),
                _ => None,
            })
            .collect()
    }

    /// What is left of the element, owned, or `None` when everything was understood.
    pub fn into_residue(self) -> Option<OwnedElement> {
        if self.el.is_spent() {
            None
        } else {
            Some(self.el.into_owned())
        }
    }

    fn find(&self, name: &str, from: usize) -> Option<usize> {
        self.el.children[from..]
            .iter()
            .position(|c| matches!(c, Node::Element(e) if !e.known && e.name == name))
            .map(|i| i + from)
    }

    fn visit<T>(
        &mut self,
        i: usize,
        name: &str,
        index: Option<usize>,
        f: impl FnOnce(&mut Cursor<'a, '_>) -> Result<T>,
    ) -> Result<T> {
        let slot = &mut self.el.children[i];
        let Node::Element(el) = std::mem::replace(slot, Node::Taken(Cow::Borrowed(""))) else {
            unreachable!("find() only returns element children")
        };
        let parent_len = self.path.len();
        if parent_len > 0 {
            self.path.push('.');
        }
        self.path.push_str(name);
        if let Some(index) = index {
            use std::fmt::Write;
            let _ = write!(self.path, "[{index}]");
        }
        let mut cursor = Cursor {
            el,
            path: &mut *self.path,
        };
        let value = f(&mut cursor);
        let el = cursor.el;
        self.path.truncate(parent_len);
        let value = value?;
        self.el.children[i] = if el.is_spent() {
            Node::Taken(el.name)
        } else {
            let mut rest = el;
            rest.known = true;
            Node::Element(rest)
        };
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::tree::parse;

    #[test]
    fn residue_keeps_unknown_parts_only() {
        let root = parse(
            "<pool a='1' b='2'><name>x</name><foo/><target z='1'><path>/p</path></target></pool>",
        )
        .unwrap();
        let mut path = String::new();
        let mut c = Cursor::new(root, &mut path);
        assert_eq!(c.attr("a").as_deref(), Some("1"));
        assert_eq!(c.child_text("name").unwrap().as_deref(), Some("x"));
        let path = c
            .child("target", |t| t.child_text("path"))
            .unwrap()
            .flatten();
        assert_eq!(path.as_deref(), Some("/p"));
        let rest = c.into_residue().unwrap();
        assert_eq!(rest.attrs.len(), 1);
        assert!(matches!(&rest.children[0], Node::Taken(n) if n == "name"));
        assert!(matches!(&rest.children[1], Node::Element(e) if e.name == "foo" && !e.known));
        assert!(matches!(&rest.children[2], Node::Element(e) if e.name == "target" && e.known));
    }

    #[test]
    fn fully_read_document_has_no_residue() {
        let root = parse("<pool><name>x</name></pool>").unwrap();
        let mut path = String::new();
        let mut c = Cursor::new(root, &mut path);
        c.child_text("name").unwrap();
        assert!(c.into_residue().is_none());
    }

    #[test]
    fn errors_name_the_path() {
        let root =
            parse("<pool><source><host port='x'/><host port='70000'/></source></pool>").unwrap();
        let mut path = String::new();
        let mut c = Cursor::new(root, &mut path);
        let err = c
            .child("source", |s| {
                s.children("host", |h| h.parsed_attr::<u16>("port"))
            })
            .unwrap_err();
        assert_eq!(err.field(), Some("source.host[0].port"));
    }
}
