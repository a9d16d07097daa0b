//! The command-line grammar. Help texts that list accepted values are computed from the
//! naming tables at start, so they cannot drift from what the parsers accept.

#![allow(
    clippy::doc_markdown,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags,
    rustdoc::bare_urls,
    reason = "doc comments here are clap help text, shown verbatim to users"
)]
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use catalyst_naming::{BuildingBlock, CONTROL_PLANE_COMPONENTS, EnvType, Provider, RegionTable};

/// `catalyst --version`: the crate version and the git commit it was built from.
pub(crate) const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("CATALYST_GIT_COMMIT"), ")");

/// The OpenOva Catalyst command line.
#[derive(Debug, Parser)]
#[command(name = "catalyst", version = VERSION, about, long_about = None, max_term_width = 100)]
pub(crate) struct Cli {
    /// Output format.
    #[arg(short, long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,

    #[command(subcommand)]
    pub command: Command,
}

/// Output formats of every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Aligned, human-readable text.
    Text,
    /// JSON with stable snake_case keys.
    Json,
    /// YAML with the same keys as JSON.
    Yaml,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "built once per process; boxing buys nothing")]
pub(crate) enum Command {
    /// Compute every derived name of the naming table and the label set (SPEC §2).
    ///
    /// Accepts long or short codes (`hetzner`/`hz`, `prod`/`p`). Keys whose dimensions were
    /// not given are omitted. Exit 1 when a value breaks a naming rule, 2 on usage errors.
    Names(NamesArgs),
    /// Print the CustomResourceDefinitions of the ten Catalyst kinds (SPEC CORE-1).
    ///
    /// Structural openAPIV3Schema per version, printer columns, short names and categories.
    /// With --out, one file per CRD (`<plural>.<group>.yaml`) is written instead.
    Crds {
        /// Write one YAML file per CRD into DIR.
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
    },
    /// Validate Catalyst custom resources: schema, naming and cross-field rules.
    ///
    /// Reads YAML files (multi-document streams allowed) and walks directories for .yaml/.yml
    /// files. Each finding names the file, the object and the YAML path of the field
    /// (`spec.regions[1].region`). Documents of other kinds are skipped. Exit 1 when any
    /// document is invalid or a file is not YAML, 2 when a path does not exist.
    Validate {
        /// Files or directories.
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<std::path::PathBuf>,
    },
    /// Lint, resolve and graph Blueprint catalogs; push, pull and verify signed Blueprint
    /// artifacts (SPEC §4, §5).
    #[command(subcommand)]
    Blueprint(BlueprintCommand),
    /// Check a bootstrap kit: the Flux HelmRelease dependsOn DAG of a kit folder (SPEC BK-*).
    #[command(subcommand)]
    BootstrapKit(KitCommand),
    /// Plan and apply PowerDNS record sets, write Sovereign records, audit zones (SPEC §6).
    ///
    /// The API key is read from PDNS_API_KEY (never from the command line). Exit 1 when the
    /// file or the zone is wrong, 3 when PowerDNS fails or cannot be reached. Part of the
    /// `remote` build (`--features remote`); without it, exit 2.
    #[command(subcommand)]
    Dns(DnsCommand),
    /// Write files to Gitea without empty commits and without overwriting concurrent changes (SPEC §7).
    ///
    /// The token is read from GITEA_TOKEN (never from the command line). Part of the `remote`
    /// build (`--features remote`); without it, exit 2.
    #[command(subcommand)]
    Gitea(GiteaCommand),
    /// Verify Sigstore signatures offline: bundles (as `cosign verify-blob --bundle`) and cosign
    /// keyless signature layers already at hand.
    ///
    /// Trust comes from the embedded public-good trusted root, or --trusted-root. Exit 0 when
    /// verified, 1 when refused (the message names the failure class: bundle-invalid,
    /// artifact-mismatch, signature-invalid, certificate-invalid, sct-invalid, tlog-invalid,
    /// timestamp-invalid, identity-mismatch, unsupported), 2 on usage errors. Part of the
    /// `remote` build (`--features remote`, which carries the signature stack); without it,
    /// exit 2.
    #[command(subcommand)]
    Sigstore(SigstoreCommand),
    /// Print the shell completion script for SHELL.
    ///
    /// bash: `source <(catalyst completions bash)` (or save it under
    /// /usr/share/bash-completion/completions/catalyst); zsh: save it as `_catalyst` in a
    /// directory of `$fpath`; fish: `catalyst completions fish > ~/.config/fish/completions/catalyst.fish`;
    /// PowerShell: `catalyst completions powershell | Out-String | Invoke-Expression`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages: `catalyst.1` and one page per subcommand (`catalyst-blueprint-pull.1`).
    ///
    /// Without --out, the top page is printed. Read one with `man -l catalyst.1`, or install
    /// them: `catalyst man --out /usr/local/share/man/man1`.
    Man {
        /// The directory to write every page into (created when missing).
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
    },
    /// Plan a whole Sovereign offline: names, custom resources, bootstrap-kit order, Blueprint
    /// install plans, DNS records and Gitea files.
    ///
    /// FILE describes the Sovereign (see --schema); with no FILE the embedded example
    /// Sovereign is planned. Nothing is sent anywhere: no cluster, DNS server or Gitea is
    /// needed (a catalog given as `catalog.oci` is pulled, and verified, from its registry).
    /// Every problem of every stage is listed with its path in the file; exit 1 when there is
    /// any, 2 when FILE cannot be read or parsed as a Sovereign file.
    Plan {
        /// The Sovereign file (YAML).
        #[arg(value_name = "FILE")]
        file: Option<std::path::PathBuf>,
        /// Also write the dependency picture (bootstrap kit and applications) to this file:
        /// .dot (Graphviz), .mmd (Mermaid) or .svg (rendered with Graphviz's `dot`).
        #[arg(long, value_name = "FILE")]
        graph: Option<std::path::PathBuf>,
        /// Print the JSON Schema of the Sovereign file and exit.
        #[arg(long, conflicts_with_all = ["file", "graph"])]
        schema: bool,
    },
    /// What the environment-controller writes to Gitea for Environments, offline (SPEC ENV-*).
    #[command(subcommand)]
    Environment(EnvironmentCommand),
    /// Continuum disaster recovery: the lua records the continuum-controller commits (SPEC
    /// DNS-19, CONT-5).
    #[command(subcommand)]
    Continuum(ContinuumCommand),
    /// What the application-controller writes for Applications, offline (SPEC CTRL-3).
    #[command(subcommand)]
    Application(ApplicationCommand),
    /// What the organization-controller writes for an Organization, offline (SPEC CTRL-1).
    #[command(subcommand)]
    Organization(OrganizationCommand),
    /// What the useraccess-controller makes of a UserAccess, offline (SPEC CTRL-4).
    #[command(subcommand, name = "useraccess")]
    UserAccess(UserAccessCommand),
    /// A new Sovereign's Phase 1: watch its bootstrap kit install and report the truth (SPEC
    /// CORE-14 … CORE-19).
    #[command(subcommand)]
    Sovereign(SovereignCommand),
}

