//! Audit events on a real nats-server with JetStream (started by the test on a free loopback
//! port): subject, headers and the platform's body keys; no NATS configured is an error.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use continuum_controller::audit::{
    AUDIT_SUBJECT, AuditError, AuditEvent, AuditSink, AuditType, NatsAudit, NoAudit, Transitions,
};
use futures::StreamExt;

#[tokio::test]
async fn events_are_stored_in_jetstream_with_headers_and_the_platforms_keys() {
    let nats = catalyst_testkit::nats::Nats::start();
    // The platform's audit stream captures the subject.
    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = jetstream::new(client);
    let stream = js
        .create_stream(stream::Config {
            name: "CATALYST_AUDIT".into(),
            subjects: vec![AUDIT_SUBJECT.into()],
            ..Default::default()
        })
        .await
        .unwrap();

    let audit = NatsAudit::connect(&nats.url(), Duration::from_secs(5)).await.unwrap();
    let mut event = AuditEvent::new(AuditType::Switchover, "acme/web-dr", "web");
    event.from_primary = "hz-fsn-rtz-prod".into();
    event.to_primary = "hz-hel-rtz-prod".into();
    event.step = "7/7".into();
    event.reason = "manual".into();
    event.initiated_by = "alice@acme.example".into();
    event.lag_seconds = Some(2);
    audit.publish(&event).await.unwrap();
    // A retried publish of the same event (a lost ack) is stored once.
    audit.publish(&event).await.unwrap();

    let consumer = stream
        .create_consumer(consumer::pull::Config { durable_name: Some("test".into()), ..Default::default() })
        .await
        .unwrap();
    let mut messages =
        consumer.fetch().max_messages(10).expires(Duration::from_secs(2)).messages().await.unwrap();
    let msg = messages.next().await.unwrap().unwrap();
    assert_eq!(msg.subject.as_str(), "catalyst.audit");
    let headers = msg.headers.clone().unwrap();
    assert_eq!(headers.get("audit-type").unwrap().as_str(), "continuum-switchover");
    assert_eq!(headers.get("continuum-name").unwrap().as_str(), "acme/web-dr");
    assert_eq!(headers.get("application-name").unwrap().as_str(), "web");
    let body: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
    // The key set (serde_json's map order depends on the workspace's features).
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "applicationName",
            "continuumName",
            "fromPrimary",
            "initiatedBy",
            "lagSeconds",
            "reason",
            "step",
            "timestamp",
            "toPrimary",
            "type"
        ]
    );
    assert_eq!(body["type"], "continuum-switchover");
    assert_eq!(body["toPrimary"], "hz-hel-rtz-prod");
    assert_eq!(body["lagSeconds"], 2);
    assert_eq!(body["step"], "7/7");
    msg.ack().await.unwrap();
    assert_eq!(stream.clone().info().await.unwrap().state.messages, 1);
}

#[tokio::test]
async fn without_nats_an_audited_step_cannot_complete() {
    let event = AuditEvent::new(AuditType::Error, "acme/web-dr", "web");
    assert_eq!(NoAudit.publish(&event).await.unwrap_err(), AuditError::NotConfigured);
    // A server that is not there: an error within the deadline, not a hang.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let err = NatsAudit::connect(&format!("nats://127.0.0.1:{port}"), Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(matches!(err, AuditError::Nats(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn thirteen_types_and_transitions_only() {
    let names: Vec<&str> = AuditType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(names.len(), 13);
    for (t, n) in AuditType::ALL.iter().zip(&names) {
        assert_eq!(serde_json::to_value(t).unwrap(), *n);
    }
    let gate = Transitions::default();
    let mut lag = AuditEvent::new(AuditType::CnpgLagBreach, "acme/web-dr", "web");
    lag.reason = "lag 12s over 5s".into();
    assert!(gate.is_new(&lag));
    // Not published (NATS down): still new on the next tick.
    assert!(gate.is_new(&lag));
    gate.published(&lag);
    assert!(!gate.is_new(&lag), "a repeat on the next tick is not published");
    // Another type for the same Continuum does not reset it; a cleared condition does.
    let ok = AuditEvent::new(AuditType::ReconcileSuccess, "acme/web-dr", "web");
    gate.published(&ok);
    assert!(!gate.is_new(&lag));
    gate.clear("acme/web-dr", AuditType::CnpgLagBreach);
    assert!(gate.is_new(&lag));
    // A switchover back is a different event.
    let mut there = AuditEvent::new(AuditType::Switchover, "acme/web-dr", "web");
    there.from_primary = "fsn".into();
    there.to_primary = "hel".into();
    gate.published(&there);
    let back = AuditEvent { from_primary: "hel".into(), to_primary: "fsn".into(), ..there.clone() };
    assert!(gate.is_new(&back));
    let other = AuditEvent::new(AuditType::CnpgLagBreach, "acme/api-dr", "api");
    assert!(gate.is_new(&other));
}
