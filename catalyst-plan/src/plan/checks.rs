//! Last stage: everything built is checked as its consumer would check it.

use std::collections::{BTreeMap, BTreeSet};

use catalyst_core::validate::validate_document;
use catalyst_dns::check_content;
use catalyst_naming::FieldPath;

use super::{Code, Ctx, Plan, Record, Summary, Zone};

/// Every record set's contents as PowerDNS would parse them.
pub(super) fn dns(cx: &mut Ctx, out: &mut Plan, zones: BTreeMap<String, Vec<Record>>) {
    for (zone, mut records) in zones {
        records.sort_by(|a, b| (&a.name, &a.rtype).cmp(&(&b.name, &b.rtype)));
        for (ri, r) in records.iter().enumerate() {
            for c in &r.contents {
                if let Err(e) = check_content(&r.rtype, c) {
                    let path = FieldPath::root().key("dns").key(&zone).index(ri);
                    cx.problem(Code::InvalidRecord, path, format!("{} {}: {e}", r.name, r.rtype));
                }
            }
        }
        out.dns.push(Zone { zone, records });
    }
}

/// Every resource validated as the API server and controllers would.
pub(super) fn resources(cx: &mut Ctx, out: &Plan) {
    for (i, resource) in out.resources.iter().enumerate() {
        let report = validate_document(&resource.to_value());
        for f in report.errors() {
            let mut problem = f.clone().map_code(Code::Resource);
            problem.path = FieldPath::root().key("resources").index(i).join(&f.path);
            problem.message = format!("{}: {}", report.label(), f.message);
            cx.problems.push(problem);
        }
    }
}

pub(super) fn summary(out: &Plan, problems: usize) -> Summary {
    Summary {
        host_clusters: out.names.host_clusters.len(),
        organizations: out.names.organizations.len(),
        environments: out.names.organizations.values().map(Vec::len).sum(),
        resources: out.resources.len(),
        bootstrap_releases: out.bootstrap_kit.order.len(),
        applications: out.applications.len(),
        blueprints: out
            .applications
            .iter()
            .flat_map(|a| a.install_order.iter().map(|s| &s.name))
            .collect::<BTreeSet<_>>()
            .len(),
        kit_provided: out
            .applications
            .iter()
            .flat_map(|a| a.install_order.iter().filter(|s| s.provided_by.is_some()).map(|s| &s.name))
            .collect::<BTreeSet<_>>()
            .len(),
        dns_records: out.dns.iter().map(|z| z.records.len()).sum(),
        gitea_files: out.gitea.len(),
        problems,
    }
}