/// `catalyst sovereign …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SovereignCommand {
    /// Watch the bp-* HelmReleases in flux-system of a new cluster until the bootstrap kit is
    /// installed, a component fails, or the deadline passes; print each component transition as
    /// it happens and end with the outcome and the deployment status it maps to.
    ///
    /// Only an explicit `ready` outcome, with every counted component observed installed, is
    /// `ready`; every other ending (kubeconfig-missing, watcher-start-failed, flux-crds-absent,
    /// flux-not-reconciling, timeout, failed) is `failed` with the reason. A kubeconfig file
    /// that does not exist yet is waited for (CATALYST_PHASE1_KUBECONFIG_ARRIVAL_TIMEOUT, 15m).
    /// Knobs: CATALYST_PHASE1_WATCH_TIMEOUT (60m), CATALYST_PHASE1_FIRST_SEEN_TIMEOUT (15m),
    /// CATALYST_PHASE1_MIN_BOOTSTRAP_KIT_HRS (1), CATALYST_PHASE1_DEGRADED_GRACE (5m). Exit 0
    /// ready, 1 failed, 2 usage, 3 the API could not be reached at the start. Part of the
    /// `remote` build (`--features remote`).
    Watch {
        /// The new cluster's kubeconfig (no exec plugins or local credential files).
        #[arg(long, value_name = "FILE")]
        kubeconfig: std::path::PathBuf,
        /// The bootstrap kit folder whose bp-* releases must all be installed for `ready`
        /// (`builtin` for the platform's own kit); without it, every release seen counts.
        #[arg(long, value_name = "DIR")]
        kit: Option<std::path::PathBuf>,
        /// The deadline (90s, 15m, 1h), over CATALYST_PHASE1_WATCH_TIMEOUT, counted from when
        /// the watch of HelmReleases starts: after the kubeconfig arrived and the API answered
        /// (each bounded by CATALYST_PHASE1_KUBECONFIG_ARRIVAL_TIMEOUT) and the HelmRelease CRD
        /// was found (bounded by CATALYST_PHASE1_FIRST_SEEN_TIMEOUT).
        #[arg(long, value_name = "DURATION")]
        timeout: Option<String>,
        /// How long a release may stay degraded before it is reported, as it happens and at
        /// the end (90s, 15m, 1h), over CATALYST_PHASE1_DEGRADED_GRACE.
        #[arg(long, value_name = "DURATION")]
        degraded_grace: Option<String>,
    },
}

/// `catalyst useraccess …`.
#[derive(Debug, Subcommand)]
pub(crate) enum UserAccessCommand {
    /// Print the eight ClusterRoles UserAccesses bind to: openova:application-{admin,editor,
    /// viewer} and openova:tier-{viewer,developer,operator,admin,owner} (levels 10 … 50, each
    /// tier with every lower tier's rules; the developer tier's enforced scope
    /// openova.io/env-type=dev in its catalyst.openova.io/enforced-scopes annotation). YAML
    /// documents, or with -o json {"roles":[…]}.
    Roles,
    /// Print the RoleBindings and ClusterRoleBindings a UserAccess (access.openova.io/v1alpha1)
    /// yields, as the controller computes them: the tier path (spec.tierRoleRef) with the tier's
    /// enforced scopes added and scopes matched against the Namespaces of --namespaces, or the
    /// application path (openova:application-<role> per namespace, vcluster-<name> per
    /// vCluster, `*` cluster-wide). YAML documents, or with -o json {"bindings":[…]}. Exit 1
    /// with the controller's message for an invalid spec, 2 for a missing file.
    Render {
        /// A YAML file with one UserAccess.
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// A YAML file with the Namespaces to match scopes against (tier path).
        #[arg(long, value_name = "FILE")]
        namespaces: Option<std::path::PathBuf>,
    },
}

