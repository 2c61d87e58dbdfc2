//! Terraform Registry documentation rendered from the schemas declared in
//! code, in the layout and style of HashiCorp's tfplugindocs: `docs/index.md`
//! for the provider, `docs/data-sources/<name>.md` and
//! `docs/resources/<name>.md`, each with front matter, the description, an
//! example from `examples/` when there is one, and the schema.
//!
//! `tests/docs.rs` fails when the committed pages differ from these;
//! `UPDATE_DOCS=1 cargo test --test docs` (`make docs`) rewrites them.

use crate::framework::function::Function;
use crate::framework::schema::{Block, Nesting, Presence};
use crate::framework::server::ProviderServer;
use crate::framework::Schema;
use crate::value::Type;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// Every documentation page as `(path relative to the repository, markdown)`.
/// Examples are read from `repo_root/examples/…`; a missing example file
/// leaves out the page's "Example Usage" section.
pub fn render_all(server: &ProviderServer, repo_root: &Path) -> Vec<(String, String)> {
    let provider = server.type_name();
    let example = |rel: String| std::fs::read_to_string(repo_root.join(rel)).ok();
    let mut pages = vec![(
        "docs/index.md".to_owned(),
        render_page(
            &Page {
                title: &format!("{provider} Provider"),
                heading: &format!("{provider} Provider"),
                subcategory: "",
                example: example("examples/provider/provider.tf".to_owned()),
                import: None,
            },
            server.provider_schema(),
        ),
    )];
    let kinds: [(_, _, _, Vec<_>); 2] = [
        (
            "Data Source",
            "data-sources",
            "data-source.tf",
            server.data_source_schemas().collect(),
        ),
        (
            "Resource",
            "resources",
            "resource.tf",
            server.resource_schemas().collect(),
        ),
    ];
    for (kind, dir, file, schemas) in kinds {
        for (name, schema) in schemas {
            let short = name.strip_prefix(&format!("{provider}_")).unwrap_or(name);
            let import = match (
                example(format!("examples/{dir}/{name}/import.tf")),
                example(format!("examples/{dir}/{name}/import.sh")),
            ) {
                (Some(block), Some(cli)) => Some((block, cli)),
                _ => None,
            };
            let page = render_page(
                &Page {
                    title: &format!("{name} {kind} - terraform-provider-{provider}"),
                    heading: &format!("{name} ({kind})"),
                    subcategory: subcategory(name),
                    example: example(format!("examples/{dir}/{name}/{file}")),
                    import,
                },
                schema,
            );
            pages.push((format!("docs/{dir}/{short}.md"), page));
        }
    }
    for (name, function) in server.functions() {
        let example = example(format!("examples/functions/{name}/function.tf"));
        pages.push((
            format!("docs/functions/{name}.md"),
            render_function(provider, function, example),
        ));
    }
    pages
}

/// The page of a provider function, in tfplugindocs' layout.
fn render_function(provider: &str, function: &dyn Function, example: Option<String>) -> String {
    let name = function.name();
    let summary = function.summary();
    let mut out = format!(
        "---\n# Generated from the provider's functions by src/docs.rs: run `make docs`, do not edit.\n\
         page_title: \"{name} function - terraform-provider-{provider}\"\nsubcategory: \"\"\n\
         description: |-\n  {summary}\n---\n\n# function: {name}\n\n{}\n",
        function.description()
    );
    if let Some(example) = example {
        let _ = write!(
            out,
            "\n## Example Usage\n\n```terraform\n{}\n```\n",
            example.trim_end()
        );
    }
    let parameters = function.parameters();
    let signature: Vec<String> = parameters
        .iter()
        .map(|p| format!("{} {}", p.name, type_name(&p.ty).to_lowercase()))
        .collect();
    let _ = write!(
        out,
        "\n## Signature\n\n```text\n{name}({}) {}\n```\n\n## Arguments\n\n",
        signature.join(", "),
        type_name(&function.return_type()).to_lowercase()
    );
    for (i, p) in parameters.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. `{}` ({}) {}",
            i + 1,
            p.name,
            type_name(&p.ty),
            p.description
        );
    }
    out
}

/// Writes every page of [`render_all`] under `repo_root`, creating directories.
pub fn write_all(server: &ProviderServer, repo_root: &Path) -> std::io::Result<()> {
    for (rel, markdown) in render_all(server, repo_root) {
        let path = repo_root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, markdown)?;
    }
    Ok(())
}

/// The tfplugindocs name of a type: `String`, `List of String`, `Map of Object`.
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "String".to_owned(),
        Type::Number => "Number".to_owned(),
        Type::Bool => "Bool".to_owned(),
        Type::Dynamic => "Dynamic".to_owned(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Tuple(_) => "Tuple".to_owned(),
        Type::Object(_) => "Object".to_owned(),
    }
}

