//! The one DOT / Mermaid writer: every graph the CLI draws (a Blueprint install plan, the
//! bootstrap kit, a whole Sovereign's plan) is built as a [`Graph`] and written here. Names
//! come from files a user or an attacker wrote, so every id and label is escaped: nothing can
//! leave its quotes, start a line, or merge with another node.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use catalyst_naming::untrusted::escape_unsafe;

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
        let label = label.map(str::to_owned);
        self.items().push(Item::Edge { from: from.to_owned(), to: to.to_owned(), label });
    }

    /// Graphviz DOT, left to right, boxes.
    pub(crate) fn dot(&self) -> String {
        let mut o = format!("digraph {} {{\n  rankdir=LR;\n  node [shape=box];\n", dot_id(&self.name));
        write_dot(&mut o, &self.top, "  ");
        for c in &self.clusters {
            let cluster = dot_id(&format!("cluster_{}", c.id));
            let _ = writeln!(o, "  subgraph {cluster} {{\n    label={};", dot_str(&c.label));
            write_dot(&mut o, &c.items, "    ");
            o.push_str("  }\n");
        }
        o.push_str("}\n");
        o
    }

    /// A Mermaid flowchart with the same nodes and arrows.
    pub(crate) fn mermaid(&self) -> String {
        let mut ids = MermaidIds::default();
        let mut o = String::from("flowchart LR\n");
        write_mermaid(&mut o, &self.top, "  ", &mut ids);
        for c in &self.clusters {
            let id = ids.get(&format!("cluster {}", c.id), &c.id);
            let _ = writeln!(o, "  subgraph {id}[{}]", mermaid_str(&c.label));
            write_mermaid(&mut o, &c.items, "    ", &mut ids);
            o.push_str("  end\n");
        }
        o
    }
}

fn write_dot(o: &mut String, items: &[Item], indent: &str) {
    for item in items {
        match item {
            Item::Node { id, label } => {
                let lines: Vec<String> = label.iter().map(|l| dot_escape(l)).collect();
                let _ = writeln!(o, "{indent}{} [label=\"{}\"];", dot_str(id), lines.join("\\n"));
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

fn write_mermaid(o: &mut String, items: &[Item], indent: &str, ids: &mut MermaidIds) {
    for item in items {
        match item {
            Item::Node { id, label } => {
                let id = ids.get(id, id);
                let _ = writeln!(o, "{indent}{id}[{}]", mermaid_str(&label.join(" ")));
            }
            Item::Edge { from, to, label } => {
                let (from, to) = (ids.get(from, from), ids.get(to, to));
                let _ = match label {
                    None => writeln!(o, "{indent}{from} --> {to}"),
                    Some(l) => writeln!(o, "{indent}{from} -->|{}| {to}", mermaid_str(l)),
                };
            }
        }
    }
}

/// Mermaid ids, one per distinct graph id: letters, digits and `_` only, never a keyword,
/// and distinct even when two ids differ only in characters Mermaid cannot carry
/// (`cert-manager`, `cert.manager`).
#[derive(Default)]
struct MermaidIds {
    by_key: HashMap<String, String>,
    taken: HashSet<String>,
}

impl MermaidIds {
    const KEYWORDS: [&'static str; 12] = [
        "end",
        "graph",
        "subgraph",
        "flowchart",
        "style",
        "class",
        "classDef",
        "click",
        "linkStyle",
        "direction",
        "default",
        "call",
    ];

    fn get(&mut self, key: &str, id: &str) -> String {
        if let Some(known) = self.by_key.get(key) {
            return known.clone();
        }
        let mut base: String =
            id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
        if base.is_empty()
            || base.starts_with(|c: char| c.is_ascii_digit())
            || Self::KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&base))
        {
            base.insert_str(0, "n_");
        }
        let mut candidate = base.clone();
        let mut n = 2;
        while self.taken.contains(&candidate) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(candidate.clone());
        self.by_key.insert(key.to_owned(), candidate.clone());
        candidate
    }
}

/// A DOT identifier: plain words as they are, anything else quoted.
fn dot_id(s: &str) -> String {
    let plain = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if plain && !s.is_empty() && !s.as_bytes()[0].is_ascii_digit() { s.to_owned() } else { dot_str(s) }
}

/// A DOT string: quoted, see [`dot_escape`].
fn dot_str(s: &str) -> String {
    format!("\"{}\"", dot_escape(s))
}

/// The inside of a DOT string: control, bidi and line-separator characters as visible
/// escapes (so two ids that differ only there stay two), then `\` and `"` escaped.
fn dot_escape(s: &str) -> String {
    escape_unsafe(s).replace('\\', "\\\\").replace('"', "\\\"")
}

/// A Mermaid label: quoted; unsafe characters as visible escapes, and every character
/// Mermaid or its HTML/markdown rendering reads (`"`, `|`, `#`, `<`, `>`, `&`, `` ` ``) as an
/// entity code.
fn mermaid_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in escape_unsafe(s).chars() {
        match c {
            '"' | '|' | '#' | '<' | '>' | '&' | '`' => {
                let _ = write!(o, "#{};", u32::from(c));
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
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
        assert!(dot.contains(r#"  "a\"];evil" [label="x\" -> \"y\nline\\u{a}break"];"#), "{dot}");
        let mmd = g.mermaid();
        assert!(mmd.contains(r#"a___evil["x#34; -#62; #34;y line\u{a}break"]"#), "{mmd}");
        assert!(mmd.contains(r#"a___evil -->|"l#34;#124;x"| b"#), "{mmd}");
    }

    #[test]
    fn ids_that_differ_only_in_what_an_id_cannot_carry_stay_apart() {
        let mut g = Graph::new("kit");
        for name in ["cert-manager", "cert.manager", "end", "", "a\tb", "ab"] {
            g.node(name, &[name]);
        }
        g.edge("cert.manager", "end", None);
        let mmd = g.mermaid();
        for line in
            ["  cert_manager[", "  cert_manager_2[", "  n_end[", "  n_[", "  cert_manager_2 --> n_end"]
        {
            assert!(mmd.contains(line), "{line:?} in\n{mmd}");
        }
        let dot = g.dot();
        assert!(dot.contains(r#"  "a\\u{9}b" [label="a\\u{9}b"];"#), "{dot}");
        assert!(dot.contains(r#"  "ab" [label="ab"];"#), "{dot}");
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
