//! The four dimensions every infrastructure name is made of (NAME-1 … NAME-4).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use crate::NamingError;

/// A cloud provider (NAME-1), with its three spellings.
///
/// ```
/// use catalyst_naming::Provider;
/// let p: Provider = "hz".parse()?;
/// assert_eq!((p.name(), p.short(), p.code1()), ("hetzner", "hz", 'h'));
/// assert_eq!("hetzner".parse::<Provider>()?, p);
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// Hetzner (`hetzner` / `hz` / `h`).
    Hetzner,
    /// Huawei Cloud (`huawei` / `hw` / `w`).
    Huawei,
    /// Oracle Cloud Infrastructure (`oci` / `oci` / `o`).
    Oci,
    /// Amazon Web Services (`aws` / `aws` / `a`).
    Aws,
    /// Google Cloud (`gcp` / `gcp` / `g`).
    Gcp,
    /// Microsoft Azure (`azure` / `az` / `z`).
    Azure,
    /// Contabo (`contabo` / `ct` / `c`).
    Contabo,
}

impl Provider {
    /// Every provider, in the order of the naming table.
    pub const ALL: [Provider; 7] =
        [Self::Hetzner, Self::Huawei, Self::Oci, Self::Aws, Self::Gcp, Self::Azure, Self::Contabo];

    /// The full name, used in CRD enums and label values (`hetzner`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Hetzner => "hetzner",
            Self::Huawei => "huawei",
            Self::Oci => "oci",
            Self::Aws => "aws",
            Self::Gcp => "gcp",
            Self::Azure => "azure",
            Self::Contabo => "contabo",
        }
    }

    /// The short code used in cluster, vCluster and server names (`hz`).
    pub const fn short(self) -> &'static str {
        match self {
            Self::Hetzner => "hz",
            Self::Huawei => "hw",
            Self::Oci => "oci",
            Self::Aws => "aws",
            Self::Gcp => "gcp",
            Self::Azure => "az",
            Self::Contabo => "ct",
        }
    }

    /// The 1-char code used in location codes (`h`).
    pub const fn code1(self) -> char {
        match self {
            Self::Hetzner => 'h',
            Self::Huawei => 'w',
            Self::Oci => 'o',
            Self::Aws => 'a',
            Self::Gcp => 'g',
            Self::Azure => 'z',
            Self::Contabo => 'c',
        }
    }

    /// The provider whose 1-char code is `c`.
    pub fn from_code1(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code1() == c)
    }

    /// The provider with this full name or short code (not the 1-char code).
    pub fn from_name_or_short(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == s || p.short() == s)
    }

    /// The accepted spellings, for help texts and errors.
    pub fn accepted() -> String {
        Self::ALL.map(|p| spellings(&[p.name(), p.short(), &p.code1().to_string()])).join(", ")
    }
}

/// `a|b|c` without repeats (`oci|oci|o` becomes `oci|o`).
fn spellings(forms: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(forms.len());
    for f in forms {
        if !out.contains(f) {
            out.push(f);
        }
    }
    out.join("|")
}

impl FromStr for Provider {
    type Err = NamingError;

    /// Accepts the full name, the short code or the 1-char code; lowercase only.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s || p.short() == s || s.chars().eq(std::iter::once(p.code1())))
            .ok_or_else(|| NamingError::UnknownProvider { input: s.to_owned() })
    }
}

impl fmt::Display for Provider {
    /// The full name (`hetzner`); use [`Provider::short`] for names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A security zone of a host cluster (NAME-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuildingBlock {
    /// Restricted trust zone: workloads (`rtz` / `r`).
    Rtz,
    /// Internet-facing edge (`dmz` / `d`).
    Dmz,
    /// Management: the Catalyst control plane (`mgt` / `m`).
    Mgt,
}

impl BuildingBlock {
    /// Every building block.
    pub const ALL: [BuildingBlock; 3] = [Self::Rtz, Self::Dmz, Self::Mgt];

    /// The 3-char code (`rtz`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Rtz => "rtz",
            Self::Dmz => "dmz",
            Self::Mgt => "mgt",
        }
    }

    /// The 1-char code (`r`).
    pub const fn code1(self) -> char {
        match self {
            Self::Rtz => 'r',
            Self::Dmz => 'd',
            Self::Mgt => 'm',
        }
    }

    /// The building block whose 1-char code is `c`.
    pub fn from_code1(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code1() == c)
    }

    /// The building block whose 3-char code is `s`.
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == s)
    }

    /// The accepted spellings, for help texts and errors.
    pub fn accepted() -> String {
        Self::ALL.map(|b| format!("{}|{}", b.code(), b.code1())).join(", ")
    }
}

impl FromStr for BuildingBlock {
    type Err = NamingError;

