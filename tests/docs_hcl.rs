//! Every HCL block users copy — fenced `hcl`/`terraform` blocks in the
//! README and docs/, and every example directory — is `terraform fmt`
//! clean and passes `terraform validate` against this provider's schema.
//!
//! hashicorp/aws cannot be installed offline, so its parts are stubbed
//! before validate: `aws_*` resource, data and provider blocks — and
//! `module` blocks, whose sources cannot be fetched either — are left out
//! (what they reference of this provider is kept, as locals), and references
//! to them become variables of any type. What this provider's resources are
//! given — attribute names, types, blocks — is validated for real.

mod support;

use std::path::{Path, PathBuf};
use support::terraform::{Workspace, REQUIRED_PROVIDERS};

/// One block to check: where it comes from and its text (one example
/// directory is one block of all its files).
struct Snippet {
    origin: String,
    files: Vec<(String, String)>,
}

/// Fenced `hcl` / `terraform` blocks of a markdown file.
fn fenced_blocks(path: &Path) -> Vec<Snippet> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut found = Vec::new();
    // (first line, the fence's indentation — a block in a list item is
    // indented with it — and the lines so far)
    let mut current: Option<(usize, usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim() == "```hcl" || line.trim() == "```terraform" => {
                let indent = line.len() - line.trim_start().len();
                current = Some((i + 1, indent, String::new()));
            }
            Some((start, _, body)) if line.trim() == "```" => {
                found.push(Snippet {
                    origin: format!("{}:{start}", path.display()),
                    files: vec![("main.tf".to_owned(), std::mem::take(body))],
                });
                current = None;
            }
            Some((_, indent, body)) => {
                let cut = line.len() - line.trim_start().len();
                body.push_str(&line[cut.min(*indent)..]);
                body.push('\n');
            }
            None => {}
        }
    }
    found
}

/// The markdown files and example directories users copy from.
fn snippets() -> Vec<Snippet> {
    let root = support::repo_root();
    let mut markdown = vec![root.join("README.md")];
    let mut dirs = vec![root.join("docs")];
    let mut example_dirs = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                markdown.push(path);
            }
        }
    }
    let mut pending = vec![root.join("examples")];
    while let Some(dir) = pending.pop() {
        let mut has_tf = false;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            example_dirs.push(dir);
        }
    }
    let mut all: Vec<Snippet> = markdown.iter().flat_map(|p| fenced_blocks(p)).collect();
    for dir in example_dirs {
        let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tf"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        files.sort();
        all.push(Snippet {
            origin: dir.display().to_string(),
            files,
        });
    }
    all
}

/// Runs of identifier characters and dots (`aws_vpc.ml.id`), with where
/// they start.
fn dotted_runs(text: &str) -> Vec<(usize, &str)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        let part = c.is_ascii_alphanumeric() || c == '_' || c == '.';
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, text[s..i].trim_end_matches('.')));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// True for a reference to an object of `provider` (`aws`, `sagemaker`):
/// `TYPE.NAME.ATTR…` or `data.TYPE.NAME.ATTR…`.
fn references(run: &str, provider: &str) -> bool {
    let parts: Vec<&str> = run.split('.').collect();
    let parts = if parts.first() == Some(&"data") {
        &parts[1..]
    } else {
        &parts[..]
    };
    parts.len() >= 3 && parts[0].starts_with(&format!("{provider}_"))
}

/// Splits HCL into top-level blocks (header line to the `}` that closes it
/// at column 0) and the lines between them.
fn top_level_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        current.push_str(line);
        current.push('\n');
        let opens_and_closes = !line.starts_with([' ', '#']) && line.trim_end().ends_with('}');
        if line == "}" || (opens_and_closes && !line.trim_end().ends_with('{')) {
            blocks.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        blocks.push(current);
    }
    blocks
}

/// The first line of a top-level block that is not a comment.
fn header(block: &str) -> &str {
    block
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("//"))
        .unwrap_or_default()
}

