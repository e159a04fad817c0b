//! An owned element tree: what a spec keeps of a document beyond the model (the
//! residue), and what the writer merges back.

use std::borrow::Cow;

#[cfg(test)]
use crate::error::Result;

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

/// Parse a whole document into an owned tree (for comparisons in tests).
#[cfg(test)]
pub(crate) fn parse(input: &str) -> Result<Element<'static>> {
    super::doc::Doc::parse(input).map(|d| d.to_element(0))
}
