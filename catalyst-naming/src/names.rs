//! The naming table (NAME-6 … NAME-20): names computed from dimensions, and parsed back.

use std::fmt;
use std::str::FromStr;

use crate::dimensions::{BuildingBlock, EnvType, Provider, Region, RegionTable};
use crate::dns::{AppName, Component, Fqdn, check_composed_label, check_composed_name, check_dns_label};
use crate::{NamingError, OrgSlug};

/// Where a host cluster is: provider + region, building block and env type.
///
/// Every infrastructure name of NAME-6 … NAME-17 is computed from a `Location`.
///
/// ```
/// use catalyst_naming::Location;
/// let loc = Location::parse("hetzner", "fsn", "rtz", "prod")?;
/// assert_eq!(loc.host_cluster(), "hz-fsn-rtz-prod");
/// assert_eq!(loc.location_code(), "hfrp");
/// assert_eq!(loc.vpc(), "rtz-prod");
/// assert_eq!(Location::from_host_cluster("hz-fsn-rtz-prod")?, loc);
/// assert_eq!(Location::from_location_code("hfrp")?, loc);
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    region: Region,
    building_block: BuildingBlock,
    env_type: EnvType,
}

impl Location {
    /// A location from typed dimensions; the provider is the region's.
    pub fn new(region: Region, building_block: BuildingBlock, env_type: EnvType) -> Self {
        Self { region, building_block, env_type }
    }

    /// A location from strings in any accepted spelling, against the built-in region table.
    pub fn parse(
        provider: &str,
        region: &str,
        building_block: &str,
        env_type: &str,
    ) -> Result<Self, NamingError> {
        let provider: Provider = provider.parse()?;
        Ok(Self::new(Region::parse(provider, region)?, building_block.parse()?, env_type.parse()?))
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.region.provider()
    }

    /// The region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The building block.
    pub fn building_block(&self) -> BuildingBlock {
        self.building_block
    }

    /// The env type.
    pub fn env_type(&self) -> EnvType {
        self.env_type
    }

    /// NAME-6: host cluster / kube context `{prov2}-{reg}-{bb3}-{env3}` (`hz-fsn-rtz-prod`).
    pub fn host_cluster(&self) -> String {
        self.cluster_name(self.provider().short())
    }

    /// The host-cluster name with the provider's full name (`hetzner-fsn-rtz-prod`), as the
    /// platform's environment-controller builds it from an Environment's spec (SPEC OP-2).
    pub fn host_cluster_verbatim(&self) -> String {
        self.cluster_name(self.provider().name())
    }

    fn cluster_name(&self, provider: &str) -> String {
        crate::unchecked::host_cluster(provider, self.region.code(), self.building_block, self.env_type)
    }

    /// NAME-7: DNS location code `{p1}{r1}{b1}{e1}`, exactly 4 chars (`hfrp`).
    pub fn location_code(&self) -> String {
        [self.provider().code1(), self.region.code1(), self.building_block.code1(), self.env_type.code1()]
            .iter()
            .collect()
    }

    /// NAME-9: VPC / network `{bb3}-{env3}` (`rtz-prod`).
    pub fn vpc(&self) -> String {
        format!("{}-{}", self.building_block.code(), self.env_type.code())
    }

    /// NAME-8: server / VM `{prov2}{reg}{b1}-{app}-{n}{e1}` (`hzfsnr-k8s-1p`); `index` ≥ 1.
    pub fn server(&self, app: &AppName, index: u32) -> Result<String, NamingError> {
        if index == 0 {
            return Err(NamingError::InvalidIndex { value: "0".into() });
        }
        let name = format!(
            "{}{}{}-{}-{}{}",
            self.provider().short(),
            self.region.code(),
            self.building_block.code1(),
            app,
            index,
            self.env_type.code1()
        );
        check_composed_label("server name", name, &[("application", app.as_str())])
    }

    /// NAME-11: qualified vCluster / kube context `{host-cluster}-{org}` (`hz-hel-rtz-prod-acme`).
    /// At most 50 characters, so it always fits a label.
    pub fn vcluster_qualified(&self, org: &OrgSlug) -> String {
        format!("{}-{}", self.host_cluster(), org)
    }