/// `catalyst organization …`.
#[derive(Debug, Subcommand)]
pub(crate) enum OrganizationCommand {
    /// Print the tenant manifests the organization-controller commits to
    /// `<slug>/catalyst-tenant`.
    ///
    /// FILE holds one Organization (orgs.openova.io/v1). The 11 files (10 for plan flexi,
    /// which has no ResourceQuota) are printed as `==> path <==` then the bytes, or with
    /// -o json as {"files":[{path,content}]}: the host Namespace, the plan's LimitRange and
    /// ResourceQuota (plan + vCluster control plane + per-Organization platform stack, with
    /// spec.commerce's overage mode), the vCluster HelmRelease, the in-vCluster namespace and
    /// NetworkPolicies, the host CiliumNetworkPolicy and provisioning RBAC, and the three
    /// Kustomization indexes. Configuration comes from the controller's variables:
    /// CATALYST_HOST_CLUSTER (required), CATALYST_VCLUSTER_CHART_VERSION (0.33.*),
    /// CATALYST_VCLUSTER_HELMREPO_NAME (loft), CATALYST_VCLUSTER_HELMREPO_NAMESPACE
    /// (vcluster-system), CATALYST_VCLUSTER_IMAGE_REGISTRY (harbor.openova.io). Exit 1 when
    /// the Organization cannot be rendered (naming the field), 2 for a missing file or a bad
    /// variable.
    Render {
        /// A YAML file with one Organization.
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
    },
}

/// `catalyst application …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ApplicationCommand {
    /// Print the files and objects the application-controller would write for Applications.
    ///
    /// FILEs hold the Applications (apps.openova.io/v1) with the Environment, Organization and
    /// Blueprint documents they name. Each Application is checked as the controller checks it
    /// (parents, exact version, placement against the Blueprint's modes, vCluster, parameters
    /// against configSchema, the per-region plan) and rendered: per region of its placement,
    /// clusters/<region>/applications/<app>/kustomization.yaml and helmrelease.yaml for the
    /// repository <org>/<app> on the env type's branch (`==> path <==` then the bytes); with
    /// -o json|yaml also the host Flux GitRepository, one Kustomization per region and the
    /// Continuum of a hot-standby Application. Configuration comes from the controller's
    /// variables: GITEA_PUBLIC_URL, GITEA_IN_CLUSTER_URL, FLUX_GITEA_SECRET_REF,
    /// CATALOG_SOURCE_REF (openova-catalog), SOURCE_NAMESPACE (flux-system),
    /// HELMRELEASE_INTERVAL (600), HOST_FLUX_NAMESPACE (flux-system),
    /// HOST_FLUX_INTERVAL_SECONDS (60), SOVEREIGN_BCP_TOPOLOGY and
    /// VCLUSTER_PLACEMENT_{DMZ,MGMT,RTZ}_{NS,SECRET}. Exit 1 naming the Application, the
    /// controller's reason and its message when one cannot be planned; 2 when a file is missing.
    Render {
        /// YAML files with the Applications and their parent documents.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<std::path::PathBuf>,
        /// Beyond the platform: resolve each Application's Blueprint against the Blueprints
        /// in the FILEs (the other Applications' versions count as installed) and render
        /// every missing dependency as its own HelmRelease `<app>-<dependency>` with Flux
        /// dependsOn, in install-plan order.
        #[arg(long)]
        install_dependencies: bool,
    },
}

/// `catalyst continuum …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ContinuumCommand {
    /// Print the lua records of a Continuum, byte for byte as the continuum-controller
    /// synthesizes them.
    ///
    /// FILE holds one Continuum (dr.openova.io/v1) and optionally its Application. Per
    /// hostname (luaRecord.hostnames, else the Application's routes and status hostnames), an
    /// ifurlup body probing the primary's probe host (`probe-<region>.` + the health-check
    /// host) with the primary region's lbIPs first and every other region's as the fallback
    /// group. The platform's quirks are kept (compat mode): the selector is the lua function
    /// name with (url, pools, options), so only ifurlup is accepted, and the options always
    /// say selector="pickfirst". `--format pdm` prints the document committed to the
    /// pool-domain-manager ({"records":[...]}, compact, Go escaping) and one newline; `text`
    /// prints zone-file lines with the record content PowerDNS can serve (the same Lua with
    /// single-quoted strings; -o json|yaml: the records). Exit 1 when the Continuum is invalid
    /// or lacks what the records need (MissingPrimary, UnknownRegion, InvalidArgument), 2 when
    /// the file is missing.
    Lua {
        /// A YAML file with one Continuum and optionally its Application.
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// Synthesize for this primary instead of spec.primaryRegion (what a switchover would
        /// commit).
        #[arg(long, value_name = "NAME")]
        primary_region: Option<String>,
        /// `pdm` (the commit document) or `text` (zone-file lines).
        #[arg(long, value_enum, default_value_t = LuaFormat::Text)]
        format: LuaFormat,
    },
}

