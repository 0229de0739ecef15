//! The module layout of `src/`: no import cycle between the modules of one
//! folder (the top-level modules of the crate included), and no command
//! importing another command.
//!
//! The check reads the sources: every `crate::...`, `super::...` and
//! `self::...` path outside comments and `#[cfg(test)]` modules is an edge
//! from the module the file belongs to to the module the path names. An edge
//! counts at the level where the two modules part: `manifest::load` naming
//! `manifest::validate` is an edge between the siblings `load` and
//! `validate`; `parse::prisma` naming `introspect::postgres` is an edge
//! between the top-level modules `parse` and `introspect`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path below the crate root: `src/manifest/load.rs` is
/// `["manifest", "load"]`, `src/manifest/mod.rs` is `["manifest"]`.
type ModulePath = Vec<String>;

/// Edges between the children of one module (the crate root is `[]`):
/// `from -> to -> files that make the edge`.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Cycles allowed, each as the sorted members of one strongly connected
/// component under its parent module; any other cycle fails the test. None
/// is left: keep it that way.
const KNOWN_CYCLES: &[(&[&str], &[&str])] = &[];

#[test]
fn no_import_cycle_between_sibling_modules() {
    let graphs = module_graphs(&source_root());
    let mut unknown = Vec::new();
    for (parent, graph) in &graphs {
        for component in cycles(graph) {
            let known = KNOWN_CYCLES.iter().any(|(known_parent, members)| {
                *known_parent == parent.as_slice() && *members == component.as_slice()
            });
            if !known {
                unknown.push(format!(
                    "import cycle between the modules {:?} of `{}`:\n{}",
                    component,
                    shown_parent(parent),
                    component_edges(graph, &component)
                ));
            }
        }
    }
    assert!(unknown.is_empty(), "{}", unknown.join("\n"));
}

#[test]
fn commands_import_no_sibling_command() {
    let graphs = module_graphs(&source_root());
    let commands = graphs
        .get(&vec!["commands".to_owned()])
        .cloned()
        .unwrap_or_default();
    let mut offences = Vec::new();
    for (from, targets) in &commands {
        for (to, files) in targets {
            // `shared` is the one module commands share; `mod.rs` dispatches.
            if to != "shared" {
                offences.push(format!(
                    "`commands::{from}` imports `commands::{to}` ({files:?})"
                ));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "commands import each other (move what they share into `commands::shared` or into \
         the pipeline module that does the work):\n{}",
        offences.join("\n")
    );
}

/// The check itself finds what it is meant to find.
#[test]
fn the_cycle_check_finds_a_planted_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "pub mod x;\npub mod y;\nuse crate::b::{self, Thing};\n",
    )
    .unwrap();
    std::fs::write(src.join("a/x.rs"), "use super::y::Y;\n// use super::z;\n").unwrap();
    std::fs::write(
        src.join("a/y.rs"),
        "pub struct Y;\nfn f() { crate::a::x::g(); }\n#[cfg(test)]\nmod tests { use crate::b; }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("b.rs"),
        "pub struct Thing;\nuse crate::{a::{x, y}, ExitStatus};\n",
    )
    .unwrap();
    let graphs = module_graphs(src);
    assert_eq!(cycles(&graphs[&Vec::new()]), vec![vec!["a", "b"]]);
    assert_eq!(cycles(&graphs[&vec!["a".to_owned()]]), vec![vec!["x", "y"]]);
    // A path inside a test module or a comment is no edge.
    assert!(!graphs[&vec!["a".to_owned()]]["y"].contains_key("z"));
    assert!(!graphs[&vec!["a".to_owned()]]["x"].contains_key("z"));
}

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn shown_parent(parent: &[String]) -> String {
    if parent.is_empty() {
        "crate".to_owned()
    } else {
        format!("crate::{}", parent.join("::"))
    }
}

/// Every `.rs` file below `root`, with its module path.
fn source_files(root: &Path) -> Vec<(PathBuf, ModulePath)> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            let mut module: ModulePath = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            files.push((path, module));
        }
    }
    files.sort();
    files
}

/// The graph of each folder's children, built from every file's paths.
fn module_graphs(root: &Path) -> BTreeMap<ModulePath, Graph> {
    let files = source_files(root);
    let modules: BTreeSet<ModulePath> = files.iter().map(|(_, m)| m.clone()).collect();
    let mut graphs: BTreeMap<ModulePath, Graph> = BTreeMap::new();
    for module in &modules {
        if let Some((_, parent)) = module.split_last() {
            graphs
                .entry(parent.to_vec())
                .or_default()
                .entry(module[parent.len()].clone())
                .or_default();
        }
    }
    for (path, module) in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let shown = path.strip_prefix(root).unwrap().display().to_string();
        for target in referenced_paths(&code_of(&text), module) {
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            let (Some(from), Some(to)) = (module.get(common), target.get(common)) else {
                continue;
            };
            // Only modules count; `super::Dialect` names an item of the parent.
            if !modules.contains(&target[..=common]) {
                continue;
            }
            graphs
                .entry(module[..common].to_vec())
                .or_default()
                .entry(from.clone())
                .or_default()
                .entry(to.clone())
                .or_default()
                .insert(shown.clone());
        }
    }
    graphs
}

