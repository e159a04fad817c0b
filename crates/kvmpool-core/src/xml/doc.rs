//! A parsed document as two flat arrays (elements and attributes), borrowing names
//! and plain values from the input: no allocation per element, and typed readers mark
//! what they take instead of moving nodes around.
//!
//! Hostile input is refused while tokenising: no DOCTYPE (so no entity expansion),
//! bounded depth, size and value length.

use std::borrow::Cow;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::tree::{Element, Node};
use crate::error::{Error, Result};

/// Largest document accepted. libvirt's pool and volume documents are a few KiB.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// Deepest element nesting accepted (libvirt's deepest storage element is at depth 5).
pub(crate) const MAX_DEPTH: usize = 64;
/// Longest attribute value or text accepted (PATH_MAX is 4096).
pub(crate) const MAX_VALUE_BYTES: usize = 64 << 10;
/// Most elements accepted: a pool of a thousand devices or hosts fits many times over,
/// while memory stays a small multiple of the 1 MiB input.
pub(crate) const MAX_ELEMENTS: usize = 16 << 10;
/// Most attributes on one element (libvirt's have at most 7); bounds the duplicate
/// check, which compares each attribute with the ones before it.
pub(crate) const MAX_ATTRIBUTES: usize = 64;

const NONE: u32 = u32::MAX;

/// An element: name, its attributes (a range of `Doc::attrs`), its first child and
/// next sibling, its text, and whether a typed reader took it.
#[derive(Debug)]
pub(crate) struct El<'a> {
    pub name: Cow<'a, str>,
    pub attrs: (u32, u32),
    pub first_child: u32,
    last_child: u32,
    pub next_sibling: u32,
    pub text: Option<Cow<'a, str>>,
    pub taken: bool,
}

/// An attribute and whether a typed reader took it.
#[derive(Debug)]
pub(crate) struct Attr<'a> {
    pub name: Cow<'a, str>,
    pub value: Cow<'a, str>,
    pub taken: bool,
}

/// A parsed document; element 0 is the root.
#[derive(Debug)]
pub(crate) struct Doc<'a> {
    pub els: Vec<El<'a>>,
    pub attrs: Vec<Attr<'a>>,
}

