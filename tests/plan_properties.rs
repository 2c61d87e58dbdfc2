//! A property test: random values shaped by each schema — nulls and unknowns
//! at any depth, empty and huge collections, unicode, ids that exist in the
//! emulator and ids that do not — go through validate and plan of every
//! resource, and validate and read of every data source, as Terraform would
//! send them (the provider configured against the real moto server).
//!
//! Whatever the input: never a "provider bug" diagnostic, and every plan
//! obeys Terraform's rules for planned values (a value the configuration
//! sets is planned as written, unknown included; an attribute the provider
//! may not compute stays null when the configuration leaves it out; the
//! plan encodes as the schema's type) — else Terraform would fail with
//! "Provider produced invalid plan". The server repairs such a plan before
//! Terraform sees it; a case that needed a repair fails here all the same,
//! and at least one case in six must get past validate into a plan.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use support::ec2_fixture::{fixture, Fixture};
use tfprovider_sagemaker::framework::plan::semantic_eq;
use tfprovider_sagemaker::framework::schema::{Nesting, Presence};
use tfprovider_sagemaker::framework::server::ProviderServer;
use tfprovider_sagemaker::framework::{Block, Diagnostics};
use tfprovider_sagemaker::provider::SageMakerProvider;
use tfprovider_sagemaker::value::{encode, Number, Type, Value};

/// The configured server, the fixture it plans against and a runtime.
struct World {
    server: ProviderServer,
    fixture: Fixture,
    runtime: tokio::runtime::Runtime,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let fixture = fixture();
        let env: BTreeMap<String, String> = fixture.account.aws_env().into_iter().collect();
        let server = ProviderServer::new(Arc::new(SageMakerProvider::default()));
        let mut config = null_object(&server.provider_schema().block);
        let text = |s: &str| Value::String(s.to_owned());
        let endpoint = text(&env["AWS_ENDPOINT_URL"]);
        set(&mut config, "region", text("us-east-1"));
        set(&mut config, "access_key", text(&env["AWS_ACCESS_KEY_ID"]));
        set(
            &mut config,
            "secret_key",
            text(&env["AWS_SECRET_ACCESS_KEY"]),
        );
        set(&mut config, "max_retries", Value::Number(Number::Int(1)));
        let mut endpoints = BTreeMap::new();
        for service in ["ec2", "sagemaker", "sts"] {
            endpoints.insert(service.to_owned(), endpoint.clone());
        }
        set(&mut config, "endpoints", Value::Object(endpoints));
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let diags = runtime.block_on(server.configure(config));
        assert!(!diags.has_errors(), "the provider configures: {diags:?}");
        World {
            server,
            fixture,
            runtime,
        }
    })
}

fn set(object: &mut Value, name: &str, value: Value) {
    if let Value::Object(fields) = object {
        fields.insert(name.to_owned(), value);
    }
}

/// An object of `block` with every attribute and block null (or empty).
fn null_object(block: &Block) -> Value {
    let mut fields: BTreeMap<String, Value> = block
        .attributes
        .iter()
        .map(|a| (a.name.to_owned(), Value::Null))
        .collect();
    for nested in &block.blocks {
        let empty = match nested.nesting {
            Nesting::Single => Value::Null,
            Nesting::List => Value::List(Vec::new()),
            Nesting::Set => Value::Set(Vec::new()),
        };
        fields.insert(nested.name.to_owned(), empty);
    }
    Value::Object(fields)
}

/// A small deterministic generator driven by the proptest seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Strings worth trying: what the emulator has, well-formed ids it does
/// not have, names and presets, limits, garbage and unicode.
fn strings(fx: &Fixture) -> Vec<String> {
    let mut all: Vec<String> = [
        fx.vpc_id.as_str(),
        fx.subnet_a.as_str(),
        fx.subnet_b.as_str(),
        fx.subnet_c.as_str(),
        fx.table_a.as_str(),
        "vpc-0123456789abcdef0",
        "subnet-0123456789abcdef0",
        "sg-0123456789abcdef0",
        "rtb-0123456789abcdef0",
        "hosting",
        "training",
        "studio_vpc_only",
        "sagemaker_api",
        "sagemaker_runtime",
        "sagemaker_runtime_fips",
        "s3",
        "hostng",
        "",
        " ",
        "ü日本🦀",
        "10.20.0.0/16",
        "0.0.0.0/0",
        "10.0.0.1/16",
        "30m",
        "99999999999999h",
        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn",
        "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn",
        "arn:aws:s3:::models",
        "arn:aws:iam::123456789012:role/SageMakerExecution",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1",
        "s3://models/churn/model.tar.gz",
        "churn-model",
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}"#,
        r#"{"Statement": []}"#,
        "{not json",
        "ManagedBy",
        "aws:x",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.push("x".repeat(3000));
    all.push("日".repeat(300));
    all
}

