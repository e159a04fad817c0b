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

/// An element: name, its attributes (a range of `Doc::attrs`), its parent, first child
/// and next sibling, its text, and whether a typed reader took it.
#[derive(Debug)]
pub(crate) struct El<'a> {
    pub name: Cow<'a, str>,
    pub attrs: (u32, u32),
    parent: u32,
    pub first_child: u32,
    last_child: u32,
    pub next_sibling: u32,
    /// The text of an element without child elements: borrowed from the input unless
    /// it had to be joined (around a reference) or normalised. An element with children
    /// keeps none; see `mixed`.
    text: Option<Cow<'a, str>>,
    /// Bytes of text seen inside the element, indentation included (the value limit
    /// counts them all).
    text_len: u32,
    /// The element has children and text that is more than whitespace between them
    /// (mixed content, which libvirt's documents do not have). Joining the indentation
    /// of every element with children would cost an allocation each; instead this
    /// rare text is read again from the input when asked for (`mixed_text`).
    mixed: bool,
    /// Byte range of the element's content in the input (for `mixed_text`).
    content: (u32, u32),
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
    input: &'a str,
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
            input,
            els: Vec::with_capacity(input.len() / 40 + 4),
            attrs: Vec::with_capacity(input.len() / 40 + 4),
        };
        let mut reader = Reader::from_str(input);
        reader.config_mut().check_end_names = true;
        // The innermost open element (NONE outside the root) and how deep it is; the
        // elements' parent links are the stack.
        let mut open = NONE;
        let mut depth = 0;
        let mut closed_root = false;
        // XML reads "\r\n" and a lone "\r" as "\n". quick-xml's xml10_content looks
        // for '\r' in each piece of text, which costs more than the rest of storing
        // it; one look at the whole input tells whether any piece can have one
        // (libvirt writes none).
        let line_ends = input.contains('\r');
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
                    if depth >= MAX_DEPTH {
                        return Err(Error::invalid(
                            "xml",
                            format!("elements nested deeper than {MAX_DEPTH} levels at byte {at}"),
                        ));
                    }
                    open = doc.push_element(input, &start, open, at)?;
                    doc.els[open as usize].content.0 = reader.buffer_position() as u32;
                    depth += 1;
                }
                Event::Empty(start) => {
                    doc.push_element(input, &start, open, at)?;
                    closed_root |= open == NONE;
                }
                Event::End(_) => {
                    // check_end_names guarantees a matching Start was pushed.
                    let el = doc.els.get_mut(open as usize).ok_or_else(|| trailing(at))?;
                    el.content.1 = at as u32;
                    open = el.parent;
                    depth -= 1;
                    closed_root |= open == NONE;
                }
                Event::Text(text) if line_ends => doc.push_text(open, text.xml10_content(), at)?,
                Event::Text(text) => doc.push_text(open, text.into_inner(), at)?,
                Event::CData(data) if line_ends => doc.push_text(open, data.xml10_content(), at)?,
                Event::CData(data) => doc.push_text(open, data.into_inner(), at)?,
                Event::GeneralRef(reference) => {
                    let mut utf8 = [0u8; 4];
                    let resolved = resolve_reference(&reference, &mut utf8, at)?;
                    doc.append_text(open, resolved, at)?;
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
        if open != NONE {
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
        parent: u32,
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
            let kind = ValueKind::of(&attr.value);
            if kind == ValueKind::HasLt {
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
            let value = if kind == ValueKind::Normalise {
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
            parent,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            text: None,
            text_len: 0,
            mixed: false,
            content: (0, 0),
            taken: false,
        });
        if parent != NONE {
            self.link_child(parent, index);
        }
        Ok(index)
    }

    /// Append child `child` to element `parent`. Text the parent had before its first
    /// child was indentation, or the start of mixed content.
    fn link_child(&mut self, parent: u32, child: u32) {
        let parent = &mut self.els[parent as usize];
        let last = parent.last_child;
        parent.last_child = child;
        if last == NONE {
            parent.first_child = child;
            if let Some(text) = parent.text.take() {
                parent.mixed = !is_blank(&text);
            }
        } else {
            self.els[last as usize].next_sibling = child;
        }
    }

    /// Add a piece of text to the open element.
    fn push_text(&mut self, open: u32, text: Cow<'a, str>, at: u64) -> Result<()> {
        if self.count_text(open, &text, at)? {
            let el = &mut self.els[open as usize];
            match &mut el.text {
                None => el.text = Some(text),
                Some(prev) => prev.to_mut().push_str(&text),
            }
        }
        Ok(())
    }

    /// Add a short piece of text (a resolved reference) to the open element.
    fn append_text(&mut self, open: u32, text: &str, at: u64) -> Result<()> {
        if self.count_text(open, text, at)? {
            let el = &mut self.els[open as usize];
            match &mut el.text {
                None => el.text = Some(Cow::Owned(text.to_owned())),
                Some(prev) => prev.to_mut().push_str(text),
            }
        }
        Ok(())
    }

    /// Check a piece of text against the limits; true when the open element keeps it
    /// as its text (it has no children). Text outside the root may only be whitespace.
    /// Inlined into its two callers: a text event is every other event (indentation),
    /// and a call's entry and exit cost as much as the check.
    #[inline(always)]
    fn count_text(&mut self, open: u32, text: &str, at: u64) -> Result<bool> {
        let Some(el) = self.els.get_mut(open as usize) else {
            if is_blank(text) {
                return Ok(false);
            }
            return Err(Error::invalid(
                "xml",
                format!("text outside the root element at byte {at}"),
            ));
        };
        let len = el.text_len as usize + text.len();
        check_len(len, at)?;
        el.text_len = len as u32;
        if el.first_child == NONE {
            return Ok(true);
        }
        el.mixed |= !is_blank(text);
        Ok(false)
    }

    /// The text of element `i`, taken: a later `text_of` or residue does not see it.
    pub fn take_text(&mut self, i: u32) -> Option<Cow<'a, str>> {
        if self.els[i as usize].mixed {
            let text = self.mixed_text(i);
            self.els[i as usize].mixed = false;
            return Some(Cow::Owned(text));
        }
        self.els[i as usize].text.take()
    }

    /// The text of element `i`, if any: its text, or for an element with children the
    /// text between them when that is more than whitespace.
    pub fn text_of(&self, i: u32) -> Option<Cow<'_, str>> {
        let el = &self.els[i as usize];
        if el.mixed {
            return Some(Cow::Owned(self.mixed_text(i)));
        }
        el.text.as_deref().map(Cow::Borrowed)
    }

    /// The text between the children of element `i`, joined, read again from the
    /// input (which parsed once already, so reading it again cannot fail).
    fn mixed_text(&self, i: u32) -> String {
        let (start, end) = self.els[i as usize].content;
        let mut reader = Reader::from_str(&self.input[start as usize..end as usize]);
        let mut depth = 0usize;
        let mut text = String::new();
        let mut utf8 = [0u8; 4];
        while let Ok(event) = reader.read_event() {
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth = depth.saturating_sub(1),
                Event::Text(t) if depth == 0 => text.push_str(&t.xml10_content()),
                Event::CData(d) if depth == 0 => text.push_str(&d.xml10_content()),
                Event::GeneralRef(r) if depth == 0 => {
                    if let Ok(resolved) = resolve_reference(&r, &mut utf8, 0) {
                        text.push_str(resolved);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        text
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
        if let Some(t) = self.text_of(i) {
            children.insert(0, Node::Text(Cow::Owned(t.into_owned())));
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
        if let Some(t) = self.text_of(i).filter(|t| !is_blank(t)) {
            anything = true;
            children.push(Node::Text(Cow::Owned(t.into_owned())));
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
    /// the residue tree, which most documents do not need). Elements are stored in
    /// document order, so `i` and everything below it are a run of `els`, and their
    /// attributes a run of `attrs`: two flat scans instead of a walk of the tree.
    fn has_leftovers(&self, i: u32) -> bool {
        let (start, end) = (i as usize, self.subtree_end(i));
        let first_attr = self.els[start].attrs.0 as usize;
        let end_attr = self
            .els
            .get(end)
            .map_or(self.attrs.len(), |e| e.attrs.0 as usize);
        has_text_left(&self.els[start])
            || self.els[start + 1..end]
                .iter()
                .any(|e| !e.taken || has_text_left(e))
            || self.attrs[first_attr..end_attr].iter().any(|a| !a.taken)
    }

    /// One past the last element below `i`: the next sibling of `i` or of its
    /// nearest ancestor that has one.
    fn subtree_end(&self, i: u32) -> usize {
        let mut el = i;
        while el != NONE {
            let next = self.els[el as usize].next_sibling;
            if next != NONE {
                return next as usize;
            }
            el = self.els[el as usize].parent;
        }
        self.els.len()
    }
}

/// True when an element has text that a typed reader did not take (layout aside).
fn has_text_left(el: &El<'_>) -> bool {
    el.mixed || el.text.as_deref().is_some_and(|t| !is_blank(t))
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

/// What an attribute value needs before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    /// Nothing: it is borrowed from the input as it is.
    Plain,
    /// A reference to resolve or a tab or line break to turn into a space.
    Normalise,
    /// A `<`, which XML does not allow there.
    HasLt,
}

impl ValueKind {
    /// One pass over the bytes (values are short, and all of them are looked at).
    fn of(value: &str) -> ValueKind {
        let mut kind = ValueKind::Plain;
        for b in value.bytes() {
            match b {
                b'<' => return ValueKind::HasLt,
                b'&' | b'\t' | b'\n' | b'\r' => kind = ValueKind::Normalise,
                _ => {}
            }
        }
        kind
    }
}

/// True for text that is only whitespace (as `str::trim` sees it): layout.
fn is_blank(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        || text.trim().is_empty()
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
    fn text_between_children_is_kept_only_when_it_is_more_than_layout() {
        let doc = Doc::parse("<a>\n  <b/>\n  <c>x</c>\n</a>").unwrap();
        assert_eq!(doc.text_of(0), None);
        let doc =
            Doc::parse("<a> x\r\n<b>in b</b> &amp;<!-- no --><![CDATA[<y>]]><c/>z </a>").unwrap();
        assert_eq!(doc.text_of(0).as_deref(), Some(" x\n &<y>z "));
        let el = doc.to_element(0);
        assert!(matches!(&el.children[0], Node::Text(t) if t == " x\n &<y>z "));
        let mut doc = doc;
        assert_eq!(doc.take_text(0).as_deref(), Some(" x\n &<y>z "));
        assert_eq!(doc.text_of(0), None, "taken");
    }

    #[test]
    fn indentation_counts_against_the_value_limit() {
        let err = Doc::parse(&format!(
            "<a>{}</a>",
            format!("<b/>{}", " ".repeat(100)).repeat(MAX_VALUE_BYTES / 100 + 1)
        ))
        .unwrap_err();
        assert!(err.message().contains("more than the limit"), "{err}");
    }

    #[test]
    fn line_ends_are_normalised_only_where_there_are_any() {
        let doc = Doc::parse("<n>a\r\nb\rc<![CDATA[\r\n]]></n>").unwrap();
        assert_eq!(doc.els[0].text.as_deref(), Some("a\nb\nc\n"));
        let doc = Doc::parse("<n>a\nb</n>").unwrap();
        assert!(matches!(doc.els[0].text, Some(Cow::Borrowed("a\nb"))));
    }

    #[test]
    fn leftovers_are_looked_for_below_an_element_only() {
        let mut doc = Doc::parse("<a><b><c x='1'>t</c></b><d y='2'/></a>").unwrap();
        for el in &mut doc.els {
            el.taken = true;
        }
        assert!(doc.has_leftovers(1), "c's attribute, below b");
        doc.attrs[0].taken = true;
        assert!(doc.has_leftovers(1), "c's text");
        doc.take_text(2);
        assert!(!doc.has_leftovers(1), "d's attribute is not below b");
        assert!(doc.has_leftovers(0));
        doc.attrs[1].taken = true;
        assert!(!doc.has_leftovers(0));
        doc.els[3].taken = false;
        assert!(doc.has_leftovers(0), "d not taken");
    }

    #[test]
    fn char_references_resolve() {
        let doc = Doc::parse("<n>&#60;&#x3e;</n>").unwrap();
        assert_eq!(doc.els[0].text.as_deref(), Some("<>"));
    }
}