/// The Registry's grouping of a resource or data source in the navigation.
fn subcategory(name: &str) -> &'static str {
    match name {
        "sagemaker_model" => "Models",
        "sagemaker_studio_domain" => "Studio",
        _ => "Networking",
    }
}

/// What a page shows besides the schema.
struct Page<'a> {
    title: &'a str,
    heading: &'a str,
    subcategory: &'a str,
    /// `examples/…/resource.tf` (or `data-source.tf`, `provider.tf`).
    example: Option<String>,
    /// `import.tf` (an `import` block) and `import.sh` (the CLI form).
    import: Option<(String, String)>,
}

fn render_page(page: &Page<'_>, schema: &Schema) -> String {
    let description = schema.block.description.trim();
    let (page_title, heading, subcategory) = (page.title, page.heading, page.subcategory);
    let mut out = format!(
        "---\n# Generated from the provider schemas by src/docs.rs: run `make docs`, do not edit.\n\
         page_title: \"{page_title}\"\nsubcategory: \"{subcategory}\"\ndescription: |-\n"
    );
    for line in description.lines() {
        out.push_str(format!("  {line}").trim_end());
        out.push('\n');
    }
    let _ = write!(out, "---\n\n# {heading}\n\n{description}\n");
    if let Some(example) = &page.example {
        let _ = write!(
            out,
            "\n## Example Usage\n\n```terraform\n{}\n```\n",
            example.trim_end()
        );
    }
    out.push_str("\n## Schema\n");
    render_items(block_items(&schema.block), &[], &mut out);
    if let Some((block, cli)) = &page.import {
        let _ = write!(
            out,
            "\n## Import\n\nIn Terraform 1.5 and later, use an `import` block:\n\n```terraform\n{}\n```\n\n\
             Or the `terraform import` command:\n\n```shell\n{}\n```\n",
            block.trim_end(),
            cli.trim_end()
        );
    }
    out
}

/// Where an attribute or block is listed, in page order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    fn title(self) -> &'static str {
        match self {
            Group::Required => "Required",
            Group::Optional => "Optional",
            Group::ReadOnly => "Read-Only",
        }
    }
}

/// What a nested schema section documents.
enum Nested<'a> {
    Block(&'a Block),
    Object(&'a BTreeMap<String, Type>),
}

/// One line of a schema list, with the section it links to.
struct Item<'a> {
    name: &'a str,
    group: Group,
    /// The parenthesised part: type and flags.
    kind: String,
    text: String,
    nested: Option<Nested<'a>>,
}

/// The object fields of `Object`, `List of Object`, `Map of Object`…
fn object_fields(ty: &Type) -> Option<&BTreeMap<String, Type>> {
    match ty {
        Type::Object(fields) => Some(fields),
        Type::List(e) | Type::Set(e) | Type::Map(e) => object_fields(e),
        _ => None,
    }
}

fn block_items(block: &Block) -> Vec<Item<'_>> {
    let attributes = block.attributes.iter().map(|a| {
        let group = match a.presence {
            Presence::Required => Group::Required,
            Presence::Optional | Presence::OptionalComputed => Group::Optional,
            Presence::Computed => Group::ReadOnly,
        };
        let mut kind = type_name(&a.ty);
        let mut text = a.documentation();
        if a.sensitive {
            kind.push_str(", Sensitive");
        }
        if let Some(message) = &a.deprecated {
            kind.push_str(", Deprecated");
            let _ = write!(text, " **Deprecated:** {message}");
        }
        let nested = object_fields(&a.ty).map(Nested::Object);
        Item {
            name: a.name,
            group,
            kind,
            text,
            nested,
        }
    });
    let blocks = block.blocks.iter().map(|b| {
        let group = if b.min_items > 0 {
            Group::Required
        } else {
            Group::Optional
        };
        let mut kind = match b.nesting {
            Nesting::Single => format!("Block, {}", group.title()),
            Nesting::List => "Block List".to_owned(),
            Nesting::Set => "Block Set".to_owned(),
        };
        if b.nesting != Nesting::Single {
            if b.min_items > 0 {
                let _ = write!(kind, ", Min: {}", b.min_items);
            }
            if b.max_items > 0 {
                let _ = write!(kind, ", Max: {}", b.max_items);
            }
        }
        if b.block.deprecated {
            kind.push_str(", Deprecated");
        }
        let text = b.block.description.clone();
        Item {
            name: b.name,
            group,
            kind,
            text,
            nested: Some(Nested::Block(&b.block)),
        }
    });
    attributes.chain(blocks).collect()
}

/// Object fields have no descriptions; they share their attribute's group.
fn object_items(fields: &BTreeMap<String, Type>, group: Group) -> Vec<Item<'_>> {
    let items = fields.iter().map(|(name, ty)| Item {
        name,
        group,
        kind: type_name(ty),
        text: String::new(),
        nested: object_fields(ty).map(Nested::Object),
    });
    items.collect()
}

