//! Schemas declared once, as data: attributes with their type, flags,
//! markdown description, validators and plan modifiers; nested blocks. The
//! protocol layer sends them to Terraform, the framework validates and plans
//! with them, and the docs are rendered from them.

use super::diagnostics::Diagnostics;
use super::path::AttrPath;
use super::validators::Validator;
use crate::value::{Type, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The schema of a provider, resource or data source.
#[derive(Clone)]
pub struct Schema {
    /// Bumped when stored state needs an upgrade.
    pub version: i64,
    pub block: Block,
}

/// A block: attributes and nested blocks.
#[derive(Clone, Default)]
pub struct Block {
    /// Markdown shown in docs.
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub deprecated: bool,
}

/// Whether the user must, may, or cannot set an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
    /// The user may set it; otherwise the provider does.
    OptionalComputed,
}

/// How the framework plans an attribute beyond the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanModifier {
    /// A change to this attribute replaces the resource.
    RequiresReplace,
    /// A computed value stays as it was instead of becoming unknown on update.
    UseStateForUnknown,
}

/// One attribute.
#[derive(Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub description: String,
    pub presence: Presence,
    pub sensitive: bool,
    /// Deprecation message: what to use instead.
    pub deprecated: Option<String>,
    pub validators: Vec<Arc<dyn Validator>>,
    pub plan_modifiers: Vec<PlanModifier>,
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one; null when absent.
    Single,
    List,
    Set,
}

/// A nested block such as `assume_role { … }`.
#[derive(Clone)]
pub struct NestedBlock {
    pub name: &'static str,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl Schema {
    /// A version-0 schema for `block`.
    pub fn new(block: Block) -> Self {
        Schema { version: 0, block }
    }

    /// The object type of a whole configuration or state.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

impl Block {
    /// An empty block with a markdown description.
    pub fn new(description: impl Into<String>) -> Self {
        Block {
            description: description.into(),
            ..Block::default()
        }
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a nested block.
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// The object type of this block's values.
    pub fn value_type(&self) -> Type {
        let mut fields: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.to_owned(), a.ty.clone()))
            .collect();
        for nested in &self.blocks {
            let object = nested.block.value_type();
            let ty = match nested.nesting {
                Nesting::Single => object,
                Nesting::List => Type::List(Box::new(object)),
                Nesting::Set => Type::Set(Box::new(object)),
            };
            fields.insert(nested.name.to_owned(), ty);
        }
        Type::Object(fields)
    }

    /// The attribute called `name`.
    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Runs every validator on the known, non-null values of `value` (an
    /// object of this block), and warns about deprecated attributes in use.
    pub fn validate(&self, value: &Value, at: Option<&AttrPath>, diags: &mut Diagnostics) {
        let path_of = |name: &str| at.map_or_else(|| AttrPath::root(name), |p| p.attr(name));
        for attribute in &self.attributes {
            let Some(v) = value.get(attribute.name) else {
                continue;
            };
            if v.is_null() {
                continue;
            }
            let path = path_of(attribute.name);
            if let Some(message) = &attribute.deprecated {
                diags.attribute_warning(path.clone(), "Deprecated attribute", message.clone());
            }
            if v.is_unknown() {
                continue;
            }
            if check_no_null_elements(&path, v, diags) {
                continue;
            }
            for validator in &attribute.validators {
                validator.validate(&path, v, diags);
            }
        }
        for nested in &self.blocks {
            let Some(v) = value.get(nested.name) else {
                continue;
            };
            let path = path_of(nested.name);
            match v {
                Value::Object(_) => nested.block.validate(v, Some(&path), diags),
                Value::List(items) | Value::Set(items) => {
                    for (i, item) in items.iter().enumerate() {
                        nested.block.validate(item, Some(&path.index(i)), diags);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Adds an error for each null element of a list, set or map and returns
/// true when there was one: AWS takes no null ids or names, and dropping
/// them silently would apply something other than what was written.
fn check_no_null_elements(path: &AttrPath, value: &Value, diags: &mut Diagnostics) -> bool {
    let nulls: Vec<AttrPath> = match value {
        Value::List(items) | Value::Set(items) => items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.is_null())
            .map(|(i, _)| path.index(i))
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .filter(|(_, item)| item.is_null())
            .map(|(key, _)| path.key(key))
            .collect(),
        _ => Vec::new(),
    };
    for at in &nulls {
        diags.attribute_error(
            at.clone(),
            format!("Null element in {path}"),
            format!(
                "{at} is null. Remove it or give it a value; for a list built from optional \
                 values, drop the nulls with compact() (lists) or a for expression (maps)."
            ),
        );
    }
    !nulls.is_empty()
}

impl Attribute {
    fn new(name: &'static str, ty: Type, presence: Presence) -> Self {
        Attribute {
            name,
            ty,
            description: String::new(),
            presence,
            sensitive: false,
            deprecated: None,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
        }
    }

    /// An attribute the user must set.
    pub fn required(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Presence::Required)
    }

    /// An attribute the user may set.
    pub fn optional(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Presence::Optional)
    }

    /// An attribute only the provider sets.
    pub fn computed(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Presence::Computed)
    }

    /// An attribute the user may set, else the provider does.
    pub fn optional_computed(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Presence::OptionalComputed)
    }

    /// Sets the markdown description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// Marks the value as secret: Terraform redacts it in plans and output.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Marks the attribute deprecated, with what to use instead.
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecated = Some(message.into());
        self
    }

    /// Adds a validator.
    pub fn validator(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// A change to this attribute replaces the resource.
    pub fn requires_replace(mut self) -> Self {
        self.plan_modifiers.push(PlanModifier::RequiresReplace);
        self
    }

    /// Keeps the prior computed value on update instead of planning unknown.
    pub fn use_state_for_unknown(mut self) -> Self {
        self.plan_modifiers.push(PlanModifier::UseStateForUnknown);
        self
    }

    /// True when Terraform may leave this attribute to the provider.
    pub fn is_computed(&self) -> bool {
        matches!(
            self.presence,
            Presence::Computed | Presence::OptionalComputed
        )
    }

    /// The text for docs: the description followed by validator rules.
    pub fn documentation(&self) -> String {
        let rules: Vec<String> = self.validators.iter().map(|v| v.description()).collect();
        if rules.is_empty() {
            return self.description.clone();
        }
        let rules = rules.join("; ");
        let mut chars = rules.chars();
        let first = chars
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
            .unwrap_or_default();
        format!("{} {first}{}.", self.description, chars.as_str())
    }
}

impl NestedBlock {
    /// A block that appears at most once (Terraform wants min = max = 0 for that).
    pub fn single(name: &'static str, block: Block) -> Self {
        NestedBlock {
            name,
            nesting: Nesting::Single,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    /// A block that may repeat, order kept.
    pub fn list(name: &'static str, block: Block) -> Self {
        NestedBlock {
            name,
            nesting: Nesting::List,
            block,
            min_items: 0,
            max_items: 0,
        }
    }
}