/// `continuum lua` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LuaFormat {
    /// The pool-domain-manager commit document.
    Pdm,
    /// Zone-file lines (or -o json|yaml).
    Text,
}

/// `catalyst environment …`.
#[derive(Debug, Subcommand)]
pub(crate) enum EnvironmentCommand {
    /// Print the Flux GitRepository manifests the environment-controller would write.
    ///
    /// Reads every Environment of FILE (other kinds are skipped), validates it as the
    /// controller does (schema and placement cardinality), and renders one manifest per
    /// region at clusters/<host-cluster>/environments/<env>/gitrepository.yaml in the
    /// Organization's environment repository, byte-for-byte what the controller commits.
    /// The configuration comes from the controller's variables: GITEA_PUBLIC_URL (required),
    /// GITEA_SECRET_REF (gitea-flux-token), FLUX_NAMESPACE (flux-system),
    /// FLUX_INTERVAL_SECONDS (60), ENV_REPO_SUFFIX (-environment) and HOST_CLUSTER_NAMING
    /// (verbatim | canonical). Exit 1 when an Environment is invalid, 2 when the
    /// configuration or the file is missing.
    Render {
        /// A YAML file with one or more Environment documents.
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// Render every region for this host cluster instead of the derived one.
        #[arg(long, value_name = "NAME")]
        host_cluster: Option<String>,
    },
}

/// `catalyst gitea …`.
#[derive(Debug, Subcommand)]
pub(crate) enum GiteaCommand {
    /// Create or update one file; prints created, updated or unchanged (no commit).
    ///
    /// The current file is read first: identical bytes make no commit; different bytes are
    /// written with the SHA that was read. If someone changed the file in between, nothing is
    /// overwritten and the command exits 1.
    PutFile {
        /// Gitea URL (root, or ending in /api/v1).
        #[arg(long, value_name = "URL")]
        url: String,
        /// Organization (owner).
        #[arg(long, value_name = "O")]
        org: String,
        /// Repository.
        #[arg(long, value_name = "R")]
        repo: String,
        /// Branch.
        #[arg(long, value_name = "B")]
        branch: String,
        /// Path of the file in the repository.
        #[arg(long, value_name = "P")]
        path: String,
        /// Local file with the new content.
        #[arg(long, value_name = "F")]
        file: std::path::PathBuf,
        /// Commit message.
        #[arg(long, value_name = "M", default_value = "Update via catalyst")]
        message: String,
        /// Commit author name.
        #[arg(long, value_name = "NAME", default_value = "catalyst")]
        author_name: String,
        /// Commit author email.
        #[arg(long, value_name = "EMAIL", default_value = "catalyst@openova.io")]
        author_email: String,
    },
}

/// Where PowerDNS is.
#[derive(Debug, Args)]
pub(crate) struct PdnsServer {
    /// PowerDNS API base URL, e.g. http://127.0.0.1:8081 (the API key comes from PDNS_API_KEY).
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// PowerDNS server ID.
    #[arg(long, value_name = "ID", default_value = "localhost")]
    pub server_id: String,
    /// How long one operation keeps retrying a busy or unreachable server (transport errors,
    /// 5xx such as sqlite's "database is locked"), waiting with exponential backoff and full
    /// jitter; a failed write is planned again, never replayed (0s: no retries).
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_budget)]
    pub retry_budget: std::time::Duration,
}

/// `15s`, `500ms`, `1m`, or `0s`.
fn parse_budget(text: &str) -> Result<std::time::Duration, String> {
    catalyst_core::phase1::watch::parse_duration(text)
        .ok_or_else(|| format!("{text:?} is not a duration (500ms, 15s, 1m)"))
}