/// The code of a file without comments and without its `#[cfg(test)]`
/// modules (test code may import whatever it tests).
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut skipping_test_module = false;
    let mut depth = 0usize;
    let mut pending_cfg_test = false;
    for line in text.lines() {
        let line = without_comment(line);
        let trimmed = line.trim();
        if skipping_test_module {
            depth += trimmed.matches('{').count();
            depth = depth.saturating_sub(trimmed.matches('}').count());
            if depth == 0 {
                skipping_test_module = false;
            }
            continue;
        }
        if trimmed == "#[cfg(test)]" {
            pending_cfg_test = true;
            continue;
        }
        if pending_cfg_test && trimmed.starts_with("mod ") && trimmed.ends_with('{') {
            skipping_test_module = true;
            depth = 1;
            pending_cfg_test = false;
            continue;
        }
        pending_cfg_test = false;
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// `line` without a `//` comment (one outside a string literal).
fn without_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' if in_string => index += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(index + 1) == Some(&b'/') => return &line[..index],
            _ => {}
        }
        index += 1;
    }
    line
}

/// The module paths (made absolute) that `code`, the code of `module`, names.
fn referenced_paths(code: &str, module: &ModulePath) -> Vec<ModulePath> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    for start in ["crate::", "super::", "self::"]
        .iter()
        .flat_map(|prefix| code.match_indices(prefix).map(|(i, _)| i))
        .collect::<BTreeSet<_>>()
    {
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b':')
        {
            continue;
        }
        let mut paths = Vec::new();
        parse_path(&code[start..], &mut Vec::new(), &mut paths);
        for path in paths {
            if let Some(absolute) = absolute(&path, module) {
                found.push(absolute);
            }
        }
    }
    found
}

/// Reads one path (`a::b::{c, d::e}`) from the start of `text`, adding each
/// full path to `out` as a list of segments (`self` in a group names the
/// group's prefix).
fn parse_path(text: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let bytes = text.as_bytes();
    let mut index = 0;
    let depth_at_start = prefix.len();
    loop {
        while bytes.get(index).is_some_and(|b| b.is_ascii_whitespace()) {
            index += 1;
        }
        if bytes.get(index) == Some(&b'{') {
            index += 1;
            loop {
                while bytes
                    .get(index)
                    .is_some_and(|b| b.is_ascii_whitespace() || *b == b',')
                {
                    index += 1;
                }
                match bytes.get(index) {
                    None => break,
                    Some(b'}') => {
                        index += 1;
                        break;
                    }
                    _ => {}
                }
                let used = parse_path(&text[index..], prefix, out);
                if used == 0 {
                    index += 1;
                } else {
                    index += used;
                }
            }
            prefix.truncate(depth_at_start);
            return index;
        }
        let length = text[index..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'*')
            .count();
        if length == 0 {
            break;
        }
        let segment = &text[index..index + length];
        index += length;
        if segment != "self" || prefix.is_empty() {
            prefix.push(segment.to_owned());
        }
        if text[index..].starts_with("::") {
            index += 2;
            continue;
        }
        break;
    }
    if !prefix.is_empty() {
        out.push(prefix.clone());
    }
    prefix.truncate(depth_at_start);
    index
}

/// `path` (starting with `crate`, `super` or `self`) from the crate root.
fn absolute(path: &[String], module: &ModulePath) -> Option<ModulePath> {
    let (first, rest) = path.split_first()?;
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.clone(),
        "super" => module.split_last()?.1.to_vec(),
        _ => return None,
    };
    let mut rest = rest;
    while let Some((next, tail)) = rest.split_first() {
        if next == "super" && first == "super" {
            base.pop();
            rest = tail;
        } else {
            break;
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The strongly connected components of more than one module, each sorted,
/// in order (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<Vec<String>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g str) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        state.on_stack.insert(node);
        let targets: Vec<&'g str> = state
            .graph
            .get(node)
            .map(|t| t.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for target in targets {
            if !state.index.contains_key(target) {
                visit(state, target);
                let low = state.low[node].min(state.low[target]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(target) {
                let low = state.low[node].min(state.index[target]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member.to_owned());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.components.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.components.sort();
    state.components
}

/// The edges inside `component`, one per line, with the files making them.
fn component_edges(graph: &Graph, component: &[String]) -> String {
    let mut lines = Vec::new();
    for from in component {
        for (to, files) in graph.get(from).into_iter().flatten() {
            if component.contains(to) {
                let files: Vec<&str> = files.iter().map(String::as_str).collect();
                lines.push(format!("  {from} -> {to}  ({})", files.join(", ")));
            }
        }
    }
    lines.join("\n")
}
