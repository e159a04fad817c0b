//! An indenting XML writer (libvirt's layout: two spaces, single quotes) that merges
//! a residue tree back into what the typed writer produces.
//!
//! Merge rules, applied while writing: the k-th known child called `n` that the typed
//! writer opens is matched with the k-th `n` placeholder or known element in the
//! residue, whose leftover attributes and children are written with it; an unknown
//! residue element is written right after the known sibling that preceded it in the
//! original document (or first, if none did). Residue of a known element that the
//! typed writer no longer writes (the user removed that field) is dropped with it.

use super::tree::{Node, OwnedElement};

/// An element being written.
#[derive(Debug)]
struct Frame<'r> {
    name: &'static str,
    /// Start tag written but not yet closed with `>`.
    open_tag: bool,
    /// Content was written on the same line as the start tag (text).
    inline: bool,
    /// The residue merged into this element. Boxed: most elements have none, and a
    /// frame is pushed for every element, so it is kept small.
    merge: Option<Box<Merge<'r>>>,
}

/// A residue element and how much of it was written.
#[derive(Debug)]
struct Merge<'r> {
    residue: &'r OwnedElement,
    /// Attribute names already written.
    written_attrs: Vec<&'static str>,
    /// How many known children of each name were opened.
    seen: Vec<(&'static str, usize)>,
    /// Which residue children were written already.
    emitted: Vec<bool>,
}

/// Writes a document; see the module documentation for how residue is merged.
#[derive(Debug, Default)]
pub(crate) struct XmlWriter<'r> {
    out: String,
    stack: Vec<Frame<'r>>,
    /// Residue for the root element, consumed by the first `open`.
    root_residue: Option<&'r OwnedElement>,
}

impl<'r> XmlWriter<'r> {
    /// A writer that merges `residue` (what a parsed document held beyond the model).
    pub fn new(residue: Option<&'r OwnedElement>) -> Self {
        XmlWriter {
            out: String::with_capacity(1024),
            // deeper than any libvirt storage document
            stack: Vec::with_capacity(8),
            root_residue: residue,
        }
    }

    /// The document.
    pub fn finish(self) -> String {
        debug_assert!(self.stack.is_empty(), "unclosed elements");
        self.out
    }

    /// Open `<name`; attributes may follow until content is written.
    pub fn open(&mut self, name: &'static str) -> &mut Self {
        let residue = match self.stack.last_mut() {
            None => self.root_residue.take(),
            Some(_) => {
                self.end_start_tag(false);
                let parent = self.stack.last_mut().expect("checked above");
                parent
                    .merge
                    .as_mut()
                    .and_then(|m| m.known_child_residue(name))
            }
        };
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.stack.push(Frame {
            name,
            open_tag: true,
            inline: false,
            merge: residue.map(Merge::new),
        });
        self
    }

    /// Add an attribute to the element just opened.
    pub fn attr(&mut self, name: &'static str, value: &str) -> &mut Self {
        let frame = self.stack.last_mut().expect("attr() outside an element");
        debug_assert!(frame.open_tag, "attr() after content");
        if let Some(m) = &mut frame.merge {
            m.written_attrs.push(name);
        }
        push_attr(&mut self.out, name, value);
        self
    }