/// `catalyst dns …`.
#[derive(Debug, Subcommand)]
pub(crate) enum DnsCommand {
    /// Show what apply would change: + create, ~ update, - delete, ! refused (no catalyst marker, or another owner's).
    ///
    /// Every record set catalyst writes carries the marker comment `managed-by: catalyst; owner: <id>`;
    /// the owner is the file's top-level `owner:` (default `catalyst`). A plan changes and deletes
    /// only its own owner's sets.
    Plan {
        /// The desired-state file (zones: [{name, records: [{name, type, ttl, content|lua}]}]).
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: std::path::PathBuf,
        #[command(flatten)]
        server: PdnsServer,
        /// Take over record sets that differ and carry no marker or another owner's (never deletes them).
        #[arg(long)]
        force: bool,
    },
    /// Apply the plan: one PATCH per zone carrying every change; a second run sends nothing.
    Apply {
        /// The desired-state file.
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: std::path::PathBuf,
        #[command(flatten)]
        server: PdnsServer,
        /// Create zones that do not exist yet (Native, ns1..3.<zone>).
        #[arg(long)]
        create_zones: bool,
        /// Take over and change record sets that carry no marker or another owner's (never deletes them).
        #[arg(long)]
        force: bool,
    },
    /// Write a Sovereign's canonical A records (console, auth, gitea, … and the apex) into its parent zone.
    ///
    /// The records are owned by the Sovereign FQDN and only its own names (the apex and names under it)
    /// are looked at, so many Sovereigns share one parent zone without touching each other.
    SovereignRecords {
        /// The parent zone (default: the Sovereign FQDN minus its first label).
        #[arg(long, value_name = "ZONE")]
        parent_zone: Option<String>,
        /// The Sovereign FQDN.
        #[arg(long, value_name = "FQDN")]
        sovereign: String,
        /// The primary load-balancer IPv4 address.
        #[arg(long, value_name = "IP")]
        lb_ip: String,
        /// Comma-separated subdomains instead of the canonical list.
        #[arg(long, value_name = "A,B")]
        subdomains: Option<String>,
        /// Do not write the apex record.
        #[arg(long)]
        no_apex: bool,
        #[command(flatten)]
        server: PdnsServer,
        /// Print the plan only.
        #[arg(long)]
        dry_run: bool,
        /// Take over existing records of the Sovereign's names that carry no marker or another owner's.
        #[arg(long)]
        force: bool,
    },
    /// Report wildcard records and A/AAAA records pointing at addresses not expected.
    Audit {
        /// The zone.
        #[arg(long, value_name = "ZONE")]
        zone: String,
        #[command(flatten)]
        server: PdnsServer,
        /// An expected address; repeat. Without any, only wildcards are reported.
        #[arg(long = "expect-ip", value_name = "IP")]
        expect_ip: Vec<std::net::IpAddr>,
    },
}

