//! Conversions between protobuf messages and framework types: schemas,
//! diagnostics with attribute paths, and `DynamicValue`s. Generated types
//! stop here.

use super::proto::tfplugin6 as pb;
use crate::framework::path::PathStep;
use crate::framework::schema::{Attribute, Block, NestedBlock, Nesting, Presence};
use crate::framework::{AttrPath, Diagnostics, Schema, Severity};
use crate::value::{self, Type, Value};

/// A framework schema as protobuf.
pub fn schema_to_proto(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_to_proto(&schema.block, schema.version)),
    }
}

fn block_to_proto(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute_to_proto).collect(),
        block_types: block.blocks.iter().map(nested_block_to_proto).collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: block.deprecated,
    }
}

fn attribute_to_proto(attribute: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attribute.name.to_owned(),
        r#type: attribute.ty.to_json(),
        description: attribute.documentation(),
        required: attribute.presence == Presence::Required,
        optional: matches!(
            attribute.presence,
            Presence::Optional | Presence::OptionalComputed
        ),
        computed: attribute.is_computed(),
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: attribute.deprecated.is_some(),
        nested_type: None,
        write_only: false,
    }
}

fn nested_block_to_proto(nested: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match nested.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
    };
    pb::schema::NestedBlock {
        type_name: nested.name.to_owned(),
        block: Some(block_to_proto(&nested.block, 0)),
        nesting: nesting as i32,
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

/// Framework diagnostics as protobuf.
pub fn diagnostics_to_proto(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags
        .into_iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: d.summary,
            detail: d.detail,
            attribute: d.path.as_ref().map(path_to_proto),
        })
        .collect()
}

/// An attribute path as protobuf.
pub fn path_to_proto(path: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    let steps = path
        .steps()
        .iter()
        .map(|step| pb::attribute_path::Step {
            selector: Some(match step {
                PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                PathStep::Index(index) => Selector::ElementKeyInt(*index),
            }),
        })
        .collect();
    pb::AttributePath { steps }
}

/// Decodes a `DynamicValue` of type `ty` (msgpack, or JSON; both empty = null).
pub fn decode_dynamic(dynamic: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, Diagnostics> {
    let Some(dynamic) = dynamic else {
        return Ok(Value::Null);
    };
    let result = if !dynamic.msgpack.is_empty() {
        value::decode(&dynamic.msgpack, ty).map_err(|e| e.to_string())
    } else if !dynamic.json.is_empty() {
        value::from_state_json(&dynamic.json, ty).map_err(|e| e.to_string())
    } else {
        return Ok(Value::Null);
    };
    result.map_err(|e| {
        Diagnostics::from_error(
            "Cannot decode a value from Terraform",
            format!("{e}. This is a provider bug or a Terraform version mismatch: report it with TF_LOG=trace output."),
        )
    })
}

/// Encodes `value` of type `ty` as a msgpack `DynamicValue`.
pub fn encode_dynamic(value: &Value, ty: &Type) -> Result<pb::DynamicValue, Diagnostics> {
    let msgpack = value::encode(value, ty).map_err(|e| {
        Diagnostics::from_error(
            "Cannot encode a value for Terraform",
            format!("{e}. This is a provider bug: report it with TF_LOG=trace output."),
        )
    })?;
    Ok(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

/// A provider function's signature as Terraform wants it.
pub fn function_to_proto(function: &dyn crate::framework::function::Function) -> pb::Function {
    pb::Function {
        parameters: function
            .parameters()
            .into_iter()
            .map(|p| pb::function::Parameter {
                name: p.name.to_owned(),
                r#type: p.ty.to_json(),
                allow_null_value: false,
                allow_unknown_values: false,
                description: p.description.to_owned(),
                description_kind: pb::StringKind::Markdown as i32,
            })
            .collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return {
            r#type: function.return_type().to_json(),
        }),
        summary: function.summary().to_owned(),
        description: function.description().to_owned(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_steps() {
        let path = AttrPath::root("endpoints").attr("ec2");
        let proto = path_to_proto(&path);
        assert_eq!(proto.steps.len(), 2);
    }

    #[test]
    fn attributes_keep_their_flags() {
        let attribute = Attribute::optional_computed("x", Type::String).sensitive();
        let proto = attribute_to_proto(&attribute);
        assert!(proto.optional && proto.computed && !proto.required && proto.sensitive);
        assert_eq!(proto.r#type, b"\"string\"");
    }

    #[test]
    fn empty_dynamic_value_is_null() {
        let empty = pb::DynamicValue::default();
        assert_eq!(
            decode_dynamic(Some(&empty), &Type::String).unwrap(),
            Value::Null
        );
    }
}