/// A valid configuration of each resource (and data source), which the
/// shaper starts from so that most cases get past validate into plan.
fn base(name: &str, fx: &Fixture) -> BTreeMap<&'static str, Value> {
    let text = |s: &str| Value::String(s.to_owned());
    let subnets = Value::Set(vec![text(&fx.subnet_a), text(&fx.subnet_b)]);
    let container = Value::Object(BTreeMap::from([
        (
            "image".to_owned(),
            text("123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"),
        ),
        (
            "model_data_url".to_owned(),
            text("s3://models/churn/model.tar.gz"),
        ),
        ("environment".to_owned(), Value::Null),
    ]));
    match name {
        "sagemaker_private_network" => BTreeMap::from([
            ("vpc_id", text(&fx.vpc_id)),
            ("subnet_ids", subnets),
            ("services", Value::Set(vec![text("sagemaker_api")])),
            ("private_dns_enabled", Value::Bool(true)),
        ]),
        "sagemaker_vpc_model_config" => {
            BTreeMap::from([("name", text("churn-net")), ("subnet_ids", subnets)])
        }
        "sagemaker_model" => BTreeMap::from([
            ("name", text("churn")),
            (
                "execution_role_arn",
                text("arn:aws:iam::123456789012:role/SageMakerExecution"),
            ),
            ("primary_container", container),
        ]),
        "sagemaker_studio_domain" => BTreeMap::from([
            ("name", text("ml-platform")),
            ("subnet_ids", subnets),
            (
                "default_execution_role_arn",
                text("arn:aws:iam::123456789012:role/SageMakerExecution"),
            ),
        ]),
        _ => BTreeMap::new(),
    }
}

/// Builds random values shaped by schemas.
struct Shaper<'a> {
    random: Random,
    strings: &'a [String],
    /// Valid values to start from, by top-level attribute or block name.
    base: BTreeMap<&'static str, Value>,
}

