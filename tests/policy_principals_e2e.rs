//! `policy_principals` end to end, real terraform and real moto: endpoints
//! given no policy admit only the account's principals (the S3 gateway also
//! ECR image layers), `"organization"` and `"any"` widen that in place, an
//! endpoint still carrying AWS's full access (a network made before this
//! default) plans an update to it, and the account id is read only when
//! such a policy is written — never at validate.
//!
//! moto stores an endpoint policy exactly as sent (AWS's full access when
//! none is) and enforces nothing, so these tests check the documents.

mod support;

use support::diagnostics::{self, assert_points_at, Expect};
use support::ec2_fixture::{fixture, service, Fixture};
use support::holdings::Holdings;
use support::policies::{assert_default_policy, assert_full_access, Admits, FULL_ACCESS};
use support::sagemaker::{main_tf, model_config_resource, network_resource};
use support::terraform::{provider_header, Workspace, TEAM_TAGS};

const NETWORK: &str = "sagemaker_private_network.this";
const ORG_ID: &str = "o-a1b2c3d4e5";

/// The network on subnets `b` and `c` with `body`.
fn network_tf(fx: &Fixture, body: &str) -> String {
    main_tf(&network_resource(
        &fx.vpc_id,
        [&fx.subnet_b, &fx.subnet_c],
        body,
    ))
}

/// Asserts the plan shows a change (exit 2) and returns what it printed.
fn plan_changes(ws: &Workspace, what: &str) -> String {
    let plan = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(
        plan.status.code(),
        Some(2),
        "{what} must show as a change:\n{}",
        plan.combined()
    );
    plan.combined()
}

fn set_policy(fx: &Fixture, endpoint: &str, policy: &str) {
    fx.ec2(&[
        ("Action", "ModifyVpcEndpoint"),
        ("VpcEndpointId", endpoint),
        ("PolicyDocument", policy),
    ]);
}

#[test]
fn a_default_network_admits_only_its_account_and_widens_in_place() {
    let fx = fixture();
    let ws = fx.workspace(&network_tf(&fx, "  services = [\"training\"]"));
    ws.apply_ok();
    let endpoints = fx.endpoints();
    assert_eq!(endpoints.len(), 7, "{endpoints:#?}");
    for endpoint in &endpoints {
        assert_default_policy(endpoint, &Admits::Account(&fx.account.id));
    }
    ws.plan_no_changes();
    ws.refresh_only_no_changes();
    let ids: Vec<String> = endpoints.iter().map(|e| e.id.clone()).collect();

    // The organization: every default policy names it instead.
    ws.write(
        "main.tf",
        &network_tf(
            &fx,
            &format!(
                "  services = [\"training\"]\n  policy_principals = \"organization\"\n  principal_org_id  = \"{ORG_ID}\""
            ),
        ),
    );
    let plan = plan_changes(&ws, "policy_principals = \"organization\"");
    assert!(
        plan.contains("update in-place") && !plan.contains("must be replaced"),
        "{plan}"
    );
    ws.apply_ok();
    for endpoint in &fx.endpoints() {
        assert_default_policy(endpoint, &Admits::Organization(ORG_ID));
    }
    ws.plan_no_changes();

    // Any principal: AWS's full access again, as before the default.
    ws.write(
        "main.tf",
        &network_tf(
            &fx,
            "  services = [\"training\"]\n  policy_principals = \"any\"",
        ),
    );
    plan_changes(&ws, "policy_principals = \"any\"");
    ws.apply_ok();
    let after = fx.endpoints();
    for endpoint in &after {
        assert_full_access(endpoint);
    }
    ws.plan_no_changes();
    ws.refresh_only_no_changes();

    // Back to the default.
    ws.write("main.tf", &network_tf(&fx, "  services = [\"training\"]"));
    plan_changes(&ws, "dropping policy_principals");
    ws.apply_ok();
    let last = fx.endpoints();
    for endpoint in &last {
        assert_default_policy(endpoint, &Admits::Account(&fx.account.id));
    }
    let mut ids_after: Vec<String> = last.iter().map(|e| e.id.clone()).collect();
    ids_after.sort();
    let mut ids = ids;
    ids.sort();
    assert_eq!(ids_after, ids, "no endpoint was replaced");
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn helpers_carry_the_account_condition_and_the_rest_keep_the_default() {
    let fx = fixture();
    let endpoint_arn = format!(
        "arn:aws:sagemaker:us-east-1:{}:endpoint/churn",
        fx.account.id
    );
    let body = format!(
        "  runtime_invoke_endpoint_arns = [\"{endpoint_arn}\"]\n  deny_amazon_linux_repositories = true"
    );
    let ws = fx.workspace(&network_tf(&fx, &body));
    ws.apply_ok();
    let condition = serde_json::json!({"StringEquals": {"aws:PrincipalAccount": fx.account.id}});
    for endpoint in fx.endpoints() {
        let statements = support::policies::statements(&endpoint);
        let by_sid = |sid: &str| {
            statements
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == sid)
                .cloned()
                .unwrap_or_else(|| panic!("no {sid} in {statements}"))
        };
        if endpoint.service == service("sagemaker.runtime") {
            let invoke = by_sid("InvokeListedEndpointsOnly");
            assert_eq!(invoke["Condition"], condition, "{statements}");
            assert_eq!(invoke["Resource"], serde_json::json!([endpoint_arn]));
        } else if endpoint.service == service("s3") {
            assert_eq!(by_sid("AllowAll")["Condition"], condition, "{statements}");
            assert_eq!(
                by_sid("AllowEcrImageLayers"),
                support::policies::ecr_layers()
            );
            assert_eq!(by_sid("DenyAmazonLinuxRepositories")["Effect"], "Deny");
        } else {
            assert_default_policy(&endpoint, &Admits::Account(&fx.account.id));
        }
    }
    ws.plan_no_changes();
    ws.destroy_ok();
}