    /// NAME-17: Crossplane CR on the mgt cluster `{host-cluster}-{type}` (`hz-fsn-rtz-prod-vpc`).
    pub fn crossplane_cr(&self, resource_type: &str) -> Result<String, NamingError> {
        check_dns_label("Crossplane resource type", resource_type)?;
        check_composed_label(
            "Crossplane resource name",
            format!("{}-{resource_type}", self.host_cluster()),
            &[("resource type", resource_type)],
        )
    }

    /// Where the Catalyst control plane of this location's region runs: the same provider and
    /// region, building block `mgt`, env type `prod` (`hz-fsn-mgt-prod`, location code
    /// `hfmp`). Control-plane DNS (NAME-14) and Application repos (NAME-16) are named after
    /// it, whatever the workload's own building block and env type.
    ///
    /// ```
    /// use catalyst_naming::{Fqdn, Location};
    /// let workload = Location::parse("hz", "fsn", "rtz", "dev")?;
    /// let cp = workload.control_plane();
    /// assert_eq!(cp.location_code(), "hfmp");
    /// assert_eq!(cp.control_plane_dns(&"gitea".parse()?, &Fqdn::sovereign("omantel.biz")?)?, "gitea.hfmp.omantel.biz");
    /// # Ok::<(), catalyst_naming::NamingError>(())
    /// ```
    #[must_use]
    pub fn control_plane(&self) -> Self {
        Self::control_plane_in(self.region.clone())
    }

    /// The control-plane location of `region` (see [`Location::control_plane`]).
    pub fn control_plane_in(region: Region) -> Self {
        Self::new(region, BuildingBlock::Mgt, EnvType::Prod)
    }

    /// NAME-14: control-plane DNS `{component}.{location-code}.{sovereign}` (`gitea.hfmp.omantel.biz`)
    /// of this location; call it on [`Location::control_plane`] for the platform's own hosts.
    pub fn control_plane_dns(&self, component: &Component, sovereign: &Fqdn) -> Result<String, NamingError> {
        check_composed_name(
            "control-plane DNS name",
            format!("{component}.{}.{sovereign}", self.location_code()),
        )
    }

    /// NAME-16: Application Gitea repo `gitea.{location-code}.{sovereign}/{org}/{app}`.
    pub fn app_repo(&self, sovereign: &Fqdn, org: &OrgSlug, app: &AppName) -> Result<String, NamingError> {
        let host =
            check_composed_name("Gitea host name", format!("gitea.{}.{sovereign}", self.location_code()))?;
        Ok(format!("{host}/{org}/{app}"))
    }

    /// Parses a host-cluster name (NAME-6) against the built-in region table. The provider
    /// may be written short (`hz-fsn-rtz-prod`) or full (`hetzner-fsn-rtz-prod`).
    pub fn from_host_cluster(s: &str) -> Result<Self, NamingError> {
        Self::from_host_cluster_with(RegionTable::builtin(), s)
    }

    /// Parses a host-cluster name against `table`.
    pub fn from_host_cluster_with(table: &RegionTable, s: &str) -> Result<Self, NamingError> {
        let err = |reason: String| NamingError::InvalidHostClusterName { input: s.to_owned(), reason };
        let parts: Vec<&str> = s.split('-').collect();
        let [p, r, b, e] = parts[..] else {
            return Err(err(format!("it has {} dash-separated parts, not 4", parts.len())));
        };
        location_from_parts(table, p, r, b, e).map_err(err)
    }

    /// Parses a 4-char location code (NAME-7) against the built-in region table.
    pub fn from_location_code(s: &str) -> Result<Self, NamingError> {
        Self::from_location_code_with(RegionTable::builtin(), s)
    }