impl<'a> Doc<'a> {
    /// Parse a whole document.
    pub fn parse(input: &'a str) -> Result<Doc<'a>> {
        if input.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::invalid(
                "xml",
                format!(
                    "document is {} bytes, more than the limit of {MAX_DOCUMENT_BYTES}",
                    input.len()
                ),
            ));
        }
        let mut doc = Doc {
            els: Vec::with_capacity(input.len() / 40 + 4),
            attrs: Vec::with_capacity(input.len() / 40 + 4),
        };
        let mut reader = Reader::from_str(input);
        reader.config_mut().check_end_names = true;
        let mut stack: Vec<u32> = Vec::with_capacity(8);
        let mut closed_root = false;
        loop {
            let at = reader.buffer_position();
            let event = reader
                .read_event()
                .map_err(|e| Error::invalid("xml", format!("malformed XML at byte {at}: {e}")))?;
            match event {
                Event::Start(start) | Event::Empty(start) if closed_root => {
                    drop(start);
                    return Err(trailing(at));
                }
                Event::Start(start) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(Error::invalid(
                            "xml",
                            format!("elements nested deeper than {MAX_DEPTH} levels at byte {at}"),
                        ));
                    }
                    let i = doc.push_element(input, &start, stack.last().copied(), at)?;
                    stack.push(i);
                }
                Event::Empty(start) => {
                    doc.push_element(input, &start, stack.last().copied(), at)?;
                    closed_root |= stack.is_empty();
                }
                Event::End(_) => {
                    // check_end_names guarantees a matching Start was pushed.
                    let i = stack.pop().ok_or_else(|| trailing(at))?;
                    doc.drop_indentation(i);
                    closed_root |= stack.is_empty();
                }
                Event::Text(text) => doc.push_text(&stack, text.xml10_content(), at)?,
                Event::CData(data) => doc.push_text(&stack, data.xml10_content(), at)?,
                Event::GeneralRef(reference) => {
                    let mut utf8 = [0u8; 4];
                    let resolved = resolve_reference(&reference, &mut utf8, at)?;
                    doc.append_text(&stack, resolved, at)?;
                }
                Event::DocType(_) => {
                    return Err(Error::invalid(
                        "xml",
                        "DOCTYPE declarations are not accepted (libvirt documents have none; \
                         they would allow entity expansion)",
                    ))
                }
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => break,
            }
        }
        if let Some(&open) = stack.last() {
            return Err(Error::invalid(
                "xml",
                format!(
                    "unexpected end of document: <{}> is not closed",
                    doc.els[open as usize].name
                ),
            ));
        }
        if doc.els.is_empty() {
            return Err(Error::invalid("xml", "document has no root element"));
        }
        Ok(doc)
    }

    fn push_element(
        &mut self,
        input: &'a str,
        start: &BytesStart<'_>,
        parent: Option<u32>,
        at: u64,
    ) -> Result<u32> {
        let index = self.els.len() as u32;
        if self.els.len() >= MAX_ELEMENTS {
            return Err(Error::invalid(
                "xml",
                format!("more than {MAX_ELEMENTS} elements at byte {at}"),
            ));
        }
        let name = borrow_from(input, start.name().as_ref());
        let first_attr = self.attrs.len() as u32;
        // Duplicates are checked below, within the attribute limit.
        for attr in start.attributes().with_checks(false) {
            let attr = attr.map_err(|e| {
                Error::invalid("xml", format!("malformed attribute at byte {at}: {e}"))
            })?;
            if self.attrs.len() - first_attr as usize >= MAX_ATTRIBUTES {
                return Err(Error::invalid(
                    "xml",
                    format!("more than {MAX_ATTRIBUTES} attributes on <{name}> at byte {at}"),
                ));
            }
            if attr.value.contains('<') {
                return Err(Error::invalid(
                    "xml",
                    format!("'<' in an attribute value of <{name}> at byte {at}"),
                ));
            }
            let key = borrow_from(input, attr.key.as_ref());
            if self.attrs[first_attr as usize..]
                .iter()
                .any(|a| a.name == key)
            {
                return Err(Error::invalid(
                    "xml",
                    format!("attribute {key:?} repeated on <{name}> at byte {at}"),
                ));
            }
            check_len(attr.value.len(), at)?;
            // Most values need neither unescaping nor whitespace normalisation: borrow those.
            let value = if attr.value.contains(['&', '\t', '\n', '\r']) {
                let normalized = attr
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|e| {
                        Error::invalid("xml", format!("bad attribute {key:?} at byte {at}: {e}"))
                    })?;
                Cow::Owned(normalized.into_owned())
            } else {
                borrow_from(input, &attr.value)
            };
            self.attrs.push(Attr {
                name: key,
                value,
                taken: false,
            });
        }
        self.els.push(El {
            name,
            attrs: (first_attr, self.attrs.len() as u32),
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            text: None,
            taken: false,
        });
        if let Some(p) = parent {
            let parent = &mut self.els[p as usize];
            let last = parent.last_child;
            parent.last_child = index;
            if last == NONE {
                parent.first_child = index;
            } else {
                self.els[last as usize].next_sibling = index;
            }
        }
        Ok(index)
    }

    fn push_text(&mut self, stack: &[u32], text: Cow<'a, str>, at: u64) -> Result<()> {
        let Some(&open) = stack.last() else {
            if text.trim().is_empty() {
                return Ok(());
            }
            return Err(Error::invalid(
                "xml",
                format!("text outside the root element at byte {at}"),
            ));
        };
        let el = &mut self.els[open as usize];
        match &mut el.text {
            None => {
                check_len(text.len(), at)?;
                el.text = Some(text);
            }
            Some(prev) => {
                check_len(prev.len() + text.len(), at)?;
                prev.to_mut().push_str(&text);
            }
        }
        Ok(())
    }

    /// Add a short piece of text (a resolved reference) to the open element.
    fn append_text(&mut self, stack: &[u32], text: &str, at: u64) -> Result<()> {
        let Some(&open) = stack.last() else {
            return self.push_text(stack, Cow::Owned(text.to_owned()), at);
        };
        let el = &mut self.els[open as usize];
        let len = el.text.as_deref().map_or(0, str::len);
        check_len(len + text.len(), at)?;
        match &mut el.text {
            None => el.text = Some(Cow::Owned(text.to_owned())),
            Some(prev) => prev.to_mut().push_str(text),
        }
        Ok(())
    }

    /// Whitespace around child elements is layout, not content.
    fn drop_indentation(&mut self, i: u32) {
        let el = &mut self.els[i as usize];
        if el.first_child != NONE && el.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
            el.text = None;
        }
    }

    /// The children of element `i`, in order.
    pub fn children(&self, i: u32) -> Children<'_, 'a> {
        self.siblings_from(self.els[i as usize].first_child)
    }

    /// Element `first` (a child index, or none) and the siblings after it.
    pub fn siblings_from(&self, first: u32) -> Children<'_, 'a> {
        Children {
            doc: self,
            next: first,
        }
    }

    /// Element `i` and everything below it as an owned tree, all marked unknown.
    pub fn to_element(&self, i: u32) -> Element<'static> {
        let el = &self.els[i as usize];
        let mut children: Vec<Node<'static>> = self
            .children(i)
            .map(|c| Node::Element(self.to_element(c)))
            .collect();
        if let Some(t) = &el.text {
            children.insert(0, Node::Text(Cow::Owned(t.to_string())));
        }
        Element {
            name: Cow::Owned(el.name.to_string()),
            attrs: self.attrs[el.attrs.0 as usize..el.attrs.1 as usize]
                .iter()
                .map(|a| {
                    (
                        Cow::Owned(a.name.to_string()),
                        Cow::Owned(a.value.to_string()),
                    )
                })
                .collect(),
            children,
            known: false,
        }
    }

    /// What typed readers left of element `i` (which they took), or `None` when they
    /// understood all of it. Known children that were fully read stay as placeholders,
    /// so unknown siblings keep their place.
    pub fn leftovers(&self, i: u32) -> Option<Element<'static>> {
        if !self.has_leftovers(i) {
            return None;
        }
        let el = &self.els[i as usize];
        let attrs: Vec<_> = self.attrs[el.attrs.0 as usize..el.attrs.1 as usize]
            .iter()
            .filter(|a| !a.taken)
            .map(|a| {
                (
                    Cow::Owned(a.name.to_string()),
                    Cow::Owned(a.value.to_string()),
                )
            })
            .collect();
        let mut children = Vec::new();
        let mut anything = !attrs.is_empty();
        for c in self.children(i) {
            let child = &self.els[c as usize];
            if !child.taken {
                anything = true;
                children.push(Node::Element(self.to_element(c)));
            } else if let Some(mut rest) = self.leftovers(c) {
                anything = true;
                rest.known = true;
                children.push(Node::Element(rest));
            } else {
                children.push(Node::Taken(Cow::Owned(child.name.to_string())));
            }
        }
        if let Some(t) = el.text.as_deref().filter(|t| !t.trim().is_empty()) {
            anything = true;
            children.push(Node::Text(Cow::Owned(t.to_owned())));
        }
        anything.then(|| Element {
            name: Cow::Owned(el.name.to_string()),
            attrs,
            children,
            known: true,
        })
    }
}

