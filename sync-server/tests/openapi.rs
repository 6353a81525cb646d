//! `openapi.json` against the server itself: every route of the router described with exactly
//! the methods it answers, every answer of a walk through the API (a phone's day: enroll,
//! sync in JSON, a finding with a notice, a photo, the case list, a contractor's answer, and
//! the refusals on the way) fitting the schema described for its route and status, and every
//! value of the wire enums spelled as described.
//!
//! Objects are checked closed (see `json_schema`): a field the server sends that the
//! description leaves out fails, which is how `callback_due` and `clock_running` went
//! undescribed before.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

mod json_schema;

use std::collections::BTreeSet;

use common::{Device, TestServer};
use json_schema::Schemas;
use plumbline_shared::api::{API_VERSION, ContractorAction, DocMessage, SyncRequest};
use plumbline_shared::doc::DocId;
use plumbline_shared::event::{EventKind, Origin, ResponseMode};
use plumbline_shared::ids::{BlobHash, EventId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::workflow::Status;
use plumbline_sync_server::openapi::OPENAPI;
use plumbline_sync_server::routes::api_routes;
use reqwest::{Method, Response};
use serde_json::Value;

fn description() -> Value {
    serde_json::from_str(OPENAPI).unwrap()
}

/// The methods a route can have that the API could use.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
];

/// A route's path with its parameters filled in by values of the right shape.
fn filled(path: &str) -> String {
    path.replace("{hash}", &"0".repeat(64))
        .replace("{project}", "licheng")
}

/// Where a described path is served: under `/api/v1`, or where its own `servers` say.
fn url_of(server: &TestServer, doc: &Value, path: &str) -> String {
    let base = doc["paths"][path]["servers"][0]["url"]
        .as_str()
        .unwrap_or("/api/v1")
        .trim_end_matches('/');
    format!("http://{}{base}{}", server.addr, filled(path))
}