    /// Parses a 4-char location code against `table`.
    pub fn from_location_code_with(table: &RegionTable, s: &str) -> Result<Self, NamingError> {
        let err = |reason: String| NamingError::InvalidLocationCode { input: s.to_owned(), reason };
        let chars: Vec<char> = s.chars().collect();
        let [p, r, b, e] = chars[..] else {
            return Err(err(format!("it has {} characters, not 4", chars.len())));
        };
        let provider =
            Provider::from_code1(p).ok_or_else(|| err(format!("{p:?} is not a provider's 1-char code")))?;
        let region = table
            .by_code1(provider, r)
            .ok_or_else(|| err(format!("{r:?} is not the 1-char code of a {provider} region")))?
            .clone();
        let building_block = BuildingBlock::from_code1(b)
            .ok_or_else(|| err(format!("{b:?} is not a building block's 1-char code")))?;
        let env_type =
            EnvType::from_code1(e).ok_or_else(|| err(format!("{e:?} is not an env type's 1-char code")))?;
        Ok(Self::new(region, building_block, env_type))
    }
}

/// The location of host-cluster parts; errors are reasons for the caller's variant.
fn location_from_parts(table: &RegionTable, p: &str, r: &str, b: &str, e: &str) -> Result<Location, String> {
    let provider = Provider::from_name_or_short(p)
        .ok_or_else(|| format!("{p:?} is not a provider short code or name ({})", Provider::accepted()))?;
    let region = table.get(provider, r).map_err(|e| e.to_string())?;
    let building_block =
        BuildingBlock::from_code(b).ok_or_else(|| format!("{b:?} is not rtz, dmz or mgt"))?;
    let env_type = EnvType::from_code(e).ok_or_else(|| format!("{e:?} is not prod, stg, uat, dev or poc"))?;
    Ok(Location::new(region, building_block, env_type))
}

impl fmt::Display for Location {
    /// The host-cluster name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host_cluster())
    }
}

/// A parsed server / VM name (NAME-8): location, app role and index.
///
/// ```
/// use catalyst_naming::ServerName;
/// let s: ServerName = "hzfsnr-k8s-1p".parse()?;
/// assert_eq!((s.location().host_cluster().as_str(), s.app().as_str(), s.index()), ("hz-fsn-rtz-prod", "k8s", 1));
/// assert_eq!(s.to_string(), "hzfsnr-k8s-1p");
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerName {
    location: Location,
    app: AppName,
    index: u32,
    name: String,
}

impl ServerName {
    /// Builds the name (NAME-8); fails when `index` is 0 or the name exceeds 63 characters.
    pub fn new(location: Location, app: AppName, index: u32) -> Result<Self, NamingError> {
        let name = location.server(&app, index)?;
        Ok(Self { location, app, index, name })
    }

    /// Parses a server name against the built-in region table.
    pub fn parse(s: &str) -> Result<Self, NamingError> {
        Self::parse_with(RegionTable::builtin(), s)
    }

    /// Parses a server name against `table`.
    pub fn parse_with(table: &RegionTable, s: &str) -> Result<Self, NamingError> {
        let err = |reason: String| NamingError::InvalidServerName { input: s.to_owned(), reason };
        let (head, rest) = s.split_once('-').ok_or_else(|| err("it has no '-'".into()))?;
        let (app, tail) =
            rest.rsplit_once('-').ok_or_else(|| err("it has fewer than 3 dash-separated parts".into()))?;
        let provider = Provider::ALL
            .into_iter()
            .find(|p| head.starts_with(p.short()))
            .ok_or_else(|| err(format!("{head:?} does not start with a provider short code")))?;
        let after_provider = &head[provider.short().len()..];
        let mut chars = after_provider.chars();
        let b1 = chars.next_back().ok_or_else(|| err("the region and building block are missing".into()))?;
        let region = table.get(provider, chars.as_str()).map_err(|e| err(e.to_string()))?;
        let building_block = BuildingBlock::from_code1(b1)
            .ok_or_else(|| err(format!("{b1:?} is not a building block's 1-char code")))?;
        let mut tail_chars = tail.chars();
        let e1 = tail_chars.next_back().ok_or_else(|| err("the index and env type are missing".into()))?;
        let env_type =
            EnvType::from_code1(e1).ok_or_else(|| err(format!("{e1:?} is not an env type's 1-char code")))?;
        let digits = tail_chars.as_str();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
            return Err(err(format!("{digits:?} is not a positive integer without leading zeros")));
        }
        let index: u32 = digits.parse().map_err(|_| err(format!("index {digits:?} is out of range")))?;
        let app = AppName::parse(app).map_err(|e| err(e.to_string()))?;
        let parsed = Self::new(Location::new(region, building_block, env_type), app, index)?;
        // Only a canonical spelling parses, so printing gives back the input.
        if parsed.name != s {
            return Err(err(format!("it is not in canonical form (expected {:?})", parsed.name)));
        }
        Ok(parsed)
    }

    /// The location the server is in.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The app role (`k8s`).
    pub fn app(&self) -> &AppName {
        &self.app
    }

    /// The 1-based index.
    pub fn index(&self) -> u32 {
        self.index
    }
}