impl Doc<'_> {
    /// True when typed readers left anything of element `i` (checked before building
    /// the residue tree, which most documents do not need).
    fn has_leftovers(&self, i: u32) -> bool {
        let el = &self.els[i as usize];
        el.text.as_deref().is_some_and(|t| !t.trim().is_empty())
            || self.attrs[el.attrs.0 as usize..el.attrs.1 as usize]
                .iter()
                .any(|a| !a.taken)
            || self
                .children(i)
                .any(|c| !self.els[c as usize].taken || self.has_leftovers(c))
    }
}

/// Iterator over an element's children.
pub(crate) struct Children<'d, 'a> {
    doc: &'d Doc<'a>,
    next: u32,
}

impl Iterator for Children<'_, '_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let i = self.next;
        self.next = self.doc.els[i as usize].next_sibling;
        Some(i)
    }
}

fn trailing(at: u64) -> Error {
    Error::invalid(
        "xml",
        format!("content after the root element at byte {at}"),
    )
}

fn check_len(len: usize, at: u64) -> Result<()> {
    if len > MAX_VALUE_BYTES {
        return Err(Error::invalid(
            "xml",
            format!("value at byte {at} is {len} bytes, more than the limit of {MAX_VALUE_BYTES}"),
        ));
    }
    Ok(())
}