/// Renders the grouped lists of one (nested) schema, then the sections of
/// its nested blocks and objects. `path` is empty for the top level.
fn render_items(mut items: Vec<Item<'_>>, path: &[&str], out: &mut String) {
    items.sort_by(|a, b| (a.group, a.name).cmp(&(b.group, b.name)));
    let anchor = |item: &Item, prefix: &str| {
        let names: Vec<&str> = path.iter().copied().chain([item.name]).collect();
        (format!("{prefix}--{}", names.join("--")), names.join("."))
    };
    let prefix = |nested: &Nested| match nested {
        Nested::Block(_) => "nestedblock",
        Nested::Object(_) => "nestedatt",
    };
    let mut group = None;
    for item in &items {
        if group != Some(item.group) {
            group = Some(item.group);
            let title = item.group.title();
            let _ = match path {
                [] => write!(out, "\n### {title}\n\n"),
                _ => write!(out, "\n{title}:\n\n"),
            };
        }
        let _ = write!(out, "- `{}` ({})", item.name, item.kind);
        let text = item.text.trim();
        if !text.is_empty() {
            let _ = write!(out, " {text}");
        }
        if let Some(nested) = &item.nested {
            let (id, _) = anchor(item, prefix(nested));
            let _ = write!(out, " (see [below for nested schema](#{id}))");
        }
        out.push('\n');
    }
    for item in &items {
        let Some(nested) = &item.nested else { continue };
        let (id, dotted) = anchor(item, prefix(nested));
        let _ = write!(
            out,
            "\n<a id=\"{id}\"></a>\n### Nested Schema for `{dotted}`\n"
        );
        let children = match nested {
            Nested::Block(block) => block_items(block),
            Nested::Object(fields) => object_items(fields, item.group),
        };
        let child_path: Vec<&str> = path.iter().copied().chain([item.name]).collect();
        render_items(children, &child_path, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::validators::IntBetween;
    use crate::framework::{Attribute, NestedBlock};

    #[test]
    fn type_names_follow_tfplugindocs() {
        assert_eq!(type_name(&Type::String), "String");
        assert_eq!(type_name(&Type::Bool), "Bool");
        assert_eq!(type_name(&Type::list(Type::String)), "List of String");
        assert_eq!(type_name(&Type::set(Type::Number)), "Set of Number");
        let object = Type::object([("id", Type::String)]);
        assert_eq!(type_name(&Type::map(object)), "Map of Object");
        assert_eq!(
            type_name(&Type::list(Type::map(Type::Bool))),
            "List of Map of Bool"
        );
    }

    #[test]
    fn renders_a_small_schema() {
        let schema = Schema::new(
            Block::new("A thing.\nSecond line.")
                .attribute(Attribute::computed("id", Type::String).description("Identifier."))
                .attribute(
                    Attribute::optional("count", Type::Number)
                        .description("How many.")
                        .validator(IntBetween(1, 3)),
                )
                .attribute(
                    Attribute::required("name", Type::String)
                        .description("Name.")
                        .sensitive(),
                )
                .attribute(
                    Attribute::computed("items", Type::list(Type::object([("a", Type::Bool)])))
                        .description("Items."),
                )
                .block(NestedBlock::single(
                    "opts",
                    Block::new("Options.").attribute(
                        Attribute::optional("old", Type::Bool)
                            .description("Old.")
                            .deprecated("Use new."),
                    ),
                )),
        );
        let page = render_page(
            &Page {
                title: "t Resource",
                heading: "t (Resource)",
                subcategory: "",
                example: Some("x {}\n\n".into()),
                import: None,
            },
            &schema,
        );
        let expected = r#"---
# Generated from the provider schemas by src/docs.rs: run `make docs`, do not edit.
page_title: "t Resource"
subcategory: ""
description: |-
  A thing.
  Second line.
---

# t (Resource)

A thing.
Second line.

## Example Usage

```terraform
x {}
```

## Schema

### Required

- `name` (String, Sensitive) Name.

### Optional

- `count` (Number) How many. Must be a whole number from 1 to 3.
- `opts` (Block, Optional) Options. (see [below for nested schema](#nestedblock--opts))

### Read-Only

- `id` (String) Identifier.
- `items` (List of Object) Items. (see [below for nested schema](#nestedatt--items))

<a id="nestedblock--opts"></a>
### Nested Schema for `opts`

Optional:

- `old` (Bool, Deprecated) Old. **Deprecated:** Use new.

<a id="nestedatt--items"></a>
### Nested Schema for `items`

Read-Only:

- `a` (Bool)
"#;
        assert_eq!(page, expected);
    }
}