impl FromStr for ServerName {
    type Err = NamingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A cross-cluster qualified vCluster name (NAME-11): a location and an Org.
///
/// ```
/// use catalyst_naming::QualifiedVcluster;
/// let v: QualifiedVcluster = "hz-hel-rtz-prod-acme".parse()?;
/// assert_eq!((v.location().host_cluster().as_str(), v.org().as_str()), ("hz-hel-rtz-prod", "acme"));
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedVcluster {
    location: Location,
    org: OrgSlug,
}

impl QualifiedVcluster {
    /// The qualified vCluster of `org` on the host cluster at `location`.
    pub fn new(location: Location, org: OrgSlug) -> Self {
        Self { location, org }
    }

    /// Parses `{host-cluster}-{org}` against the built-in region table.
    pub fn parse(s: &str) -> Result<Self, NamingError> {
        Self::parse_with(RegionTable::builtin(), s)
    }

    /// Parses `{host-cluster}-{org}` against `table`; region codes hold no `-`, so the
    /// first four parts are the host cluster and the rest is the slug.
    pub fn parse_with(table: &RegionTable, s: &str) -> Result<Self, NamingError> {
        let err = |reason: String| NamingError::InvalidQualifiedVcluster { input: s.to_owned(), reason };
        let parts: Vec<&str> = s.splitn(5, '-').collect();
        let [p, r, b, e, org] = parts[..] else {
            return Err(err(format!("it has {} dash-separated parts, at least 5 are needed", parts.len())));
        };
        let location = location_from_parts(table, p, r, b, e).map_err(err)?;
        let org = OrgSlug::parse_with(table, org).map_err(|e| err(e.to_string()))?;
        Ok(Self { location, org })
    }

    /// The host cluster's location.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The Org (and vCluster name inside the host cluster, NAME-10).
    pub fn org(&self) -> &OrgSlug {
        &self.org
    }
}

impl FromStr for QualifiedVcluster {
    type Err = NamingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for QualifiedVcluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.location.vcluster_qualified(&self.org))
    }
}

/// An Environment name `{org}-{env3}` (NAME-12), at most 37 characters.
///
/// ```
/// use catalyst_naming::{EnvType, EnvironmentName, OrgSlug};
/// let env = EnvironmentName::new(OrgSlug::parse("acmebank")?, EnvType::Uat);
/// assert_eq!(env.to_string(), "acmebank-uat");
/// assert_eq!(env.jetstream_prefix(), "ws.acmebank-uat.>");
/// assert_eq!(env.branch(), "uat");
/// assert_eq!("acmebank-uat".parse::<EnvironmentName>()?, env);
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvironmentName {
    org: OrgSlug,
    env_type: EnvType,
}

impl EnvironmentName {
    /// The Environment of `org` with type `env_type`.
    pub fn new(org: OrgSlug, env_type: EnvType) -> Self {
        Self { org, env_type }
    }

    /// Parses `{org}-{env3}`: the last dash-separated part is the env type.
    pub fn parse(s: &str) -> Result<Self, NamingError> {
        let err = |reason: String| NamingError::InvalidEnvironmentName { input: s.to_owned(), reason };
        let (org, env) = s.rsplit_once('-').ok_or_else(|| err("it has no '-'".into()))?;
        let env_type = EnvType::from_code(env)
            .ok_or_else(|| err(format!("{env:?} is not an env type (prod, stg, uat, dev, poc)")))?;
        let org = OrgSlug::parse(org).map_err(|e| err(e.to_string()))?;
        Ok(Self { org, env_type })
    }

    /// The Org.
    pub fn org(&self) -> &OrgSlug {
        &self.org
    }

    /// The env type.
    pub fn env_type(&self) -> EnvType {
        self.env_type
    }