    /// Accepts the 3-char or the 1-char code.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|b| b.code() == s || s.chars().eq(std::iter::once(b.code1())))
            .ok_or_else(|| NamingError::UnknownBuildingBlock { input: s.to_owned() })
    }
}

impl fmt::Display for BuildingBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The type of an Environment (NAME-4). DR is never an env type: it is a Placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EnvType {
    /// Production (`prod` / `p`), Gitea branch `main`.
    Prod,
    /// Staging (`stg` / `s`), Gitea branch `staging`.
    Stg,
    /// User acceptance (`uat` / `u`), Gitea branch `uat`.
    Uat,
    /// Development (`dev` / `d`), Gitea branch `develop`.
    Dev,
    /// Proof of concept (`poc` / `c`), Gitea branch `poc`.
    Poc,
}

impl EnvType {
    /// Every env type.
    pub const ALL: [EnvType; 5] = [Self::Prod, Self::Stg, Self::Uat, Self::Dev, Self::Poc];

    /// The full code (`prod`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Prod => "prod",
            Self::Stg => "stg",
            Self::Uat => "uat",
            Self::Dev => "dev",
            Self::Poc => "poc",
        }
    }

    /// The 1-char code (`p`).
    pub const fn code1(self) -> char {
        match self {
            Self::Prod => 'p',
            Self::Stg => 's',
            Self::Uat => 'u',
            Self::Dev => 'd',
            Self::Poc => 'c',
        }
    }

    /// The Gitea branch of this env type (NAME-21): `dev→develop`, `stg→staging`,
    /// `prod→main`, `uat→uat`, `poc→poc`.
    pub const fn branch(self) -> &'static str {
        match self {
            Self::Prod => "main",
            Self::Stg => "staging",
            Self::Uat => "uat",
            Self::Dev => "develop",
            Self::Poc => "poc",
        }
    }

    /// The env type whose Gitea branch is `branch`.
    pub fn from_branch(branch: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.branch() == branch)
    }

    /// The env type whose 1-char code is `c`.
    pub fn from_code1(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code1() == c)
    }

    /// The env type whose full code is `s`.
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == s)
    }

    /// The accepted spellings, for help texts and errors.
    pub fn accepted() -> String {
        Self::ALL.map(|e| format!("{}|{}", e.code(), e.code1())).join(", ")
    }
}

impl FromStr for EnvType {
    type Err = NamingError;

    /// Accepts the full or the 1-char code. `dr` in any case is
    /// [`NamingError::DrIsPlacementNotEnvType`]; uppercase is rejected, not folded.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("dr") {
            return Err(NamingError::DrIsPlacementNotEnvType { input: s.to_owned() });
        }
        Self::ALL
            .into_iter()
            .find(|e| e.code() == s || s.chars().eq(std::iter::once(e.code1())))
            .ok_or_else(|| NamingError::UnknownEnvType { input: s.to_owned() })
    }
}

impl fmt::Display for EnvType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A region of one provider (NAME-2): its code (2–4 chars), 1-char code and place.
///
/// A `Region` can only be obtained from a [`RegionTable`], so holding one proves the
/// code is known for its provider.
///
/// ```
/// use catalyst_naming::{Provider, Region};
/// let fsn = Region::parse(Provider::Hetzner, "fsn")?;
/// assert_eq!((fsn.code(), fsn.code1(), fsn.place()), ("fsn", 'f', "Falkenstein"));
/// assert!(Region::parse(Provider::Hetzner, "muc").is_err());
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region {
    provider: Provider,
    code: Cow<'static, str>,
    code1: char,
    place: Cow<'static, str>,
}

impl Region {
    /// Looks `code` up in the built-in table of `provider`.
    pub fn parse(provider: Provider, code: &str) -> Result<Self, NamingError> {
        RegionTable::builtin().get(provider, code)
    }

    /// The provider this region belongs to.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The region code (`fsn`, `apse`, `sg`).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The 1-char code used in location codes.
    pub fn code1(&self) -> char {
        self.code1
    }

    /// The place the region is in (`Falkenstein`).
    pub fn place(&self) -> &str {
        &self.place
    }
}