impl Shaper<'_> {
    /// A configuration value of `block`: computed-only attributes null,
    /// required ones never null, the rest anything.
    fn config(&mut self, block: &Block, depth: usize) -> Value {
        let mut fields = BTreeMap::new();
        for attribute in &block.attributes {
            if let Some(valid) = self.base.get(attribute.name).filter(|_| depth == 0) {
                let value = match self.random.below(10) {
                    0..=5 => valid.clone(),
                    6 | 7 => Value::Unknown,
                    _ => self.value(
                        &attribute.ty,
                        depth,
                        attribute.presence != Presence::Required,
                    ),
                };
                fields.insert(attribute.name.to_owned(), value);
                continue;
            }
            // Mostly left out, so that each case varies a few attributes.
            if attribute.presence != Presence::Required && self.random.chance(85) {
                fields.insert(attribute.name.to_owned(), Value::Null);
                continue;
            }
            let value = match attribute.presence {
                Presence::Computed => Value::Null,
                Presence::Required => self.value(&attribute.ty, depth, false),
                Presence::Optional | Presence::OptionalComputed => {
                    self.value(&attribute.ty, depth, true)
                }
            };
            fields.insert(attribute.name.to_owned(), value);
        }
        for nested in &block.blocks {
            if let Some(valid) = self.base.get(nested.name).filter(|_| depth == 0) {
                if self.random.chance(70) {
                    fields.insert(nested.name.to_owned(), valid.clone());
                    continue;
                }
            }
            let count = if depth > 2 || self.random.chance(70) {
                0
            } else {
                1 + self.random.below(2)
            };
            let mut items = || -> Vec<Value> {
                (0..count)
                    .map(|_| self.config(&nested.block, depth + 1))
                    .collect()
            };
            let value = match nested.nesting {
                Nesting::Single if count == 0 => Value::Null,
                Nesting::Single => self.config(&nested.block, depth + 1),
                Nesting::List => Value::List(items()),
                Nesting::Set => Value::Set(items()),
            };
            fields.insert(nested.name.to_owned(), value);
        }
        Value::Object(fields)
    }

    fn value(&mut self, ty: &Type, depth: usize, nullable: bool) -> Value {
        if nullable && self.random.chance(25) {
            return Value::Null;
        }
        if self.random.chance(8) {
            return Value::Unknown;
        }
        match ty {
            Type::String | Type::Dynamic => {
                let i = self.random.below(self.strings.len());
                Value::String(self.strings[i].clone())
            }
            Type::Bool => Value::Bool(self.random.chance(50)),
            Type::Number => Value::Number(match self.random.below(4) {
                0 => Number::Int(0),
                1 => Number::Int(1),
                2 => Number::Int(-7),
                _ => Number::Float(2.5),
            }),
            Type::List(element) => Value::List(self.elements(element, depth)),
            Type::Set(element) => {
                let mut items = self.elements(element, depth);
                // A set holds each value once.
                let mut unique: Vec<Value> = Vec::new();
                for item in items.drain(..) {
                    if !unique.iter().any(|u| semantic_eq(u, &item)) || item.is_unknown() {
                        unique.push(item);
                    }
                }
                Value::Set(unique)
            }
            Type::Map(element) => {
                let keys = [
                    "a",
                    "Team",
                    "ManagedBy",
                    "",
                    "aws:x",
                    "sagemaker_api",
                    "s3",
                    "k日",
                ];
                let count = self.count();
                let mut entries = BTreeMap::new();
                for i in 0..count {
                    let key = if count > 8 {
                        format!("k{i}")
                    } else {
                        self.random.pick(&keys).to_owned()
                    };
                    let value = self.value(element, depth + 1, true);
                    entries.insert(key, value);
                }
                Value::Map(entries)
            }
            Type::Tuple(types) => Value::Tuple(
                types
                    .iter()
                    .map(|t| self.value(t, depth + 1, true))
                    .collect(),
            ),
            Type::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, t)| (name.clone(), self.value(t, depth + 1, true)))
                    .collect(),
            ),
        }
    }

    /// Mostly a handful, sometimes none, sometimes far beyond AWS's limits.
    fn count(&mut self) -> usize {
        match self.random.below(10) {
            0 => 0,
            1 => 60,
            _ => 1 + self.random.below(3),
        }
    }

    fn elements(&mut self, element: &Type, depth: usize) -> Vec<Value> {
        let count = self.count();
        (0..count)
            .map(|_| self.value(element, depth + 1, true))
            .collect()
    }
}

/// Panics when any diagnostic calls itself a provider bug.
fn assert_no_provider_bug(what: &str, diags: &Diagnostics, input: &Value) {
    for d in diags.iter() {
        let text = format!("{} {}", d.summary, d.detail);
        assert!(
            !text.contains("provider bug") && !text.contains("invalid plan"),
            "{what}: {text}\ninput: {input:?}"
        );
    }
}

/// Terraform's rules for a planned value of `block` against its config.
fn assert_valid_plan(block: &Block, config: &Value, planned: &Value, at: &str) {
    for attribute in &block.attributes {
        let wanted = config.get(attribute.name).unwrap_or(&Value::Null);
        let got = planned.get(attribute.name).unwrap_or(&Value::Null);
        let name = format!("{at}{}", attribute.name);
        if !wanted.is_null() {
            assert!(
                semantic_eq(wanted, got),
                "{name}: planned {got:?}, but the configuration says {wanted:?}"
            );
        } else if !attribute.is_computed() {
            assert!(
                got.is_null(),
                "{name}: planned {got:?} for a null non-computed attribute"
            );
        }
    }
    for nested in &block.blocks {
        let (Some(wanted), Some(got)) = (config.get(nested.name), planned.get(nested.name)) else {
            continue;
        };
        let name = format!("{at}{}.", nested.name);
        match (wanted, got) {
            (Value::Object(_), Value::Object(_)) => {
                assert_valid_plan(&nested.block, wanted, got, &name)
            }
            (Value::List(a), Value::List(b)) => {
                assert_eq!(a.len(), b.len(), "{name}: block count changed");
                for (w, g) in a.iter().zip(b) {
                    assert_valid_plan(&nested.block, w, g, &name);
                }
            }
            (Value::Null, Value::Null) => {}
            (w, g) => assert!(
                matches!(nested.nesting, Nesting::Set) || semantic_eq(w, g),
                "{name}: planned {g:?} for {w:?}"
            ),
        }
    }
}