    /// Add an attribute when the value is present.
    pub fn opt_attr(&mut self, name: &'static str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.attr(name, v);
        }
        self
    }

    /// Write text content inside the element just opened (`<name>text</name>`).
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.end_start_tag(true);
        push_escaped(&mut self.out, text, false);
        self
    }

    /// Close the innermost element.
    pub fn close(&mut self) -> &mut Self {
        let frame = self.stack.last().expect("close() without open()");
        let unwritten = frame.merge.as_ref().is_some_and(|m| m.has_unwritten());
        if frame.open_tag && !unwritten {
            self.write_residue_attrs();
            self.out.push_str("/>\n");
        } else {
            self.end_start_tag(false);
            self.write_leftovers();
            let (name, inline) = {
                let frame = self.stack.last().expect("still open");
                (frame.name, frame.inline)
            };
            if !inline {
                self.indent_at(self.stack.len() - 1);
            }
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
        let frame = self.stack.pop().expect("still open");
        let anchor = self.stack.last().and_then(|parent| {
            let m = parent.merge.as_ref()?;
            m.find_known(frame.name, m.seen_count(frame.name) - 1)
        });
        if let Some(j) = anchor {
            self.write_unknown_after(j);
        }
        self
    }

    /// Write formatted text that needs no escaping (numbers, UUIDs) straight into
    /// the document, without a temporary string.
    pub fn text_fmt(&mut self, args: std::fmt::Arguments<'_>) -> &mut Self {
        use std::fmt::Write;
        self.end_start_tag(true);
        let _ = self.out.write_fmt(args);
        self
    }

    /// Text content that is a number, written without core::fmt, whose machinery
    /// costs more than the digits of the few numbers a document holds.
    pub fn text_number(&mut self, n: u64) -> &mut Self {
        self.end_start_tag(true);
        push_decimal(&mut self.out, n);
        self
    }

    /// `<name>n</name>` for a signed number (owner and group ids, -1 among them).
    pub fn number_element(&mut self, name: &'static str, n: i64) -> &mut Self {
        if !self.plain_child() {
            self.open(name).end_start_tag(true);
            push_signed(&mut self.out, n);
            return self.close();
        }
        self.open_leaf(name);
        self.out.push('>');
        push_signed(&mut self.out, n);
        self.close_leaf(name)
    }

    /// `<name>formatted</name>` for values that need no escaping.
    pub fn fmt_element(&mut self, name: &'static str, args: std::fmt::Arguments<'_>) -> &mut Self {
        self.open(name).text_fmt(args).close()
    }

    /// `<name>text</name>`.
    pub fn text_element(&mut self, name: &'static str, text: &str) -> &mut Self {
        if !self.plain_child() {
            return self.open(name).text(text).close();
        }
        self.open_leaf(name);
        self.out.push('>');
        push_escaped(&mut self.out, text, false);
        self.close_leaf(name)
    }

    /// `<name>text</name>` when the text is present.
    pub fn opt_text_element(&mut self, name: &'static str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.text_element(name, t);
        }
        self
    }

    /// `<name attr='value'/>`.
    pub fn attr_element(
        &mut self,
        name: &'static str,
        attr: &'static str,
        value: &str,
    ) -> &mut Self {
        if !self.plain_child() {
            return self.open(name).attr(attr, value).close();
        }
        self.open_leaf(name);
        push_attr(&mut self.out, attr, value);
        self.out.push_str("/>\n");
        self
    }

    /// True when a child opened now cannot have residue, as its parent has none to
    /// match it with: most leaf elements. Those are written without a frame, which
    /// is then all bookkeeping.
    fn plain_child(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|parent| parent.merge.is_none())
    }

    /// `<name` of a leaf element written without a frame (see `plain_child`).
    fn open_leaf(&mut self, name: &str) {
        self.end_start_tag(false);
        push_indent(&mut self.out, self.stack.len());
        self.out.push('<');
        self.out.push_str(name);
    }

    /// `</name>` of a leaf element written without a frame.
    fn close_leaf(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
        self
    }

    /// `<name attr='value'/>` when the value is present.
    pub fn opt_attr_element(
        &mut self,
        name: &'static str,
        attr: &'static str,
        value: Option<&str>,
    ) -> &mut Self {
        if let Some(v) = value {
            self.attr_element(name, attr, v);
        }
        self
    }

    /// Close the start tag if it is still open: residue attributes, `>`, and the
    /// unknown residue children that came before any known child.
    fn end_start_tag(&mut self, inline: bool) {
        let frame = self.stack.last_mut().expect("inside an element");
        if !frame.open_tag {
            return;
        }
        self.write_residue_attrs();
        let frame = self.stack.last_mut().expect("inside an element");
        frame.open_tag = false;
        frame.inline = inline;
        self.out.push('>');
        if !inline {
            self.out.push('\n');
            self.write_unknown_after_start();
        }
    }

    /// The residue merged into the innermost element, if any.
    fn residue_here(&self) -> Option<&'r OwnedElement> {
        let frame = self.stack.last().expect("inside an element");
        frame.merge.as_ref().map(|m| m.residue)
    }

    fn write_residue_attrs(&mut self) {
        let frame = self.stack.last().expect("inside an element");
        let Some(m) = &frame.merge else { return };
        for (k, v) in &m.residue.attrs {
            if !m.written_attrs.iter().any(|w| *w == k.as_ref()) {
                push_attr(&mut self.out, k, v);
            }
        }
    }

    fn write_unknown_after_start(&mut self) {
        let Some(residue) = self.residue_here() else {
            return;
        };
        let upto = residue
            .children
            .iter()
            .position(is_anchor)
            .unwrap_or(residue.children.len());
        self.write_unknown_range(0, upto);
    }

    /// Write the unknown residue elements that follow residue child `j`.
    fn write_unknown_after(&mut self, j: usize) {
        let Some(residue) = self.residue_here() else {
            return;
        };
        let end = residue.children[j + 1..]
            .iter()
            .position(is_anchor)
            .map_or(residue.children.len(), |p| p + j + 1);
        self.write_unknown_range(j + 1, end);
    }

    /// Everything still unwritten at the end of an element: unknown elements whose
    /// anchor was not written, and leftover text.
    fn write_leftovers(&mut self) {
        let Some(residue) = self.residue_here() else {
            return;
        };
        self.write_unknown_range(0, residue.children.len());
    }

    fn write_unknown_range(&mut self, from: usize, to: usize) {
        let depth = self.stack.len();
        let frame = self.stack.last_mut().expect("inside an element");
        let Some(m) = &mut frame.merge else { return };
        for i in from..to {
            if m.emitted[i] {
                continue;
            }
            match &m.residue.children[i] {
                Node::Element(e) if !e.known => {
                    m.emitted[i] = true;
                    write_element(&mut self.out, e, depth);
                }
                Node::Text(t) if !t.trim().is_empty() => {
                    m.emitted[i] = true;
                    push_escaped(&mut self.out, t, false);
                }
                _ => {}
            }
        }
    }

    fn indent(&mut self) {
        self.indent_at(self.stack.len());
    }

    fn indent_at(&mut self, depth: usize) {
        push_indent(&mut self.out, depth);
    }
}