    /// NAME-21: the Gitea branch of this Environment's env type.
    pub fn branch(&self) -> &'static str {
        self.env_type.branch()
    }

    /// NAME-22: JetStream subject prefix `ws.{org}-{env3}.>`.
    pub fn jetstream_prefix(&self) -> String {
        crate::unchecked::jetstream_prefix(&self.to_string())
    }

    /// NAME-22: OpenBao path root `org/{org}/env/{env3}/`.
    pub fn openbao_path(&self) -> String {
        format!("org/{}/env/{}/", self.org, self.env_type)
    }

    /// NAME-22: EnvironmentPolicy file `system/catalyst-config/policies/{org}-{env3}-policy.yaml`.
    pub fn policy_path(&self) -> String {
        format!("system/catalyst-config/policies/{self}-policy.yaml")
    }

    /// NAME-22: the environment-controller's manifest path
    /// `clusters/{host-cluster}/environments/{env}/gitrepository.yaml`. The host cluster is
    /// checked as a DNS label so it cannot escape the `clusters/` folder.
    pub fn gitrepository_path(&self, host_cluster: &str) -> Result<String, NamingError> {
        crate::unchecked::gitrepository_path(host_cluster, &self.to_string())
    }

    /// NAME-15: Application DNS `{app}.{environment}.{domain}`; `domain` is the Sovereign
    /// or the Org's white-label domain.
    pub fn app_dns(&self, app: &AppName, domain: &Fqdn) -> Result<String, NamingError> {
        check_composed_name("application DNS name", format!("{app}.{self}.{domain}"))
    }
}

impl FromStr for EnvironmentName {
    type Err = NamingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for EnvironmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::unchecked::environment_name(self.org.as_str(), self.env_type))
    }
}

/// Registry of the platform's published Blueprints (NAME-13).
pub const BLUEPRINT_REGISTRY: &str = "ghcr.io";
/// Namespace of the platform's published Blueprints in [`BLUEPRINT_REGISTRY`].
pub const BLUEPRINT_NAMESPACE: &str = "openova-io";
/// The prefix of every Blueprint name (NAME-13), and of the HelmReleases that install them.
pub const BLUEPRINT_PREFIX: &str = "bp-";

/// A Blueprint name in canonical `bp-<name>` form (NAME-13, NAME-28).
///
/// Input may omit the prefix (`harbor` → `bp-harbor`); the name after `bp-` must match
/// `[a-z][a-z0-9-]{1,62}` and may not end in `-`.
///
/// ```
/// use catalyst_naming::{BlueprintName, BlueprintVersion};
/// let bp: BlueprintName = "cilium".parse()?;
/// assert_eq!(bp.as_str(), "bp-cilium");
/// assert_eq!(bp.oci_ref(&"1.1.1".parse::<BlueprintVersion>()?), "ghcr.io/openova-io/bp-cilium:1.1.1");
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlueprintName(String);

impl BlueprintName {
    /// Parses a Blueprint name, with or without the `bp-` prefix.
    pub fn parse(s: &str) -> Result<Self, NamingError> {
        let err = |reason: String| NamingError::InvalidBlueprintName { value: s.to_owned(), reason };
        let bare = s.strip_prefix(BLUEPRINT_PREFIX).unwrap_or(s);
        let Some(first) = bare.chars().next() else {
            return Err(err("the name after 'bp-' is empty".into()));
        };
        if !first.is_ascii_lowercase() {
            return Err(err(format!("the name must start with a letter a-z, not {first:?}")));
        }
        if let Some((i, c)) = bare
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(err(format!(
                "character {c:?} at position {} of {bare:?} is not a-z, 0-9 or '-'",
                i + 1
            )));
        }
        let len = bare.len();
        if !(2..=63).contains(&len) {
            return Err(err(format!("the name {bare:?} has {len} characters; 2 to 63 are allowed")));
        }
        if bare.ends_with('-') {
            return Err(err("it ends with '-'".into()));
        }
        Ok(Self(format!("{BLUEPRINT_PREFIX}{bare}")))
    }

    /// The canonical name (`bp-cilium`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name without `bp-` (`cilium`): the default alias and Application name.
    pub fn short(&self) -> &str {
        &self.0[BLUEPRINT_PREFIX.len()..]
    }

    /// The repository of the platform's artifact in [`BLUEPRINT_REGISTRY`]:
    /// `openova-io/bp-<name>`.
    pub fn repository(&self) -> String {
        format!("{BLUEPRINT_NAMESPACE}/{self}")
    }

    /// The platform's OCI reference `ghcr.io/openova-io/bp-<name>:<version>`.
    pub fn oci_ref(&self, version: &BlueprintVersion) -> String {
        format!("{BLUEPRINT_REGISTRY}/{}:{version}", self.repository())
    }
}