/// `catalyst blueprint …`.
#[derive(Debug, Subcommand)]
pub(crate) enum BlueprintCommand {
    /// Parse every blueprint.yaml under a catalog folder and report what is wrong.
    ///
    /// Errors: YAML that does not parse, bad names, versions and constraints, missing card
    /// titles, invalid placement schemas, duplicate aliases, dependencies on Blueprints not in
    /// the catalog, constraints no version satisfies, and dependency cycles. Warnings:
    /// missing visibility, metadata.version, bare-string depends, names without bp-, unknown
    /// fields (kept). Exit 1 when there is an error.
    Lint {
        /// The catalog folder (searched recursively for blueprint.yaml).
        #[arg(long, value_name = "DIR")]
        catalog: std::path::PathBuf,
    },
    /// Choose one version per Blueprint and print the install plan in dependency order.
    ///
    /// Versions are chosen by PubGrub, preferring --installed versions, then the highest.
    /// A conflict exits 1 with the chain of requirements on both sides.
    Resolve {
        /// The catalog folder.
        #[arg(long, value_name = "DIR")]
        catalog: std::path::PathBuf,
        /// What to install: NAME, NAME@CONSTRAINT (^1.4, ~1.2, >=1.2 <2, 1.2.x, *) or
        /// NAME@sha256:<digest>.
        #[arg(value_name = "NAME[@CONSTRAINT]", required = true)]
        requests: Vec<String>,
        /// A version already installed: reused when it satisfies every constraint, else a
        /// conflict (exit 1) naming who needs another version, unless --allow-upgrade; repeat.
        #[arg(long, value_name = "NAME@VERSION")]
        installed: Vec<String>,
        /// Let an installed Blueprint be replaced by another version (shown as `upgrade`); repeat.
        #[arg(long, value_name = "NAME")]
        allow_upgrade: Vec<String>,
        /// The Sovereign's bootstrap-kit folder: every HelmRelease at its chart version counts
        /// as installed, provided by the Sovereign (items say so; a kit version outside a
        /// constraint is a conflict naming the kit file).
        #[arg(long, value_name = "DIR")]
        kit: Option<std::path::PathBuf>,
        /// The Organization that requests: it may use its own private Blueprints.
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
        /// An Organization's own catalog (its `shared-blueprints`): its `private` Blueprints may
        /// only be required by that Organization (--org) or by Blueprints of the same catalog
        /// (else VisibilityViolation, exit 1); repeat.
        #[arg(long, value_name = "ORG=DIR")]
        org_catalog: Vec<String>,
        /// The requesting Application's parameters (YAML), merged over each requested
        /// Blueprint's configSchema defaults: the `config` its `when` predicates read.
        #[arg(long, value_name = "FILE")]
        values: Option<std::path::PathBuf>,
        /// One parameter, `path.to.key=value` (the value read as YAML: true, 3, text), over
        /// --values; repeat.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        /// Consider prerelease versions (otherwise only when a constraint names one).
        #[arg(long)]
        allow_prerelease: bool,
    },
    /// Print the resolved dependency graph of one Blueprint.
    Graph {
        /// The catalog folder.
        #[arg(long, value_name = "DIR")]
        catalog: std::path::PathBuf,
        /// The Blueprint, optionally with a constraint.
        #[arg(value_name = "NAME[@CONSTRAINT]")]
        request: String,
        /// Graph language.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Package a Blueprint folder (or a chart .tgz) as an OCI artifact and push it.
    ///
    /// The artifact is the Blueprint's Helm chart (Helm's config and chart-layer media types)
    /// with blueprint.yaml at the chart root, packaged reproducibly: the same folder always
    /// gives the same digest. With --sign, the pushed digest is signed in cosign's format
    /// with the ECDSA P-256 key in the file named by CATALYST_SIGN_KEY (PEM PKCS#8, or
    /// cosign's encrypted format with COSIGN_PASSWORD). Prints the pushed digest. Part of the
    /// `remote` build (`--features remote`).
    Push {
        /// The Blueprint folder (blueprint.yaml + chart/) or a chart .tgz.
        #[arg(value_name = "SRC")]
        src: std::path::PathBuf,
        /// Where to push: REGISTRY/REPOSITORY:TAG, or NAME:TAG for ghcr.io/openova-io/bp-NAME.
        #[arg(value_name = "REF")]
        reference: String,
        /// Sign the pushed digest with the key named by CATALYST_SIGN_KEY.
        #[arg(long)]
        sign: bool,
        /// The org.opencontainers.image.source annotation (a repository URL).
        #[arg(long, value_name = "URL")]
        source: Option<String>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Resolve, verify and unpack a Blueprint artifact.
    ///
    /// A tag is resolved to its digest first; everything after uses the digest, and a
    /// reference pinned with @sha256:... must still match. A cosign signature of that digest
    /// by any one --key must exist before the chart is downloaded and unpacked into --out
    /// (which must not exist or be empty). Exit 1 when the signature is missing, matches no
    /// key, or vouches for another digest, or when the archive is unsafe. Part of the `remote`
    /// build (`--features remote`).
    Pull {
        /// REGISTRY/REPOSITORY[:TAG][@sha256:...], or NAME:TAG.
        #[arg(value_name = "REF")]
        reference: String,
        /// A PEM public key (SPKI, as cosign and openssl write them); repeat for several.
        #[arg(
            long = "key",
            value_name = "PEM",
            required_unless_present_any = ["insecure_skip_verify", "certificate_identity", "certificate_identity_regexp"],
            conflicts_with_all = ["certificate_identity", "certificate_identity_regexp"]
        )]
        keys: Vec<std::path::PathBuf>,
        #[command(flatten)]
        keyless: KeylessArgs,
        /// The directory to unpack into.
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
        /// Do not verify the signature. The only way to skip verification; it warns on
        /// stderr and the result says "verified": null.
        #[arg(long, conflicts_with_all = ["keys", "certificate_identity", "certificate_identity_regexp"])]
        insecure_skip_verify: bool,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Verify the cosign signature of a Blueprint artifact; prints the verified digest.
    ///
    /// Key-based with --key, or keyless with --certificate-identity (or
    /// --certificate-identity-regexp) and --certificate-oidc-issuer: the signature's Fulcio
    /// certificate, Rekor entry and SCT are verified offline against the trusted root. A
    /// reference pinned by digest alone is verified without fetching the artifact. Part of the
    /// `remote` build (`--features remote`).
    Verify {
        /// REGISTRY/REPOSITORY[:TAG][@sha256:...], or NAME:TAG.
        #[arg(value_name = "REF")]
        reference: String,
        /// A PEM public key; repeat for several (any one verifying is enough).
        #[arg(
            long = "key",
            value_name = "PEM",
            required_unless_present_any = ["certificate_identity", "certificate_identity_regexp"],
            conflicts_with_all = ["certificate_identity", "certificate_identity_regexp"]
        )]
        keys: Vec<std::path::PathBuf>,
        #[command(flatten)]
        keyless: KeylessArgs,
        #[command(flatten)]
        registry: RegistryArgs,
    },
}

/// Keyless verification flags (cosign's names).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct KeylessArgs {
    /// Keyless: the certificate identity (SAN) that must have signed, exactly: a workflow URL
    /// such as https://github.com/openova-io/openova/.github/workflows/<workflow>@refs/heads/main,
    /// or an e-mail address.
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "certificate_identity_regexp",
        requires = "certificate_oidc_issuer"
    )]
    pub certificate_identity: Option<String>,
    /// Keyless: a regular expression the whole certificate identity must match (a prefix is
    /// not a match).
    #[arg(long, value_name = "RE", requires = "certificate_oidc_issuer")]
    pub certificate_identity_regexp: Option<String>,
    /// Keyless: the OIDC issuer that vouched for the identity, exactly
    /// (https://token.actions.githubusercontent.com for GitHub Actions).
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// Keyless: a Sigstore trusted_root.json to trust instead of the embedded public-good
    /// root (staging, a private Sigstore).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<std::path::PathBuf>,
}