impl<'r> Merge<'r> {
    fn new(residue: &'r OwnedElement) -> Box<Self> {
        Box::new(Merge {
            residue,
            written_attrs: Vec::new(),
            seen: Vec::new(),
            emitted: vec![false; residue.children.len()],
        })
    }

    /// True when unknown children or text of the residue are still to be written.
    fn has_unwritten(&self) -> bool {
        self.residue
            .children
            .iter()
            .enumerate()
            .any(|(i, c)| !self.emitted[i] && is_leftover(c))
    }

    fn seen_count(&self, name: &str) -> usize {
        self.seen
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, c)| *c)
    }

    /// Record that a known child `name` is being opened and return its residue.
    fn known_child_residue(&mut self, name: &'static str) -> Option<&'r OwnedElement> {
        let k = match self.seen.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => {
                *c += 1;
                *c - 1
            }
            None => {
                self.seen.push((name, 1));
                0
            }
        };
        match &self.residue.children[self.find_known(name, k)?] {
            Node::Element(e) => Some(e),
            _ => None,
        }
    }

    /// Index in the residue of the k-th known child (placeholder or known element) `name`.
    fn find_known(&self, name: &str, k: usize) -> Option<usize> {
        self.residue
            .children
            .iter()
            .enumerate()
            .filter(|(_, c)| match c {
                Node::Taken(n) => n == name,
                Node::Element(e) => e.known && e.name == name,
                Node::Text(_) => false,
            })
            .nth(k)
            .map(|(i, _)| i)
    }
}

/// Known children (placeholders and partly read elements) anchor unknown ones.
fn is_anchor(node: &Node<'_>) -> bool {
    match node {
        Node::Taken(n) => !n.is_empty(),
        Node::Element(e) => e.known,
        Node::Text(_) => false,
    }
}

fn is_leftover(node: &Node<'_>) -> bool {
    match node {
        Node::Element(e) => !e.known,
        Node::Text(t) => !t.trim().is_empty(),
        Node::Taken(_) => false,
    }
}

/// The decimal digits of `n`.
fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

/// The decimal digits of `n`, after a minus sign when it is negative.
fn push_signed(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_decimal(out, n.unsigned_abs());
}

/// libvirt's indentation: two spaces per level.
fn push_indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn push_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("='");
    push_escaped(out, value, true);
    out.push('\'');
}

/// Append `text` with XML's special characters as entities, in one pass and without
/// the temporary string of quick-xml's `escape`. In an attribute value also tab,
/// newline and carriage return, which a parser turns into spaces: written as
/// references they come back as they were.
fn push_escaped(out: &mut String, text: &str, in_attr: bool) {
    let mut plain = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'\'' => "&apos;",
            b'"' => "&quot;",
            b'\t' if in_attr => "&#9;",
            b'\n' if in_attr => "&#10;",
            b'\r' if in_attr => "&#13;",
            _ => continue,
        };
        out.push_str(&text[plain..i]);
        out.push_str(entity);
        plain = i + 1;
    }
    out.push_str(&text[plain..]);
}

