//! A consuming cursor over a parsed document: typed readers take the attributes and
//! children they know, and whatever is left over becomes the spec's residue, written
//! back in place by the writer (see `write.rs`).

use std::borrow::Cow;
use std::str::FromStr;

use super::doc::Doc;
use super::tree::OwnedElement;
use crate::error::{Error, Result};
use crate::units::Size;

/// A cursor over one element of a document, and where that element is (for errors).
#[derive(Debug)]
pub(crate) struct Cursor<'a, 'c> {
    doc: &'c mut Doc<'a>,
    place: Place<'c>,
    node: u32,
}

/// Where a cursor's element is: its name (with its index among same-named siblings
/// when the reader visits them all) and its parent's place. Places live on the stack
/// of the visits; the dotted field name used in errors (`source.host[1]`) is built
/// from them only when an error needs it.
#[derive(Debug, Clone, Copy)]
struct Place<'p> {
    name: &'p str,
    index: Option<usize>,
    parent: Option<&'p Place<'p>>,
}

impl Place<'_> {
    /// The dotted field name of this element: its parent's, a dot when that is not
    /// empty, its own name and index.
    fn path(&self) -> String {
        let mut path = String::new();
        self.write_path(&mut path);
        path
    }

    fn write_path(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.write_path(out);
            if !out.is_empty() {
                out.push('.');
            }
        }
        out.push_str(self.name);
        if let Some(index) = self.index {
            use std::fmt::Write;
            let _ = write!(out, "[{index}]");
        }
    }
}

impl<'a, 'c> Cursor<'a, 'c> {
    /// A cursor on the root element; `root` starts the field names in errors (empty
    /// for a pool or volume, whose fields are named from below the root).
    pub fn new(doc: &'c mut Doc<'a>, root: &'c str) -> Self {
        let place = Place {
            name: root,
            index: None,
            parent: None,
        };
        Cursor {
            doc,
            place,
            node: 0,
        }
    }

    /// The field name for an attribute or child of this element.
    pub fn field(&self, name: &str) -> String {
        let mut path = self.place.path();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(name);
        path
    }

    /// An invalid-spec error about this element itself.
    pub fn invalid_here(&self, reason: impl std::fmt::Display) -> Error {
        Error::invalid(self.place.path(), reason)
    }

    /// An invalid-spec error about `name` (attribute or child) of this element.
    pub fn invalid(&self, name: &str, reason: impl std::fmt::Display) -> Error {
        Error::invalid(self.field(name), reason)
    }

    fn attr_range(&self) -> std::ops::Range<usize> {
        let (a, b) = self.doc.els[self.node as usize].attrs;
        a as usize..b as usize
    }

