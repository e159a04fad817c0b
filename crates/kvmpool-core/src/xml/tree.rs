//! A small element tree built with quick-xml, borrowing from the input where it can.
//!
//! libvirt's documents are small and their element order varies (libvirt's own test
//! files shuffle `<name>` and `<source>`), so the typed readers want random access to
//! children; a tree gives that. Hostile input is refused while tokenising: no DOCTYPE
//! (so no entity expansion), bounded depth, size and value length.

use std::borrow::Cow;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::error::{Error, Result};

/// Largest document accepted. libvirt's pool and volume documents are a few KiB.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// Deepest element nesting accepted (libvirt's deepest storage element is at depth 5).
pub(crate) const MAX_DEPTH: usize = 64;
/// Longest attribute value or text accepted (PATH_MAX is 4096).
pub(crate) const MAX_VALUE_BYTES: usize = 64 << 10;

/// An element: qualified name (with prefix, as written), attributes in document order,
/// children. `known` marks elements that the typed reader recognised and partly
/// consumed: what is left of them is the part the model does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element<'a> {
    pub name: Cow<'a, str>,
    pub attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub children: Vec<Node<'a>>,
    pub known: bool,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node<'a> {
    Element(Element<'a>),
    Text(Cow<'a, str>),
    /// A known element that the typed reader consumed completely; it stays as a
    /// placeholder so that unknown siblings keep their position relative to it.
    Taken(Cow<'a, str>),
}

/// An owned tree: what a spec keeps of a document that it does not model.
pub(crate) type OwnedElement = Element<'static>;

impl<'a> Element<'a> {
    /// Copy everything borrowed so the element outlives the input.
    pub fn into_owned(self) -> OwnedElement {
        Element {
            name: Cow::Owned(self.name.into_owned()),
            attrs: self
                .attrs
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
            children: self.children.into_iter().map(Node::into_owned).collect(),
            known: self.known,
        }
    }

    /// True when nothing but placeholders and whitespace is left.
    pub fn is_spent(&self) -> bool {
        self.attrs.is_empty()
            && self.children.iter().all(|c| match c {
                Node::Taken(_) => true,
                Node::Text(t) => t.trim().is_empty(),
                Node::Element(_) => false,
            })
    }
}

impl<'a> Node<'a> {
    fn into_owned(self) -> Node<'static> {
        match self {
            Node::Element(e) => Node::Element(e.into_owned()),
            Node::Text(t) => Node::Text(Cow::Owned(t.into_owned())),
            Node::Taken(n) => Node::Taken(Cow::Owned(n.into_owned())),
        }
    }
}

/// Parse a whole document into its root element.
pub(crate) fn parse(input: &str) -> Result<Element<'_>> {
    if input.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::invalid(
            "xml",
            format!(
                "document is {} bytes, more than the limit of {MAX_DOCUMENT_BYTES}",
                input.len()
            ),
        ));
    }
    let mut reader = Reader::from_str(input);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element<'_>> = Vec::new();
    let mut root: Option<Element<'_>> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| Error::invalid("xml", format!("malformed XML at byte {at}: {e}")))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(trailing(at));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(Error::invalid(
                        "xml",
                        format!("elements nested deeper than {MAX_DEPTH} levels at byte {at}"),
                    ));
                }
                stack.push(element(input, start, at)?);
            }
            Event::Empty(start) => {
                let el = element(input, start, at)?;
                attach(&mut stack, &mut root, el, at)?;
            }
            Event::End(_) => {
                // check_end_names guarantees a matching Start was pushed.
                let mut el = stack.pop().ok_or_else(|| trailing(at))?;
                drop_indentation(&mut el);
                attach(&mut stack, &mut root, el, at)?;
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                // Indentation after a child element is layout: not worth a node.
                let after_element = stack
                    .last()
                    .is_some_and(|e| matches!(e.children.last(), Some(Node::Element(_))));
                if !(after_element && content.trim().is_empty()) {
                    push_text(&mut stack, content, at)?;
                }
            }
            Event::CData(data) => push_text(&mut stack, data.xml10_content(), at)?,
            Event::GeneralRef(reference) => {
                let resolved = resolve_reference(&reference, at)?;
                push_text(&mut stack, Cow::Owned(resolved), at)?;
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
    if !stack.is_empty() {
        return Err(Error::invalid(
            "xml",
            format!(
                "unexpected end of document: <{}> is not closed",
                stack[stack.len() - 1].name
            ),
        ));
    }
    root.ok_or_else(|| Error::invalid("xml", "document has no root element"))
}

