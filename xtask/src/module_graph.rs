//! Which top-level modules of a crate use which others, read from the sources, and the
//! circles among them.
//!
//! A circle (`engine` uses `walk` and `walk` uses `engine`) means neither module can be read,
//! tested or moved without the other; the crates are kept free of them, and the test below
//! fails when one comes back, naming the modules and the uses that close it. A "use" is any
//! `crate::<module>` path in code, whether in a `use` line, a `use crate::{a, b}` group or a
//! path written inline; comment lines and `#[cfg(test)] mod` blocks are left out (a test may
//! reach anywhere, and a doc link is not a dependency). Not followed: `super::` paths that climb
//! out of a top-level module, and items the crate root re-exports (`crate::ImageType`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};

/// For each top-level module of the crate whose sources are in `src`, the other top-level
/// modules it uses, each with one file that does.
pub type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The module graph of the crate at `src` (its `src/` folder).
pub fn of_crate(src: &Path) -> Result<Graph> {
    let mut graph = Graph::new();
    for file in rust_files(src)? {
        let relative = file.strip_prefix(src).context("a file under src")?;
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|c| c.trim_end_matches(".rs").to_owned())
            .context("a file name")?;
        if top == "lib" || top == "main" || top == "bin" {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let uses = graph.entry(top.clone()).or_default();
        for used in used_modules(&text) {
            if used != top {
                uses.entry(used)
                    .or_insert_with(|| relative.display().to_string());
            }
        }
    }
    Ok(graph)
}

/// The circles of `graph`: each a set of two or more modules that all reach one another.
pub fn circles(graph: &Graph) -> Vec<BTreeSet<String>> {
    // Two modules are in one circle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(m) = todo.pop() {
            for next in graph.get(&m).into_iter().flat_map(|u| u.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut circles: Vec<BTreeSet<String>> = Vec::new();
    for (m, from_m) in &reached {
        let circle: BTreeSet<String> = from_m
            .iter()
            .filter(|other| reached.get(other).is_some_and(|r| r.contains(*m)))
            .cloned()
            .collect();
        if circle.len() > 1 && !circles.contains(&circle) {
            circles.push(circle);
        }
    }
    circles
}

/// The top-level modules `text` names as `crate::<module>`, outside comments and test modules.
fn used_modules(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let code = without_test_modules(&code);
    let mut used = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            // `use crate::{a, b::{c, d}, e}`, across lines as rustfmt writes it: the first
            // segment of each item at the group's own level.
            Some(group) => {
                let mut depth = 0;
                let mut item_start = true;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item_start = true,
                        c if c.is_whitespace() => {}
                        _ if item_start => {
                            item_start = false;
                            used.extend(first_segment(&group[i..]));
                        }
                        _ => {}
                    }
                }
            }
            None => used.extend(first_segment(rest)),
        }
    }
    used
}

/// `code` without its `#[cfg(test)] mod … { … }` blocks, wherever they are in the file.
fn without_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let is_module = after.trim_start().starts_with("mod ");
        match after.find(['{', ';']) {
            Some(open) if is_module && after[open..].starts_with('{') => {
                let mut depth = 0;
                let mut end = after.len();
                for (i, c) in after[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest = &after[end..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// The path segment `path` starts with: a module's name, or nothing for `self` and the like.
fn first_segment(path: &str) -> Option<String> {
    let name: String = path
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty() && name != "self").then_some(name)
}

fn rust_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The crates whose modules must not form circles.
    const CRATES: [&str; 6] = ["shared", "media", "app", "sync-server", "tests", "xtask"];

    #[test]
    fn no_crate_of_the_workspace_has_a_circle_between_its_modules() {
        let root = crate::cmd::workspace_root();
        let mut found = Vec::new();
        for name in CRATES {
            let graph = of_crate(&root.join(name).join("src")).unwrap();
            for circle in circles(&graph) {
                let uses: Vec<String> = circle
                    .iter()
                    .flat_map(|m| {
                        graph[m]
                            .iter()
                            .filter(|(used, _)| circle.contains(*used))
                            .map(move |(used, file)| format!("{m} uses {used} ({file})"))
                    })
                    .collect();
                found.push(format!("{name}: {}", uses.join("; ")));
            }
        }
        assert!(
            found.is_empty(),
            "circles between modules:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn a_circle_is_found_and_comments_and_tests_are_not_uses() {
        let dir = std::env::temp_dir().join(format!("module-graph-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("engine")).unwrap();
        std::fs::write(
            dir.join("lib.rs"),
            "pub mod engine;\npub mod ids;\npub mod walk;\npub mod ui;\n",
        )
        .unwrap();
        std::fs::write(dir.join("ids.rs"), "pub struct Id;\n").unwrap();
        std::fs::write(
            dir.join("engine/mod.rs"),
            "use crate::{\n    walk::{Refusal, Reason},\n    ui,\n};\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("walk.rs"),
            "// see crate::ui\nfn f() -> crate::engine::Engine { todo!() }\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("ui.rs"),
            "/// [`crate::engine`]\npub struct Ui;\n#[cfg(test)]\nmod tests {\n    use crate::walk;\n    fn f() {}\n}\npub fn after() -> crate::ids::Id { todo!() }\n",
        )
        .unwrap();
        let graph = of_crate(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            graph["engine"].keys().collect::<Vec<_>>(),
            ["ui", "walk"],
            "{graph:?}"
        );
        // The code after a test module is read; the test module is not.
        assert_eq!(graph["ui"].keys().collect::<Vec<_>>(), ["ids"], "{graph:?}");
        let circles = circles(&graph);
        assert_eq!(circles.len(), 1, "{circles:?}");
        assert_eq!(
            circles[0].iter().collect::<Vec<_>>(),
            ["engine", "walk"],
            "{circles:?}"
        );
    }
}