/// A Blueprint version: `X.Y.Z` or `X.Y.Z-prerelease` with a prerelease of `[a-z0-9.-]`
/// (BP-1); no leading zeros in X, Y, Z (semver). Usable as an OCI tag and label value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlueprintVersion(String);

impl BlueprintVersion {
    /// Parses a version.
    pub fn parse(s: &str) -> Result<Self, NamingError> {
        let err = |reason: String| NamingError::InvalidBlueprintVersion { value: s.to_owned(), reason };
        let (core, pre) = match s.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (s, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if nums.len() != 3 {
            return Err(err(format!("{core:?} has {} dot-separated numbers, not 3", nums.len())));
        }
        for (n, name) in nums.iter().zip(["major", "minor", "patch"]) {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(format!("the {name} version {n:?} is not a number")));
            }
            if n.len() > 1 && n.starts_with('0') {
                return Err(err(format!("the {name} version {n:?} has a leading zero")));
            }
        }
        if let Some(pre) = pre {
            if pre.is_empty() {
                return Err(err("the prerelease after '-' is empty".into()));
            }
            if let Some(c) = pre
                .chars()
                .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
            {
                return Err(err(format!("character {c:?} in the prerelease is not a-z, 0-9, '.' or '-'")));
            }
        }
        Ok(Self(s.to_owned()))
    }

    /// The version string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the version has a prerelease part.
    pub fn is_prerelease(&self) -> bool {
        self.0.contains('-')
    }
}

str_newtype!(BlueprintName);
str_newtype!(BlueprintVersion);

/// NAME-18: the control-plane namespace `catalyst-{component}`.
pub fn control_plane_namespace(component: &Component) -> Result<String, NamingError> {
    check_composed_label("namespace", format!("catalyst-{component}"), &[("component", component.as_str())])
}

/// NAME-18: the corporate DMZ vCluster of an Org, `{org}-dmz`.
pub fn dmz_vcluster(org: &OrgSlug) -> String {
    format!("{org}-dmz")
}

/// NAME-19: the Flux GitRepository inside every vCluster.
pub const VCLUSTER_GITREPOSITORY: &str = "environment";
/// NAME-19: the Flux Kustomization inside every vCluster.
pub const VCLUSTER_KUSTOMIZATION: &str = "applications";

/// NAME-20: names of cloud objects inside one provider + region.
pub mod cloud {
    use super::{BuildingBlock, EnvType, NamingError, check_composed_label, check_dns_label};

    fn purpose_env(what: &str, purpose: &str, name: String) -> Result<String, NamingError> {
        check_dns_label("purpose", purpose)?;
        check_composed_label(what, name, &[("purpose", purpose)])
    }

    /// Load balancer, floating IP or SSH key: `{purpose}-{env3}` (`ingress-prod`).
    pub fn per_env(purpose: &str, env_type: EnvType) -> Result<String, NamingError> {
        purpose_env("cloud object name", purpose, format!("{purpose}-{env_type}"))
    }

    /// Bucket: `{env3}-{purpose}` (`prod-backups`).
    pub fn bucket(purpose: &str, env_type: EnvType) -> Result<String, NamingError> {
        purpose_env("bucket name", purpose, format!("{env_type}-{purpose}"))
    }

    /// Subnet, security group or route: `{purpose}`.
    pub fn network_object(purpose: &str) -> Result<String, NamingError> {
        check_dns_label("purpose", purpose).map(|()| purpose.to_owned())
    }

    /// Peering towards another building block: `to-{bb3}` (`to-dmz`).
    pub fn peering(target: BuildingBlock) -> String {
        format!("to-{target}")
    }
}