/// `TYPE.NAME` (or `data.TYPE.NAME`) of a `resource`/`data` block header.
fn declared_address(header: &str) -> Option<String> {
    let mut words = header.split_whitespace();
    let kind = words.next()?;
    let ty = words.next()?.trim_matches('"');
    let name = words.next()?.trim_matches('"');
    match kind {
        "resource" => Some(format!("{ty}.{name}")),
        "data" => Some(format!("data.{ty}.{name}")),
        _ => None,
    }
}

/// The `TYPE.NAME` (or `data.TYPE.NAME`) a reference starts with.
fn address_of(run: &str) -> String {
    let take = if run.starts_with("data.") { 3 } else { 2 };
    run.split('.').take(take).collect::<Vec<_>>().join(".")
}

/// The snippet with hashicorp/aws stubbed out (see the module comment),
/// references to this provider's objects declared in another snippet (a
/// README block continuing an earlier one) stubbed alike, and the provider
/// requirement and variables it needs declared.
fn stubbed(text: &str) -> String {
    let mut kept = Vec::new();
    let mut keep_refs = Vec::new();
    for block in top_level_blocks(text) {
        let is_aws = [
            "resource \"aws_",
            "data \"aws_",
            "provider \"aws\"",
            "module \"",
        ]
        .iter()
        .any(|h| header(&block).starts_with(h));
        if is_aws {
            for (_, run) in dotted_runs(&block) {
                if references(run, "sagemaker") {
                    keep_refs.push(run.to_owned());
                }
            }
        } else {
            kept.push(without_aws_requirement(&block));
        }
    }
    let declared: Vec<String> = kept
        .iter()
        .filter_map(|b| declared_address(header(b)))
        .collect();
    let stub_it = |run: &str| {
        references(run, "aws")
            || (references(run, "sagemaker") && !declared.contains(&address_of(run)))
    };
    // depends_on takes resources only: entries declared elsewhere go.
    let kept: String = kept
        .concat()
        .lines()
        .filter(|line| {
            !(line.trim_start().starts_with("depends_on")
                && dotted_runs(line).iter().any(|(_, run)| {
                    run.split('.').count() == 2 && !declared.contains(&run.to_string())
                }))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    keep_refs.retain(|r| declared.contains(&address_of(r)));
    let mut out = String::new();
    let mut last = 0;
    let mut stubs = Vec::new();
    for (start, run) in dotted_runs(&kept) {
        if stub_it(run) {
            out.push_str(&kept[last..start]);
            let stub = format!("stub_{}", stubs.len());
            out.push_str(&format!("var.{stub}"));
            stubs.push(stub);
            last = start + run.len();
        }
    }
    out.push_str(&kept[last..]);
    for stub in &stubs {
        out.push_str(&format!("variable \"{stub}\" {{\n  type = any\n}}\n"));
    }
    let mut undeclared: Vec<String> = Vec::new();
    for (_, run) in dotted_runs(&out.clone()) {
        if let Some(name) = run.strip_prefix("var.").and_then(|r| r.split('.').next()) {
            let declaration = format!("variable \"{name}\"");
            if !out.contains(&declaration) && !undeclared.contains(&name.to_owned()) {
                undeclared.push(name.to_owned());
            }
        }
    }
    for name in undeclared {
        out.push_str(&format!("variable \"{name}\" {{\n  type = any\n}}\n"));
    }
    for (i, reference) in keep_refs.iter().enumerate() {
        out.push_str(&format!("locals {{\n  kept_{i} = {reference}\n}}\n"));
    }
    if !out.contains("required_providers") {
        out.push_str(REQUIRED_PROVIDERS);
    }
    out
}

/// A `terraform { required_providers { … } }` block without its `aws` entry.
fn without_aws_requirement(block: &str) -> String {
    if !block.contains("required_providers") {
        return block.to_owned();
    }
    let mut out = String::new();
    let mut depth_in_aws = 0i32;
    for line in block.lines() {
        let trimmed = line.trim_start();
        if depth_in_aws == 0 && (trimmed.starts_with("aws ") || trimmed.starts_with("aws=")) {
            depth_in_aws = line.matches('{').count() as i32 - line.matches('}').count() as i32;
            continue;
        }
        if depth_in_aws > 0 {
            depth_in_aws += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// What is wrong with a snippet, if anything: `terraform fmt` differences
/// or `terraform validate` errors.
fn problems(ws: &Workspace, snippet: &Snippet) -> Option<String> {
    for entry in std::fs::read_dir(ws.path()).unwrap() {
        let path: PathBuf = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            std::fs::remove_file(path).unwrap();
        }
    }
    for (name, text) in &snippet.files {
        ws.write(name, text);
    }
    let names: Vec<&str> = snippet.files.iter().map(|(n, _)| n.as_str()).collect();
    let mut fmt = vec!["fmt", "-check", "-diff"];
    fmt.extend(&names);
    let formatted = ws.run(&fmt);
    if !formatted.success() {
        return Some(format!(
            "not `terraform fmt` clean:\n{}",
            formatted.combined()
        ));
    }
    let all: String = snippet
        .files
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    // A CLI configuration file (`provider_installation { … }`) is HCL but
    // not a module: formatting is all there is to check.
    if header(&all).starts_with("provider_installation") {
        return None;
    }
    for (name, _) in &snippet.files {
        std::fs::remove_file(ws.path().join(name)).unwrap();
    }
    ws.write("main.tf", &stubbed(&all));
    let init = ws.run(&["init", "-input=false", "-backend=false"]);
    if !init.success() {
        return Some(format!("`terraform init` failed:\n{}", init.combined()));
    }
    let validated = ws.run(&["validate"]);
    (!validated.success()).then(|| {
        format!(
            "`terraform validate` failed:\n{}\n--- validated as ---\n{}",
            validated.combined(),
            ws.read("main.tf")
        )
    })
}

#[test]
fn every_hcl_block_of_the_readme_docs_and_examples_is_formatted_and_valid() {
    let ws = Workspace::new(REQUIRED_PROVIDERS);
    let snippets = snippets();
    assert!(snippets.len() >= 10, "found only {} blocks", snippets.len());
    let failures: Vec<String> = snippets
        .iter()
        .filter_map(|s| problems(&ws, s).map(|p| format!("{}: {p}", s.origin)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_check_fails_a_misformatted_block_and_a_misspelt_attribute() {
    let ws = Workspace::new(REQUIRED_PROVIDERS);
    let block = |text: &str| Snippet {
        origin: "test".into(),
        files: vec![("main.tf".into(), text.into())],
    };
    let misformatted = "resource \"sagemaker_private_network\" \"x\" {\n  vpc_id = aws_vpc.ml.id\n  subnet_ids = [aws_subnet.a.id]\n}\n";
    let found = problems(&ws, &block(misformatted)).expect("a misformatted block fails");
    assert!(found.contains("fmt"), "{found}");
    let misspelt = "resource \"sagemaker_private_network\" \"x\" {\n  vpc_id    = aws_vpc.ml.id\n  subnet_id = [aws_subnet.a.id]\n}\n";
    let found = problems(&ws, &block(misspelt)).expect("a misspelt attribute fails");
    assert!(found.contains("Unsupported argument"), "{found}");
    // Sound references to aws objects and this provider's pass.
    let fine = "resource \"aws_security_group\" \"t\" {\n  vpc_id = aws_vpc.ml.id\n  egress {\n    security_groups = [sagemaker_private_network.x.security_group_id]\n  }\n}\n\nresource \"sagemaker_private_network\" \"x\" {\n  vpc_id     = aws_vpc.ml.id\n  subnet_ids = [aws_subnet.a.id, data.aws_subnet.b.id]\n}\n";
    assert_eq!(problems(&ws, &block(fine)), None);
    // A reference from an aws block to this provider is still checked.
    let wrong_output = fine.replace("security_group_id]", "security_group]");
    let found = problems(&ws, &block(&wrong_output)).expect("a wrong attribute reference fails");
    assert!(found.contains("Unsupported attribute"), "{found}");
}
