//! The environment-controller's render (SPEC ENV-3, ENV-6, ENV-8, ENV-13, ENV-14).
#![allow(clippy::unwrap_used)]

use catalyst_core::crd::Environment;
use catalyst_core::gitops::{
    EnvironmentPlan, GitRepositoryInput, HostClusterNaming, RenderConfig, RenderError, render_git_repository,
};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(catalyst_testkit::fixture(&format!("openova/environment/{name}"))).unwrap()
}

fn env(yaml: &str) -> Environment {
    serde_saphyr::from_str(yaml).unwrap()
}

fn acme_prod() -> Environment {
    env(
        "apiVersion: catalyst.openova.io/v1\nkind: Environment\nmetadata: {name: acme-prod, uid: abc-123, generation: 5}\n\
         spec: {organizationRef: acme, envType: prod, placement: single-region, regions: [{provider: hetzner, region: fsn, buildingBlock: rtz}]}\n",
    )
}

const PUBLIC: &str = "https://gitea.hfmp.acme.openova.io";

#[test]
fn env_13_byte_identical_to_the_platform_controller() {
    let plan = EnvironmentPlan::new(&acme_prod(), &RenderConfig::new(PUBLIC)).unwrap();
    assert_eq!(plan.files.len(), 1);
    assert_eq!(plan.files[0].path, "clusters/hetzner-fsn-rtz-prod/environments/acme-prod/gitrepository.yaml");
    assert_eq!(plan.files[0].content, fixture("gitrepository.acme-prod.yaml"));
}

#[test]
fn env_14_mapping_prefix_repo_and_url() {
    for (env_type, branch) in
        [("dev", "develop"), ("stg", "staging"), ("prod", "main"), ("uat", "uat"), ("poc", "poc")]
    {
        let e = env(&format!(
            "metadata: {{name: acme-{env_type}}}\nspec: {{organizationRef: acme, envType: {env_type}, placement: single-region, regions: [{{provider: hetzner, region: fsn, buildingBlock: rtz}}]}}\n"
        ));
        let plan = EnvironmentPlan::new(&e, &RenderConfig::new(format!("{PUBLIC}/"))).unwrap();
        assert_eq!(plan.branch, branch);
        assert_eq!(plan.jetstream_subject_prefix, format!("ws.acme-{env_type}.>"));
        assert_eq!(plan.repo, "acme-environment");
        assert_eq!(plan.repo_url, "https://gitea.hfmp.acme.openova.io/acme/acme-environment.git");
        assert!(plan.files[0].content.contains(&format!("    branch: {branch}\n")));
        assert!(
            plan.files[0]
                .path
                .ends_with(&format!("-rtz-{env_type}/environments/acme-{env_type}/gitrepository.yaml"))
        );
    }
}

#[test]
fn env_3_host_cluster_override_verbatim_and_canonical() {
    let e = env(
        "metadata: {name: acmebank-prod}\nspec: {organizationRef: acmebank, envType: prod, placement: multi-region, regions: [\
        {provider: hetzner, region: fsn, buildingBlock: rtz}, {provider: hetzner, region: hel, buildingBlock: rtz}, \
        {provider: huawei, region: muc, buildingBlock: rtz, hostCluster: hw-muc-rtz-custom}]}\n",
    );
    let mut config = RenderConfig::new(PUBLIC);
    let hosts = |c: &RenderConfig| {
        EnvironmentPlan::new(&e, c).unwrap().files.into_iter().map(|f| f.host).collect::<Vec<_>>()
    };
    assert_eq!(hosts(&config), ["hetzner-fsn-rtz-prod", "hetzner-hel-rtz-prod", "hw-muc-rtz-custom"]);
    config.host_cluster_naming = HostClusterNaming::Canonical;
    assert_eq!(hosts(&config), ["hz-fsn-rtz-prod", "hz-hel-rtz-prod", "hw-muc-rtz-custom"]);
    config.host_cluster_override = Some("one-host".into());
    assert_eq!(hosts(&config), ["one-host", "one-host", "one-host"]);
    config.host_cluster_override = Some("../escape".into());
    let err = EnvironmentPlan::new(&e, &config).unwrap_err();
    assert!(matches!(err, RenderError::HostCluster { index: 0, .. }), "{err}");
    assert!(err.to_string().starts_with("spec.regions[0]: "), "{err}");
}

#[test]
fn env_14_anonymous_default_interval_and_optional_labels() {
    let out = render_git_repository(&GitRepositoryInput {
        environment: "acme-dev",
        uid: "",
        generation: 0,
        namespace: "flux-system",
        url: "https://g/acme/acme-environment.git",
        branch: "develop",
        secret_ref: "",
        interval_seconds: 0,
    })
    .unwrap();
    assert!(out.contains("  interval: 60s\n"));
    assert!(!out.contains("secretRef"));
    assert!(!out.contains("environment-uid"));
    assert!(!out.contains("environment-generation"));
    assert!(out.ends_with("    branch: develop\n"));
}