#[test]
fn organization_without_its_id_fails_at_plan_and_creates_nothing() {
    let fx = fixture();
    let main = network_tf(&fx, "  policy_principals = \"organization\"");
    let ws = fx.workspace(&main);
    let before = Holdings::of(&fx);
    let output = ws.plan_err();
    let error = diagnostics::only_error(
        &output,
        "policy_principals = \"organization\" needs principal_org_id",
    );
    assert_points_at(
        &error,
        &main,
        &Expect {
            resource: NETWORK,
            line: "policy_principals",
            says: &["principal_org_id = \"o-", "policy_principals = \"account\""],
        },
    );
    before.assert_nothing_new(&fx, &output);

    // A malformed id is refused too, naming the form.
    let main = network_tf(
        &fx,
        "  policy_principals = \"organization\"\n  principal_org_id  = \"my-org\"",
    );
    ws.write("main.tf", &main);
    let output = ws.plan_err();
    let error = diagnostics::only_error(&output, "Invalid value for principal_org_id");
    assert!(
        error.text().contains("\"o-\" then 10 to 32"),
        "{}",
        error.text()
    );
    before.assert_nothing_new(&fx, &output);
}

#[test]
fn endpoints_with_full_access_plan_an_update_to_the_default() {
    // What a network made before endpoints got a default policy looks like:
    // every endpoint with AWS's full access, nothing in endpoint_policies.
    let fx = fixture();
    let ws = fx.workspace(&network_tf(&fx, ""));
    ws.apply_ok();
    for endpoint in fx.endpoints() {
        set_policy(&fx, &endpoint.id, FULL_ACCESS);
    }
    // And its state, written before the attributes existed.
    let mut state: serde_json::Value =
        serde_json::from_str(&ws.read("terraform.tfstate")).expect("the state is JSON");
    state["serial"] = serde_json::json!(state["serial"].as_u64().unwrap() + 1);
    let attributes = &mut state["resources"][0]["instances"][0]["attributes"];
    let attributes = attributes.as_object_mut().expect("attributes");
    assert!(attributes.remove("policy_principals").is_some());
    assert!(attributes.remove("principal_org_id").is_some());
    ws.write("terraform.tfstate", &state.to_string());
    let plan = plan_changes(&ws, "full access where the default applies");
    let text = support::one_line(&plan);
    assert!(
        text.contains("update in-place") && text.contains("endpoint_policies"),
        "the plan shows the full-access policies it replaces:\n{plan}"
    );
    assert!(
        text.contains("The sagemaker_api endpoint admits any principal")
            && text.contains("policy_principals = \"any\""),
        "a warning says why and how to keep full access:\n{plan}"
    );
    ws.apply_ok();
    for endpoint in fx.endpoints() {
        assert_default_policy(&endpoint, &Admits::Account(&fx.account.id));
    }
    ws.plan_no_changes();
    ws.refresh_only_no_changes();
    ws.destroy_ok();
}

#[test]
fn the_account_id_is_read_only_when_a_policy_needs_it() {
    let fx = fixture();
    // STS unreachable (nothing listens on the discard port), no retries.
    let broken_sts =
        format!("{TEAM_TAGS}\n  max_retries = 0\n  endpoints {{ sts = \"http://127.0.0.1:9\" }}");
    let config = |body: &str| {
        format!(
            "{}{}",
            provider_header(&broken_sts),
            network_resource(&fx.vpc_id, [&fx.subnet_b, &fx.subnet_c], body)
        )
    };
    let main = config("");
    let mut ws = fx.workspace(&main);
    let calls = ws.aws_calls_of(&["validate"]);
    assert!(calls.is_empty(), "validate calls no AWS API: {calls:?}");
    let before = Holdings::of(&fx);
    let output = ws.plan_err();
    let error = diagnostics::only_error(&output, "Cannot read the AWS account id");
    let detail = assert_points_at(
        &error,
        &main,
        &Expect {
            resource: NETWORK,
            line: "resource \"sagemaker_private_network\"",
            says: &[
                "sts:GetCallerIdentity",
                "policy_principals = \"organization\"",
            ],
        },
    );
    assert!(detail.contains("endpoints { sts"), "{detail}");
    before.assert_nothing_new(&fx, &output);

    // Nothing admits the account: no lookup, and the plan passes.
    ws.write("main.tf", &config("  policy_principals = \"any\""));
    ws.plan_ok();
    let calls = ws.aws_calls_of(&["plan", "-input=false"]);
    assert!(!calls.iter().any(|c| c == "GetCallerIdentity"), "{calls:?}");
    // Organization: no lookup either.
    ws.write(
        "main.tf",
        &config(&format!(
            "  policy_principals = \"organization\"\n  principal_org_id  = \"{ORG_ID}\""
        )),
    );
    let calls = ws.aws_calls_of(&["plan", "-input=false"]);
    assert!(!calls.iter().any(|c| c == "GetCallerIdentity"), "{calls:?}");
}