/// `catalyst sigstore …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SigstoreCommand {
    /// Verify a Sigstore bundle for an artifact (what `cosign verify-blob --bundle` does).
    ///
    /// Bundle versions 0.1 to 0.3, message signatures and DSSE (in-toto) envelopes: the log
    /// entry (SET, inclusion proof and checkpoint, entry matching the bundle), the
    /// certificate (chain to a Fulcio CA valid at the signing time, SCT), the identity policy,
    /// the artifact digest and the signature.
    VerifyBundle {
        /// The bundle (JSON).
        #[arg(long, value_name = "FILE")]
        bundle: std::path::PathBuf,
        /// The artifact that was signed.
        #[arg(long, value_name = "FILE", required_unless_present = "digest", conflicts_with = "digest")]
        artifact: Option<std::path::PathBuf>,
        /// The artifact's digest instead of its bytes: sha256:HEX (a message signature by
        /// an ECDSA key, or a DSSE bundle; an Ed25519 signer needs the bytes).
        #[arg(long, value_name = "ALG:HEX")]
        digest: Option<String>,
        #[command(flatten)]
        keyless: KeylessArgs,
    },
    /// Verify a cosign keyless signature layer already at hand (a layer of a `.sig`
    /// manifest, as JSON, with its payload), for forensics and air-gapped mirrors.
    VerifyLayer {
        /// The layer's descriptor (JSON, with its annotations).
        #[arg(long, value_name = "LAYER.json")]
        layer: std::path::PathBuf,
        /// The layer's blob: the simple-signing payload.
        #[arg(long, value_name = "FILE")]
        payload: std::path::PathBuf,
        /// The image the signature must be for.
        #[arg(long, value_name = "sha256:HEX")]
        image_digest: String,
        #[command(flatten)]
        keyless: KeylessArgs,
    },
}

/// Registry flags shared by push, pull and verify.
#[derive(Debug, clap::Args)]
pub(crate) struct RegistryArgs {
    /// Speak plain HTTP to the registry: only to one on loopback (localhost, 127.0.0.0/8,
    /// [::1]); any other is refused (exit 2). Without it, HTTPS with verified certificates.
    /// Credentials come from CATALYST_REGISTRY_USERNAME and CATALYST_REGISTRY_PASSWORD, never
    /// from the command line.
    #[arg(long)]
    pub plain_http: bool,
    /// The longest the whole operation may take; a registry that is silent or slower than
    /// this exits 3. Connecting takes at most 10 s, and 30 s without a byte ends a transfer.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// MIRROR=UPSTREAM: artifacts pulled under the registry path MIRROR (a Harbor proxy-cache
    /// project, say harbor.example/proxy-ghcr) were signed under UPSTREAM (ghcr.io); repeat for
    /// several. Without it a signature must name the repository path asked for.
    #[arg(long = "mirror", value_name = "MIRROR=UPSTREAM")]
    pub mirrors: Vec<String>,
    /// A content-addressed cache directory: a second pull of a digest is served from it
    /// (re-hashed, signature re-verified) without contacting the registry.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<std::path::PathBuf>,
}

/// `catalyst bootstrap-kit …`.
#[derive(Debug, Subcommand)]
pub(crate) enum KitCommand {
    /// Check the HelmReleases of a kit folder (NN-<name>.yaml files and kustomization.yaml).
    ///
    /// Reports duplicate releases, dependsOn entries naming releases not in the folder,
    /// dependency cycles (with their path) and a kustomization.yaml resources list that misses
    /// files or is out of slot order; warns about a release depending on a higher slot and a
    /// cold-start release (slots 01-15 and 19) depending outside that set; prints the install
    /// order and the longest chain.
    ///
    /// With --expected, also every rule of the platform's CI check against an expected-DAG file
    /// (slots[]{slot, name, depends_on[], wave}): releases not declared, dependsOn differing
    /// from the declared set (missing and extra edges), declared slots with no file yet
    /// (deferred: information), declared dependencies naming nothing declared, and cycles over
    /// declared and actual edges; prints the declared graph by wave and the summary.
    ///
    /// Exit 0 when clean (deferred slots allowed), 1 on any error finding, 2 when nothing can be
    /// checked: the folder is unreadable or has no HelmRelease, or the expected file is
    /// unreadable or invalid.
    Check {
        /// The kit folder.
        dir: std::path::PathBuf,
        /// The expected DAG: a file in the format of scripts/expected-bootstrap-deps.yaml, or
        /// builtin:expected (that file as SPEC BK-3 describes it) or builtin:arch (the ARCH
        /// §9.1 48-slot target, SPEC BK-2).
        #[arg(long, value_name = "FILE|builtin:NAME")]
        expected: Option<String>,
        /// Print the install order (text) or the graph (dot, mermaid).
        #[arg(long, value_enum, default_value_t = KitFormat::Text)]
        format: KitFormat,
    },
    /// Show the drift between two expected DAGs (default: the ARCH §9.1 target against the CI
    /// expected-DAG file): slots declared on one side only, releases that moved slot or wave,
    /// and dependency sets that differ. Exit 0 when they agree, 1 when they differ, 2 when one
    /// cannot be read.
    Diff {
        /// The reference graph: a file or builtin:arch / builtin:expected.
        #[arg(default_value = "builtin:arch", value_name = "FILE|builtin:NAME")]
        left: String,
        /// The graph compared with it.
        #[arg(default_value = "builtin:expected", value_name = "FILE|builtin:NAME")]
        right: String,
    },
}