/// Write an element that the model does not know, as it was.
fn write_element(out: &mut String, el: &OwnedElement, depth: usize) {
    push_indent(out, depth);
    out.push('<');
    out.push_str(&el.name);
    for (k, v) in &el.attrs {
        push_attr(out, k, v);
    }
    let texts: Vec<&str> = el
        .children
        .iter()
        .filter_map(|c| match c {
            Node::Text(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect();
    let has_elements = el.children.iter().any(|c| matches!(c, Node::Element(_)));
    let text: String = texts.concat();
    if !has_elements && text.trim().is_empty() {
        out.push_str("/>\n");
        return;
    }
    if !has_elements {
        out.push('>');
        push_escaped(out, &text, false);
    } else {
        out.push_str(">\n");
        for child in &el.children {
            match child {
                Node::Element(e) => write_element(out, e, depth + 1),
                Node::Text(t) if !t.trim().is_empty() => {
                    push_indent(out, depth + 1);
                    push_escaped(out, t.trim(), false);
                    out.push('\n');
                }
                _ => {}
            }
        }
        push_indent(out, depth);
    }
    out.push_str("</");
    out.push_str(&el.name);
    out.push_str(">\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::read::Cursor;

    #[test]
    fn writes_libvirt_layout_and_escapes() {
        let mut w = XmlWriter::new(None);
        w.open("pool").attr("type", "dir");
        w.text_element("name", "a<b>&'\"");
        w.open("source").close();
        w.close();
        assert_eq!(
            w.finish(),
            "<pool type='dir'>\n  <name>a&lt;b&gt;&amp;&apos;&quot;</name>\n  <source/>\n</pool>\n"
        );
    }

    #[test]
    fn writes_numbers_without_fmt() {
        let mut w = XmlWriter::new(None);
        w.open("p");
        w.number_element("a", -1)
            .number_element("b", i64::MIN)
            .number_element("c", 0);
        w.open("d").text_number(u64::MAX).close();
        w.close();
        assert_eq!(
            w.finish(),
            "<p>\n  <a>-1</a>\n  <b>-9223372036854775808</b>\n  <c>0</c>\n  \
             <d>18446744073709551615</d>\n</p>\n"
        );
    }

    #[test]
    fn leaves_are_written_alike_with_and_without_a_frame() {
        let write = |residue: Option<&OwnedElement>| {
            let mut w = XmlWriter::new(residue);
            w.open("pool").attr("type", "dir");
            w.text_element("name", "n<").number_element("owner", -1);
            w.attr_element("dir", "path", "/x");
            w.close();
            w.finish()
        };
        // With residue on <pool>, its children go through open/close.
        let mut doc = crate::xml::doc::Doc::parse(
            "<pool type='dir' x='1'><name>n</name><owner>-1</owner><dir path='/x'/></pool>",
        )
        .unwrap();
        let mut c = Cursor::new(&mut doc, "");
        c.attr("type");
        c.child_text("name").unwrap();
        c.child_text("owner").unwrap();
        c.child_attr("dir", "path").unwrap();
        let residue = c.into_residue().unwrap();
        assert_eq!(
            write(Some(&residue)),
            write(None).replacen("type='dir'", "type='dir' x='1'", 1)
        );
    }

    #[test]
    fn merges_residue_in_place() {
        let doc = "<pool type='dir' x='1'><name>n</name><foo a='b'><bar/></foo>\
                   <target extra='e'><path>/p</path><zed/></target><tail/></pool>";
        let mut parsed = crate::xml::doc::Doc::parse(doc).unwrap();
        let mut c = Cursor::new(&mut parsed, "");
        c.attr("type");
        c.child_text("name").unwrap();
        c.child("target", |t| t.child_text("path")).unwrap();
        let residue = c.into_residue().unwrap();

        let mut w = XmlWriter::new(Some(&residue));
        w.open("pool").attr("type", "dir");
        w.text_element("name", "n");
        w.open("target").text_element("path", "/q").close();
        w.close();
        let out = w.finish();
        assert_eq!(
            out,
            "<pool type='dir' x='1'>\n  <name>n</name>\n  <foo a='b'>\n    <bar/>\n  </foo>\n  \
             <target extra='e'>\n    <path>/q</path>\n    <zed/>\n  </target>\n  <tail/>\n</pool>\n"
        );
    }

    #[test]
    fn unknown_children_of_an_empty_known_element_are_kept() {
        let doc = "<pool><source><vendorx/></source></pool>";
        let mut parsed = crate::xml::doc::Doc::parse(doc).unwrap();
        let mut c = Cursor::new(&mut parsed, "");
        c.child("source", |_| Ok(())).unwrap();
        let residue = c.into_residue().unwrap();
        let mut w = XmlWriter::new(Some(&residue));
        w.open("pool").open("source").close().close();
        assert_eq!(
            w.finish(),
            "<pool>\n  <source>\n    <vendorx/>\n  </source>\n</pool>\n"
        );
    }
}
