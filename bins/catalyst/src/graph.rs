//! The one DOT / Mermaid writer: every graph the CLI draws (a Blueprint install plan, the
//! bootstrap kit, a whole Sovereign's plan) is built as a [`Graph`] and written here.

use std::fmt::Write as _;

/// A directed graph: top-level items, then labelled clusters.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    /// The DOT graph name.
    name: String,
    /// Items outside any cluster.
    top: Vec<Item>,
    /// Clusters, in order.
    clusters: Vec<Cluster>,
}

#[derive(Debug)]
struct Cluster {
    id: String,
    label: String,
    items: Vec<Item>,
}

/// Nodes and edges, written in the order they were added.
#[derive(Debug)]
enum Item {
    Node { id: String, label: Vec<String> },
    Edge { from: String, to: String, label: Option<String> },
}

impl Graph {
    /// An empty graph named `name` (DOT's `digraph NAME`).
    pub(crate) fn new(name: &str) -> Self {
        Self { name: name.to_owned(), ..Self::default() }
    }

    /// Starts a cluster; later nodes and edges go into it.
    pub(crate) fn cluster(&mut self, id: &str, label: &str) {
        self.clusters.push(Cluster { id: id.to_owned(), label: label.to_owned(), items: Vec::new() });
    }

    fn items(&mut self) -> &mut Vec<Item> {
        match self.clusters.last_mut() {
            Some(c) => &mut c.items,
            None => &mut self.top,
        }
    }

    /// A node; the label's lines are stacked in DOT and joined by spaces in Mermaid.
    pub(crate) fn node(&mut self, id: &str, label: &[&str]) {
        let label = label.iter().map(|l| (*l).to_owned()).collect();
        self.items().push(Item::Node { id: id.to_owned(), label });
    }

    /// An arrow `from -> to`, optionally labelled.
    pub(crate) fn edge(&mut self, from: &str, to: &str, label: Option<&str>) {
        self.items().push(Item::Edge {
            from: from.to_owned(),
            to: to.to_owned(),
            label: label.map(str::to_owned),
        });
    }

    /// Graphviz DOT, left to right, boxes.
    pub(crate) fn dot(&self) -> String {
        let mut o = format!("digraph {} {{\n  rankdir=LR;\n  node [shape=box];\n", dot_id(&self.name));
        write_dot(&mut o, &self.top, "  ");
        for c in &self.clusters {
            let _ = writeln!(
                o,
                "  subgraph {} {{\n    label={};",
                dot_id(&format!("cluster_{}", c.id)),
                dot_str(&c.label)
            );
            write_dot(&mut o, &c.items, "    ");
            o.push_str("  }\n");
        }
        o.push_str("}\n");
        o
    }

    /// A Mermaid flowchart with the same nodes and arrows.
    pub(crate) fn mermaid(&self) -> String {
        let mut o = String::from("flowchart LR\n");
        write_mermaid(&mut o, &self.top, "  ");
        for c in &self.clusters {
            let _ = writeln!(o, "  subgraph {}[{}]", mermaid_id(&c.id), mermaid_str(&c.label));
            write_mermaid(&mut o, &c.items, "    ");
            o.push_str("  end\n");
        }
        o
    }
}

fn write_dot(o: &mut String, items: &[Item], indent: &str) {
    for item in items {
        match item {
            Item::Node { id, label } => {
                let _ = writeln!(o, "{indent}{} [label={}];", dot_str(id), dot_str(&label.join("\n")));
            }
            Item::Edge { from, to, label: None } => {
                let _ = writeln!(o, "{indent}{} -> {};", dot_str(from), dot_str(to));
            }
            Item::Edge { from, to, label: Some(l) } => {
                let _ = writeln!(o, "{indent}{} -> {} [label={}];", dot_str(from), dot_str(to), dot_str(l));
            }
        }
    }
}

fn write_mermaid(o: &mut String, items: &[Item], indent: &str) {
    for item in items {
        match item {
            Item::Node { id, label } => {
                let _ = writeln!(o, "{indent}{}[{}]", mermaid_id(id), mermaid_str(&label.join(" ")));
            }
            Item::Edge { from, to, label: None } => {
                let _ = writeln!(o, "{indent}{} --> {}", mermaid_id(from), mermaid_id(to));
            }
            Item::Edge { from, to, label: Some(l) } => {
                let _ =
                    writeln!(o, "{indent}{} -->|{}| {}", mermaid_id(from), mermaid_str(l), mermaid_id(to));
            }
        }
    }
}

/// A DOT identifier: plain words as they are, anything else quoted.
fn dot_id(s: &str) -> String {
    if !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
    {
        s.to_owned()
    } else {
        dot_str(s)
    }
}

/// A DOT string: quoted, with `"` and `\` escaped and newlines as `\n`.
fn dot_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A Mermaid node id: letters, digits and `_` only.
fn mermaid_id(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

/// A Mermaid label: quoted, with `"` as an entity and no line breaks.
fn mermaid_str(s: &str) -> String {
    let clean: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    format!("\"{}\"", clean.replace('"', "#quot;").replace('|', "#124;"))
}

#[cfg(test)]
mod tests {
    use super::Graph;

    #[test]
    fn hostile_labels_cannot_break_out_of_their_quotes() {
        let mut g = Graph::new("g");
        g.node("a\"];evil", &["x\" -> \"y", "line\nbreak"]);
        g.edge("a\"];evil", "b", Some("l\"|x"));
        let dot = g.dot();
        assert!(dot.contains(r#"  "a\"];evil" [label="x\" -> \"y\nline\nbreak"];"#), "{dot}");
        let mmd = g.mermaid();
        assert!(mmd.contains("a___evil[\"x#quot; -> #quot;y line break\"]"), "{mmd}");
        assert!(mmd.contains("a___evil -->|\"l#quot;#124;x\"| b"), "{mmd}");
    }

    #[test]
    fn clusters_hold_what_follows_them() {
        let mut g = Graph::new("plan");
        g.node("top", &["top"]);
        g.cluster("kit", "bootstrap kit");
        g.node("kit/a", &["a"]);
        g.edge("kit/b", "kit/a", None);
        assert_eq!(
            g.dot(),
            "digraph plan {\n  rankdir=LR;\n  node [shape=box];\n  \"top\" [label=\"top\"];\n  subgraph cluster_kit {\n    label=\"bootstrap kit\";\n    \"kit/a\" [label=\"a\"];\n    \"kit/b\" -> \"kit/a\";\n  }\n}\n"
        );
        assert_eq!(
            g.mermaid(),
            "flowchart LR\n  top[\"top\"]\n  subgraph kit[\"bootstrap kit\"]\n    kit_a[\"a\"]\n    kit_b --> kit_a\n  end\n"
        );
    }
}