impl fmt::Display for Region {
    /// The region code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

const BUILTIN_REGIONS: &[(Provider, &str, char, &str)] = &[
    (Provider::Hetzner, "fsn", 'f', "Falkenstein"),
    (Provider::Hetzner, "nbg", 'n', "Nuremberg"),
    (Provider::Hetzner, "hel", 'l', "Helsinki"),
    (Provider::Hetzner, "ash", 'a', "Ashburn"),
    (Provider::Hetzner, "hil", 'i', "Hillsboro"),
    (Provider::Hetzner, "sin", 's', "Singapore"),
    (Provider::Huawei, "apse", 'p', "AP Southeast (Singapore)"),
    (Provider::Huawei, "cnn", 'c', "CN North (Beijing)"),
    (Provider::Huawei, "las", 'q', "LA South (São Paulo)"),
    (Provider::Huawei, "mer", 'r', "ME (Riyadh)"),
    (Provider::Oci, "dxb", 'x', "Dubai"),
    (Provider::Oci, "fra", 'r', "Frankfurt"),
    (Provider::Oci, "sg", 'g', "Singapore"),
    (Provider::Oci, "iad", 'd', "Ashburn"),
    (Provider::Oci, "syd", 'y', "Sydney"),
    (Provider::Contabo, "eu", 'e', "EU (legacy)"),
];

static BUILTIN: LazyLock<RegionTable> = LazyLock::new(|| RegionTable {
    regions: BUILTIN_REGIONS
        .iter()
        .map(|&(provider, code, code1, place)| Region {
            provider,
            code: Cow::Borrowed(code),
            code1,
            place: Cow::Borrowed(place),
        })
        .collect(),
});

/// The provider-scoped region tables (NAME-2).
///
/// The built-in table holds the regions SPEC.md lists; AWS, GCP and Azure have none yet.
/// More regions come from configuration through [`RegionTable::with_region`], which keeps
/// codes unambiguous; nothing ever accepts an unknown code silently.
///
/// ```
/// use catalyst_naming::{Provider, RegionTable};
/// let table = RegionTable::builtin().clone().with_region(Provider::Aws, "use1", 'e', "US East 1")?;
/// assert_eq!(table.get(Provider::Aws, "use1")?.code1(), 'e');
/// assert!(RegionTable::builtin().get(Provider::Aws, "use1").is_err());
/// # Ok::<(), catalyst_naming::NamingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionTable {
    regions: Vec<Region>,
}

impl RegionTable {
    /// The regions SPEC.md lists (NAME-2).
    pub fn builtin() -> &'static RegionTable {
        &BUILTIN
    }

    /// Adds a region to a provider. The code must be 2–4 characters `[a-z][a-z0-9]*`, not
    /// already used by the provider; the 1-char code must be a letter not used by another
    /// region of the provider nor equal to the provider's own 1-char code.
    pub fn with_region(
        mut self,
        provider: Provider,
        code: impl Into<String>,
        code1: char,
        place: impl Into<String>,
    ) -> Result<Self, NamingError> {
        let code = code.into();
        let reject =
            |reason: String| NamingError::InvalidRegionEntry { provider, code: code.clone(), reason };
        let len = code.chars().count();
        if !(2..=4).contains(&len) {
            return Err(reject(format!("a region code has 2 to 4 characters, not {len}")));
        }
        if !code.starts_with(|c: char| c.is_ascii_lowercase())
            || !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(reject("a region code is a lowercase letter followed by a-z or 0-9".into()));
        }
        if !code1.is_ascii_lowercase() {
            return Err(reject(format!("the 1-char code {code1:?} is not a lowercase letter")));
        }
        if code1 == provider.code1() {
            return Err(reject(format!("the 1-char code {code1:?} is the provider's own 1-char code")));
        }
        for r in self.regions(provider) {
            if r.code == code {
                return Err(reject("the provider already has this region code".into()));
            }
            if r.code1 == code1 {
                return Err(reject(format!(
                    "the 1-char code {code1:?} is already used by region {}",
                    r.code
                )));
            }
        }
        self.regions.push(Region {
            provider,
            code: Cow::Owned(code),
            code1,
            place: Cow::Owned(place.into()),
        });
        Ok(self)
    }

    /// The region `code` of `provider`, or [`NamingError::UnknownRegion`] naming the accepted codes.
    pub fn get(&self, provider: Provider, code: &str) -> Result<Region, NamingError> {
        self.regions(provider).find(|r| r.code == code).cloned().ok_or_else(|| NamingError::UnknownRegion {
            provider,
            region: code.to_owned(),
            accepted: self.accepted(provider),
        })
    }

    /// The region of `provider` whose 1-char code is `c`.
    pub fn by_code1(&self, provider: Provider, c: char) -> Option<&Region> {
        self.regions(provider).find(|r| r.code1 == c)
    }

    /// The regions of one provider, in table order.
    pub fn regions(&self, provider: Provider) -> impl Iterator<Item = &Region> {
        self.regions.iter().filter(move |r| r.provider == provider)
    }

    /// Every region of every provider.
    pub fn all(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter()
    }

    /// The accepted codes of one provider, for help texts and errors.
    pub fn accepted(&self, provider: Provider) -> String {
        let codes: Vec<&str> = self.regions(provider).map(Region::code).collect();
        if codes.is_empty() {
            format!("none ({provider} has no region codes configured)")
        } else {
            codes.join(", ")
        }
    }
}