#[test]
fn env_14_required_fields_are_named() {
    let base = GitRepositoryInput {
        environment: "acme-dev",
        uid: "u",
        generation: 1,
        namespace: "flux-system",
        url: "https://g/x.git",
        branch: "develop",
        secret_ref: "s",
        interval_seconds: 30,
    };
    for (input, field) in [
        (GitRepositoryInput { environment: "", ..base.clone() }, "environment name"),
        (GitRepositoryInput { namespace: " ", ..base.clone() }, "flux namespace"),
        (GitRepositoryInput { url: "", ..base.clone() }, "repository URL"),
        (GitRepositoryInput { branch: "", ..base.clone() }, "branch"),
    ] {
        let err = render_git_repository(&input).unwrap_err();
        assert_eq!(err, RenderError::Missing { field });
        assert_eq!(err.to_string(), format!("cannot render the GitRepository: {field} is empty"));
    }
    assert!(render_git_repository(&base).unwrap().contains("  interval: 30s\n"));
    let unnamed = env(
        "metadata: {}\nspec: {organizationRef: acme, envType: dev, placement: single-region, regions: [{provider: hetzner, region: fsn, buildingBlock: rtz}]}\n",
    );
    assert_eq!(EnvironmentPlan::new(&unnamed, &RenderConfig::new(PUBLIC)).unwrap_err(), RenderError::Unnamed);
}

#[test]
fn env_13_deterministic() {
    let a = EnvironmentPlan::new(&acme_prod(), &RenderConfig::new(PUBLIC)).unwrap();
    let b = EnvironmentPlan::new(&acme_prod(), &RenderConfig::new(PUBLIC)).unwrap();
    assert_eq!(a, b);
    assert_eq!(catalyst_naming::EnvironmentName::parse("acme-prod").unwrap().to_string(), "acme-prod");
}

#[test]
fn env_2_config_from_variables() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
    };
    let err = RenderConfig::from_vars(vars(&[("GITEA_PUBLIC_URL", " ")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "GITEA_PUBLIC_URL is not set: the URL Flux clones the environment repository from has no default"
    );
    // ENV-T10: empty values take the defaults.
    let (c, warnings) = RenderConfig::from_vars(vars(&[
        ("GITEA_PUBLIC_URL", PUBLIC),
        ("FLUX_NAMESPACE", ""),
        ("ENV_REPO_SUFFIX", ""),
    ]))
    .unwrap();
    assert_eq!(c, RenderConfig::new(PUBLIC));
    assert!(warnings.is_empty());
    assert_eq!(
        (c.flux_namespace.as_str(), c.flux_interval_seconds, c.repo_suffix.as_str()),
        ("flux-system", 60, "-environment")
    );
    let (c, warnings) = RenderConfig::from_vars(vars(&[
        ("GITEA_PUBLIC_URL", PUBLIC),
        ("FLUX_INTERVAL_SECONDS", "abc"),
        ("GITEA_SECRET_REF", "org-git-auth"),
        ("HOST_CLUSTER_NAMING", "canonical"),
    ]))
    .unwrap();
    assert_eq!(c.flux_interval_seconds, 60);
    assert_eq!(warnings, ["FLUX_INTERVAL_SECONDS=\"abc\" is not a positive integer; using 60"]);
    assert_eq!(c.secret_ref, "org-git-auth");
    assert_eq!(c.host_cluster_naming, HostClusterNaming::Canonical);
    let err =
        RenderConfig::from_vars(vars(&[("GITEA_PUBLIC_URL", PUBLIC), ("HOST_CLUSTER_NAMING", "short")]))
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "HOST_CLUSTER_NAMING: \"short\" is not a host-cluster naming (verbatim, canonical)"
    );
}

#[test]
fn a_name_that_is_not_a_dns_label_renders_nothing() {
    let e = env(
        "metadata: {name: ../../etc}\nspec: {organizationRef: acme, envType: dev, placement: single-region, regions: [{provider: hetzner, region: fsn, buildingBlock: rtz}]}\n",
    );
    let err = EnvironmentPlan::new(&e, &RenderConfig::new(PUBLIC)).unwrap_err();
    assert!(matches!(err, RenderError::Name(_)), "{err}");
    let shown = catalyst_naming::diagnostic::Chain(&err).to_string();
    assert!(shown.starts_with("metadata.name is not a usable name: "), "{shown}");
}