/// Whitespace between child elements is layout, not content: drop it so the typed
/// readers and the residue see only what matters. Text of leaf elements is kept as is.
fn drop_indentation(el: &mut Element<'_>) {
    if el.children.iter().any(|c| matches!(c, Node::Element(_))) {
        el.children
            .retain(|c| !matches!(c, Node::Text(t) if t.trim().is_empty()));
    }
}

fn trailing(at: u64) -> Error {
    Error::invalid(
        "xml",
        format!("content after the root element at byte {at}"),
    )
}

fn attach<'a>(
    stack: &mut [Element<'a>],
    root: &mut Option<Element<'a>>,
    el: Element<'a>,
    at: u64,
) -> Result<()> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(el)),
        None if root.is_none() => *root = Some(el),
        None => return Err(trailing(at)),
    }
    Ok(())
}

fn push_text<'a>(stack: &mut [Element<'a>], text: Cow<'a, str>, at: u64) -> Result<()> {
    let Some(parent) = stack.last_mut() else {
        if text.trim().is_empty() {
            return Ok(());
        }
        return Err(Error::invalid(
            "xml",
            format!("text outside the root element at byte {at}"),
        ));
    };
    // Adjacent text and references form one text node.
    if let Some(Node::Text(prev)) = parent.children.last_mut() {
        let joined = prev.len() + text.len();
        check_len(joined, at)?;
        prev.to_mut().push_str(&text);
    } else {
        check_len(text.len(), at)?;
        parent.children.push(Node::Text(text));
    }
    Ok(())
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

fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>, at: u64) -> Result<String> {
    if reference.is_char_ref() {
        let c = reference.resolve_char_ref().ok().flatten().ok_or_else(|| {
            Error::invalid("xml", format!("invalid character reference at byte {at}"))
        })?;
        return Ok(c.to_string());
    }
    let name = reference.xml10_content();
    resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid("xml", format!("unknown entity &{name}; at byte {at}")))
}

fn element<'a>(input: &'a str, start: BytesStart<'_>, at: u64) -> Result<Element<'a>> {
    let name = borrow_from(input, start.name().as_ref());
    let mut attrs: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::new();
    for attr in start.attributes() {
        let attr = attr
            .map_err(|e| Error::invalid("xml", format!("malformed attribute at byte {at}: {e}")))?;
        let key = borrow_from(input, attr.key.as_ref());
        if attrs.iter().any(|(k, _)| *k == key) {
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
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        known: false,
    })
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
        let root = parse("<pool type='dir'><name>a &amp; b</name><x/></pool>").unwrap();
        assert_eq!(root.name, "pool");
        assert_eq!(root.attrs, vec![(Cow::from("type"), Cow::from("dir"))]);
        let Node::Element(name) = &root.children[0] else {
            panic!()
        };
        assert_eq!(name.children, vec![Node::Text(Cow::from("a & b"))]);
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
            "<pool>&foo;</pool>".into(),
            format!("<pool a='{}'/>", "x".repeat(MAX_VALUE_BYTES + 1)),
            format!("<pool a='{}'/>", "x".repeat(10 << 20)),
            format!(
                "{}{}",
                "<a>".repeat(MAX_DEPTH + 1),
                "</a>".repeat(MAX_DEPTH + 1)
            ),
            "<pool a='1' a='2'/>".into(),
        ];
        for case in cases {
            let err = parse(&case).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidSpec);
            assert_eq!(err.field(), Some("xml"), "{err}");
        }
    }

    #[test]
    fn char_references_resolve() {
        let root = parse("<n>&#60;&#x3e;</n>").unwrap();
        assert_eq!(root.children, vec![Node::Text(Cow::from("<>"))]);
    }
}
