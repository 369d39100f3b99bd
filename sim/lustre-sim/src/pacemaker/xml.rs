//! A small XML element tree for the CIB: parsed from what `cibadmin`
//! is given (with `roxmltree`), printed the way libxml2 formats
//! Pacemaker's output (two-space indent, `<empty/>`), and searched with
//! the XPath forms Chroma uses (`//TAG`, `//TAG[@ATTR='VALUE']`).

use serde::{Deserialize, Serialize};

/// One element: its name, attributes in order, and child elements (text
/// content is not kept: the CIB has none that matters here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Element {
    /// Tag name.
    pub name: String,
    /// Attributes, in document order.
    pub attrs: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<Element>,
}

impl Element {
    /// An element without attributes or children.
    pub fn new(name: &str) -> Element {
        Element {
            name: name.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Adds an attribute (builder style).
    pub fn with(mut self, key: &str, value: &str) -> Element {
        self.set(key, value);
        self
    }

    /// Parses one element (the document's root) from text.
    pub fn parse(text: &str) -> Option<Element> {
        let doc = roxmltree::Document::parse(text).ok()?;
        Some(Element::from_node(doc.root_element()))
    }

    fn from_node(node: roxmltree::Node<'_, '_>) -> Element {
        Element {
            name: node.tag_name().name().to_string(),
            attrs: node
                .attributes()
                .map(|a| (a.name().to_string(), a.value().to_string()))
                .collect(),
            children: node
                .children()
                .filter(|c| c.is_element())
                .map(Element::from_node)
                .collect(),
        }
    }

    /// The value of an attribute.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The `id` attribute.
    pub fn id(&self) -> Option<&str> {
        self.attr("id")
    }

    /// Sets (or adds at the end) an attribute.
    pub fn set(&mut self, key: &str, value: &str) {
        match self.attrs.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value.to_string(),
            None => self.attrs.push((key.to_string(), value.to_string())),
        }
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The first child named `name`, for changing it.
    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.children.iter_mut().find(|c| c.name == name)
    }

    /// The first child named `name`, created at the end if missing.
    pub fn child_or_insert(&mut self, name: &str) -> &mut Element {
        let i = match self.children.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                self.children.push(Element::new(name));
                self.children.len() - 1
            }
        };
        &mut self.children[i]
    }

    /// Every element of the subtree, this one first, in document order.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.descendants());
        }
        out
    }

    /// Does any element of the subtree have this `id`?
    pub fn has_id(&self, id: &str) -> bool {
        self.descendants().iter().any(|e| e.id() == Some(id))
    }

    /// Removes every element of the subtree (not this one) named `name`
    /// whose attributes include all of `like`'s; returns how many.
    pub fn remove_matching(&mut self, like: &Element) -> usize {
        let before = self.children.len();
        self.children.retain(|c| !c.matches(like));
        let mut removed = before - self.children.len();
        for c in &mut self.children {
            removed += c.remove_matching(like);
        }
        removed
    }

    /// Same name, and every attribute of `like` has the same value here.
    pub fn matches(&self, like: &Element) -> bool {
        self.name == like.name && like.attrs.iter().all(|(k, v)| self.attr(k) == Some(v.as_str()))
    }

    /// Elements matching `//TAG`, `//TAG[@ATTR='VALUE']` or `//*`; `None`
    /// for an expression of another form.
    pub fn xpath(&self, expr: &str) -> Option<Vec<&Element>> {
        let rest = expr.strip_prefix("//")?;
        let (tag, filter) = match rest.split_once('[') {
            Some((tag, pred)) => {
                let pred = pred.strip_suffix(']')?.strip_prefix('@')?;
                let (key, value) = pred.split_once('=')?;
                let value = value
                    .strip_prefix('\'')
                    .and_then(|v| v.strip_suffix('\''))
                    .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))?;
                (tag, Some((key, value)))
            }
            None => (rest, None),
        };
        if tag.is_empty() || tag.contains('/') {
            return None;
        }
        Some(
            self.descendants()
                .into_iter()
                .filter(|e| tag == "*" || e.name == tag)
                .filter(|e| filter.is_none_or(|(k, v)| e.attr(k) == Some(v)))
                .collect(),
        )
    }

    /// The element as libxml2 formats it, indented by `depth` levels,
    /// ending with a newline.
    pub fn render(&self, depth: usize) -> String {
        let mut out = String::new();
        self.render_into(&mut out, depth);
        out
    }

    fn render_into(&self, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        out.push_str(&pad);
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push_str(&format!(" {k}=\"{}\"", escape(v)));
        }
        if self.children.is_empty() {
            out.push_str("/>\n");
            return;
        }
        out.push_str(">\n");
        for c in &self.children {
            c.render_into(out, depth + 1);
        }
        out.push_str(&format!("{pad}</{}>\n", self.name));
    }
}

/// Escapes an attribute value as libxml2 does.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    #[test]
    fn parses_renders_and_searches() {
        let e = Element::parse(
            r#"<primitive id="r1" class="ocf"><instance_attributes id="r1-ia"><nvpair id="n" name="target" value="/dev/&lt;x"/></instance_attributes></primitive>"#,
        )
        .unwrap();
        assert_eq!(
            e.render(0),
            "<primitive id=\"r1\" class=\"ocf\">\n  <instance_attributes id=\"r1-ia\">\n    \
             <nvpair id=\"n\" name=\"target\" value=\"/dev/&lt;x\"/>\n  </instance_attributes>\n</primitive>\n"
        );
        assert_eq!(e.xpath("//nvpair").unwrap().len(), 1);
        assert_eq!(e.xpath("//primitive[@id='r1']").unwrap().len(), 1);
        assert_eq!(e.xpath("//primitive[@id=\"r2\"]").unwrap().len(), 0);
        assert!(e.xpath("/cib/configuration").is_none());
        assert!(e.has_id("r1-ia"));
    }
}