#[tokio::test]
async fn every_route_is_described_with_exactly_the_methods_it_answers() {
    let server = TestServer::start().await;
    let doc = description();
    let described = doc["paths"].as_object().unwrap();
    let routed: BTreeSet<&str> = api_routes(&server.state).iter().map(|(p, _)| *p).collect();
    let http = reqwest::Client::new();
    let mut problems = Vec::new();
    for (path, operations) in described {
        let under_api = operations["servers"].is_null();
        if under_api && !routed.contains(path.as_str()) {
            problems.push(format!(
                "{path} is described but the router has no such route"
            ));
            continue;
        }
        for method in METHODS {
            // Anything but 405 (and the router's own 404) means the route took the method:
            // without a token or a body, a real handler answers 400, 401 or 2xx.
            let res = http
                .request(method.clone(), url_of(&server, &doc, path))
                .send()
                .await
                .unwrap();
            let answered = res.status() != 405 && res.status() != 404
                || res
                    .headers()
                    .get("content-type")
                    .is_some_and(|t| t == "application/json");
            let is_described = operations.get(method.as_str().to_lowercase()).is_some();
            if answered != is_described {
                problems.push(format!(
                    "{method} {path}: the server answers {}, the description {}",
                    res.status(),
                    if is_described {
                        "has it"
                    } else {
                        "does not have it"
                    }
                ));
            }
        }
    }
    for path in &routed {
        if !described.contains_key(*path) {
            problems.push(format!("{path} is routed but not described"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Checks answers against the description, collecting every misfit.
struct Checker {
    doc: Value,
    problems: Vec<String>,
    checked: BTreeSet<String>,
}

impl Checker {
    /// `res`, an answer to `method path` (the path as described), against the schema
    /// described for its status; returns its JSON body.
    async fn answer(&mut self, method: &str, path: &str, res: Response) -> Value {
        let status = res.status().as_u16().to_string();
        let json = res
            .headers()
            .get("content-type")
            .is_some_and(|t| t.to_str().unwrap().starts_with("application/json"));
        let body: Value = if json {
            res.json().await.unwrap()
        } else {
            Value::Null
        };
        let operation = &self.doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not described");
        let mut response = &operation["responses"][&status];
        // A shared response: `#/components/responses/...`.
        if let Some(reference) = response["$ref"].as_str() {
            response = self
                .doc
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{reference} points at nothing"));
        }
        self.checked.insert(format!("{method} {path} {status}"));
        if !response.is_object() {
            self.problems.push(format!(
                "{method} {path} answered {status}, which is not described: {body}"
            ));
            return body;
        }
        if json {
            let schema = &response["content"]["application/json"]["schema"];
            if schema.is_null() {
                self.problems.push(format!(
                    "{method} {path} {status} answers JSON and describes none"
                ));
            }
            for e in Schemas::new(&self.doc).check(schema, &body) {
                self.problems.push(format!("{method} {path} {status}: {e}"));
            }
        }
        body
    }

    /// `value`, a request body the API takes at `method path`, against its schema.
    fn request(&mut self, method: &str, path: &str, value: &impl serde::Serialize) {
        let schema = &self.doc["paths"][path][method]["requestBody"]["content"]["application/json"]
            ["schema"];
        let value = serde_json::to_value(value).unwrap();
        for e in Schemas::new(&self.doc).check(schema, &value) {
            self.problems
                .push(format!("the request body of {method} {path}: {e}"));
        }
    }
}

async fn post_json(device: &Device, path: &str, body: &impl serde::Serialize) -> Response {
    device
        .http
        .post(format!("{}{path}", device.base))
        .bearer_auth(&device.token)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_answer_of_a_walk_through_the_api_fits_its_described_schema() {
    let server = TestServer::start().await;
    let mut c = Checker {
        doc: description(),
        problems: Vec::new(),
        checked: BTreeSet::new(),
    };
    let http = reqwest::Client::new();
    let project = server.project.id.clone();
    let unit = server.project.units().next().unwrap().1.id.clone();
    let unit_doc = DocId::Unit(unit.clone());

    // Enrollment: a bad code, then a good one (the device helper enrolls for us).
    let res = http
        .post(server.url("/enroll"))
        .json(&serde_json::json!({"code": "NOPE-NOPE", "device_name": "phone"}))
        .send()
        .await
        .unwrap();
    c.answer("post", "/enroll", res).await;
    let mut phone = server.device("wang.li", Role::Inspector).await;

    // The manifest and the exchange, in JSON.
    let manifest = phone.manifest_request(true);
    c.request("post", "/sync/manifest", &manifest);
    let res = post_json(&phone, "/sync/manifest", &manifest).await;
    c.answer("post", "/sync/manifest", res).await;
    phone.sync().await;
    let finding = {
        let mut doc = phone.unit(&unit_doc);
        let actor = phone.actor.clone();
        let id = doc
            .record_finding(
                &actor,
                common::now(),
                common::ponding_leak(Severity::S2, "闭水试验渗漏"),
            )
            .unwrap();
        phone.put_unit(&unit_doc, doc);
        id
    };
    let messages: Vec<DocMessage> = phone.outgoing(std::slice::from_ref(&unit_doc));
    let exchange = SyncRequest {
        api_version: API_VERSION,
        device_time: common::now(),
        messages,
    };
    c.request("post", "/sync/exchange", &exchange);
    let res = post_json(&phone, "/sync/exchange", &exchange).await;
    c.answer("post", "/sync/exchange", res).await;
    phone.sync().await;
    let bad = serde_json::json!({"api_version": API_VERSION, "device_time": 0, "messages": "x"});
    let res = post_json(&phone, "/sync/exchange", &bad).await;
    c.answer("post", "/sync/exchange", res).await;

    // The office issues a notice, so the case row has its contractor and deadlines.
    let office = common::at_the_office(&Actor {
        role: Role::Manager,
        ..phone.actor.clone()
    });
    common::office_edit(&server, &unit_doc, |doc| {
        doc.append_event(
            &office,
            common::now(),
            &finding,
            EventKind::NoticeIssued {
                notice_no: "ZG-2026-0001".into(),
                contractor: "hengzhu-civil".parse().unwrap(),
                repair_deadline: common::now().plus_ms(3 * 86_400_000),
            },
        )
        .unwrap();
    })
    .await;

    // A photo, its status, the bytes back.
    let jpeg = common::jpeg(40_000, 7);
    let hash = BlobHash::of(&jpeg);
    let res = common::put_blob(&phone, &jpeg, "image/jpeg").await;
    c.answer("put", "/blobs/{hash}", res).await;
    for (path, url) in [
        ("/blobs/{hash}/status", format!("/blobs/{hash}/status")),
        ("/blobs/{hash}", format!("/blobs/{hash}")),
        ("/blobs/{hash}", format!("/blobs/{}", "f".repeat(64))),
    ] {
        let res = http
            .get(format!("{}{url}", phone.base))
            .bearer_auth(&phone.token)
            .send()
            .await
            .unwrap();
        c.answer("get", path, res).await;
    }

    // What a device reads, and the ways reading it goes wrong.
    for (path, query) in [
        ("/cases", format!("?project={project}&unit={unit}")),
        ("/cases", format!("?project={project}&limit=0")),
        ("/cases", "?project=elsewhere".to_owned()),
        ("/cases", "?unit=x".to_owned()),
        ("/evidence/status", format!("?project={project}")),
        ("/notifications", String::new()),
        ("/notifications", "?unread=true".to_owned()),
        ("/projects/{project}/template", String::new()),
        ("/openapi.json", String::new()),
    ] {
        let url = format!("{}{}{query}", phone.base, filled(path));
        let res = http
            .get(&url)
            .bearer_auth(&phone.token)
            .send()
            .await
            .unwrap();
        let body = c.answer("get", path, res).await;
        if path == "/cases" && query.contains("unit=") && query.contains("project") {
            assert_eq!(body[0]["finding"], finding.to_string(), "{body}");
        }
    }
    let res = http
        .get(server.url("/cases?project=licheng"))
        .send()
        .await
        .unwrap();
    c.answer("get", "/cases", res).await;
    let res = http
        .get(server.url("/projects/elsewhere/template"))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    c.answer("get", "/projects/{project}/template", res).await;

    // The contractor answers the notice, once well and once with a bad event.
    let foreman = server.device("zhang.gong", Role::Contractor).await;
    let mut action = ContractorAction {
        api_version: API_VERSION,
        unit: unit.clone(),
        finding: finding.clone(),
        event: EventId::random(),
        at: common::now(),
        device_time: common::now(),
        kind: EventKind::ContractorResponded {
            mode: ResponseMode::OnSite,
            note: "已到场".into(),
        },
        evidence: Vec::new(),
    };
    c.request("post", "/contractor/actions", &action);
    let res = post_json(&foreman, "/contractor/actions", &action).await;
    c.answer("post", "/contractor/actions", res).await;
    action.event = EventId::random();
    action.kind = EventKind::AcceptancePassed {
        note: "自己验收".into(),
    };
    let res = post_json(&foreman, "/contractor/actions", &action).await;
    c.answer("post", "/contractor/actions", res).await;

    // The health checks.
    for path in ["/healthz", "/readyz"] {
        let res = http
            .get(format!("http://{}{path}", server.addr))
            .send()
            .await
            .unwrap();
        c.answer("get", path, res).await;
    }

    assert!(c.problems.is_empty(), "{:#?}", c.problems);
    // Every route had at least one answer checked.
    for (path, _) in api_routes(&server.state) {
        assert!(
            c.checked.iter().any(|k| k.split(' ').nth(1) == Some(path)),
            "no answer of {path} was checked: {:?}",
            c.checked
        );
    }
}

/// Every value of an enum the API sends or takes, as serde writes it, is in the description's
/// list, and the list has nothing else.
fn spelled_as_described<T: serde::Serialize + std::fmt::Debug>(
    doc: &Value,
    schema: &str,
    all: &[T],
    problems: &mut Vec<String>,
) {
    let listed: Vec<Value> = doc["components"]["schemas"][schema]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{schema} has no enum"))
        .clone();
    let written: Vec<Value> = all
        .iter()
        .map(|v| serde_json::to_value(v).unwrap())
        .collect();
    for (value, json) in all.iter().zip(&written) {
        if !listed.contains(json) {
            problems.push(format!("{schema}: {value:?} is written {json}, not listed"));
        }
    }
    for json in &listed {
        if !written.contains(json) {
            problems.push(format!("{schema}: {json} is listed, never written"));
        }
    }
}

#[test]
fn every_value_of_the_wire_enums_is_spelled_as_described() {
    let doc = description();
    let mut problems = Vec::new();
    spelled_as_described(&doc, "Origin", &Origin::ALL, &mut problems);
    spelled_as_described(&doc, "Status", &Status::ALL, &mut problems);
    spelled_as_described(&doc, "Role", &Role::ALL, &mut problems);
    spelled_as_described(&doc, "Severity", &Severity::ALL, &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");
}