#[test]
fn one_plan_reads_the_account_id_once_for_every_resource() {
    let fx = fixture();
    // A network and a model configuration, both writing default policies.
    let resources = format!(
        "{}{}",
        network_resource(&fx.vpc_id, [&fx.subnet_b, &fx.subnet_c], ""),
        model_config_resource([&fx.subnet_b, &fx.subnet_c], "  name = \"jobs\"",)
    );
    let mut ws = fx.workspace(&main_tf(&resources));
    let calls = ws.aws_calls_of(&["plan", "-input=false"]);
    let lookups = calls.iter().filter(|c| *c == "GetCallerIdentity").count();
    assert_eq!(
        lookups, 1,
        "one provider process reads the account id once: {calls:?}"
    );
}

#[test]
fn the_s3_endpoint_of_a_model_config_admits_its_account_and_ecr_layers() {
    let fx = fixture();
    let config = |body: &str| {
        main_tf(&model_config_resource(
            [&fx.subnet_b, &fx.subnet_c],
            &format!("  name = \"batch-jobs\"\n{body}"),
        ))
    };
    let ws = fx.workspace(&config(""));
    ws.apply_ok();
    let s3: Vec<_> = fx
        .endpoints()
        .into_iter()
        .filter(|e| e.service == service("s3"))
        .collect();
    assert_eq!(s3.len(), 1, "{s3:?}");
    assert_default_policy(&s3[0], &Admits::Account(&fx.account.id));
    let output = &ws.output_json()["config"]["value"];
    let recorded: serde_json::Value =
        serde_json::from_str(output["s3_endpoint_policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        recorded["Statement"],
        support::policies::default_statements(&s3[0], &Admits::Account(&fx.account.id)),
        "s3_endpoint_policy shows the policy"
    );
    ws.plan_no_changes();
    ws.refresh_only_no_changes();

    // Full access set by hand (or left by a version without the default).
    set_policy(&fx, &s3[0].id, FULL_ACCESS);
    let plan = plan_changes(&ws, "the S3 endpoint with full access");
    assert!(
        plan.contains("s3_endpoint_policy") && plan.contains("update in-place"),
        "{plan}"
    );
    ws.apply_ok();
    let repaired = fx
        .endpoints()
        .into_iter()
        .find(|e| e.id == s3[0].id)
        .unwrap();
    assert_default_policy(&repaired, &Admits::Account(&fx.account.id));
    ws.plan_no_changes();

    // Any principal: AWS's full access.
    ws.write("main.tf", &config("  policy_principals = \"any\""));
    plan_changes(&ws, "policy_principals = \"any\"");
    ws.apply_ok();
    let widened = fx
        .endpoints()
        .into_iter()
        .find(|e| e.id == s3[0].id)
        .unwrap();
    assert_full_access(&widened);
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn a_network_admitting_an_organization_imports_with_its_principals() {
    let fx = fixture();
    let body = format!(
        "  policy_principals = \"organization\"\n  principal_org_id  = \"{ORG_ID}\"\n  s3_bucket_arns    = [\"arn:aws:s3:::ml-artifacts\"]"
    );
    let ws = fx.workspace(&network_tf(&fx, &body));
    ws.apply_ok();
    ws.run_ok(&["state", "rm", NETWORK]);
    ws.write(
        "import.tf",
        &format!(
            "import {{\n  to = {NETWORK}\n  id = \"{}\"\n}}\n",
            fx.vpc_id
        ),
    );
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "the import changes nothing:\n{plan}"
    );
    ws.apply_ok();
    let state = ws.show_json();
    let network = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(network["policy_principals"], "organization");
    assert_eq!(network["principal_org_id"], ORG_ID);
    assert_eq!(
        network["s3_bucket_arns"],
        serde_json::json!(["arn:aws:s3:::ml-artifacts"])
    );
    assert_eq!(network["endpoint_policies"], serde_json::Value::Null);
    ws.plan_no_changes();
    ws.destroy_ok();
}
