//! One tree, two renderings: every Open311 answer is built once as a [`Node`] and written as XML
//! (mandatory, no namespace, the spec's element names) or JSON (the same data).
//!
//! The shapes follow the spec: a list is a wrapper element holding repeated item elements in XML
//! (`<services><service>…</service></services>`) and an array in JSON; ids and codes are
//! strings, coordinates and error codes numbers.

use std::fmt::Write;

/// A value of an Open311 answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An empty element in XML, `null` in JSON.
    Null,
    /// Repeated `<item>` elements in XML (inside the parent's element); an array in JSON.
    List(&'static str, Vec<Node>),
    /// Child elements in XML; an object in JSON, in the same order.
    Object(Vec<(&'static str, Node)>),
}

impl Node {
    pub fn text(s: impl Into<String>) -> Node {
        Node::Text(s.into())
    }

    /// Text, or [`Node::Null`] when there is none.
    pub fn opt(s: Option<impl Into<String>>) -> Node {
        s.map_or(Node::Null, |s| Node::Text(s.into()))
    }
}

/// The answer as an XML document whose root element is `root`.
pub fn xml(root: &str, node: &Node) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    element(&mut out, root, node);
    out.push('\n');
    out
}

fn element(out: &mut String, name: &str, node: &Node) {
    let _ = write!(out, "<{name}>");
    match node {
        Node::Text(s) => escape(out, s),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Node::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Null => {}
        Node::List(item, items) => {
            for i in items {
                element(out, item, i);
            }
        }
        Node::Object(fields) => {
            for (k, v) in fields {
                element(out, k, v);
            }
        }
    }
    let _ = write!(out, "</{name}>");
}

/// Escapes text for XML 1.0, dropping the control characters it cannot carry at all.
fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// The answer as JSON, fields in the order the spec lists them.
pub fn json(node: &Node) -> String {
    let mut out = String::new();
    write_json(&mut out, node);
    out
}

fn write_json(out: &mut String, node: &Node) {
    match node {
        Node::Text(s) => out.push_str(&serde_json::to_string(s).expect("strings serialise")),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        // JSON has no NaN or infinity; coordinates never are.
        Node::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f}");
        }
        Node::Float(_) | Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::List(_, items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Node::Object(fields) => {
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).expect("strings serialise"));
                out.push(':');
                write_json(out, v);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        Node::List(
            "service",
            vec![Node::Object(vec![
                ("service_code", Node::text("E0102")),
                ("service_name", Node::text("暴露垃圾 <&> \"'")),
                ("metadata", Node::Bool(true)),
                ("lat", Node::Float(39.9163)),
                ("code", Node::Int(400)),
                ("group", Node::Null),
                ("formats", Node::List("format", vec![Node::text("text/xml"), Node::text("application/json")])),
            ])],
        )
    }

    #[test]
    fn xml_has_no_namespace_and_escapes() {
        let x = xml("services", &sample());
        assert_eq!(
            x,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services><service><service_code>E0102</service_code>\
             <service_name>暴露垃圾 &lt;&amp;&gt; &quot;&apos;</service_name><metadata>true</metadata>\
             <lat>39.9163</lat><code>400</code><group></group>\
             <formats><format>text/xml</format><format>application/json</format></formats></service></services>\n"
        );
        let mut out = String::new();
        escape(&mut out, "a\u{1}b\u{8}\tc\n");
        assert_eq!(out, "ab\tc\n");
    }

    #[test]
    fn json_is_the_same_data() {
        assert_eq!(
            json(&sample()),
            r#"[{"service_code":"E0102","service_name":"暴露垃圾 <&> \"'","metadata":true,"lat":39.9163,"code":400,"group":null,"formats":["text/xml","application/json"]}]"#
        );
    }
}