/// The configuration of `name` (schema `block`) that `seed` shapes.
fn random_config(name: &str, block: &Block, seed: u64) -> Value {
    let fixture = &world().fixture;
    let strings = strings(fixture);
    let mut shaper = Shaper {
        random: Random(seed | 1),
        strings: &strings,
        base: base(name, fixture),
    };
    shaper.config(block, 0)
}

/// One random configuration through validate and plan of resource `name`;
/// true when it got past validate into a plan.
fn plan_resource(name: &str, seed: u64) -> bool {
    let world = world();
    let schema = world
        .server
        .resource_schema(name)
        .expect("a resource")
        .clone();
    let config = random_config(name, &schema.block, seed);
    let diags = world.server.validate_resource_config(name, &config);
    assert_no_provider_bug("validate", &diags, &config);
    if diags.has_errors() {
        if std::env::var("PLAN_PROPERTIES_DEBUG").is_ok() {
            for d in diags.iter() {
                eprintln!(
                    "VALIDATE {name}: {} {:?}",
                    d.summary,
                    d.path.as_ref().map(|p| p.to_string())
                );
            }
        }
        return false; // Terraform stops here.
    }
    let corrections = world.server.plan_corrections();
    let plan = world.runtime.block_on(world.server.plan_resource_change(
        name,
        Value::Null,
        config.clone(),
        config.clone(),
    ));
    assert_no_provider_bug("plan", &plan.diags, &config);
    // The server repairs a plan that differs from the configuration (so
    // Terraform never sees an invalid plan); the resource must not need it.
    assert_eq!(
        world.server.plan_corrections(),
        corrections,
        "{name} planned a value other than the configuration's (see the log)\n{config:?}"
    );
    if plan.diags.has_errors() {
        return true;
    }
    assert_valid_plan(&schema.block, &config, &plan.planned, "");
    encode(&plan.planned, &schema.value_type())
        .unwrap_or_else(|e| panic!("the plan encodes as the schema's type: {e}\n{config:?}"));
    true
}

/// One random configuration through validate and read of data source `name`.
fn read_data_source(name: &str, seed: u64) {
    let world = world();
    let schema = world
        .server
        .data_source_schema(name)
        .expect("a data source")
        .clone();
    let config = random_config(name, &schema.block, seed);
    let diags = world.server.validate_data_source_config(name, &config);
    assert_no_provider_bug("validate", &diags, &config);
    if diags.has_errors() || !config.is_wholly_known() {
        return; // Terraform reads only a valid, wholly known configuration.
    }
    let (state, diags) = world
        .runtime
        .block_on(world.server.read_data_source(name, config.clone()));
    assert_no_provider_bug("read", &diags, &config);
    if let Some(state) = state.filter(|_| !diags.has_errors()) {
        encode(&state, &schema.value_type())
            .unwrap_or_else(|e| panic!("the state encodes as the schema's type: {e}\n{config:?}"));
    }
}

/// Cases per resource and data source.
const CASES: u64 = 150;

/// The seeds of a run: fixed, so a failure repeats; `PLAN_PROPERTIES_SEED`
/// picks another run.
fn seeds() -> impl Iterator<Item = u64> {
    let first: u64 = std::env::var("PLAN_PROPERTIES_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    (0..CASES).map(move |i| {
        first
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(i)
    })
}

#[test]
fn every_resource_plans_any_schema_shaped_input_without_a_provider_bug() {
    let names: Vec<&'static str> = world().server.resource_schemas().map(|(n, _)| n).collect();
    for name in names {
        let mut planned = 0;
        for seed in seeds() {
            let reached = std::panic::catch_unwind(|| plan_resource(name, seed))
                .unwrap_or_else(|_| panic!("{name}: seed {seed} broke a rule (above)"));
            planned += u64::from(reached);
        }
        // A generator that never gets past validate tests nothing.
        assert!(
            planned * 6 >= CASES,
            "{name}: only {planned} of {CASES} cases reached plan"
        );
    }
}

#[test]
fn every_data_source_reads_any_schema_shaped_input_without_a_provider_bug() {
    let names: Vec<&'static str> = world()
        .server
        .data_source_schemas()
        .map(|(n, _)| n)
        .collect();
    for name in names {
        for seed in seeds() {
            std::panic::catch_unwind(|| read_data_source(name, seed))
                .unwrap_or_else(|_| panic!("{name}: seed {seed} broke a rule (above)"));
        }
    }
}