/// The text a reference stands for, without allocating (`utf8` holds a character).
fn resolve_reference<'b>(
    reference: &BytesRef<'_>,
    utf8: &'b mut [u8; 4],
    at: u64,
) -> Result<&'b str> {
    if reference.is_char_ref() {
        let c = reference.resolve_char_ref().ok().flatten().ok_or_else(|| {
            Error::invalid("xml", format!("invalid character reference at byte {at}"))
        })?;
        return Ok(c.encode_utf8(utf8));
    }
    let name = reference.xml10_content();
    resolve_predefined_entity(&name)
        .ok_or_else(|| Error::invalid("xml", format!("unknown entity &{name}; at byte {at}")))
}

/// `part` as a slice of `input` when it points into it (the reader hands out views of
/// the input, but typed with a shorter lifetime), else an owned copy.
fn borrow_from<'a>(input: &'a str, part: &str) -> Cow<'a, str> {
    let start = (part.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
    match input.get(start..start.wrapping_add(part.len())) {
        Some(view) if std::ptr::eq(view.as_ptr(), part.as_ptr()) => Cow::Borrowed(view),
        _ => Cow::Owned(part.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn parses_nested_elements_and_text() {
        let doc =
            Doc::parse("<pool type='dir'>\n  <name>a &amp; b</name>\n  <x/>\n</pool>").unwrap();
        assert_eq!(doc.els[0].name, "pool");
        assert_eq!(doc.attrs[0].value, "dir");
        assert_eq!(doc.els[0].text, None, "indentation dropped");
        let kids: Vec<_> = doc
            .children(0)
            .map(|c| doc.els[c as usize].name.to_string())
            .collect();
        assert_eq!(kids, ["name", "x"]);
        assert_eq!(doc.els[1].text.as_deref(), Some("a & b"));
        let el = doc.to_element(0);
        assert_eq!(el.children.len(), 2);
    }

    #[test]
    fn leading_space_before_an_entity_is_kept() {
        let doc = Doc::parse("<l> &lt;x</l>").unwrap();
        assert_eq!(doc.els[0].text.as_deref(), Some(" <x"));
    }

    #[test]
    fn refuses_hostile_documents() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
            <!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><pool>&lol2;</pool>"#;
        let cases = [
            laughs.to_string(),
            "<pool><name>x</pool>".into(),
            "<pool>".into(),
            "".into(),
            "<a/><b/>".into(),
            "<a></a><b/>".into(),
            "<pool>&foo;</pool>".into(),
            format!("<pool a='{}'/>", "x".repeat(MAX_VALUE_BYTES + 1)),
            format!("<pool a='{}'/>", "x".repeat(10 << 20)),
            format!(
                "{}{}",
                "<a>".repeat(MAX_DEPTH + 1),
                "</a>".repeat(MAX_DEPTH + 1)
            ),
            "<pool a='1' a='2'/>".into(),
            "text<pool/>".into(),
        ];
        for case in cases {
            let err = Doc::parse(&case).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidSpec);
            assert_eq!(err.field(), Some("xml"), "{err}");
        }
    }

    #[test]
    fn char_references_resolve() {
        let doc = Doc::parse("<n>&#60;&#x3e;</n>").unwrap();
        assert_eq!(doc.els[0].text.as_deref(), Some("<>"));
    }
}