    /// Take an attribute.
    pub fn attr(&mut self, name: &str) -> Option<Cow<'a, str>> {
        let range = self.attr_range();
        let attr = self.doc.attrs[range]
            .iter_mut()
            .find(|a| !a.taken && a.name == name)?;
        attr.taken = true;
        Some(std::mem::take(&mut attr.value))
    }

    /// Names of the attributes not taken yet.
    pub fn attr_names(&self) -> Vec<String> {
        self.doc.attrs[self.attr_range()]
            .iter()
            .filter(|a| !a.taken)
            .map(|a| a.name.to_string())
            .collect()
    }

    /// Look at an attribute without taking it.
    pub fn peek_attr(&self, name: &str) -> Option<&str> {
        self.doc.attrs[self.attr_range()]
            .iter()
            .find(|a| !a.taken && a.name == name)
            .map(|a| a.value.as_ref())
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

    /// Take the element's text content.
    pub fn text(&mut self) -> Option<String> {
        self.doc.take_text(self.node).map(Cow::into_owned)
    }

    /// Take the element's text content, borrowed from the document where it can be
    /// (for values that are parsed, not kept).
    pub fn text_str(&mut self) -> Option<Cow<'a, str>> {
        self.doc.take_text(self.node)
    }

    /// Visit the first child element called `name`, taking it. Whatever `f` leaves of
    /// it stays in the document so that it is written back.
    pub fn child<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Cursor<'a, '_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let Some(i) = self.find(name) else {
            return Ok(None);
        };
        self.visit(i, name, None, f).map(Some)
    }

    /// True when a child element called `name` is there (and not taken yet).
    pub fn has_child(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// Visit every child element called `name`, in order.
    pub fn children<T>(
        &mut self,
        name: &str,
        mut f: impl FnMut(&mut Cursor<'a, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        // Resume after the last match: one pass over the children, however many match.
        let mut from = self.doc.els[self.node as usize].first_child;
        while let Some(i) = self.find_from(from, name) {
            from = self.doc.els[i as usize].next_sibling;
            out.push(self.visit(i, name, Some(out.len()), &mut f)?);
        }
        Ok(out)
    }

    /// Visit every child element not taken yet, in order, whatever its name.
    pub fn each_child(
        &mut self,
        mut f: impl FnMut(&mut Cursor<'a, '_>, &str) -> Result<()>,
    ) -> Result<()> {
        let pending: Vec<u32> = self
            .doc
            .children(self.node)
            .filter(|&c| !self.doc.els[c as usize].taken)
            .collect();
        for i in pending {
            let name = self.doc.els[i as usize].name.clone();
            self.visit(i, &name, None, |c| f(c, &name))?;
        }
        Ok(())
    }

    /// Take `<name>text</name>`; an empty element gives an empty string, so that
    /// validation sees the value that was written.
    pub fn child_text(&mut self, name: &str) -> Result<Option<String>> {
        self.child(name, |c| Ok(c.text().unwrap_or_default()))
    }

    /// `child_text` for a value that is parsed, not kept: borrowed where it can be.
    pub fn child_str(&mut self, name: &str) -> Result<Option<Cow<'a, str>>> {
        self.child(name, |c| Ok(c.text_str().unwrap_or_default()))
    }

    /// Take `<name attr='value'/>`.
    pub fn child_attr(&mut self, name: &str, attr: &str) -> Result<Option<String>> {
        Ok(self.child(name, |c| Ok(c.attr_string(attr)))?.flatten())
    }

    /// Take `<name unit='...'>number</name>` as a size.
    pub fn child_size(&mut self, name: &str) -> Result<Option<Size>> {
        self.child(name, |c| {
            let unit = c.attr("unit");
            let text = c.doc.take_text(c.node).unwrap_or_default();
            Size::parse_scaled(&text, unit.as_deref())
                .map_err(|e| c.invalid_here(e.message().trim_start_matches("size: ")))
        })
    }

    /// What is left of the element, owned, or `None` when everything was understood.
    pub fn into_residue(self) -> Option<OwnedElement> {
        self.doc.leftovers(self.node)
    }

    fn find(&self, name: &str) -> Option<u32> {
        self.find_from(self.doc.els[self.node as usize].first_child, name)
    }

    /// The first child not taken called `name`, from child `from` on.
    fn find_from(&self, from: u32, name: &str) -> Option<u32> {
        self.doc.siblings_from(from).find(|&c| {
            let el = &self.doc.els[c as usize];
            !el.taken && el.name == name
        })
    }

    fn visit<T>(
        &mut self,
        i: u32,
        name: &str,
        index: Option<usize>,
        f: impl FnOnce(&mut Cursor<'a, '_>) -> Result<T>,
    ) -> Result<T> {
        self.doc.els[i as usize].taken = true;
        f(&mut Cursor {
            doc: &mut *self.doc,
            place: Place {
                name,
                index,
                parent: Some(&self.place),
            },
            node: i,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::tree::Node;

    #[test]
    fn residue_keeps_unknown_parts_only() {
        let mut doc = Doc::parse(
            "<pool a='1' b='2'><name>x</name><foo/><target z='1'><path>/p</path></target></pool>",
        )
        .unwrap();
        let mut c = Cursor::new(&mut doc, "");
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
        let mut doc = Doc::parse("<pool><name>x</name></pool>").unwrap();
        let mut c = Cursor::new(&mut doc, "");
        c.child_text("name").unwrap();
        assert!(c.into_residue().is_none());
    }

    #[test]
    fn errors_name_the_path() {
        let mut doc =
            Doc::parse("<pool><source><host port='x'/><host port='70000'/></source></pool>")
                .unwrap();
        let mut c = Cursor::new(&mut doc, "");
        let err = c
            .child("source", |s| {
                s.children("host", |h| h.parsed_attr::<u16>("port"))
            })
            .unwrap_err();
        assert_eq!(err.field(), Some("source.host[0].port"));
    }
}