/// Graph languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// `bootstrap-kit check` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KitFormat {
    /// The install order (or -o json|yaml for everything).
    Text,
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// `catalyst names`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct NamesArgs {
    #[command(subcommand)]
    pub command: Option<NamesCommand>,

    /// Cloud provider.
    #[arg(long, value_name = "P", required = true)]
    pub provider: Option<String>,
    /// Region code of the provider.
    #[arg(long, value_name = "R", required = true)]
    pub region: Option<String>,
    /// Building block (security zone).
    #[arg(long, value_name = "B", required = true)]
    pub building_block: Option<String>,
    /// Env type.
    #[arg(long, value_name = "E", required = true)]
    pub env_type: Option<String>,
    /// Organization slug: adds vcluster, vcluster_qualified, environment and tenant labels.
    #[arg(long, value_name = "O")]
    pub org: Option<String>,
    /// Sovereign FQDN (e.g. omantel.biz): adds control_plane_dns, and with --org and --app
    /// application_dns and gitea_repo_url.
    #[arg(long, value_name = "FQDN")]
    pub sovereign: Option<String>,
    /// Application name (a DNS-1123 label): adds server and, with --org and --sovereign,
    /// application_dns and gitea_repo_url.
    #[arg(long, value_name = "A")]
    pub app: Option<String>,
    /// Server index for the server name (a positive integer).
    #[arg(long, value_name = "N", default_value = "1", requires = "app")]
    pub index: String,
    /// Domain for application_dns instead of the Sovereign (an Org's white-label domain).
    #[arg(long, value_name = "DOMAIN", requires = "app")]
    pub app_domain: Option<String>,
    /// Blueprint name, with or without `bp-`.
    #[arg(long, value_name = "B")]
    pub blueprint: Option<String>,
    /// Blueprint version (semver X.Y.Z[-pre]); adds blueprint_oci_ref.
    #[arg(long, value_name = "V", requires = "blueprint")]
    pub blueprint_version: Option<String>,
    /// Control-plane component for control_plane_dns; repeat for several.
    #[arg(long = "component", value_name = "C")]
    pub components: Vec<String>,
    /// Value of the openova.io/managed-by label: flux, crossplane, opentofu or manual (flux
    /// also sets app.kubernetes.io/managed-by). Without it both keys are left out.
    #[arg(long, value_name = "M")]
    pub managed_by: Option<String>,
}

/// `catalyst names parse|check-org`.
#[derive(Debug, Subcommand)]
pub(crate) enum NamesCommand {
    /// Parse a name back to its dimensions.
    ///
    /// Recognizes a host-cluster / kube context (hz-fsn-rtz-prod), a qualified vCluster
    /// (hz-fsn-rtz-prod-acme), a server name (hzfsnr-k8s-1p), a location code (hfrp) and an
    /// Environment name (acme-prod), tried in that order unless --kind is given.
    Parse {
        /// The name to parse.
        name: String,
        /// Parse as this kind only.
        #[arg(long, value_enum)]
        kind: Option<NameKind>,
    },
    /// Check an organization slug: exit 0 when valid, 1 with the rule it breaks.
    ///
    /// Slugs match ^[a-z][a-z0-9-]{2,31}$, do not end in '-', and are not reserved:
    /// system, flux, crossplane, catalyst, gitea, kube-*, and every provider, region,
    /// building-block and env-type code.
    CheckOrg {
        /// The slug to check.
        slug: String,
    },
}

/// What `names parse` may parse a name as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NameKind {
    /// {prov}-{reg}-{bb}-{env}
    HostCluster,
    /// {prov}-{reg}-{bb}-{env}-{org}
    VclusterQualified,
    /// {prov}{reg}{b}-{app}-{n}{e}
    Server,
    /// {p}{r}{b}{e}
    LocationCode,
    /// {org}-{env}
    Environment,
}

impl NameKind {
    /// The kind as printed in output.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::HostCluster => "host-cluster",
            Self::VclusterQualified => "vcluster-qualified",
            Self::Server => "server",
            Self::LocationCode => "location-code",
            Self::Environment => "environment",
        }
    }
}

fn region_help() -> String {
    let table = RegionTable::builtin();
    let per_provider: Vec<String> = Provider::ALL
        .iter()
        .filter(|p| table.regions(**p).next().is_some())
        .map(|p| format!("{}: {}", p.name(), table.accepted(*p)))
        .collect();
    format!("Region code of the provider [{}; aws, gcp and azure have none yet]", per_provider.join("; "))
}

/// The full command with help texts computed from the naming tables.
pub(crate) fn command() -> clap::Command {
    let components = CONTROL_PLANE_COMPONENTS.join(", ");
    Cli::command().mut_subcommand("names", |names| {
        names
            .mut_arg("provider", |a| a.help(format!("Cloud provider [accepted: {}]", Provider::accepted())))
            .mut_arg("region", |a| a.help(region_help()))
            .mut_arg("building_block", |a| {
                a.help(format!("Building block (security zone) [accepted: {}]", BuildingBlock::accepted()))
            })
            .mut_arg("env_type", |a| {
                a.help(format!("Env type [accepted: {}; dr is a Placement, not an env type]", EnvType::accepted()))
            })
            .mut_arg("components", |a| {
                a.help(format!("Control-plane component for control_plane_dns; repeat for several [default: {components}]"))
            })
    })
}

/// Parses the process arguments; prints help or a usage error and exits (code 2) on failure.
pub(crate) fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}
